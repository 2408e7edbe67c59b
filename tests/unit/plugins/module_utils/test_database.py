# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure functions of module_utils/database.py: options validation, plan of changes, refusals, secrets."""

import base64

import pytest

from ansible_collections.fediops.mastodon.plugins.module_utils import database as db

OPTIONS = {
    'pg': {'regions': ['nyc3', 'tor1'], 'versions': ['15', '16', '17'],
           'layouts': [{'num_nodes': 1, 'sizes': ['db-s-1vcpu-1gb', 'db-s-1vcpu-2gb', 'db-s-2vcpu-4gb']},
                       {'num_nodes': 2, 'sizes': ['db-s-1vcpu-2gb', 'db-s-2vcpu-4gb']},
                       {'num_nodes': 3, 'sizes': ['db-s-1vcpu-2gb', 'db-s-2vcpu-4gb']}]},
    'valkey': {'regions': ['tor1'], 'versions': ['8'], 'layouts': [{'num_nodes': 1, 'sizes': ['db-s-1vcpu-1gb']}]},
}

CURRENT = {'id': '9cc10173-e9ea-4176-9dbc-a4cee4c4ff30', 'name': 'pg', 'engine': 'pg', 'version': '16', 'region': 'tor1',
           'size': 'db-s-1vcpu-1gb', 'num_nodes': 1, 'storage_size_mib': 10240, 'status': 'online', 'tags': ['b', 'a'],
           'private_network_uuid': '5a4981aa-9653-4bd1-bef5-d6bff52042e4', 'project_id': 'p1',
           'maintenance_window': {'day': 'sunday', 'hour': '04:00:00', 'pending': False},
           'created_at': '2026-03-01T00:00:00Z'}


def params(**overrides):
    base = dict(name='pg', engine=None, region=None, size=None, num_nodes=None, version=None, storage_size_mib=None, vpc=None,
                tags=None, project=None, maintenance_window=None, storage_autoscale=None, eviction_policy=None, backup_restore=None)
    base.update(overrides)
    return base


def desired(**overrides):
    return db.desired_cluster(params(**overrides))


# ---------------------------------------------------------------------------------------------
# validation against /v2/databases/options
# ---------------------------------------------------------------------------------------------

def test_valid_choices_have_no_errors():
    assert db.option_errors(OPTIONS, 'pg', region='tor1', version='17', num_nodes=2, size='db-s-2vcpu-4gb') == []


@pytest.mark.parametrize('kwargs, expected', [
    (dict(region='mars1'), "region 'mars1' is not offered for PostgreSQL clusters; allowed: nyc3, tor1"),
    (dict(version='9'), "version '9' is not offered for PostgreSQL clusters; allowed: 15, 16, 17"),
    (dict(num_nodes=5), 'num_nodes 5 is not offered for PostgreSQL clusters; allowed: 1, 2, 3'),
    (dict(num_nodes=2, size='db-s-1vcpu-1gb'),
     "size 'db-s-1vcpu-1gb' is not offered for PostgreSQL clusters of 2 node(s); allowed: db-s-1vcpu-2gb, db-s-2vcpu-4gb"),
])
def test_a_bad_choice_names_field_value_and_allowed_values(kwargs, expected):
    assert db.option_errors(OPTIONS, 'pg', **kwargs) == [expected]


def test_every_bad_choice_is_reported_at_once():
    errors = db.option_errors(OPTIONS, 'pg', region='mars1', version='9', num_nodes=1, size='huge')
    assert [e.split(' ')[0] for e in errors] == ['region', 'version', 'size']


def test_an_engine_missing_from_the_options_lists_the_offered_engines():
    assert db.option_errors(OPTIONS, 'opensearch', region='tor1') == ["engine 'opensearch' is not offered by DigitalOcean; allowed: pg, valkey"]


def test_only_given_values_are_checked():
    assert db.option_errors(OPTIONS, 'pg', size='db-s-2vcpu-4gb') == []
    assert 'size' in db.option_errors(OPTIONS, 'pg', size='nope')[0]


@pytest.mark.parametrize('value, expected', [('4', '04:00'), ('04:00', '04:00'), ('14:30:12', '14:30'), ('23:59', '23:59'),
                                             ('24:00', None), ('840', None), ('noon', None), ('4:60', None)])
def test_normalize_hour(value, expected):
    assert db.normalize_hour(value) == expected


