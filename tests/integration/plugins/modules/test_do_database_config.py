# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_database_config through ansible-playbook against the sandbox's DigitalOcean emulator.

Engine settings always exist, so the lifecycle's "delete" is setting them back to their defaults.
"""

from __future__ import annotations

import pytest

from .do_database_setup import CLUSTER, cluster_state, create_cluster, write_calls, writes_by_operation


def config_task(config, task='config', cluster=CLUSTER):
    return {'name': task, 'fediops.mastodon.do_database_config': {'cluster': cluster, 'config': config}, 'register': 'out'}


def config(emulator, name=CLUSTER):
    return cluster_state(emulator, name)['config']


@pytest.fixture
def cluster(do_emulator, sandbox):
    created = create_cluster(sandbox)
    do_emulator.clear_requests()
    return created


def test_lifecycle_set_rerun_check_update_restore(do_emulator, playbook, cluster):
    defaults = config(do_emulator)
    wanted = {'work_mem': 32, 'pgbouncer': {'server_idle_timeout': 300}}
    restore = {'work_mem': defaults['work_mem'], 'pgbouncer': {'server_idle_timeout': defaults['pgbouncer']['server_idle_timeout']}}
    run = playbook.run([
        config_task({'work_mem': 16, 'jit': defaults['jit']}, 'set'),
        config_task({'work_mem': '16', 'jit': defaults['jit']}, 'rerun'),
        dict(config_task(wanted, 'check'), check_mode=True, diff=True),
        config_task(wanted, 'update'),
        config_task(restore, 'restore'),
        config_task(restore, 'restore again'),
    ])
    assert run.rc == 0, run.stdout
    assert run.task('set')['changed'] is True and run.task('set')['changed_keys'] == ['work_mem']
    assert run.task('rerun')['changed'] is False
    assert run.task('check')['diff'] == {'before': {'work_mem': 16, 'pgbouncer': {'server_idle_timeout': 600}},
                                         'after': {'work_mem': 32, 'pgbouncer': {'server_idle_timeout': 300}}}
    updated = run.task('update')
    assert updated['changed'] is True and updated['diff']['before']['work_mem'] == 16  # the check changed nothing
    assert updated['config']['pgbouncer']['server_lifetime'] == defaults['pgbouncer']['server_lifetime']
    assert run.task('restore')['changed'] is True and run.task('restore again')['changed'] is False
    assert writes_by_operation(do_emulator) == [('PATCH', 'databases_patch_config')] * 3
    patches = [entry for entry in do_emulator.requests() if entry['method'] == 'PATCH']
    assert len(patches) == 3
    assert config(do_emulator) == defaults


def test_unknown_key_fails_listing_the_valid_ones_before_any_write(do_emulator, playbook, cluster):
    run = playbook.run([config_task({'work_mem': 8, 'maxmemory_policy': 'allkeys_lru'})])
    assert run.rc != 0
    message = run.task('config')['msg']
    assert 'maxmemory_policy is not a valid key; valid keys: autovacuum_analyze_scale_factor' in message and 'work_mem' in message
    assert write_calls(do_emulator) == []


def test_valkey_settings(do_emulator, playbook, sandbox):
    create_cluster(sandbox, name='mastodon-valkey', engine='valkey')
    do_emulator.clear_requests()
    run = playbook.run([config_task({'valkey_timeout': 600}, cluster='mastodon-valkey'),
                        config_task({'valkey_timeout': 600}, task='again', cluster='mastodon-valkey')])
    assert run.rc == 0 and run.task('config')['changed'] is True and run.task('again')['changed'] is False, run.stdout
    assert config(do_emulator, 'mastodon-valkey')['valkey_timeout'] == 600
    assert len(write_calls(do_emulator)) == 1


def test_update_converges_through_rate_limits_and_server_errors(do_emulator, playbook, cluster):
    path = '/v2/databases/%s/config' % cluster['id']
    do_emulator.add_fault(kind='429', method='PATCH', path=path, count=1, retry_after=1)
    do_emulator.add_fault(kind='5xx', method='PATCH', path=path, count=2, status=503)
    run = playbook.run([config_task({'idle_in_transaction_session_timeout': 600000})])
    assert run.rc == 0 and run.task('config')['changed'] is True, run.stdout
    assert config(do_emulator)['idle_in_transaction_session_timeout'] == 600000
