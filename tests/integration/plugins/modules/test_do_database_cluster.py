# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_database_cluster through ansible-playbook against the sandbox's DigitalOcean emulator."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

PG = {'name': 'mastodon-pg', 'engine': 'pg', 'region': 'tor1', 'size': 'db-s-1vcpu-2gb', 'version': '16'}
MASKED = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'


def cluster_task(name='cluster', args=None, **overrides):
    task_args = dict(PG if args is None else args)
    task_args.update(overrides)
    task_args = {key: value for key, value in task_args.items() if value is not None}
    return {'name': name, 'fediops.mastodon.do_database_cluster': task_args, 'register': 'out'}


def failing(task):
    return dict(task, ignore_errors=True)


def clusters_named(emulator, name):
    return [cluster for cluster in emulator.state()['database_clusters'] if cluster['name'] == name]


def write_calls(emulator):
    return [entry for entry in emulator.requests() if entry['write']]


def operations(entries):
    return [entry['operation_id'] for entry in entries]


def emulator_secrets(state):
    """Every password the emulator holds: ``password`` fields and the passwords inside URIs."""
    found = set()

    def walk(value):
        if isinstance(value, dict):
            for key, sub in value.items():
                if key == 'password' and isinstance(sub, str) and sub:
                    found.add(sub)
                walk(sub)
        elif isinstance(value, list):
            for sub in value:
                walk(sub)
        elif isinstance(value, str) and '://' in value:
            password = urlsplit(value).password
            if password:
                found.add(password)

    walk(state)
    return found


@pytest.fixture
def fast_provisioning(do_emulator):
    """Clusters settle at once (tests that exercise a wait set a delay); the previous delay comes back after."""
    previous = do_emulator.config().get('provision_delay')
    do_emulator.configure(provision_delay=0)
    yield do_emulator
    if previous is not None:
        do_emulator.configure(provision_delay=previous)


def test_pg_lifecycle_create_rerun_check_resize_upgrade_maintenance_delete(fast_provisioning, playbook):
    emulator = fast_provisioning
    emulator.configure(provision_delay=1)
    settings = dict(vpc='default-tor1', tags=['mastodon', 'production'], maintenance_window={'day': 'sunday', 'hour': '04:00'},
                    storage_autoscale={'enabled': True, 'threshold_percent': 80, 'increment_gib': 10})
    created = playbook.run([cluster_task(**settings)])
    assert created.rc == 0, created.stdout
    result = created.task('cluster')
    assert result['changed'] is True and result['cluster']['status'] == 'online'
    assert result['connection']['host'] and result['private_connection']['host'].startswith('private-')
    state = clusters_named(emulator, PG['name'])
    assert len(state) == 1 and state[0]['version'] == '16' and sorted(state[0]['tags']) == ['mastodon', 'production']
    assert state[0]['maintenance_window']['day'] == 'sunday' and state[0]['autoscale']['storage']['threshold_percent'] == 80
    assert operations(write_calls(emulator)) == ['databases_create_cluster', 'databases_update_maintenanceWindow']

    emulator.clear_requests()
    checked = dict(cluster_task('check', size='db-s-2vcpu-4gb'), check_mode=True, diff=True)
    rerun = playbook.run([cluster_task('rerun', **settings), checked])
    assert rerun.rc == 0 and rerun.changed == 1, rerun.stdout
    assert rerun.task('rerun')['changed'] is False
    result = rerun.task('check')
    assert result['changed'] is True
    assert result['diff']['before']['size'] == 'db-s-1vcpu-2gb' and result['diff']['after']['size'] == 'db-s-2vcpu-4gb'
    assert write_calls(emulator) == [], 'neither a re-run nor check mode may write'
    assert clusters_named(emulator, PG['name'])[0]['size'] == 'db-s-1vcpu-2gb'

    emulator.clear_requests()
    resized = playbook.run([cluster_task(size='db-s-2vcpu-4gb', num_nodes=2)])
    assert resized.rc == 0, resized.stdout
    result = resized.task('cluster')
    assert result['changed'] is True and result['cluster']['status'] == 'online'
    assert result['cluster']['size'] == 'db-s-2vcpu-4gb' and result['cluster']['num_nodes'] == 2
    log = emulator.requests()
    writes = [entry for entry in log if entry['write']]
    assert [(entry['operation_id'], entry['body']) for entry in writes] == [
        ('databases_update_clusterSize', {'size': 'db-s-2vcpu-4gb', 'num_nodes': 2})]
    polls = [entry for entry in log if entry['operation_id'] == 'databases_get_cluster' and entry['seq'] > writes[0]['seq']]
    assert len(polls) >= 2, 'the module must poll through "resizing" until "online": %s' % polls

    emulator.configure(provision_delay=0)
    resized_pg = dict(PG, size='db-s-2vcpu-4gb', num_nodes=2)
    emulator.clear_requests()
    upgraded = playbook.run([cluster_task(args=resized_pg, version='17')])
    assert upgraded.rc == 0 and upgraded.task('cluster')['changed'] is True, upgraded.stdout
    assert upgraded.task('cluster')['cluster']['version'] == '17'
    assert [(entry['operation_id'], entry['body']) for entry in write_calls(emulator)] == [
        ('databases_update_major_version', {'version': '17'})]
    assert clusters_named(emulator, PG['name'])[0]['version'] == '17'

    emulator.clear_requests()
    current = dict(resized_pg, version='17')
    refused = playbook.run([failing(cluster_task('downgrade', current, version='16')), failing(cluster_task('move', current, region='nyc3')),
                            failing(cluster_task('shrink', current, size='db-s-1vcpu-2gb')),
                            failing(cluster_task('retag', current, tags=['other'])),
                            dict(cluster_task('window', current, maintenance_window={'day': 'wednesday', 'hour': '03:30'}), diff=True)])
    assert 'downgrade is refused' in refused.task('downgrade')['msg']
    assert 'region cannot change' in refused.task('move')['msg']
    assert 'cannot resize nodes to a smaller size' in refused.task('shrink')['msg']
    assert 'tags cannot change in place' in refused.task('retag')['msg']
    window = refused.task('window')
    assert window['changed'] is True and window['diff']['after']['maintenance_window'] == {'day': 'wednesday', 'hour': '03:30'}
    assert [(entry['operation_id'], entry['body']) for entry in write_calls(emulator)] == [
        ('databases_update_maintenanceWindow', {'day': 'wednesday', 'hour': '03:30'})], 'only the maintenance window may be written'
    assert clusters_named(emulator, PG['name'])[0]['version'] == '17'

    emulator.clear_requests()
    absent = {'name': PG['name'], 'state': 'absent'}
    deleted = playbook.run([cluster_task('delete', absent), cluster_task('again', absent)])
    assert deleted.rc == 0, deleted.stdout
    assert deleted.task('delete')['changed'] is True and deleted.task('again')['changed'] is False
    assert operations(write_calls(emulator)) == ['databases_destroy_cluster'] and clusters_named(emulator, PG['name']) == []