def test_param_errors_name_the_field_value_and_what_is_allowed():
    errors = db.param_errors(params(tags=['ok', 'not ok'], maintenance_window={'day': 'sunday', 'hour': '840'}, num_nodes=0,
                                    storage_autoscale={'enabled': True, 'threshold_percent': 99, 'increment_gib': None}))
    assert "tags: 'not ok' is not a valid tag" in errors[0]
    assert "maintenance_window.hour '840'" in errors[1] and 'HH:MM' in errors[1]
    assert 'num_nodes 0' in errors[2]
    assert 'storage_autoscale.threshold_percent 99' in errors[3] and '15 to 95' in errors[3]
    assert len(errors) == 4


def test_options_that_do_not_apply_to_the_engine():
    assert db.engine_errors('pg', desired(eviction_policy='allkeys_lru')) == ['eviction_policy applies to Valkey clusters only, not PostgreSQL']
    valkey = db.engine_errors('valkey', desired(storage_size_mib=20480, storage_autoscale={'enabled': True}))
    assert valkey == ['storage_size_mib does not apply to Valkey clusters: they keep their data in memory',
                      'storage_autoscale does not apply to Valkey clusters: they keep their data in memory']
    assert db.engine_errors('valkey', desired(eviction_policy='noeviction')) == []


def test_a_restore_from_itself_or_with_a_bad_timestamp_is_refused():
    errors = db.param_errors(params(backup_restore={'database_name': 'pg', 'backup_created_at': 'yesterday'}))
    assert "backup_restore.database_name 'pg' is the cluster itself" in errors[0]
    assert "backup_created_at 'yesterday'" in errors[1]


# ---------------------------------------------------------------------------------------------
# plan of changes
# ---------------------------------------------------------------------------------------------

def test_nothing_to_do_when_everything_matches():
    wanted = desired(engine='pg', region='tor1', version='16', size='db-s-1vcpu-1gb', num_nodes=1, storage_size_mib=10240,
                     tags=['a', 'b', 'a'], project='p1', maintenance_window={'day': 'sunday', 'hour': '4'})
    assert db.immutable_errors(CURRENT, wanted) == []
    assert db.plan_changes(CURRENT, wanted) == []


def test_a_size_change_is_a_resize_keeping_the_node_count():
    assert db.plan_changes(CURRENT, desired(size='db-s-2vcpu-4gb')) == [('resize', {'size': 'db-s-2vcpu-4gb', 'num_nodes': 1})]


def test_a_node_count_and_storage_change_is_one_resize():
    steps = db.plan_changes(CURRENT, desired(num_nodes=2, storage_size_mib=20480))
    assert steps == [('resize', {'size': 'db-s-1vcpu-1gb', 'num_nodes': 2, 'storage_size_mib': 20480})]


def test_a_higher_version_is_an_upgrade():
    assert db.plan_changes(CURRENT, desired(version='17')) == [('upgrade', {'version': '17'})]
    assert db.immutable_errors(CURRENT, desired(version='17')) == []


def test_resize_and_upgrade_together_resize_first():
    steps = db.plan_changes(CURRENT, desired(version='17', size='db-s-2vcpu-4gb'))
    assert [step for step, body in steps] == ['resize', 'upgrade']


def test_a_maintenance_window_change_compares_hours_without_seconds():
    assert db.plan_changes(CURRENT, desired(maintenance_window={'day': 'sunday', 'hour': '04:00'})) == []
    assert db.plan_changes(CURRENT, desired(maintenance_window={'day': 'monday', 'hour': '04:00'})) == [
        ('maintenance', {'day': 'monday', 'hour': '04:00'})]


def test_autoscale_changes_only_what_is_given_and_sends_the_merged_setting():
    current = {'storage': {'enabled': True, 'threshold_percent': 80, 'increment_gib': 10}}
    assert db.plan_changes(CURRENT, desired(storage_autoscale={'enabled': True, 'threshold_percent': 80, 'increment_gib': None}), current) == []
    steps = db.plan_changes(CURRENT, desired(storage_autoscale={'enabled': True, 'threshold_percent': 90, 'increment_gib': None}), current)
    assert steps == [('autoscale', {'storage': {'enabled': True, 'threshold_percent': 90, 'increment_gib': 10}})]


def test_disabling_autoscale_ignores_threshold_and_increment():
    wanted = desired(storage_autoscale={'enabled': False, 'threshold_percent': 50, 'increment_gib': 20})
    assert db.plan_changes(CURRENT, wanted, {'storage': {'enabled': False}}) == []
    assert db.plan_changes(CURRENT, wanted, {'storage': {'enabled': True, 'threshold_percent': 80}}) == [('autoscale', {'storage': {'enabled': False}})]


