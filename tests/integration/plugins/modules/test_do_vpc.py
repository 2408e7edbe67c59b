# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_vpc through ansible-playbook against the sandbox's DigitalOcean emulator."""

from __future__ import annotations

VPC = {'name': 'mastodon-vpc', 'region': 'tor1', 'ip_range': '10.110.16.0/20', 'description': 'Mastodon private network'}


def vpc_task(name='vpc', **overrides):
    args = dict(VPC)
    args.update(overrides)
    args = {key: value for key, value in args.items() if value is not None}
    return {'name': name, 'fediops.mastodon.do_vpc': args, 'register': 'out'}


def vpcs_named(emulator, name):
    return [vpc for vpc in emulator.state()['vpcs'] if vpc['name'] == name]


def write_calls(emulator):
    return [entry for entry in emulator.requests() if entry['write']]


def test_lifecycle_create_rerun_check_update_delete(do_emulator, playbook):
    created = playbook.run([vpc_task()])
    assert created.rc == 0, created.stdout
    assert created.task('vpc')['changed'] is True
    assert created.task('vpc')['vpc']['ip_range'] == VPC['ip_range']
    assert len(vpcs_named(do_emulator, VPC['name'])) == 1

    do_emulator.clear_requests()
    rerun = playbook.run([vpc_task()])
    assert rerun.rc == 0 and rerun.changed == 0, rerun.stdout
    assert write_calls(do_emulator) == []

    do_emulator.clear_requests()
    checked = playbook.run([vpc_task(description='changed in check mode')], check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    result = checked.task('vpc')
    assert result['changed'] is True
    assert result['diff']['before']['description'] == VPC['description']
    assert result['diff']['after']['description'] == 'changed in check mode'
    assert write_calls(do_emulator) == []
    assert vpcs_named(do_emulator, VPC['name'])[0]['description'] == VPC['description']

    do_emulator.clear_requests()
    updated = playbook.run([vpc_task(description='updated')])
    assert updated.rc == 0 and updated.task('vpc')['changed'] is True, updated.stdout
    writes = write_calls(do_emulator)
    assert [(entry['method'], entry['operation_id']) for entry in writes] == [('PATCH', 'vpcs_patch')]
    assert vpcs_named(do_emulator, VPC['name'])[0]['description'] == 'updated'

    deleted = playbook.run([vpc_task(state='absent')])
    assert deleted.rc == 0 and deleted.task('vpc')['changed'] is True, deleted.stdout
    assert vpcs_named(do_emulator, VPC['name']) == []

    do_emulator.clear_requests()
    again = playbook.run([vpc_task(state='absent')])
    assert again.rc == 0 and again.changed == 0, again.stdout
    assert write_calls(do_emulator) == []


def test_check_mode_create_makes_no_write_and_reports_change(do_emulator, playbook):
    run = playbook.run([vpc_task()], check=True, diff=True)
    assert run.rc == 0, run.stdout
    assert run.task('vpc')['changed'] is True
    assert run.task('vpc')['diff']['after']['name'] == VPC['name']
    assert write_calls(do_emulator) == []
    assert vpcs_named(do_emulator, VPC['name']) == []


def test_module_defaults_group_sets_the_token_once(do_emulator, playbook, sandbox):
    token = sandbox.env['DIGITALOCEAN_ACCESS_TOKEN']
    defaults = {'group/fediops.mastodon.digitalocean': {'oauth_token': token, 'api_url': sandbox.do_url}}
    run = playbook.run([vpc_task()], module_defaults=defaults, env={'DIGITALOCEAN_ACCESS_TOKEN': None, 'DIGITALOCEAN_API_URL': None})
    assert run.rc == 0, run.stdout
    assert run.task('vpc')['changed'] is True
    assert len(vpcs_named(do_emulator, VPC['name'])) == 1


def test_wrong_token_fails_with_the_api_error_and_never_prints_the_token(do_emulator, playbook):
    bad_token = 'dop_v1_not_the_sandbox_token_0123456789'
    run = playbook.run([vpc_task()], text=True, verbosity=4, env={'DIGITALOCEAN_ACCESS_TOKEN': bad_token})
    assert run.rc != 0
    assert 'unauthorized' in run.stdout
    assert bad_token not in run.stdout + run.stderr
    assert write_calls(do_emulator) == []


def test_sandbox_token_never_appears_in_verbose_output(do_emulator, playbook, sandbox):
    token = sandbox.env['DIGITALOCEAN_ACCESS_TOKEN']
    defaults = {'group/fediops.mastodon.digitalocean': {'oauth_token': token}}
    run = playbook.run([vpc_task(), vpc_task(name='again')], module_defaults=defaults, text=True, verbosity=4, diff=True)
    assert run.rc == 0, run.stdout
    assert token not in run.stdout + run.stderr
    assert len(vpcs_named(do_emulator, VPC['name'])) == 1


def test_converges_through_rate_limits_and_server_errors(do_emulator, playbook):
    do_emulator.add_fault(kind='429', method='GET', path='/v2/vpcs', count=2, retry_after=1)
    do_emulator.add_fault(kind='5xx', method='POST', path='/v2/vpcs', count=2, status=503)
    run = playbook.run([vpc_task()])
    assert run.rc == 0, run.stdout
    assert len(vpcs_named(do_emulator, VPC['name'])) == 1
    faults = [entry['fault'] for entry in do_emulator.requests() if entry['fault']]
    assert faults.count('429') == 2 and faults.count('5xx') == 2


def test_lost_create_response_ends_with_exactly_one_vpc(do_emulator, playbook):
    do_emulator.add_fault(kind='response_lost', method='POST', path='/v2/vpcs', count=1)
    run = playbook.run([vpc_task()])
    assert run.rc == 0, run.stdout
    assert run.task('vpc')['changed'] is True
    assert run.task('vpc')['vpc']['name'] == VPC['name']
    assert len(vpcs_named(do_emulator, VPC['name'])) == 1
    creates = [entry for entry in do_emulator.requests() if entry['method'] == 'POST']
    assert len(creates) == 1, 'a create whose response was lost must not be sent again: %s' % creates


def test_connection_reset_on_create_is_retried_after_a_lookup(do_emulator, playbook):
    do_emulator.add_fault(kind='reset', method='POST', path='/v2/vpcs', count=1)
    run = playbook.run([vpc_task()])
    assert run.rc == 0, run.stdout
    assert len(vpcs_named(do_emulator, VPC['name'])) == 1


def test_unknown_region_fails_before_any_write(do_emulator, playbook):
    run = playbook.run([vpc_task(region='mars1')])
    assert run.rc != 0
    message = run.task('vpc')['msg']
    assert 'region' in message and 'mars1' in message and 'tor1' in message, message
    assert write_calls(do_emulator) == []


def test_malformed_ip_range_fails_before_any_write(do_emulator, playbook):
    for bad in ('10.0.0.0/33', '300.1.0.0/16', '8.8.8.0/24', '10.0.0.0/8'):
        run = playbook.run([vpc_task(ip_range=bad)])
        assert run.rc != 0, bad
        message = run.task('vpc')['msg']
        assert 'ip_range' in message and bad in message, message
    assert write_calls(do_emulator) == []


def test_region_change_is_refused_without_deleting(do_emulator, playbook):
    assert playbook.run([vpc_task()]).rc == 0
    do_emulator.clear_requests()
    run = playbook.run([vpc_task(region='nyc3')])
    assert run.rc != 0
    assert 'region' in run.task('vpc')['msg']
    assert write_calls(do_emulator) == []
    assert len(vpcs_named(do_emulator, VPC['name'])) == 1


def test_deleting_a_vpc_with_members_fails_with_the_api_message(do_emulator, playbook):
    created = playbook.run([vpc_task()])
    vpc_id = created.task('vpc')['vpc']['id']
    do_emulator.attach_vpc_member(vpc_id, urn='do:droplet:4242', name='web-1')
    run = playbook.run([vpc_task(state='absent')])
    assert run.rc != 0
    result = run.task('vpc')
    assert result.get('status') == 403, result
    assert len(vpcs_named(do_emulator, VPC['name'])) == 1
