# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.fediops.mastodon.plugins.module_utils import firewall_rules as fw

HTTPS = {'protocol': 'tcp', 'ports': '443', 'sources': {'addresses': ['0.0.0.0/0', '::/0']}}
SSH = {'protocol': 'tcp', 'ports': '22', 'sources': {'addresses': ['192.0.2.0/24']}}
DNS = {'protocol': 'udp', 'ports': '53', 'destinations': {'addresses': ['0.0.0.0/0']}}


def params(**overrides):
    base = {'name': 'mastodon-nodes', 'inbound_rules': None, 'outbound_rules': None, 'droplet_ids': None, 'tags': None}
    base.update(overrides)
    return base


@pytest.mark.parametrize('protocol, ports, expected', [
    ('tcp', 'all', '0'), ('tcp', '0', '0'), ('udp', '1-65535', '0'), ('tcp', 'ALL', '0'),
    ('tcp', '443', '443'), ('tcp', '0443', '443'), ('tcp', '80-80', '80'), ('udp', '8000-9000', '8000-9000'),
    ('icmp', None, '0'), ('icmp', '8', '0'),
])
def test_ports_have_one_spelling(protocol, ports, expected):
    assert fw.normalize_ports(protocol, ports) == expected


@pytest.mark.parametrize('ports', ['70000', '9000-8000', 'http', '', None, '0-10'])
def test_ports_digitalocean_refuses_raise(ports):
    with pytest.raises(ValueError):
        fw.normalize_ports('tcp', ports)


@pytest.mark.parametrize('address, expected', [
    ('0.0.0.0/0', '0.0.0.0/0'), ('192.0.2.7/24', '192.0.2.0/24'), ('192.0.2.7/32', '192.0.2.7'), ('192.0.2.7', '192.0.2.7'),
    ('2001:DB8::1', '2001:db8::1'), ('2001:db8::/32', '2001:db8::/32'), ('::/0', '::/0'),
])
def test_addresses_are_canonical(address, expected):
    assert fw.normalize_address(address) == expected


def test_rules_are_a_set_whatever_their_order_and_spelling():
    one = [HTTPS, SSH, {'protocol': 'icmp', 'sources': {'addresses': ['0.0.0.0/0']}}]
    other = [{'protocol': 'icmp', 'ports': '0', 'sources': {'addresses': ['0.0.0.0/0'], 'tags': []}},
             {'ports': '22', 'sources': {'addresses': ['192.0.2.0/24']}},
             {'protocol': 'tcp', 'ports': '443', 'sources': {'addresses': ['::/0', '0.0.0.0/0', '0.0.0.0/0']}},
             HTTPS]
    assert fw.normalize_rules(one, 'sources') == fw.normalize_rules(other, 'sources')
    assert len(fw.normalize_rules(other, 'sources')) == 3


def test_plan_lists_what_is_added_and_removed_and_nothing_when_equal():
    current = fw.current_state({'name': 'fw', 'inbound_rules': [HTTPS, SSH], 'outbound_rules': [DNS], 'droplet_ids': [1, 2], 'tags': ['a']})
    same = fw.desired_state(params(name='fw', inbound_rules=[SSH, HTTPS]), current)
    assert fw.plan(same, current) == (False, {'inbound_rules': {'added': [], 'removed': []}, 'outbound_rules': {'added': [], 'removed': []},
                                              'droplet_ids': {'added': [], 'removed': []}, 'tags': {'added': [], 'removed': []}})
    desired = fw.desired_state(params(name='fw', inbound_rules=[HTTPS], droplet_ids=[2, 3], tags=[]), current)
    changed, changes = fw.plan(desired, current)
    assert changed is True
    assert changes['inbound_rules'] == {'added': [], 'removed': [fw.normalize_rule(SSH, 'sources')]}
    assert changes['outbound_rules'] == {'added': [], 'removed': []}  # omitted: left as it is
    assert changes['droplet_ids'] == {'added': [3], 'removed': [1]}
    assert changes['tags'] == {'added': [], 'removed': ['a']}


def test_plan_of_a_new_firewall_adds_everything():
    desired = fw.desired_state(params(inbound_rules=[HTTPS], tags=['k8s:abc']))
    changed, changes = fw.plan(desired, None)
    assert changed is True and len(changes['inbound_rules']['added']) == 1 and changes['tags']['added'] == ['k8s:abc']


def test_api_body_is_the_full_representation():
    desired = fw.desired_state(params(inbound_rules=[dict(HTTPS, ports='all')], outbound_rules=[], droplet_ids=[7]))
    assert fw.api_body(desired) == {
        'name': 'mastodon-nodes', 'droplet_ids': [7], 'tags': [], 'outbound_rules': [],
        'inbound_rules': [{'protocol': 'tcp', 'ports': '0', 'sources': {'addresses': ['0.0.0.0/0', '::/0']}}],
    }


@pytest.mark.parametrize('overrides, words', [
    ({'name': 'x'}, "name 'x' is invalid"),
    ({'inbound_rules': [{'protocol': 'gre', 'sources': {'addresses': ['0.0.0.0/0']}}]}, "inbound_rules[0].protocol 'gre' is not allowed"),
    ({'inbound_rules': [{'protocol': 'udp', 'sources': {'addresses': ['0.0.0.0/0']}}]}, 'inbound_rules[0].ports is required for udp'),
    ({'outbound_rules': [{'protocol': 'tcp', 'ports': '1-2-3', 'destinations': {'addresses': ['0.0.0.0/0']}}]}, 'outbound_rules[0].ports'),
    ({'inbound_rules': [dict(HTTPS, sources={'addresses': ['10.0.0.0/33']})]}, "inbound_rules[0].sources.addresses: '10.0.0.0/33'"),
    ({'inbound_rules': [dict(HTTPS, sources={'kubernetes_ids': ['not-a-uuid']})]}, 'is not a Kubernetes cluster id'),
    ({'inbound_rules': [dict(HTTPS, sources={'tags': ['has space']})]}, "sources.tags: 'has space' is not a valid tag"),
    ({'inbound_rules': [dict(HTTPS, sources={'addresses': []})]}, 'inbound_rules[0].sources must name at least one'),
    ({'inbound_rules': [dict(HTTPS, ports=str(port)) for port in range(1, 52)]}, '51 rules given; allowed: at most 50'),
    ({'droplet_ids': list(range(11))}, 'droplet_ids lists 11 Droplets; allowed: at most 10'),
    ({'tags': ['t%d' % n for n in range(6)]}, 'tags lists 6 tags; allowed: at most 5'),
])
def test_validation_names_field_value_and_what_is_allowed(overrides, words):
    errors = fw.validate(params(**overrides))
    assert any(words in error for error in errors), errors


def test_valid_input_has_no_errors():
    assert fw.validate(params(inbound_rules=[HTTPS, SSH], outbound_rules=[DNS], tags=['k8s:5a4981aa-9653-4bd1-bef5-d6bff52042e4'])) == []


def test_diff_view_reads_like_the_rules():
    state = fw.desired_state(params(inbound_rules=[HTTPS, {'protocol': 'icmp', 'sources': {'tags': ['web']}}], outbound_rules=[DNS]))
    view = fw.diff_view(state)
    assert view['inbound_rules'] == ['icmp - from tags=web', 'tcp 443 from addresses=0.0.0.0/0,::/0']
    assert view['outbound_rules'] == ['udp 53 to addresses=0.0.0.0/0']
    assert fw.diff_view(None) == {}