def test_eviction_policy_and_project_changes():
    steps = db.plan_changes(CURRENT, desired(eviction_policy='allkeys_lru', project='p2'), eviction_policy='noeviction')
    assert steps == [('eviction_policy', {'eviction_policy': 'allkeys_lru'}), ('project', {'resources': ['do:dbaas:%s' % CURRENT['id']]})]
    assert db.plan_changes(CURRENT, desired(eviction_policy='noeviction'), eviction_policy='noeviction') == []


def test_option_checks_cover_only_what_is_written():
    wanted = desired(size='db-s-2vcpu-4gb', version='17', region='tor1')
    steps = db.plan_changes(CURRENT, wanted)
    assert db.plan_option_checks(CURRENT, wanted, steps) == {'num_nodes': 1, 'size': 'db-s-2vcpu-4gb', 'version': '17'}
    assert db.plan_option_checks(CURRENT, wanted, []) == {}
    creation = db.plan_option_checks(None, desired(engine='pg', region='tor1', size='s', num_nodes=1), [])
    assert creation == {'region': 'tor1', 'version': None, 'num_nodes': 1, 'size': 's'}


# ---------------------------------------------------------------------------------------------
# refusals: downgrade, immutable fields
# ---------------------------------------------------------------------------------------------

def test_a_downgrade_is_refused():
    errors = db.immutable_errors(CURRENT, desired(version='15'))
    assert errors == ["version 15 is lower than the version 16 that cluster 'pg' runs: DigitalOcean upgrades major versions upward "
                      "only, a downgrade is refused"]


def test_versions_compare_numerically():
    assert db.version_key('9') < db.version_key('10') < db.version_key('10.1') < db.version_key('17')
    assert db.same_version('16', '16') and db.same_version('7', '7.2') and not db.same_version('1', '16')


def test_a_version_change_of_a_valkey_cluster_is_refused():
    valkey = dict(CURRENT, engine='valkey', version='7.2')
    assert 'PostgreSQL only' in db.immutable_errors(valkey, desired(version='8'))[0]


@pytest.mark.parametrize('overrides, field', [
    (dict(engine='valkey'), 'engine cannot change'),
    (dict(region='nyc3'), 'region cannot change'),
    (dict(tags=['a']), 'tags cannot change in place'),
])
def test_changes_digitalocean_cannot_make_in_place_are_refused(overrides, field):
    errors = db.immutable_errors(CURRENT, desired(**overrides))
    assert len(errors) == 1 and field in errors[0] and "'pg'" in errors[0]


def test_smaller_nodes_are_refused():
    errors = db.immutable_errors(dict(CURRENT, size='db-s-2vcpu-4gb'), desired(size='db-s-1vcpu-2gb'))
    assert len(errors) == 1 and 'size db-s-1vcpu-2gb is smaller than the db-s-2vcpu-4gb' in errors[0]
    assert db.immutable_errors(CURRENT, desired(size='gd-2vcpu-8gb')) == []
    assert db.size_memory_gib('m-4vcpu-32gb') == 32 and db.size_memory_gib('custom') is None


def test_a_vpc_change_is_refused():
    errors = db.immutable_errors(CURRENT, db.desired_cluster(params(), vpc_id='00000000-0000-4000-8000-000000000000'))
    assert 'VPC (private_network_uuid) cannot change' in errors[0]


def test_tags_compare_as_a_set():
    assert db.immutable_errors(CURRENT, desired(tags=['a', 'b', 'b'])) == []
    assert db.immutable_errors(dict(CURRENT, tags=None), desired(tags=[])) == []


# ---------------------------------------------------------------------------------------------
# diff views
# ---------------------------------------------------------------------------------------------

def test_managed_view_never_holds_secrets_and_normalises_the_window():
    cluster = dict(CURRENT, connection={'password': 'x', 'uri': 'postgresql://doadmin:x@h/db'}, users=[{'name': 'a', 'password': 'x'}])
    view = db.managed_view(cluster, {'storage': {'enabled': False}}, None)
    assert 'connection' not in view and 'users' not in view
    assert view['maintenance_window'] == {'day': 'sunday', 'hour': '04:00'}
    assert view['tags'] == ['a', 'b'] and view['autoscale'] == {'storage': {'enabled': False}}


def test_predicted_view_applies_only_specified_fields():
    before = db.managed_view(CURRENT)
    after = db.predicted_view(before, desired(size='db-s-2vcpu-4gb', version='16'))
    assert after == dict(before, size='db-s-2vcpu-4gb')


# ---------------------------------------------------------------------------------------------
# VPC lookup, restores
# ---------------------------------------------------------------------------------------------

