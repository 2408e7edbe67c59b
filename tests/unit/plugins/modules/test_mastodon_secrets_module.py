# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mastodon_secrets module: changed only when something is generated, values never in messages."""

import base64

from ansible_collections.fediops.mastodon.plugins.module_utils import mastodon_secrets as ms
from ansible_collections.fediops.mastodon.plugins.modules import mastodon_secrets


def as_secret_data(values):
    return {name: base64.b64encode(value.encode()).decode() for name, value in values.items()}


def test_first_run_generates_everything_and_reports_changed(harness):
    result = harness.run(mastodon_secrets.main, {})
    assert result['changed'] is True
    assert set(result['secrets']) == set(ms.SECRET_NAMES)
    assert result['generated'] == sorted(ms.SECRET_NAMES)


def test_rerun_with_the_stored_secret_changes_nothing(harness):
    first = harness.run(mastodon_secrets.main, {})
    data = as_secret_data(first['secrets'])
    data['DB_PASS'] = base64.b64encode(b'other keys are ignored').decode()
    second = harness.run(mastodon_secrets.main, {'existing_data': data})
    assert second['changed'] is False
    assert second['generated'] == []
    assert second['secrets'] == first['secrets']
    assert set(second['sources'].values()) == {'existing'}


def test_check_mode_reports_the_same_as_a_real_run(harness):
    result = harness.run(mastodon_secrets.main, {}, check_mode=True)
    assert result['changed'] is True and len(result['secrets']) == 6


def test_supplied_value_wins_and_is_not_counted_as_generated(harness):
    first = harness.run(mastodon_secrets.main, {})
    mine = ms.generate_secret_key_base()
    result = harness.run(mastodon_secrets.main, {'existing_data': as_secret_data(first['secrets']), 'secret_key_base': mine})
    assert result['changed'] is False
    assert result['sources']['SECRET_KEY_BASE'] == 'supplied'
    # Not returned: Ansible masks no_log option values in results, the caller has the value anyway.
    assert 'SECRET_KEY_BASE' not in result['secrets']
    assert result['secrets']['VAPID_PRIVATE_KEY'] == first['secrets']['VAPID_PRIVATE_KEY']


def test_bad_supplied_value_fails_without_echoing_it(harness):
    private, dummy = ms.generate_vapid_keypair()
    dummy, other_public = ms.generate_vapid_keypair()
    result = harness.run(mastodon_secrets.main, {'vapid_private_key': private, 'vapid_public_key': other_public})
    assert result['failed'] is True
    assert 'VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY' in result['msg']
    assert private not in result['msg'] and other_public not in result['msg']


def test_secret_options_are_declared_no_log():
    """Ansible masks no_log options in logs and invocation output; every secret option must be one."""
    from ansible.module_utils.testing import patch_module_args
    from ansible.module_utils import basic
    captured = {}

    class Capture(basic.AnsibleModule):
        def __init__(self, argument_spec, **kwargs):  # pylint: disable=super-init-not-called
            captured.update(argument_spec)
            raise SystemExit(0)

    original = mastodon_secrets.AnsibleModule
    mastodon_secrets.AnsibleModule = Capture
    try:
        with patch_module_args({}):
            try:
                mastodon_secrets.main()
            except SystemExit:
                pass
    finally:
        mastodon_secrets.AnsibleModule = original
    assert captured and all(spec.get('no_log') for spec in captured.values())
