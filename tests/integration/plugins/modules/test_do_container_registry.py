# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_container_registry through ansible-playbook against the sandbox's DigitalOcean emulator."""

from __future__ import annotations

import base64
import json


def registry_task(task_name='registry', no_log=None, **args):
    args = dict({'name': 'fediops-test', 'region': 'nyc3', 'subscription_tier': 'basic'}, **args)
    task = {'name': task_name, 'fediops.mastodon.do_container_registry': {k: v for k, v in args.items() if v is not None},
            'register': 'out'}
    if no_log is not None:
        task['no_log'] = no_log
    return task


def registry(emulator):
    return emulator.state()['registry']


def writes(emulator):
    return [(entry['method'], entry['operation_id']) for entry in emulator.requests() if entry['write']]


def test_lifecycle_create_rerun_check_tier_change_delete(do_emulator, playbook):
    created = playbook.run([registry_task()])
    assert created.rc == 0, created.stdout
    assert created.task('registry')['changed'] is True
    assert registry(do_emulator)['name'] == 'fediops-test'
    assert registry(do_emulator)['subscription']['tier']['slug'] == 'basic'

    do_emulator.clear_requests()
    rerun = playbook.run([registry_task(), registry_task(task_name='name only', region=None, subscription_tier=None)])
    assert rerun.rc == 0 and rerun.changed == 0, rerun.stdout
    assert writes(do_emulator) == []

    checked = playbook.run([registry_task(subscription_tier='professional')], check=True, diff=True)
    assert checked.rc == 0 and checked.task('registry')['changed'] is True, checked.stdout
    assert checked.task('registry')['diff']['after']['subscription_tier'] == 'professional'
    assert checked.task('registry')['diff']['before']['subscription_tier'] == 'basic'
    assert writes(do_emulator) == []

    updated = playbook.run([registry_task(subscription_tier='professional')])
    assert updated.rc == 0 and updated.task('registry')['changed'] is True, updated.stdout
    assert writes(do_emulator) == [('POST', 'registry_update_subscription')]
    assert registry(do_emulator)['subscription']['tier']['slug'] == 'professional'

    deleted = playbook.run([registry_task(state='absent')])
    assert deleted.rc == 0 and deleted.task('registry')['changed'] is True, deleted.stdout
    assert registry(do_emulator) is None
    do_emulator.clear_requests()
    again = playbook.run([registry_task(state='absent')])
    assert again.rc == 0 and again.changed == 0, again.stdout
    assert writes(do_emulator) == []


def test_docker_credentials_are_usable_with_no_log_and_hidden_otherwise(do_emulator, playbook, tmp_path):
    config_file = str(tmp_path / 'config.json')
    copy_args = {'content': '{{ out.docker_credentials.docker_config_json }}', 'dest': config_file, 'mode': '0600'}
    keep = {'name': 'keep', 'ansible.builtin.copy': copy_args, 'no_log': True}
    run = playbook.run([registry_task(docker_credentials=True, read_write=True, expiry_seconds=3600, no_log=True), keep])
    assert run.rc == 0, run.stdout
    [issued] = do_emulator.state()['registry_credentials']
    assert issued['read_write'] is True and issued['expiry_seconds'] == 3600
    with open(config_file, encoding='utf-8') as handle:
        config = json.load(handle)
    auth = config['auths']['registry.digitalocean.com']['auth']
    assert base64.b64decode(auth).decode() == '%s:%s' % (issued['token'], issued['token'])

    do_emulator.clear_requests()
    verbose = playbook.run([registry_task(docker_credentials=True), {'name': 'show', 'ansible.builtin.debug': {'var': 'out'}}],
                           text=True, verbosity=4)
    assert verbose.rc == 0, verbose.stdout
    assert 'changed=0' in verbose.stdout  # fetching credentials is a read
    latest = do_emulator.state()['registry_credentials'][-1]
    latest_auth = base64.b64encode(('%s:%s' % (latest['token'], latest['token'])).encode()).decode()
    assert latest['token'] not in verbose.stdout + verbose.stderr
    assert latest_auth not in verbose.stdout + verbose.stderr
    assert writes(do_emulator) == []


def test_check_mode_create_makes_no_write_and_fetches_no_credentials(do_emulator, playbook):
    run = playbook.run([registry_task(docker_credentials=True)], check=True)
    assert run.rc == 0 and run.task('registry')['changed'] is True, run.stdout
    assert 'docker_credentials' not in run.task('registry')
    assert writes(do_emulator) == [] and registry(do_emulator) is None
    assert do_emulator.state()['registry_credentials'] == []


def test_one_registry_per_account_and_immutable_region(do_emulator, playbook):
    assert playbook.run([registry_task()]).rc == 0
    do_emulator.clear_requests()
    other = playbook.run([registry_task(name='another')])
    assert other.rc != 0
    assert "this account's registry is named fediops-test" in other.task('registry')['msg']
    moved = playbook.run([registry_task(region='ams3')])
    assert moved.rc != 0 and 'region cannot change' in moved.task('registry')['msg']
    absent_other = playbook.run([registry_task(name='another', state='absent')])
    assert absent_other.rc == 0 and absent_other.changed == 0, absent_other.stdout
    assert writes(do_emulator) == [] and registry(do_emulator)['name'] == 'fediops-test'


def test_invalid_and_taken_names(do_emulator, playbook):
    run = playbook.run([registry_task(name='-bad-')])
    assert run.rc != 0 and "name '-bad-' is invalid" in run.task('registry')['msg']
    run = playbook.run([registry_task(subscription_tier=None)])
    assert run.rc != 0 and 'subscription_tier is required' in run.task('registry')['msg']
    assert writes(do_emulator) == []
    taken = playbook.run([registry_task(name='registry')])
    assert taken.rc != 0
    assert taken.task('registry')['status'] == 409 and 'already in use' in taken.task('registry')['msg']


def test_lost_create_response_and_faults_end_with_the_registry(do_emulator, playbook):
    do_emulator.add_fault(kind='response_lost', method='POST', path='/v2/registry', count=1)
    do_emulator.add_fault(kind='429', method='GET', path='/v2/registry', count=1, retry_after=1)
    do_emulator.add_fault(kind='5xx', method='GET', path='/v2/registry', count=1, status=502)
    run = playbook.run([registry_task()])
    assert run.rc == 0, run.stdout
    assert run.task('registry')['registry']['name'] == 'fediops-test'
    assert [entry['method'] for entry in do_emulator.requests() if entry['write']] == ['POST']
