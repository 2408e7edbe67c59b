# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import json

import pytest

from azure.core.exceptions import ServiceResponseError

from ansible_collections.fediops.mastodon.plugins.modules import do_database_pool
from ansible_collections.fediops.mastodon.tests.unit.plugins.modules.do_database_fake import install, run_module

POOL = dict(cluster='pg', name='mastodon', db='mastodon_production', user='mastodon', size=10)


@pytest.fixture
def cloud(monkeypatch, clean_do_env, fake_pydo):
    return install(monkeypatch, fake_pydo)


@pytest.fixture
def cluster(cloud):
    return cloud.add_cluster('pg', size='db-s-1vcpu-1gb')


def pool_args(**overrides):
    args = dict(POOL)
    args.update(overrides)
    return args


def run(check_mode=False, no_log=False, **args):
    return run_module(do_database_pool.main, args, check_mode=check_mode, no_log=no_log)


# ---------------------------------------------------------------------------------------------
# pure functions
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('params, expected', [
    (dict(name='ab', size=1, reserved_connections=0), "name 'ab' is invalid; allowed: 3 to 60 characters"),
    (dict(name='x' * 61, size=1, reserved_connections=0), 'allowed: 3 to 60 characters'),
    (dict(name='web', size=0, reserved_connections=0), 'size 0 is invalid; allowed: a whole number of at least 1'),
    (dict(name='web', size=None, reserved_connections=-1), 'reserved_connections -1 is invalid; allowed: 0 or more'),
])
def test_invalid_input_messages_name_field_value_and_allowed(params, expected):
    assert expected in ' '.join(do_database_pool.validate_params(params))


def test_desired_pool_keeps_what_is_not_asked():
    current = dict(name='web', db='a', user='u', size=5, mode='session', connection={})
    params = dict(name='web', db=None, user=None, size=8, mode='transaction')
    assert do_database_pool.desired_pool(params, current) == dict(name='web', db='a', user='u', size=8, mode='transaction')


# ---------------------------------------------------------------------------------------------
# lifecycle
# ---------------------------------------------------------------------------------------------

def test_create_posts_once_with_transaction_mode_by_default(cloud, cluster):
    result = run(**POOL)
    assert result['changed'] is True
    assert [(m, p) for m, p, b in cloud.writes] == [('POST', '/v2/databases/%s/pools' % cluster['id'])]
    assert cloud.writes[0][2] == dict(name='mastodon', db='mastodon_production', user='mastodon', size=10, mode='transaction')
    assert result['pool']['mode'] == 'transaction' and result['pool']['connection']['port'] == 25061
    assert result['diff'] == {'before': {}, 'after': dict(name='mastodon', db='mastodon_production', user='mastodon', size=10,
                                                          mode='transaction')}
    assert result['budget']['fits'] is True and result['budget']['total'] == 15 and result['budget']['limit'] == 22


def test_rerun_makes_no_write_calls(cloud, cluster):
    run(**POOL)
    cloud.log.clear()
    result = run(**POOL)
    assert result['changed'] is False and cloud.writes == []
    assert result['diff']['before'] == result['diff']['after']


def test_check_mode_create_writes_nothing(cloud, cluster):
    result = run(check_mode=True, **POOL)
    assert result['changed'] is True and cloud.writes == [] and cloud.pools[cluster['id']] == []
    assert result['pool']['size'] == 10


def test_size_and_mode_change_is_one_put_with_the_whole_pool(cloud, cluster):
    cloud.add_pool(cluster, 'mastodon', 5, db='mastodon_production', user='mastodon', mode='session')
    result = run(**pool_args(size=12))
    assert result['changed'] is True
    assert cloud.writes == [
        ('PUT', '/v2/databases/%s/pools/mastodon' % cluster['id'], dict(mode='transaction', size=12, db='mastodon_production', user='mastodon'))]
    assert result['diff']['before']['size'] == 5 and result['diff']['after']['size'] == 12
    assert result['diff']['before']['mode'] == 'session' and result['diff']['after']['mode'] == 'transaction'
    assert result['pool']['size'] == 12


def test_check_mode_update_writes_nothing(cloud, cluster):
    cloud.add_pool(cluster, 'mastodon', 5, db='mastodon_production', user='mastodon')
    result = run(check_mode=True, **pool_args(size=12))
    assert result['changed'] is True and cloud.writes == [] and cloud.pools[cluster['id']][0]['size'] == 5


