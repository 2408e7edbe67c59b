# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""do_database_cluster in-process against a pydo-shaped fake with a request log and a fake clock."""

import uuid

import pytest

from azure.core.exceptions import ServiceResponseError

from ansible_collections.fediops.mastodon.plugins.module_utils import digitalocean as do_utils
from ansible_collections.fediops.mastodon.plugins.modules import do_database_cluster

TOKEN = 'dop_v1_unit_test_token'
WRITES = ('POST', 'PUT', 'PATCH', 'DELETE')
NOT_FOUND = {'id': 'not_found', 'message': 'The resource you requested could not be found.'}
VPC_ID = '5a4981aa-9653-4bd1-bef5-d6bff52042e4'
OPTIONS = {
    'pg': {'regions': ['nyc3', 'tor1'], 'versions': ['15', '16', '17'],
           'layouts': [{'num_nodes': 1, 'sizes': ['db-s-1vcpu-1gb', 'db-s-1vcpu-2gb', 'db-s-2vcpu-4gb']},
                       {'num_nodes': 2, 'sizes': ['db-s-1vcpu-2gb', 'db-s-2vcpu-4gb']}]},
    'valkey': {'regions': ['tor1'], 'versions': ['7.2', '8'], 'layouts': [{'num_nodes': 1, 'sizes': ['db-s-1vcpu-1gb']}]},
    'opensearch': {'regions': ['tor1'], 'versions': ['2'], 'layouts': [{'num_nodes': 1, 'sizes': ['db-s-2vcpu-4gb']}]},
}
PROVISION = 30.0


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class FakeDigitalOcean:
    """Database clusters (status settles PROVISION seconds after a change), VPCs, projects; a request log; faults."""

    def __init__(self, helpers):
        self.helpers = helpers
        self.clock = FakeClock()
        self.clusters = []
        self.autoscale, self.eviction, self.backups, self.extras = {}, {}, {}, {}
        self.vpc_store = [{'id': VPC_ID, 'name': 'mastodon', 'region': 'tor1'},
                          {'id': '6b4981aa-9653-4bd1-bef5-d6bff52042e4', 'name': 'elsewhere', 'region': 'nyc3'},
                          {'id': '7c4981aa-9653-4bd1-bef5-d6bff52042e4', 'name': 'staging', 'region': 'tor1'}]
        self.log = []
        self.faults = {}
        self.databases = _Databases(self)
        self.vpcs = _Vpcs(self)
        self.projects = _Projects(self)

    @property
    def writes(self):
        return [entry for entry in self.log if entry[0] in WRITES]

    def inject(self, operation, *faults):
        self.faults.setdefault(operation, []).extend(faults)

    def run(self, operation, method, path, body, kwargs, action):
        self.log.append((method, path, body))
        queue = self.faults.get(operation) or []
        fault = queue.pop(0) if queue else None
        if isinstance(fault, tuple):
            action()
            raise fault[1]
        if fault is not None:
            raise fault
        status, payload = action()
        return self.helpers.result(kwargs, status, payload)

    def add(self, name, engine='pg', status='online', **fields):
        cluster_id = str(uuid.uuid4())
        password = 'AVNS_%s' % uuid.uuid4().hex[:19]
        cluster = dict(id=cluster_id, name=name, engine=engine, version={'pg': '16', 'valkey': '8', 'opensearch': '2'}[engine],
                       region='tor1', size='db-s-1vcpu-1gb', num_nodes=1, storage_size_mib=10240, status=status, tags=[],
                       private_network_uuid=VPC_ID, project_id='default-project', created_at='2026-03-01T00:00:00Z',
                       maintenance_window={'day': 'tuesday', 'hour': '02:17:43', 'pending': False},
                       connection={'uri': 'postgresql://doadmin:%s@%s.db:25060/defaultdb' % (password, name), 'user': 'doadmin',
                                   'password': password, 'port': 25060, 'host': '%s.db' % name},
                       private_connection={'uri': 'postgresql://doadmin:%s@private-%s.db:25060/defaultdb' % (password, name),
                                           'password': password},
                       users=[{'name': 'doadmin', 'role': 'primary', 'password': password}])
        cluster.update(fields)
        self.clusters.append(cluster)
        self.extras[cluster_id] = {'settle_at': None, 'pending': {}}
        self.autoscale[cluster_id] = {'storage': {'enabled': False}}
        self.eviction[cluster_id] = 'noeviction'
        self.backups[cluster_id] = [{'created_at': '2026-03-01T04:12:00Z', 'size_gigabytes': 0.1}] if engine == 'pg' else []
        return cluster

    def find(self, cluster_id):
        return next((c for c in self.clusters if c['id'] == cluster_id), None)

    def named(self, name):
        return [c for c in self.clusters if c['name'] == name]

    def transition(self, cluster, status, **pending):
        cluster['status'] = status
        self.extras[cluster['id']] = {'settle_at': self.clock.now + PROVISION, 'pending': pending}

    def render(self, cluster):
        extra = self.extras[cluster['id']]
        if extra['settle_at'] is not None and self.clock.now >= extra['settle_at']:
            cluster.update(extra['pending'], status='online')
            self.extras[cluster['id']] = {'settle_at': None, 'pending': {}}
        return dict(cluster)


