# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_database_db through ansible-playbook against the sandbox's DigitalOcean emulator.

A database has nothing DigitalOcean changes in place, so the "update" step of the lifecycle is a
second database created next to the first.
"""

from __future__ import annotations

import pytest

from .do_database_setup import CLUSTER, cluster_state, create_cluster, write_calls, writes_by_operation


def db_task(task='db', **args):
    args.setdefault('cluster', CLUSTER)
    args.setdefault('name', 'mastodon_production')
    return {'name': task, 'fediops.mastodon.do_database_db': args, 'register': 'out'}


def dbs(emulator):
    return cluster_state(emulator)['dbs']


@pytest.fixture
def cluster(do_emulator, sandbox):
    created = create_cluster(sandbox)
    do_emulator.clear_requests()
    return created


def test_lifecycle_create_rerun_check_add_delete(do_emulator, playbook, cluster):
    run = playbook.run([
        db_task('create'),
        db_task('rerun'),
        dict(db_task('check add', name='scratch'), check_mode=True, diff=True),
        dict(db_task('check drop', state='absent'), check_mode=True, diff=True),
        db_task('add', name='scratch'),
        db_task('delete', state='absent'),
        db_task('delete scratch', name='scratch', state='absent'),
        db_task('delete again', state='absent'),
    ])
    assert run.rc == 0, run.stdout
    assert run.task('create')['changed'] is True and run.task('create')['db'] == {'name': 'mastodon_production'}
    assert run.task('rerun')['changed'] is False
    assert run.task('check add')['changed'] is True and run.task('check add')['diff'] == {'before': {}, 'after': {'name': 'scratch'}}
    assert run.task('check drop')['changed'] is True
    assert run.task('check drop')['diff'] == {'before': {'name': 'mastodon_production'}, 'after': {}}
    assert run.task('add')['changed'] is True and run.task('delete')['changed'] is True
    assert run.task('delete scratch')['changed'] is True and run.task('delete again')['changed'] is False
    assert writes_by_operation(do_emulator) == [('POST', 'databases_add'), ('POST', 'databases_add'), ('DELETE', 'databases_delete'),
                                                ('DELETE', 'databases_delete')]
    assert dbs(do_emulator) == ['defaultdb']


def test_create_converges_through_rate_limits_and_server_errors(do_emulator, playbook, cluster):
    path = '/v2/databases/%s/dbs' % cluster['id']
    do_emulator.add_fault(kind='429', method='POST', path=path, count=1, retry_after=1)
    do_emulator.add_fault(kind='5xx', method='POST', path=path, count=2, status=504)
    run = playbook.run([db_task()])
    assert run.rc == 0 and run.task('db')['changed'] is True, run.stdout
    assert dbs(do_emulator) == ['defaultdb', 'mastodon_production']


def test_lost_create_response_ends_with_exactly_one_database(do_emulator, playbook, cluster):
    do_emulator.add_fault(kind='response_lost', method='POST', path='/v2/databases/%s/dbs' % cluster['id'], count=1)
    run = playbook.run([db_task()])
    assert run.rc == 0 and run.task('db')['changed'] is True, run.stdout
    assert dbs(do_emulator) == ['defaultdb', 'mastodon_production']
    assert [entry['method'] for entry in write_calls(do_emulator)] == ['POST']