def test_omitted_user_is_left_as_it_is(cloud, cluster):
    cloud.add_pool(cluster, 'mastodon', 10, db='mastodon_production', user='someone')
    result = run(cluster='pg', name='mastodon', size=10)
    assert result['changed'] is False and cloud.writes == []


def test_create_needs_db_and_size(cloud, cluster):
    result = run(cluster='pg', name='mastodon')
    assert result['failed'] and 'db and size are required to create pool' in result['msg'] and cloud.writes == []


def test_absent_deletes_once_then_changes_nothing(cloud, cluster):
    cloud.add_pool(cluster, 'mastodon', 5)
    result = run(cluster='pg', name='mastodon', state='absent')
    assert result['changed'] is True and [m for m, p, b in cloud.writes] == ['DELETE']
    assert result['diff']['after'] == {} and result['diff']['before']['name'] == 'mastodon'
    cloud.log.clear()
    again = run(cluster='pg', name='mastodon', state='absent')
    assert again['changed'] is False and cloud.writes == [] and again['pool'] == {}


def test_check_mode_absent_writes_nothing(cloud, cluster):
    cloud.add_pool(cluster, 'mastodon', 5)
    result = run(check_mode=True, cluster='pg', name='mastodon', state='absent')
    assert result['changed'] is True and cloud.writes == [] and len(cloud.pools[cluster['id']]) == 1


# ---------------------------------------------------------------------------------------------
# the backend connection budget
# ---------------------------------------------------------------------------------------------

def test_over_budget_create_fails_with_every_term_and_writes_nothing(cloud, cluster):
    cloud.add_pool(cluster, 'sidekiq', 10)
    result = run(**pool_args(size=10, reserved_connections=5))
    assert result['failed'] and cloud.writes == []
    message = result['msg']
    for term in ('pool mastodon (10)', 'pool sidekiq (10)', 'reserve for direct connections (5)', '= 25', '> limit 22',
                 'db-s-1vcpu-1gb: 1 GiB RAM x 25 per GiB - 3 reserved by DigitalOcean = 22', "cluster 'pg'"):
        assert term in message, (term, message)
    assert result['budget']['total'] == 25 and result['budget']['limit'] == 22


def test_over_budget_resize_fails_before_the_put(cloud, cluster):
    cloud.add_pool(cluster, 'mastodon', 10, db='mastodon_production', user='mastodon')
    result = run(**pool_args(size=18))
    assert result['failed'] and 'pool mastodon (18)' in result['msg'] and '= 23 > limit 22' in result['msg']
    assert cloud.writes == []


def test_shrinking_other_pools_is_counted_after_the_change(cloud, cluster):
    cloud.add_pool(cluster, 'mastodon', 17, db='mastodon_production', user='mastodon')
    result = run(**pool_args(size=12, reserved_connections=10))
    assert result['changed'] is True and result['budget']['total'] == 22 and result['budget']['fits'] is True


def test_bigger_cluster_allows_more(cloud):
    cloud.add_cluster('big', size='db-s-2vcpu-4gb')
    result = run(**pool_args(cluster='big', size=92))
    assert result['changed'] is True and result['budget']['limit'] == 97


def test_unchanged_pool_over_budget_warns_without_failing(cloud, cluster):
    cloud.add_pool(cluster, 'mastodon', 20, db='mastodon_production', user='mastodon')
    result = run(**pool_args(size=20))
    assert result['changed'] is False and result['budget']['fits'] is False and cloud.writes == []


def test_unknown_size_slug_fails_before_writing(cloud):
    cloud.add_cluster('odd', size='custom-size')
    result = run(**pool_args(cluster='odd'))
    assert result['failed'] and "'custom-size'" in result['msg'] and cloud.writes == []


# ---------------------------------------------------------------------------------------------
# clusters, secrets, faults
# ---------------------------------------------------------------------------------------------

def test_unknown_cluster_fails_listing_the_existing_ones(cloud, cluster):
    result = run(**pool_args(cluster='nope'))
    assert result['failed'] and "cluster 'nope'" in result['msg'] and 'existing clusters: pg' in result['msg']


def test_valkey_cluster_has_no_pools(cloud):
    cloud.add_cluster('cache', engine='valkey', size='db-s-1vcpu-1gb')
    result = run(**pool_args(cluster='cache'))
    assert result['failed'] and 'PostgreSQL' in result['msg'] and 'Valkey' in result['msg'] and cloud.writes == []