class _Databases:
    def __init__(self, fake):
        self.fake = fake

    def _cluster_call(self, operation, method, suffix, cluster_id, body, kwargs, action):
        def guarded():
            cluster = self.fake.find(cluster_id)
            if cluster is None:
                return 404, NOT_FOUND
            return action(cluster)
        return self.fake.run(operation, method, '/v2/databases/%s%s' % (cluster_id, suffix), body, kwargs, guarded)

    def list_clusters(self, tag_name=None, **kwargs):
        def action():
            clusters = [self.fake.render(c) for c in self.fake.clusters if tag_name is None or tag_name in c['tags']]
            return 200, {'databases': clusters or None}
        return self.fake.run('list_clusters', 'GET', '/v2/databases', None, kwargs, action)

    def list_options(self, **kwargs):
        return self.fake.run('list_options', 'GET', '/v2/databases/options', None, kwargs, lambda: (200, {'options': OPTIONS}))

    def create_cluster(self, body, **kwargs):
        def action():
            if self.fake.named(body['name']):
                return 422, {'id': 'unprocessable_entity', 'message': 'a cluster with this name already exists'}
            fields = dict((k, v) for k, v in body.items() if k not in ('name', 'backup_restore', 'autoscale'))
            fields.setdefault('version', {'pg': '17', 'valkey': '8', 'opensearch': '2'}[body['engine']])
            cluster = self.fake.add(body['name'], **fields)
            self.fake.transition(cluster, 'forking' if body.get('backup_restore') else 'creating')
            if body.get('autoscale'):
                self.fake.autoscale[cluster['id']] = body['autoscale']
            return 201, {'database': self.fake.render(cluster)}
        return self.fake.run('create_cluster', 'POST', '/v2/databases', body, kwargs, action)

    def get_cluster(self, cluster_id, **kwargs):
        return self._cluster_call('get_cluster', 'GET', '', cluster_id, None, kwargs, lambda c: (200, {'database': self.fake.render(c)}))

    def destroy_cluster(self, cluster_id, **kwargs):
        def action(cluster):
            self.fake.clusters.remove(cluster)
            return 204, None
        return self._cluster_call('destroy_cluster', 'DELETE', '', cluster_id, None, kwargs, action)

    def update_cluster_size(self, cluster_id, body, **kwargs):
        def action(cluster):
            self.fake.transition(cluster, 'resizing', **body)
            return 202, None
        return self._cluster_call('resize', 'PUT', '/resize', cluster_id, body, kwargs, action)

    def update_major_version(self, cluster_id, body, **kwargs):
        def action(cluster):
            if int(body['version']) < int(cluster['version']):
                return 422, {'id': 'unprocessable_entity', 'message': 'downgrades are not supported'}
            self.fake.transition(cluster, 'migrating', version=body['version'])
            return 204, None
        return self._cluster_call('upgrade', 'PUT', '/upgrade', cluster_id, body, kwargs, action)

    def update_maintenance_window(self, cluster_id, body, **kwargs):
        def action(cluster):
            cluster['maintenance_window'] = {'day': body['day'], 'hour': body['hour'] + ':00', 'pending': False}
            return 204, None
        return self._cluster_call('maintenance', 'PUT', '/maintenance', cluster_id, body, kwargs, action)

    def get_autoscale(self, cluster_id, **kwargs):
        return self._cluster_call('get_autoscale', 'GET', '/autoscale', cluster_id, None, kwargs,
                                  lambda c: (200, {'autoscale': self.fake.autoscale[c['id']]}))

    def update_autoscale(self, cluster_id, body, **kwargs):
        def action(cluster):
            self.fake.autoscale[cluster['id']] = body
            return 204, None
        return self._cluster_call('autoscale', 'PUT', '/autoscale', cluster_id, body, kwargs, action)

    def get_eviction_policy(self, cluster_id, **kwargs):
        return self._cluster_call('get_eviction_policy', 'GET', '/eviction_policy', cluster_id, None, kwargs,
                                  lambda c: (200, {'eviction_policy': self.fake.eviction[c['id']]}))

    def update_eviction_policy(self, cluster_id, body, **kwargs):
        def action(cluster):
            self.fake.eviction[cluster['id']] = body['eviction_policy']
            return 204, None
        return self._cluster_call('eviction_policy', 'PUT', '/eviction_policy', cluster_id, body, kwargs, action)

    def list_backups(self, cluster_id, **kwargs):
        return self._cluster_call('list_backups', 'GET', '/backups', cluster_id, None, kwargs,
                                  lambda c: (200, {'backups': self.fake.backups[c['id']]}))