def test_valkey_and_opensearch_create_then_rerun_without_writes(fast_provisioning, playbook):
    emulator = fast_provisioning
    tasks = [cluster_task('valkey', args={'name': 'mastodon-valkey', 'engine': 'valkey', 'region': 'tor1', 'size': 'db-s-1vcpu-1gb',
                                          'eviction_policy': 'allkeys_lru'}),
             cluster_task('opensearch', args={'name': 'mastodon-search', 'engine': 'opensearch', 'region': 'tor1',
                                              'size': 'db-s-1vcpu-2gb', 'version': '2'})]
    created = playbook.run(tasks)
    assert created.rc == 0, created.stdout
    assert created.task('valkey')['changed'] and created.task('opensearch')['changed']
    assert created.task('valkey')['connection']['uri'].startswith('rediss://')
    valkey = clusters_named(emulator, 'mastodon-valkey')[0]
    assert valkey['status'] == 'online' and valkey['eviction_policy'] == 'allkeys_lru'
    assert clusters_named(emulator, 'mastodon-search')[0]['engine'] == 'opensearch'

    emulator.clear_requests()
    rerun = playbook.run(tasks)
    assert rerun.rc == 0 and rerun.changed == 0, rerun.stdout
    assert write_calls(emulator) == []


def test_wait_false_returns_at_once_with_the_transitional_status(fast_provisioning, playbook):
    emulator = fast_provisioning
    emulator.configure(provision_delay=60)
    run = playbook.run([cluster_task(wait=False)])
    assert run.rc == 0, run.stdout
    assert run.task('cluster')['cluster']['status'] == 'creating'
    assert [entry for entry in emulator.requests() if entry['operation_id'] == 'databases_get_cluster'] == []
    assert clusters_named(emulator, PG['name'])[0]['status'] == 'creating'

    emulator.advance_clock(61)
    resize = playbook.run([cluster_task(size='db-s-2vcpu-4gb', wait=False)])
    assert resize.rc == 0, resize.stdout
    assert resize.task('cluster')['changed'] is True and resize.task('cluster')['cluster']['status'] == 'resizing'


def test_choices_not_offered_fail_naming_field_value_and_allowed_values_before_any_write(fast_provisioning, playbook):
    emulator = fast_provisioning
    run = playbook.run([failing(cluster_task('choices', size='db-s-64vcpu-1tb', version='9', region='mars1')),
                        failing(cluster_task('nodes', num_nodes=4))])
    message = run.task('choices')['msg']
    assert "size 'db-s-64vcpu-1tb' is not offered for PostgreSQL clusters of 1 node(s); allowed: db-s-1vcpu-1gb" in message
    assert "version '9' is not offered for PostgreSQL clusters; allowed: 14, 15, 16, 17, 18" in message
    assert "region 'mars1' is not offered for PostgreSQL clusters; allowed:" in message and 'tor1' in message
    assert 'num_nodes 4 is not offered for PostgreSQL clusters; allowed: 1, 2, 3' in run.task('nodes')['msg']
    assert write_calls(emulator) == []


