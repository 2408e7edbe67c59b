# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_database_user through ansible-playbook against the sandbox's DigitalOcean emulator."""

from __future__ import annotations

import pytest

from .do_database_setup import (CLUSTER, assert_no_secret_in, cluster_state, create_cluster, secrets_in_state, write_calls,
                                writes_by_operation)


def user_task(task='user', **args):
    args.setdefault('cluster', CLUSTER)
    args.setdefault('name', 'mastodon')
    return {'name': task, 'fediops.mastodon.do_database_user': args, 'register': 'out'}


def users(emulator):
    return {user['name']: user for user in cluster_state(emulator)['users']}


@pytest.fixture
def cluster(do_emulator, sandbox):
    created = create_cluster(sandbox)
    do_emulator.clear_requests()
    return created


def test_lifecycle_create_rerun_check_update_delete(do_emulator, playbook, cluster):
    run = playbook.run([
        user_task('create'),
        user_task('rerun'),
        dict(user_task('check', pg_allow_replication=True), check_mode=True, diff=True),
        user_task('update', pg_allow_replication=True),
        user_task('delete', state='absent'),
        user_task('delete again', state='absent'),
    ])
    assert run.rc == 0, run.stdout
    created = run.task('create')
    assert created['changed'] is True and created['password_changed'] is True and 'password' in created['user']
    rerun = run.task('rerun')
    assert rerun['changed'] is False and 'password' not in rerun['user']
    assert run.task('check')['diff'] == {'before': {'name': 'mastodon', 'pg_allow_replication': False},
                                         'after': {'name': 'mastodon', 'pg_allow_replication': True}}
    updated = run.task('update')
    assert updated['changed'] is True and updated['password_changed'] is False and 'password' not in updated['user']
    assert updated['diff']['before']['pg_allow_replication'] is False  # the check changed nothing
    assert run.task('delete')['changed'] is True and run.task('delete again')['changed'] is False
    assert writes_by_operation(do_emulator) == [('POST', 'databases_add_user'), ('PUT', 'databases_update_user'),
                                                ('DELETE', 'databases_delete_user')]
    assert sorted(users(do_emulator)) == ['doadmin']


def test_created_password_is_masked_unless_the_task_is_no_log(do_emulator, playbook, cluster):
    run = playbook.run([user_task()])
    assert run.rc == 0, run.stdout
    returned = run.task('user')['user']['password']
    assert returned and returned != users(do_emulator)['mastodon']['password']


def test_update_keeps_the_password(do_emulator, playbook, cluster):
    assert playbook.run([user_task()]).rc == 0
    password = users(do_emulator)['mastodon']['password']
    run = playbook.run([user_task(pg_allow_replication=True), user_task('off', pg_allow_replication=False)])
    assert run.rc == 0 and run.changed == 2, run.stdout
    assert users(do_emulator)['mastodon']['password'] == password


def test_no_log_task_registers_the_created_password_and_a_rerun_never_changes_it(do_emulator, playbook, cluster, tmp_path):
    target = tmp_path / 'password'
    keep = {'name': 'keep', 'ansible.builtin.copy': {'content': '{{ out.user.password }}', 'dest': str(target)}, 'no_log': True}
    run = playbook.run([dict(user_task(), no_log=True), keep])
    assert run.rc == 0, run.stdout
    password = users(do_emulator)['mastodon']['password']
    assert target.read_text() == password
    rerun = playbook.run([dict(user_task(), no_log=True)])
    assert rerun.rc == 0 and rerun.changed == 0 and users(do_emulator)['mastodon']['password'] == password


def test_reset_password_rotates_it_through_reset_auth(do_emulator, playbook, cluster, tmp_path):
    assert playbook.run([user_task()]).rc == 0
    old = users(do_emulator)['mastodon']['password']
    do_emulator.clear_requests()
    target = tmp_path / 'password'
    keep = {'name': 'keep', 'ansible.builtin.copy': {'content': '{{ out.user.password }}', 'dest': str(target)}, 'no_log': True}
    run = playbook.run([dict(user_task(reset_password=True), no_log=True), keep])
    assert run.rc == 0, run.stdout
    assert writes_by_operation(do_emulator) == [('POST', 'databases_reset_auth')]
    new = users(do_emulator)['mastodon']['password']
    assert new != old and target.read_text() == new


def test_doadmin_cannot_be_deleted(do_emulator, playbook, cluster):
    run = playbook.run([user_task(name='doadmin', state='absent')])
    assert run.rc != 0 and "'doadmin' is the admin user" in run.task('user')['msg']
    assert do_emulator.requests() == []


def test_create_converges_through_rate_limits_and_server_errors(do_emulator, playbook, cluster):
    path = '/v2/databases/%s/users' % cluster['id']
    do_emulator.add_fault(kind='429', method='POST', path=path, count=1, retry_after=1)
    do_emulator.add_fault(kind='5xx', method='POST', path=path, count=2, status=500)
    run = playbook.run([user_task()])
    assert run.rc == 0 and run.task('user')['changed'] is True, run.stdout
    assert sorted(users(do_emulator)) == ['doadmin', 'mastodon']
    do_emulator.add_fault(kind='5xx', method='PUT', path=path + '/mastodon', count=1, status=503)
    updated = playbook.run([user_task(pg_allow_replication=True)])
    assert updated.rc == 0 and users(do_emulator)['mastodon']['settings']['pg_allow_replication'] is True, updated.stdout


def test_lost_create_response_ends_with_exactly_one_user(do_emulator, playbook, cluster):
    do_emulator.add_fault(kind='response_lost', method='POST', path='/v2/databases/%s/users' % cluster['id'], count=1)
    run = playbook.run([user_task()])
    assert run.rc == 0 and run.task('user')['changed'] is True, run.stdout
    assert sorted(users(do_emulator)) == ['doadmin', 'mastodon']
    assert [entry['method'] for entry in write_calls(do_emulator)] == ['POST']


def test_no_password_or_token_in_verbose_output(do_emulator, playbook, cluster, sandbox):
    tasks = [user_task(), user_task(task='again'), user_task(task='rotate', reset_password=True),
             user_task(task='doadmin', name='doadmin'), user_task(task='other', name='backup')]
    run = playbook.run(tasks, text=True, verbosity=4, diff=True)
    assert run.rc == 0, run.stdout
    assert_no_secret_in(run.stdout + run.stderr, secrets_in_state(do_emulator) | {sandbox.do_token})