def test_an_existing_target_counts_as_the_restore_only_when_it_can_be():
    source = dict(CURRENT, name='src', created_at='2026-01-01T00:00:00Z')
    target = dict(CURRENT, name='restored', created_at='2026-03-02T00:00:00Z')
    assert db.restore_errors(target, source) == []
    assert db.restore_errors(target, source, '2026-03-01T04:00:00Z') == []
    assert 'before the backup' in db.restore_errors(target, source, '2026-03-05T04:00:00Z')[0]
    assert 'engine valkey' in db.restore_errors(dict(target, engine='valkey'), source)[0]
    assert 'before the source cluster' in db.restore_errors(dict(target, created_at='2025-01-01T00:00:00Z'), source)[0]


def test_pick_backup():
    backups = [{'created_at': '2026-03-01T04:12:00Z', 'size_gigabytes': 1}, {'created_at': '2026-03-02T04:12:00Z', 'size_gigabytes': 1}]
    assert db.pick_backup(backups)[0] == backups[1]
    assert db.pick_backup(backups, '2026-03-01T04:12:00+00:00')[0] == backups[0]
    assert 'available backups: 2026-03-01T04:12:00Z' in db.pick_backup(backups, '2026-02-01T00:00:00Z')[1]
    assert db.pick_backup([])[1] == 'it has no backups yet'


# ---------------------------------------------------------------------------------------------
# secrets
# ---------------------------------------------------------------------------------------------

CLUSTER_WITH_SECRETS = {
    'name': 'pg',
    'connection': {'uri': 'postgresql://doadmin:AVNS_conn@h:25060/defaultdb?sslmode=require', 'user': 'doadmin', 'password': 'AVNS_conn'},
    'users': [{'name': 'doadmin', 'password': 'AVNS_conn'}, {'name': 'kafka', 'access_key': 'KEY', 'access_cert': 'CERT'}],
    'pools': [{'name': 'p', 'connection': {'uri': 'postgresql://mastodon:AVNS_pool@h:25061/p'}}],
    'ui_connection': {'uri': 'https://doadmin:AVNS_ui@dash:443'},
}


def test_secret_values_finds_password_fields_access_keys_and_uri_passwords():
    assert db.secret_values(CLUSTER_WITH_SECRETS) == {'AVNS_conn', 'KEY', 'AVNS_pool', 'AVNS_ui'}


def test_strip_secrets_removes_every_password():
    stripped = db.strip_secrets(CLUSTER_WITH_SECRETS)
    assert db.secret_values(stripped) == set()
    assert stripped['connection'] == {'uri': 'postgresql://doadmin@h:25060/defaultdb?sslmode=require', 'user': 'doadmin'}
    assert stripped['users'][1] == {'name': 'kafka', 'access_cert': 'CERT'}
    assert stripped['ui_connection']['uri'] == 'https://doadmin@dash:443'
    assert 'AVNS' not in repr(stripped)
    assert CLUSTER_WITH_SECRETS['connection']['password'] == 'AVNS_conn', 'the input is left alone'


def test_strip_uri_password_leaves_other_strings_alone():
    assert db.strip_uri_password('rediss://default:pw@valkey:25061') == 'rediss://default@valkey:25061'
    assert db.strip_uri_password('https://host:443/path') == 'https://host:443/path'
    assert db.strip_uri_password('not a uri: a:b@c') == 'not a uri: a:b@c'


class _Module:
    def __init__(self, no_log):
        self.no_log = no_log
        self.no_log_values = set()


def test_protect_secrets_masks_unless_the_task_has_no_log():
    module = _Module(no_log=False)
    assert db.protect_secrets(module, CLUSTER_WITH_SECRETS) is True
    assert module.no_log_values == {'AVNS_conn', 'KEY', 'AVNS_pool', 'AVNS_ui'}
    quiet = _Module(no_log=True)
    assert db.protect_secrets(quiet, CLUSTER_WITH_SECRETS) is False and quiet.no_log_values == set()


def test_decode_certificate():
    pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    assert db.decode_certificate(base64.b64encode(pem.encode()).decode()) == pem
    assert db.decode_certificate(pem) == pem
    assert db.decode_certificate(None) is None


def test_gather_items_apply_per_engine():
    assert db.gather_applies('pools', 'pg') and not db.gather_applies('pools', 'valkey')
    assert db.gather_applies('firewall', 'valkey') and db.gather_applies('ca', 'opensearch')
    assert not db.gather_applies('users', 'valkey') and db.gather_applies('users', 'opensearch')
    assert not db.gather_applies('backups', 'opensearch')