def test_connection_passwords_and_uris_are_masked(cloud, cluster):
    pool = cloud.add_pool(cluster, 'mastodon', 10, db='mastodon_production', user='mastodon')
    result = run(**POOL)
    text = json.dumps(result)
    assert pool['connection']['password'] not in text and pool['connection']['uri'] not in text
    assert result['pool']['connection']['password'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'  # how Ansible masks a whole value
    assert result['pool']['connection']['host'] == 'pool-host'


def test_no_log_task_gets_the_connection_details_in_clear(cloud, cluster):
    pool = cloud.add_pool(cluster, 'mastodon', 10, db='mastodon_production', user='mastodon')
    result = run(no_log=True, **POOL)
    assert result['pool']['connection']['uri'] == pool['connection']['uri']


def test_created_pool_secrets_are_masked(cloud, cluster):
    result = run(**POOL)
    created = cloud.pools[cluster['id']][0]
    assert created['connection']['password'] not in json.dumps(result)


def test_lost_create_response_is_found_by_name_without_a_second_post(cloud, cluster):
    cloud.inject('add_pool', ('after', ServiceResponseError('Connection aborted')))
    result = run(**POOL)
    assert result['changed'] is True and result['pool']['name'] == 'mastodon'
    assert [m for m, p, b in cloud.writes] == ['POST'] and len(cloud.pools[cluster['id']]) == 1


def test_rate_limited_update_is_retried(cloud, cluster):
    cloud.add_pool(cluster, 'mastodon', 5, db='mastodon_production', user='mastodon')
    cloud.inject('update_pool', cloud.error(429, 'too_many_requests', 'API rate limit exceeded.', {'retry-after': '3'}))
    result = run(**POOL)
    assert result['changed'] is True and cloud.clock.sleeps == [3.0]
    assert [m for m, p, b in cloud.writes] == ['PUT', 'PUT'] and cloud.pools[cluster['id']][0]['size'] == 10


def test_api_error_on_create_is_reported_with_its_id(cloud, cluster):
    cloud.inject('add_pool', cloud.error(422, 'unprocessable_entity', 'database mastodon_production does not exist'))
    result = run(**POOL)
    assert result['failed'] and 'does not exist' in result['msg'] and result['error_id'] == 'unprocessable_entity'
    assert result['operation'] == 'create pool mastodon'


# ---------------------------------------------------------------------------------------------
# cluster_id: the cluster by id, read only when the pool is created or changed
# ---------------------------------------------------------------------------------------------

def run_by_id(cluster_id, check_mode=False, **overrides):
    args = pool_args(**overrides)
    del args['cluster']
    return run_module(do_database_pool.main, dict(args, cluster_id=cluster_id), check_mode=check_mode)


def test_by_id_unchanged_pool_reads_only_the_pools(cloud, cluster):
    run(**POOL)
    cloud.log.clear()
    result = run_by_id(cluster['id'])
    assert result['changed'] is False and 'budget' not in result
    assert cloud.log == [('GET', '/v2/databases/%s/pools' % cluster['id'], None)]


def test_by_id_create_checks_the_budget_from_the_cluster_before_the_post(cloud, cluster):
    result = run_by_id(cluster['id'])
    assert result['changed'] is True and result['budget']['limit'] == 22
    assert [(m, p) for m, p, b in cloud.log] == [('GET', '/v2/databases/%s/pools' % cluster['id']), ('GET', '/v2/databases/%s' % cluster['id']),
                                                 ('POST', '/v2/databases/%s/pools' % cluster['id'])]


def test_by_id_over_budget_resize_fails_before_the_put(cloud, cluster):
    cloud.add_pool(cluster, 'mastodon', 10, db='mastodon_production', user='mastodon')
    result = run_by_id(cluster['id'], size=18)
    assert result['failed'] and '= 23 > limit 22' in result['msg'] and "cluster 'pg'" in result['msg'] and cloud.writes == []


def test_by_id_of_a_valkey_cluster_fails_naming_the_engine(cloud):
    cache = cloud.add_cluster('cache', engine='valkey')
    result = run_by_id(cache['id'])
    assert result['failed'] and 'Connection pools exist only on PostgreSQL clusters' in result['msg'] and cloud.writes == []


def test_by_id_and_by_name_are_mutually_exclusive(cloud, cluster):
    result = run_module(do_database_pool.main, pool_args(cluster_id=cluster['id']))
    assert result['failed'] and 'mutually exclusive' in result['msg'] and cloud.log == []