class _Vpcs:
    def __init__(self, fake):
        self.fake = fake

    def list(self, per_page=20, page=1, **kwargs):
        return self.fake.run('list_vpcs', 'GET', '/v2/vpcs', None, kwargs,
                             lambda: (200, {'vpcs': [dict(v) for v in self.fake.vpc_store], 'links': {}, 'meta': {'total': 2}}))


class _Projects:
    def __init__(self, fake):
        self.fake = fake

    def assign_resources(self, project_id, body, **kwargs):
        def action():
            for urn in body['resources']:
                cluster = self.fake.find(urn.split(':')[-1])
                cluster['project_id'] = project_id
            return 200, {'resources': [{'urn': urn, 'status': 'assigned'} for urn in body['resources']]}
        return self.fake.run('assign_resources', 'POST', '/v2/projects/%s/resources' % project_id, body, kwargs, action)


@pytest.fixture
def fake(monkeypatch, clean_do_env, fake_pydo):
    cloud = FakeDigitalOcean(fake_pydo)
    monkeypatch.setattr(do_utils, 'build_client', lambda *args, **kwargs: cloud)

    class Api(do_utils.DigitalOceanApi):
        def __init__(self, policy=None, **kwargs):
            super().__init__(policy, sleep=cloud.clock.sleep, clock=cloud.clock, wall_clock=lambda: 1.8e9 + cloud.clock.now,
                             rng=lambda: 0.5)

    monkeypatch.setattr(do_utils, 'DigitalOceanApi', Api)
    return cloud


@pytest.fixture
def run(harness, fake):
    def runner(check_mode=False, **args):
        args.setdefault('oauth_token', TOKEN)
        return harness.run(do_database_cluster.main, args, check_mode=check_mode)
    return runner


PG = dict(name='pg', engine='pg', region='tor1', size='db-s-1vcpu-1gb', version='16')


def writes(fake):
    return [(method, path.rsplit('/', 1)[-1] if path.count('/') > 3 else path, body) for method, path, body in fake.writes]


# ---------------------------------------------------------------------------------------------
# create, re-run, check mode
# ---------------------------------------------------------------------------------------------

def test_create_posts_once_waits_for_online_and_returns_the_connections(run, fake):
    result = run(**dict(PG, tags=['mastodon'], vpc='mastodon'))
    assert result['changed'] is True, result
    assert [(m, p) for m, p, b in fake.writes] == [('POST', '/v2/databases')]
    assert fake.writes[0][2] == {'name': 'pg', 'engine': 'pg', 'region': 'tor1', 'size': 'db-s-1vcpu-1gb', 'num_nodes': 1,
                                 'version': '16', 'private_network_uuid': VPC_ID, 'tags': ['mastodon']}
    assert result['cluster']['status'] == 'online' and fake.clock.now >= PROVISION
    assert result['connection']['password'] == fake.clusters[0]['connection']['password']
    assert result['private_connection']['uri'].startswith('postgresql://doadmin:')
    assert result['diff']['before'] == {} and result['diff']['after']['size'] == 'db-s-1vcpu-1gb'
    assert 'connection' not in result['diff']['after']


def test_rerun_makes_no_write_calls(run, fake):
    args = dict(PG, tags=['mastodon'], maintenance_window={'day': 'sunday', 'hour': '04:00'}, storage_autoscale={'enabled': True})
    first = run(**args)
    assert first['changed'] is True
    assert [(m, p.rsplit('/', 1)[-1]) for m, p, b in fake.writes] == [('POST', 'databases'), ('PUT', 'maintenance')]
    fake.log.clear()
    result = run(**args)
    assert result['changed'] is False and fake.writes == []
    assert result['diff']['before'] == result['diff']['after']


