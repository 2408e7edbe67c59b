# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from azure.core.exceptions import ServiceResponseError

from ansible_collections.fediops.mastodon.plugins.modules import do_database_db
from ansible_collections.fediops.mastodon.tests.unit.plugins.modules.do_database_fake import install, run_module


@pytest.fixture
def cloud(monkeypatch, clean_do_env, fake_pydo):
    return install(monkeypatch, fake_pydo)


@pytest.fixture
def cluster(cloud):
    return cloud.add_cluster('pg')


def run(check_mode=False, **args):
    args.setdefault('cluster', 'pg')
    return run_module(do_database_db.main, args, check_mode=check_mode)


def names(cloud, cluster):
    return [db['name'] for db in cloud.dbs[cluster['id']]]


def test_create_posts_once(cloud, cluster):
    result = run(name='mastodon_production')
    assert result['changed'] is True and result['db'] == {'name': 'mastodon_production'}
    assert cloud.writes == [('POST', '/v2/databases/%s/dbs' % cluster['id'], {'name': 'mastodon_production'})]
    assert result['diff'] == {'before': {}, 'after': {'name': 'mastodon_production'}}


def test_rerun_makes_no_write_calls(cloud, cluster):
    run(name='mastodon_production')
    cloud.log.clear()
    result = run(name='mastodon_production')
    assert result['changed'] is False and cloud.writes == [] and result['diff']['before'] == result['diff']['after']


def test_check_mode_create_and_delete_write_nothing(cloud, cluster):
    assert run(check_mode=True, name='mastodon_production')['changed'] is True
    assert run(check_mode=True, name='defaultdb', state='absent')['changed'] is True
    assert cloud.writes == [] and names(cloud, cluster) == ['defaultdb']


def test_absent_deletes_once_then_changes_nothing(cloud, cluster):
    run(name='scratch')
    result = run(name='scratch', state='absent')
    assert result['changed'] is True and result['db'] == {'name': 'scratch'} and result['diff']['after'] == {}
    assert [m for m, p, b in cloud.writes] == ['POST', 'DELETE'] and names(cloud, cluster) == ['defaultdb']
    cloud.log.clear()
    again = run(name='scratch', state='absent')
    assert again['changed'] is False and cloud.writes == [] and again['db'] == {}


def test_lost_create_response_ends_with_one_database(cloud, cluster):
    cloud.inject('add_db', ('after', ServiceResponseError('Connection aborted')))
    result = run(name='mastodon_production')
    assert result['changed'] is True and names(cloud, cluster) == ['defaultdb', 'mastodon_production']
    assert [m for m, p, b in cloud.writes] == ['POST']


def test_server_errors_on_create_converge(cloud, cluster):
    cloud.inject('add_db', cloud.error(500, 'server_error', 'oops'), cloud.error(502, 'bad_gateway', 'oops'))
    result = run(name='mastodon_production')
    assert result['changed'] is True and names(cloud, cluster).count('mastodon_production') == 1


def test_valkey_cluster_has_no_databases(cloud):
    cloud.add_cluster('cache', engine='valkey')
    result = run(cluster='cache', name='x')
    assert result['failed'] and 'Databases exist only on' in result['msg'] and cloud.writes == []


def test_overlong_name_fails_before_any_call(cloud, cluster):
    result = run(name='x' * 64)
    assert result['failed'] and 'allowed: 1 to 63 characters' in result['msg'] and cloud.log == []


@pytest.mark.parametrize('bad', ['bad name;', '-leading-dash', 'semi;colon', 'dot.ted'])
def test_name_with_characters_digitalocean_refuses_fails_before_any_call(cloud, cluster, bad):
    result = run(name=bad)
    assert result['failed'] and repr(bad) in result['msg'] and "letters, digits, '_' or '-'" in result['msg'] and cloud.log == []


def test_names_digitalocean_accepts_pass_the_check(cloud, cluster):
    for good in ('mastodon_production', 'db-2', '_private'):
        assert run(name=good)['changed'] is True


# ---------------------------------------------------------------------------------------------
# cluster_id: the cluster by id, no lookup by name
# ---------------------------------------------------------------------------------------------

def run_by_id(cluster_id, check_mode=False, **args):
    return run_module(do_database_db.main, dict(args, cluster_id=cluster_id), check_mode=check_mode)


def test_by_id_rerun_reads_only_the_databases(cloud, cluster):
    run(name='mastodon_production')
    cloud.log.clear()
    result = run_by_id(cluster['id'], name='mastodon_production')
    assert result['changed'] is False and result['db'] == {'name': 'mastodon_production'}
    assert cloud.log == [('GET', '/v2/databases/%s/dbs' % cluster['id'], None)]


def test_by_id_create_reads_the_cluster_then_posts_once(cloud, cluster):
    result = run_by_id(cluster['id'], name='mastodon_production')
    assert result['changed'] is True and names(cloud, cluster) == ['defaultdb', 'mastodon_production']
    assert [(m, p) for m, p, b in cloud.log] == [('GET', '/v2/databases/%s/dbs' % cluster['id']), ('GET', '/v2/databases/%s' % cluster['id']),
                                                 ('POST', '/v2/databases/%s/dbs' % cluster['id'])]


def test_by_id_of_a_valkey_cluster_fails_naming_the_engine_before_any_write(cloud):
    cache = cloud.add_cluster('cache', engine='valkey')
    result = run_by_id(cache['id'], name='x')
    assert result['failed'] and 'Databases exist only on' in result['msg'] and "'cache'" in result['msg'] and cloud.writes == []


def test_by_id_unknown_fails_naming_the_id(cloud, cluster):
    result = run_by_id('00000000-0000-4000-8000-000000000000', name='x')
    assert result['failed'] and "cluster_id '00000000-0000-4000-8000-000000000000'" in result['msg'] and cloud.writes == []


def test_by_id_unknown_in_check_mode_predicts_the_creation_with_a_warning(cloud):
    result = run_by_id('00000000-0000-4000-8000-000000000000', check_mode=True, name='x')
    assert result['changed'] is True and 'failed' not in result and cloud.writes == []


def test_cluster_and_cluster_id_are_mutually_exclusive_and_one_is_required(cloud, cluster):
    both = run_module(do_database_db.main, dict(cluster='pg', cluster_id=cluster['id'], name='x'))
    neither = run_module(do_database_db.main, dict(name='x'))
    assert 'mutually exclusive' in both['msg'] and 'one of the following is required: cluster, cluster_id' in neither['msg']
    assert cloud.log == []