def test_converges_through_rate_limits_and_server_errors_on_create_update_and_wait(fast_provisioning, playbook):
    emulator = fast_provisioning
    emulator.add_fault(kind='429', method='GET', path='/v2/databases', count=2, retry_after=1)
    emulator.add_fault(kind='5xx', method='POST', path='/v2/databases', count=2, status=503)
    emulator.add_fault(kind='5xx', method='GET', path='/v2/databases/*-*', count=2, status=502)
    created = playbook.run([cluster_task()])
    assert created.rc == 0, created.stdout
    assert created.task('cluster')['cluster']['status'] == 'online'
    assert len(clusters_named(emulator, PG['name'])) == 1
    faults = [entry['fault'] for entry in emulator.requests() if entry['fault']]
    assert faults.count('429') == 2 and faults.count('5xx') == 4

    emulator.clear_requests()
    emulator.add_fault(kind='5xx', method='PUT', path='/v2/databases/*/resize', count=1, status=500)
    emulator.add_fault(kind='429', method='GET', path='/v2/databases/*-*', count=1, retry_after=1)
    resized = playbook.run([cluster_task(size='db-s-2vcpu-4gb')])
    assert resized.rc == 0, resized.stdout
    assert clusters_named(emulator, PG['name'])[0]['size'] == 'db-s-2vcpu-4gb'
    assert [entry['fault'] for entry in write_calls(emulator)] == ['5xx', None]


def test_lost_create_response_ends_with_exactly_one_cluster(fast_provisioning, playbook):
    emulator = fast_provisioning
    emulator.add_fault(kind='response_lost', method='POST', path='/v2/databases')
    run = playbook.run([cluster_task()])
    assert run.rc == 0, run.stdout
    assert run.task('cluster')['changed'] is True and run.task('cluster')['cluster']['name'] == PG['name']
    assert len(clusters_named(emulator, PG['name'])) == 1
    creates = [entry for entry in emulator.requests() if entry['method'] == 'POST']
    assert len(creates) == 1, 'a create whose response was lost must not be sent again: %s' % creates


def test_no_password_or_token_in_verbose_output_and_clear_passwords_only_for_no_log_tasks(fast_provisioning, playbook, sandbox, tmp_path):
    emulator = fast_provisioning
    token = sandbox.env['DIGITALOCEAN_ACCESS_TOKEN']
    target = os.path.join(str(tmp_path), 'password')
    tasks = [cluster_task(),
             cluster_task('valkey', args={'name': 'mastodon-valkey', 'engine': 'valkey', 'region': 'tor1', 'size': 'db-s-1vcpu-1gb'}),
             {'name': 'info', 'fediops.mastodon.do_database_info': {}, 'register': 'info'},
             {'name': 'show', 'ansible.builtin.debug': {'var': 'out'}},
             {'name': 'masked', 'ansible.builtin.assert': {'that': ["out.connection.password == '%s'" % MASKED,
                                                                    "':********@' in out.connection.uri"]}},
             dict(cluster_task('quiet'), no_log=True),
             {'name': 'keep', 'no_log': True,
              'ansible.builtin.copy': {'content': '{{ out.connection.password }}', 'dest': target, 'mode': '0600'}}]
    run = playbook.run(tasks, text=True, verbosity=4, diff=True)
    assert run.rc == 0, run.stdout
    secrets = emulator_secrets(emulator.state())
    assert len(secrets) >= 2
    output = run.stdout + run.stderr
    leaked = [secret for secret in secrets | {token} if secret in output]
    assert leaked == [], 'secrets in the -vvvv output'
    assert '"connection"' in output and MASKED in output
    with open(target, encoding='utf-8') as handle:
        password = handle.read()
    admin = [user for user in clusters_named(emulator, PG['name'])[0]['users'] if user['name'] == 'doadmin'][0]
    assert password == admin['password'], 'a no_log task registers the clear password'


def test_restore_from_a_backup_creates_a_new_cluster_once(fast_provisioning, playbook):
    emulator = fast_provisioning
    assert playbook.run([cluster_task()]).rc == 0
    restore = {'name': 'mastodon-pg-restored', 'backup_restore': {'database_name': PG['name']}}
    restored = playbook.run([cluster_task(args=restore)])
    assert restored.rc == 0, restored.stdout
    assert restored.task('cluster')['changed'] is True and restored.task('cluster')['cluster']['status'] == 'online'
    state = clusters_named(emulator, 'mastodon-pg-restored')[0]
    assert state['restored_from']['database_name'] == PG['name'] and state['version'] == PG['version']

    emulator.clear_requests()
    other_backup = {'name': 'mastodon-pg-restored', 'backup_restore': {'database_name': PG['name'], 'backup_created_at': '2030-01-01T00:00:00Z'}}
    again = playbook.run([cluster_task('again', restore), failing(cluster_task('other', other_backup))])
    assert again.task('again')['changed'] is False
    assert again.task('other')['failed'] and 'refusing' in again.task('other')['msg']
    assert write_calls(emulator) == []
    assert len(clusters_named(emulator, 'mastodon-pg-restored')) == 1
