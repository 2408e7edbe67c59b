# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import json

import pytest

from azure.core.exceptions import ServiceResponseError

from ansible_collections.fediops.mastodon.plugins.modules import do_database_user
from ansible_collections.fediops.mastodon.tests.unit.plugins.modules.do_database_fake import install, run_module


@pytest.fixture
def cloud(monkeypatch, clean_do_env, fake_pydo):
    return install(monkeypatch, fake_pydo)


@pytest.fixture
def cluster(cloud):
    return cloud.add_cluster('pg')


def run(check_mode=False, no_log=False, **args):
    args.setdefault('cluster', 'pg')
    return run_module(do_database_user.main, args, check_mode=check_mode, no_log=no_log)


def stored(cloud, cluster, name):
    return next((u for u in cloud.users[cluster['id']] if u['name'] == name), None)


# ---------------------------------------------------------------------------------------------
# plan (pure)
# ---------------------------------------------------------------------------------------------

def params(**overrides):
    base = dict(name='mastodon', state='present', reset_password=False, pg_allow_replication=None)
    base.update(overrides)
    return base


def test_plan_covers_create_rerun_reset_settings_and_delete():
    user = {'name': 'mastodon', 'settings': {'pg_allow_replication': False}}
    assert do_database_user.plan(params(), None, 'pg') == (['create'], None)
    assert do_database_user.plan(params(), user, 'pg') == ([], None)
    assert do_database_user.plan(params(reset_password=True), user, 'pg') == (['reset_password'], None)
    assert do_database_user.plan(params(reset_password=True), None, 'pg') == (['create'], None)
    assert do_database_user.plan(params(pg_allow_replication=True), user, 'pg') == (['update_settings'], None)
    assert do_database_user.plan(params(pg_allow_replication=False), {'name': 'mastodon'}, 'pg') == ([], None)
    assert do_database_user.plan(params(state='absent'), user, 'pg') == (['delete'], None)
    assert do_database_user.plan(params(state='absent'), None, 'pg') == ([], None)


def test_plan_refuses_deleting_doadmin_and_replication_outside_postgresql():
    assert 'admin user' in do_database_user.plan(params(name='doadmin', state='absent'), {'name': 'doadmin'}, 'pg')[1]
    assert 'PostgreSQL users only' in do_database_user.plan(params(pg_allow_replication=True), None, 'opensearch')[1]


# ---------------------------------------------------------------------------------------------
# module runs
# ---------------------------------------------------------------------------------------------

def test_create_returns_the_password_once_masked_in_output(cloud, cluster):
    result = run(name='mastodon')
    assert result['changed'] is True and result['password_changed'] is True
    assert [(m, b) for m, p, b in cloud.writes] == [('POST', {'name': 'mastodon'})]
    password = stored(cloud, cluster, 'mastodon')['password']
    assert 'password' in result['user'] and password not in json.dumps(result)
    assert result['diff'] == {'before': {}, 'after': {'name': 'mastodon'}}


def test_no_log_task_receives_the_created_password(cloud, cluster):
    result = run(no_log=True, name='mastodon')
    assert result['user']['password'] == stored(cloud, cluster, 'mastodon')['password']


def test_rerun_makes_no_write_and_returns_no_password(cloud, cluster):
    run(name='mastodon')
    cloud.log.clear()
    result = run(no_log=True, name='mastodon')
    assert result['changed'] is False and cloud.writes == [] and result['password_changed'] is False
    assert 'password' not in result['user'] and result['user']['name'] == 'mastodon'


def test_check_mode_create_writes_nothing(cloud, cluster):
    result = run(check_mode=True, name='mastodon')
    assert result['changed'] is True and cloud.writes == [] and stored(cloud, cluster, 'mastodon') is None
    assert 'password' not in result['user']


def test_reset_password_calls_reset_auth_and_returns_the_new_one(cloud, cluster):
    old = cloud.add_user(cluster, 'mastodon')['password']
    result = run(no_log=True, name='mastodon', reset_password=True)
    new = stored(cloud, cluster, 'mastodon')['password']
    assert result['changed'] is True and new != old and result['user']['password'] == new
    assert cloud.writes == [('POST', '/v2/databases/%s/users/mastodon/reset_auth' % cluster['id'], {})]


def test_check_mode_reset_writes_nothing(cloud, cluster):
    old = cloud.add_user(cluster, 'mastodon')['password']
    result = run(check_mode=True, name='mastodon', reset_password=True)
    assert result['changed'] is True and cloud.writes == [] and stored(cloud, cluster, 'mastodon')['password'] == old


