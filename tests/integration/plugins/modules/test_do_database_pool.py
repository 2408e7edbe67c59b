# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_database_pool through ansible-playbook against the sandbox's DigitalOcean emulator."""

from __future__ import annotations

import pytest

from .do_database_setup import (CLUSTER, add_db, add_user, assert_no_secret_in, cluster_state, create_cluster, secrets_in_state,
                                write_calls, writes_by_operation)

POOL = {'cluster': CLUSTER, 'name': 'mastodon', 'db': 'mastodon_production', 'user': 'mastodon', 'size': 10}


def pool_task(task='pool', **overrides):
    args = dict(POOL)
    args.update(overrides)
    return {'name': task, 'fediops.mastodon.do_database_pool': {k: v for k, v in args.items() if v is not None}, 'register': 'out'}


def pools(emulator):
    return {pool['name']: pool for pool in cluster_state(emulator)['pools']}


@pytest.fixture
def cluster(do_emulator, sandbox):
    created = create_cluster(sandbox)
    add_db(sandbox, created, 'mastodon_production')
    add_user(sandbox, created, 'mastodon')
    do_emulator.clear_requests()
    return created


def test_lifecycle_create_rerun_check_update_delete(do_emulator, playbook, cluster):
    run = playbook.run([
        pool_task('create'),
        pool_task('rerun'),
        dict(pool_task('check', size=12, mode='session'), check_mode=True, diff=True),
        pool_task('update', size=12, mode='session'),
        pool_task('delete', state='absent'),
        pool_task('delete again', state='absent'),
    ])
    assert run.rc == 0, run.stdout
    created = run.task('create')
    assert created['changed'] is True and created['pool']['mode'] == 'transaction' and created['pool']['connection']['port'] == 25061
    assert created['budget']['total'] == 15 and created['budget']['limit'] == 22
    assert run.task('rerun')['changed'] is False
    checked = run.task('check')
    assert checked['changed'] is True
    assert (checked['diff']['before']['size'], checked['diff']['after']['size'], checked['diff']['after']['mode']) == (10, 12, 'session')
    updated = run.task('update')
    assert updated['changed'] is True and updated['pool']['size'] == 12 and updated['pool']['mode'] == 'session'
    assert updated['diff']['before']['size'] == 10  # the check-mode task changed nothing
    assert run.task('delete')['changed'] is True and run.task('delete again')['changed'] is False
    # The re-run, the check-mode task and the second delete made no write at all.
    assert writes_by_operation(do_emulator) == [('POST', 'databases_add_connectionPool'), ('PUT', 'databases_update_connectionPool'),
                                                ('DELETE', 'databases_delete_connectionPool')]
    assert pools(do_emulator) == {}


def test_over_budget_fails_with_the_whole_sum_and_writes_nothing(do_emulator, playbook, cluster):
    first = playbook.run([pool_task(task='sidekiq', name='sidekiq', size=8)])
    assert first.rc == 0, first.stdout
    do_emulator.clear_requests()
    run = playbook.run([pool_task(size=10, reserved_connections=5)])
    assert run.rc != 0
    message = run.task('pool')['msg']
    for term in ('pool mastodon (10)', 'pool sidekiq (8)', 'reserve for direct connections (5)', '= 23', '> limit 22',
                 'db-s-1vcpu-1gb: 1 GiB RAM x 25 per GiB - 3 reserved by DigitalOcean = 22'):
        assert term in message, (term, message)
    assert write_calls(do_emulator) == []
    assert set(pools(do_emulator)) == {'sidekiq'}


def test_create_and_update_converge_through_rate_limits_and_server_errors(do_emulator, playbook, cluster):
    pools_path = '/v2/databases/%s/pools' % cluster['id']
    do_emulator.add_fault(kind='429', method='POST', path=pools_path, count=1, retry_after=1)
    do_emulator.add_fault(kind='5xx', method='POST', path=pools_path, count=2, status=503)
    created = playbook.run([pool_task()])
    assert created.rc == 0, created.stdout
    do_emulator.add_fault(kind='5xx', method='PUT', path=pools_path + '/mastodon', count=1, status=500)
    do_emulator.add_fault(kind='429', method='PUT', path=pools_path + '/mastodon', count=1, retry_after=1)
    updated = playbook.run([pool_task(size=14)])
    assert updated.rc == 0 and updated.task('pool')['changed'] is True, updated.stdout
    assert list(pools(do_emulator)) == ['mastodon'] and pools(do_emulator)['mastodon']['size'] == 14
    faults = [entry['fault'] for entry in do_emulator.requests() if entry['fault']]
    assert faults.count('429') == 2 and faults.count('5xx') == 3


def test_lost_create_response_ends_with_exactly_one_pool(do_emulator, playbook, cluster):
    do_emulator.add_fault(kind='response_lost', method='POST', path='/v2/databases/%s/pools' % cluster['id'], count=1)
    run = playbook.run([pool_task()])
    assert run.rc == 0, run.stdout
    assert run.task('pool')['changed'] is True and run.task('pool')['pool']['name'] == 'mastodon'
    assert list(pools(do_emulator)) == ['mastodon']
    assert [entry['method'] for entry in write_calls(do_emulator)] == ['POST']


def test_no_password_uri_or_token_in_verbose_output(do_emulator, playbook, cluster, sandbox):
    """Every database-resource module at -vvvv with --diff: no secret of the emulator's state is printed."""
    tasks = [
        {'name': 'db', 'fediops.mastodon.do_database_db': {'cluster': CLUSTER, 'name': 'extra'}},
        {'name': 'user', 'fediops.mastodon.do_database_user': {'cluster': CLUSTER, 'name': 'sidekiq'}},
        {'name': 'reset', 'fediops.mastodon.do_database_user': {'cluster': CLUSTER, 'name': 'mastodon', 'reset_password': True}},
        pool_task(), pool_task(task='again', size=11), pool_task(task='gone', state='absent'), pool_task(task='back'),
        {'name': 'firewall', 'fediops.mastodon.do_database_firewall': {'cluster': CLUSTER, 'rules': [{'type': 'tag', 'value': 'web'}]}},
        {'name': 'config', 'fediops.mastodon.do_database_config': {'cluster': CLUSTER, 'config': {'work_mem': 8}}},
    ]
    run = playbook.run(tasks, text=True, verbosity=4, diff=True)
    assert run.rc == 0, run.stdout
    secrets = secrets_in_state(do_emulator) | {sandbox.do_token}
    assert_no_secret_in(run.stdout + run.stderr, secrets)
    assert 'postgresql://mastodon:********@' in run.stdout


def test_no_log_task_registers_the_usable_uri(do_emulator, playbook, cluster, tmp_path):
    target = tmp_path / 'uri'
    run = playbook.run([dict(pool_task(), no_log=True),
                        {'name': 'keep', 'ansible.builtin.copy': {'content': '{{ out.pool.connection.uri }}', 'dest': str(target)},
                         'no_log': True}])
    assert run.rc == 0, run.stdout
    assert target.read_text() == pools(do_emulator)['mastodon']['connection']['uri']
