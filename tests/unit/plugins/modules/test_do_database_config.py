# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.fediops.mastodon.plugins.module_utils.database_config_schema import CONFIG_SCHEMAS
from ansible_collections.fediops.mastodon.plugins.modules import do_database_config as config_module
from ansible_collections.fediops.mastodon.tests.unit.plugins.modules.do_database_fake import install, run_module

PG = CONFIG_SCHEMAS['pg']
CURRENT = {'work_mem': 4, 'jit': True, 'timezone': 'UTC', 'pgbouncer': {'server_idle_timeout': 600, 'min_pool_size': 0},
           'shared_buffers_percentage': 25.0}


@pytest.fixture
def cloud(monkeypatch, clean_do_env, fake_pydo):
    return install(monkeypatch, fake_pydo)


@pytest.fixture
def cluster(cloud):
    return cloud.add_cluster('pg', config=CURRENT)


def run(check_mode=False, **args):
    args.setdefault('cluster', 'pg')
    return run_module(config_module.main, args, check_mode=check_mode)


# ---------------------------------------------------------------------------------------------
# validation (pure)
# ---------------------------------------------------------------------------------------------

def test_unknown_key_lists_the_valid_ones():
    converted, errors = config_module.check_config({'work_memory': 8}, PG)
    assert errors[0].startswith('work_memory is not a valid key; valid keys: autovacuum_analyze_scale_factor, ')
    assert 'work_mem' in errors[0] and 'pgbouncer' in errors[0]


def test_unknown_nested_key_names_its_path():
    errors = config_module.check_config({'pgbouncer': {'idle': 1}}, PG)[1]
    assert errors[0].startswith('pgbouncer.idle is not a valid key; valid keys: autodb_idle_timeout')


@pytest.mark.parametrize('config, expected', [
    ({'work_mem': 0}, 'work_mem: 0 is out of range; allowed: 1 to 1024'),
    ({'work_mem': 'lots'}, "work_mem: 'lots' is not allowed; allowed: an integer"),
    ({'jit': 'maybe'}, "jit: 'maybe' is not allowed; allowed: a boolean"),
    ({'log_error_verbosity': 'LOUD'}, "log_error_verbosity: 'LOUD' is not allowed; allowed: TERSE, DEFAULT, VERBOSE"),
    ({'timezone': 'x' * 65}, 'timezone: ' + repr('x' * 65) + ' has 65 characters; allowed: 0 to 64'),
    ({'pgbouncer': {'autodb_pool_mode': 'fast'}}, "pgbouncer.autodb_pool_mode: 'fast' is not allowed; allowed: session, transaction"),
    ({'pgbouncer': {'ignore_startup_parameters': ['x']}}, "pgbouncer.ignore_startup_parameters[0]: 'x' is not allowed"),
    ({'pgbouncer': 5}, 'pgbouncer: 5 is not allowed; allowed: an object'),
    ({'work_mem': True}, 'work_mem: True is not allowed; allowed: an integer'),
    ({'work_mem': None}, 'work_mem: null is not allowed'),
])
def test_invalid_values_name_the_key_the_value_and_what_is_allowed(config, expected):
    errors = config_module.check_config(config, PG)[1]
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_string_spellings_of_numbers_and_booleans_are_converted():
    converted, errors = config_module.check_config({'work_mem': '16', 'jit': 'false', 'shared_buffers_percentage': '30.5'}, PG)
    assert errors == [] and converted == {'work_mem': 16, 'jit': False, 'shared_buffers_percentage': 30.5}


def test_pattern_is_enforced():
    errors = config_module.check_config({'valkey_notify_keyspace_events': 'KEq!'}, CONFIG_SCHEMAS['valkey'])[1]
    assert 'matching' in errors[0]


def test_project_limits_a_config_to_the_keys_given():
    assert config_module.project({'work_mem': 1, 'pgbouncer': {'min_pool_size': 2}}, CURRENT) == {'work_mem': 4, 'pgbouncer': {'min_pool_size': 0}}


# ---------------------------------------------------------------------------------------------
# module runs
# ---------------------------------------------------------------------------------------------

def test_patch_sends_only_changed_keys_and_the_diff_shows_only_given_ones(cloud, cluster):
    result = run(config={'work_mem': 16, 'jit': True, 'pgbouncer': {'server_idle_timeout': 300}})
    assert result['changed'] is True and result['changed_keys'] == ['pgbouncer', 'work_mem']
    assert cloud.writes == [('PATCH', '/v2/databases/%s/config' % cluster['id'],
                             {'config': {'work_mem': 16, 'pgbouncer': {'server_idle_timeout': 300, 'min_pool_size': 0}}})]
    assert result['diff'] == {'before': {'work_mem': 4, 'jit': True, 'pgbouncer': {'server_idle_timeout': 600}},
                              'after': {'work_mem': 16, 'jit': True, 'pgbouncer': {'server_idle_timeout': 300}}}
    assert result['config']['work_mem'] == 16 and result['config']['timezone'] == 'UTC'


def test_rerun_makes_no_write_calls(cloud, cluster):
    run(config={'work_mem': 16})
    cloud.log.clear()
    result = run(config={'work_mem': '16'})
    assert result['changed'] is False and cloud.writes == [] and result['changed_keys'] == []


def test_check_mode_writes_nothing(cloud, cluster):
    result = run(check_mode=True, config={'work_mem': 32})
    assert result['changed'] is True and cloud.writes == [] and cloud.configs[cluster['id']]['work_mem'] == 4
    assert result['diff']['after'] == {'work_mem': 32} and result['config']['work_mem'] == 32


def test_unknown_key_fails_before_any_write(cloud, cluster):
    result = run(config={'work_mem': 8, 'maxmemory': 1})
    assert result['failed'] and 'maxmemory is not a valid key; valid keys:' in result['msg'] and "PostgreSQL cluster 'pg'" in result['msg']
    assert cloud.writes == []


def test_valkey_keys_are_checked_against_valkeys_schema(cloud):
    cloud.add_cluster('cache', engine='valkey', config={'valkey_timeout': 300})
    assert run(cluster='cache', config={'valkey_timeout': 600})['changed'] is True
    result = run(cluster='cache', config={'work_mem': 8})
    assert result['failed'] and 'valkey_timeout' in result['msg']


def test_engine_without_a_known_schema_is_refused(cloud):
    cloud.add_cluster('adv', engine='advanced_pg')
    result = run(cluster='adv', config={'work_mem': 8})
    assert result['failed'] and 'known engines:' in result['msg'] and cloud.writes == []


def test_empty_config_is_refused(cloud, cluster):
    result = run(config={})
    assert result['failed'] and 'config is empty' in result['msg'] and cloud.log == []


def test_server_error_on_the_patch_is_retried(cloud, cluster):
    cloud.inject('patch_config', cloud.error(503, 'service_unavailable', 'later'))
    result = run(config={'work_mem': 64})
    assert result['changed'] is True and [m for m, p, b in cloud.writes] == ['PATCH', 'PATCH']
    assert cloud.configs[cluster['id']]['work_mem'] == 64