def test_replication_setting_is_updated_in_place(cloud, cluster):
    cloud.add_user(cluster, 'replicator', settings={'pg_allow_replication': False})
    result = run(name='replicator', pg_allow_replication=True)
    assert result['changed'] is True
    assert [(m, b) for m, p, b in cloud.writes] == [('PUT', {'settings': {'pg_allow_replication': True}})]
    assert result['diff'] == {'before': {'name': 'replicator', 'pg_allow_replication': False},
                              'after': {'name': 'replicator', 'pg_allow_replication': True}}
    assert 'password' not in result['user']
    cloud.log.clear()
    assert run(name='replicator', pg_allow_replication=True)['changed'] is False and cloud.writes == []


def test_create_with_replication_sends_the_setting(cloud, cluster):
    run(name='replicator', pg_allow_replication=True)
    assert cloud.writes[0][2] == {'name': 'replicator', 'settings': {'pg_allow_replication': True}}


def test_absent_deletes_once_then_changes_nothing(cloud, cluster):
    cloud.add_user(cluster, 'old-app')
    result = run(name='old-app', state='absent')
    assert result['changed'] is True and [m for m, p, b in cloud.writes] == ['DELETE'] and 'password' not in result['user']
    assert result['diff'] == {'before': {'name': 'old-app'}, 'after': {}}
    cloud.log.clear()
    again = run(name='old-app', state='absent')
    assert again['changed'] is False and cloud.writes == [] and again['user'] == {}


def test_check_mode_delete_writes_nothing(cloud, cluster):
    cloud.add_user(cluster, 'old-app')
    assert run(check_mode=True, name='old-app', state='absent')['changed'] is True and cloud.writes == []


def test_doadmin_cannot_be_deleted_and_nothing_is_called(cloud, cluster):
    result = run(name='doadmin', state='absent')
    assert result['failed'] and "'doadmin' is the admin user" in result['msg'] and cloud.log == []


def test_valkey_cluster_has_no_users(cloud):
    cloud.add_cluster('cache', engine='valkey')
    result = run(cluster='cache', name='mastodon')
    assert result['failed'] and 'Database users exist only on' in result['msg'] and 'Valkey' in result['msg'] and cloud.writes == []


def test_lost_create_response_ends_with_one_user_and_its_password(cloud, cluster):
    cloud.inject('add_user', ('after', ServiceResponseError('Connection aborted')))
    result = run(no_log=True, name='mastodon')
    users = [u for u in cloud.users[cluster['id']] if u['name'] == 'mastodon']
    assert len(users) == 1 and [m for m, p, b in cloud.writes] == ['POST']
    assert result['changed'] is True and result['user']['password'] == users[0]['password']


def test_other_users_passwords_never_reach_the_result(cloud, cluster):
    result = run(name='mastodon')
    assert 'doadmin-secret-pw' not in json.dumps(result)


@pytest.mark.parametrize('bad', ['bad user;', '.dotfirst', '-dashfirst', 'with space'])
def test_name_with_characters_digitalocean_refuses_fails_before_any_call(cloud, cluster, bad):
    result = run(name=bad)
    assert result['failed'] and repr(bad) in result['msg'] and "letters, digits, '_', '.' or '-'" in result['msg'] and cloud.log == []


def test_user_names_with_dots_pass_the_check(cloud, cluster):
    assert run(name='mastodon.read-only', no_log=True)['changed'] is True


# ---------------------------------------------------------------------------------------------
# cluster_id: the cluster by id, read only when its engine matters
# ---------------------------------------------------------------------------------------------

def run_by_id(cluster_id, check_mode=False, **args):
    return run_module(do_database_user.main, dict(args, cluster_id=cluster_id), check_mode=check_mode)


def test_by_id_rerun_reads_only_the_users(cloud, cluster):
    cloud.add_user(cluster, 'mastodon')
    result = run_by_id(cluster['id'], name='mastodon')
    assert result['changed'] is False and 'password' not in result['user']
    assert cloud.log == [('GET', '/v2/databases/%s/users' % cluster['id'], None)]


def test_by_id_create_reads_the_cluster_then_posts_once(cloud, cluster):
    result = run_by_id(cluster['id'], name='mastodon')
    assert result['changed'] is True and stored(cloud, cluster, 'mastodon') is not None
    assert [(m, p) for m, p, b in cloud.log] == [('GET', '/v2/databases/%s/users' % cluster['id']), ('GET', '/v2/databases/%s' % cluster['id']),
                                                 ('POST', '/v2/databases/%s/users' % cluster['id'])]


def test_by_id_replication_outside_postgresql_fails_before_any_write(cloud):
    search = cloud.add_cluster('search', engine='opensearch')
    cloud.add_user(search, 'mastodon')
    result = run_by_id(search['id'], name='mastodon', pg_allow_replication=True)
    assert result['failed'] and 'PostgreSQL users only' in result['msg'] and cloud.writes == []


def test_by_id_of_a_valkey_cluster_fails_naming_the_engine(cloud):
    cache = cloud.add_cluster('cache', engine='valkey')
    result = run_by_id(cache['id'], name='mastodon')
    assert result['failed'] and 'Database users exist only on' in result['msg'] and cloud.writes == []