def test_check_mode_create_writes_nothing_and_shows_the_diff(run, fake):
    result = run(check_mode=True, **PG)
    assert result['changed'] is True and fake.writes == [] and fake.clusters == []
    assert result['diff']['after']['engine'] == 'pg' and result['diff']['after']['num_nodes'] == 1
    assert result['connection'] == {}


def test_wait_false_returns_the_transitional_status_at_once(run, fake):
    result = run(wait=False, **PG)
    assert result['changed'] is True and result['cluster']['status'] == 'creating'
    assert fake.clock.sleeps == []


def test_a_later_run_with_wait_waits_for_a_creating_cluster_without_writing(run, fake):
    run(wait=False, **PG)
    fake.log.clear()
    result = run(**PG)
    assert result['changed'] is False and result['cluster']['status'] == 'online' and fake.writes == []


def test_lost_create_response_is_recovered_without_a_second_post(run, fake):
    fake.inject('create_cluster', ('after', ServiceResponseError('Connection aborted: response lost')))
    result = run(**PG)
    assert result['changed'] is True and result['cluster']['name'] == 'pg'
    assert [m for m, p, b in fake.writes] == ['POST'] and len(fake.named('pg')) == 1


def test_missing_creation_fields_fail_before_any_write(run, fake):
    result = run(name='pg', engine='pg')
    assert result['failed'] and 'region and size are required' in result['msg'] and fake.writes == []


@pytest.mark.parametrize('overrides, text', [
    (dict(region='mars1'), "region 'mars1' is not offered for PostgreSQL clusters; allowed: nyc3, tor1"),
    (dict(size='db-s-64vcpu'), "size 'db-s-64vcpu' is not offered for PostgreSQL clusters of 1 node(s); allowed: db-s-1vcpu-1gb"),
    (dict(version='9'), "version '9' is not offered for PostgreSQL clusters; allowed: 15, 16, 17"),
    (dict(num_nodes=4), 'num_nodes 4 is not offered for PostgreSQL clusters; allowed: 1, 2'),
])
def test_choices_are_checked_against_the_options_before_any_write(run, fake, overrides, text):
    result = run(**dict(PG, **overrides))
    assert result['failed'] and text in result['msg'], result['msg']
    assert fake.writes == []


def test_a_vpc_in_another_region_fails_before_any_write(run, fake):
    result = run(**dict(PG, vpc='elsewhere'))
    assert result['failed'] and "vpc 'elsewhere' is in region nyc3" in result['msg'] and fake.writes == []


def test_an_unknown_vpc_lists_the_vpcs(run, fake):
    result = run(**dict(PG, vpc='nope'))
    assert result['failed'] and 'mastodon (%s, tor1)' % VPC_ID in result['msg'] and fake.writes == []


def test_valkey_create_then_sets_the_eviction_policy(run, fake):
    result = run(name='cache', engine='valkey', region='tor1', size='db-s-1vcpu-1gb', eviction_policy='allkeys_lru')
    assert result['changed'] is True
    assert [(m, p.rsplit('/', 1)[-1], b) for m, p, b in fake.writes][1] == ('PUT', 'eviction_policy', {'eviction_policy': 'allkeys_lru'})
    fake.log.clear()
    again = run(name='cache', engine='valkey', region='tor1', size='db-s-1vcpu-1gb', eviction_policy='allkeys_lru')
    assert again['changed'] is False and fake.writes == []


def test_eviction_policy_on_postgresql_fails(run, fake):
    fake.add('pg')
    result = run(name='pg', eviction_policy='allkeys_lru')
    assert result['failed'] and 'Valkey clusters only' in result['msg'] and fake.writes == []


# ---------------------------------------------------------------------------------------------
# updates in place
# ---------------------------------------------------------------------------------------------

def test_resize_waits_through_resizing_to_online(run, fake):
    fake.add('pg')
    result = run(name='pg', size='db-s-2vcpu-4gb', num_nodes=2)
    assert result['changed'] is True
    assert [(m, p.rsplit('/', 1)[-1], b) for m, p, b in fake.writes] == [('PUT', 'resize', {'size': 'db-s-2vcpu-4gb', 'num_nodes': 2})]
    assert result['cluster']['status'] == 'online' and result['cluster']['size'] == 'db-s-2vcpu-4gb'
    assert result['diff']['before']['num_nodes'] == 1 and result['diff']['after']['num_nodes'] == 2
    assert fake.clock.now >= PROVISION


