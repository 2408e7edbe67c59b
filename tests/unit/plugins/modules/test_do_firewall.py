# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""do_firewall: inputs are refused before any client exists (the rule logic is tested in test_firewall_rules)."""

from ansible_collections.fediops.mastodon.plugins.modules import do_firewall


def test_invalid_rules_fail_before_the_client_is_built(harness, clean_do_env):
    del clean_do_env  # no token: building a client would fail with another message
    result = harness.run(do_firewall.main, {'name': 'nodes', 'inbound_rules': [
        {'protocol': 'tcp', 'ports': '99999', 'sources': {'addresses': ['0.0.0.0/0']}}]})
    assert result['failed'] is True
    assert result['msg'].startswith('Nothing was changed: inbound_rules[0].ports')
    assert '99999' in result['msg'] and '1-65535' in result['msg']


def test_sources_are_required_by_the_argument_spec(harness, clean_do_env):
    del clean_do_env
    result = harness.run(do_firewall.main, {'name': 'nodes', 'inbound_rules': [{'protocol': 'tcp', 'ports': '22'}]})
    assert result['failed'] is True and 'sources' in result['msg']