def test_check_mode_resize_writes_nothing(run, fake):
    fake.add('pg')
    result = run(check_mode=True, name='pg', size='db-s-2vcpu-4gb')
    assert result['changed'] is True and fake.writes == []
    assert result['diff']['after']['size'] == 'db-s-2vcpu-4gb' and fake.clusters[0]['size'] == 'db-s-1vcpu-1gb'


def test_resize_without_wait_returns_resizing(run, fake):
    fake.add('pg')
    result = run(name='pg', size='db-s-2vcpu-4gb', wait=False)
    assert result['changed'] is True and result['cluster']['status'] == 'resizing' and fake.clock.sleeps == []


def test_a_size_not_offered_for_the_new_node_count_fails_before_resizing(run, fake):
    fake.add('pg')
    result = run(name='pg', num_nodes=2)
    assert result['failed'] and "size 'db-s-1vcpu-1gb' is not offered for PostgreSQL clusters of 2 node(s)" in result['msg']
    assert fake.writes == []


def test_upgrade_to_a_higher_major_version(run, fake):
    fake.add('pg')
    result = run(name='pg', version='17')
    assert [(m, p.rsplit('/', 1)[-1], b) for m, p, b in fake.writes] == [('PUT', 'upgrade', {'version': '17'})]
    assert result['cluster']['version'] == '17' and result['cluster']['status'] == 'online'


def test_resize_and_upgrade_wait_in_between_even_without_wait(run, fake):
    fake.add('pg')
    result = run(name='pg', version='17', size='db-s-2vcpu-4gb', wait=False)
    assert [p.rsplit('/', 1)[-1] for m, p, b in fake.writes] == ['resize', 'upgrade']
    assert result['cluster']['status'] == 'migrating' and result['cluster']['size'] == 'db-s-2vcpu-4gb'


def test_a_downgrade_is_refused_before_any_write(run, fake):
    fake.add('pg')
    result = run(name='pg', version='15')
    assert result['failed'] and 'downgrade is refused' in result['msg'] and fake.writes == []


@pytest.mark.parametrize('overrides, text', [
    (dict(engine='valkey'), 'engine cannot change'),
    (dict(region='nyc3'), 'region cannot change'),
    (dict(vpc='staging'), 'VPC (private_network_uuid) cannot change'),
    (dict(vpc='elsewhere', region='nyc3'), 'region cannot change'),
    (dict(tags=['other']), 'tags cannot change in place'),
])
def test_changes_digitalocean_cannot_make_in_place_fail_without_deleting(run, fake, overrides, text):
    fake.add('pg')
    result = run(name='pg', **overrides)
    assert result['failed'] and text in result['msg'] and 'Nothing was changed' in result['msg']
    assert fake.writes == [] and len(fake.clusters) == 1


def test_maintenance_window_autoscale_and_project_are_changed_in_place(run, fake):
    fake.add('pg')
    result = run(name='pg', maintenance_window={'day': 'sunday', 'hour': '4'},
                 storage_autoscale={'enabled': True, 'threshold_percent': 85, 'increment_gib': 20}, project='p2')
    assert result['changed'] is True
    assert [(p.rsplit('/', 1)[-1], b) for m, p, b in fake.writes] == [
        ('maintenance', {'day': 'sunday', 'hour': '04:00'}),
        ('autoscale', {'storage': {'enabled': True, 'threshold_percent': 85, 'increment_gib': 20}}),
        ('resources', {'resources': ['do:dbaas:%s' % fake.clusters[0]['id']]})]
    assert result['cluster']['maintenance_window']['day'] == 'sunday' and result['cluster']['project_id'] == 'p2'
    assert result['diff']['before']['maintenance_window'] == {'day': 'tuesday', 'hour': '02:17'}
    assert result['diff']['after']['maintenance_window'] == {'day': 'sunday', 'hour': '04:00'}


# ---------------------------------------------------------------------------------------------
# restore from backup
# ---------------------------------------------------------------------------------------------

def test_restore_creates_a_new_cluster_from_the_source_backup(run, fake):
    fake.add('src', size='db-s-2vcpu-4gb')
    result = run(name='restored', backup_restore={'database_name': 'src', 'backup_created_at': '2026-03-01T04:12:00Z'})
    assert result['changed'] is True, result
    body = fake.writes[0][2]
    assert body['backup_restore'] == {'database_name': 'src', 'backup_created_at': '2026-03-01T04:12:00Z'}
    assert body['engine'] == 'pg' and body['size'] == 'db-s-2vcpu-4gb' and body['version'] == '16' and body['region'] == 'tor1'
    assert result['cluster']['status'] == 'online'


def test_restore_of_an_unknown_backup_lists_the_available_ones(run, fake):
    fake.add('src')
    result = run(name='restored', backup_restore={'database_name': 'src', 'backup_created_at': '2026-01-01T00:00:00Z'})
    assert result['failed'] and 'available backups: 2026-03-01T04:12:00Z' in result['msg'] and fake.writes == []


def test_restore_from_a_missing_source_fails(run, fake):
    result = run(name='restored', backup_restore={'database_name': 'gone'})
    assert result['failed'] and "backup_restore.database_name 'gone'" in result['msg'] and fake.writes == []


def test_restore_rerun_recognises_the_restored_cluster(run, fake):
    fake.add('src')
    args = dict(name='restored', backup_restore={'database_name': 'src'})
    assert run(**args)['changed'] is True
    fake.log.clear()
    result = run(**args)
    assert result['changed'] is False and fake.writes == []


def test_restore_never_goes_over_an_unrelated_existing_cluster(run, fake):
    fake.add('src')
    fake.add('restored', engine='valkey')
    result = run(name='restored', backup_restore={'database_name': 'src'})
    assert result['failed'] and 'refusing' in result['msg'] and fake.writes == []


# ---------------------------------------------------------------------------------------------
# deletion
# ---------------------------------------------------------------------------------------------

def test_absent_deletes_only_the_named_cluster(run, fake):
    fake.add('pg')
    other = fake.add('other')
    result = run(name='pg', state='absent')
    assert result['changed'] is True and [m for m, p, b in fake.writes] == ['DELETE'] and fake.clusters == [other]
    assert result['diff']['after'] == {} and result['diff']['before']['name'] == 'pg'


def test_absent_on_a_missing_cluster_changes_nothing(run, fake):
    result = run(name='pg', state='absent')
    assert result['changed'] is False and fake.writes == [] and result['cluster'] == {}


def test_check_mode_delete_writes_nothing(run, fake):
    fake.add('pg')
    result = run(check_mode=True, name='pg', state='absent')
    assert result['changed'] is True and fake.writes == [] and len(fake.clusters) == 1


# ---------------------------------------------------------------------------------------------
# secrets
# ---------------------------------------------------------------------------------------------

def test_passwords_go_to_no_log_values_unless_the_task_has_no_log(harness, fake, monkeypatch):
    captured = {}
    original = do_database_cluster.protect_secrets

    def spy(module, value):
        masked = original(module, value)
        captured['values'] = set(module.no_log_values)
        captured['masked'] = masked
        return masked

    monkeypatch.setattr(do_database_cluster, 'protect_secrets', spy)
    cluster = fake.add('pg')
    harness.run(do_database_cluster.main, dict(name='pg', oauth_token=TOKEN))
    assert captured['masked'] is True and cluster['connection']['password'] in captured['values']
    harness.run(do_database_cluster.main, dict(name='pg', oauth_token=TOKEN, _ansible_no_log=True))
    assert captured['masked'] is False


def test_failure_messages_never_hold_a_password(run, fake):
    cluster = fake.add('pg')
    for args in (dict(version='15'), dict(region='nyc3'), dict(num_nodes=2)):
        result = run(name='pg', **args)
        assert result['failed'] and cluster['connection']['password'] not in repr(result)


def test_rerun_with_the_clusters_own_vpc_id_looks_up_no_vpc(run, fake):
    fake.add('pg')
    result = run(name='pg', vpc=VPC_ID)
    assert result['changed'] is False
    assert [p for m, p, b in fake.log] == ['/v2/databases']


def test_rerun_with_the_vpc_name_still_looks_it_up(run, fake):
    fake.add('pg')
    assert run(name='pg', vpc='mastodon')['changed'] is False
    assert [p for m, p, b in fake.log] == ['/v2/databases', '/v2/vpcs']


def test_another_vpc_id_is_looked_up_and_refused_in_place(run, fake):
    fake.add('pg')
    result = run(name='pg', vpc='7c4981aa-9653-4bd1-bef5-d6bff52042e4')
    assert result['failed'] and 'VPC (private_network_uuid) cannot change' in result['msg'] and fake.writes == []
