# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A pydo-shaped stand-in for the database-resource modules' unit tests: clusters with pools, trusted
sources, users, databases and engine config, plus the Kubernetes cluster list. It keeps a request log
(method, path, body), answers like pydo (through ``cls`` when given, 404 bodies included) and takes
injected faults: an exception for the next call of an operation, or ``('after', exc)`` = apply, then
lose the response."""

import uuid

from ansible.module_utils import basic
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.testing import patch_module_args

from ansible_collections.fediops.mastodon.plugins.module_utils import digitalocean as do_utils

TOKEN = 'dop_v1_unit_test_token'
WRITES = ('POST', 'PUT', 'PATCH', 'DELETE')
NOT_FOUND = {'id': 'not_found', 'message': 'The resource you requested could not be found.'}
USER_ENGINES = ('pg', 'mysql', 'opensearch', 'kafka', 'mongodb')
DB_ENGINES = ('pg', 'mysql', 'mongodb')


class FakeCloud:
    def __init__(self, helpers):
        self.helpers = helpers
        self.clusters = []
        self.pools, self.rules, self.users, self.dbs, self.configs = {}, {}, {}, {}, {}
        self.k8s_clusters = []
        self.log = []
        self.faults = {}
        self.databases = _Databases(self)
        self.kubernetes = _Kubernetes(self)

    @property
    def writes(self):
        return [entry for entry in self.log if entry[0] in WRITES]

    def inject(self, operation, *faults):
        self.faults.setdefault(operation, []).extend(faults)

    def error(self, status, error_id, message, headers=None):
        return self.helpers.error(status, {'id': error_id, 'message': message, 'request_id': 'req-%d' % status}, headers)

    def add_cluster(self, name, engine='pg', size='db-s-1vcpu-1gb', config=None):
        cluster_id = str(uuid.uuid4())
        cluster = dict(id=cluster_id, name=name, engine=engine, size=size, num_nodes=1, region='tor1', status='online',
                       connection={'uri': 'postgresql://doadmin:clusterpw@%s-host:25060/defaultdb' % name, 'password': 'clusterpw'})
        self.clusters.append(cluster)
        self.pools[cluster_id], self.rules[cluster_id], self.dbs[cluster_id] = [], [], [{'name': 'defaultdb'}]
        self.users[cluster_id] = [{'name': 'doadmin', 'role': 'primary', 'password': 'doadmin-secret-pw'}]
        self.configs[cluster_id] = dict(config or {})
        return cluster

    def add_pool(self, cluster, name, size, db='defaultdb', user='doadmin', mode='transaction'):
        password = 'pw-%s' % uuid.uuid4().hex
        uri = 'postgresql://%s:%s@%s-pool:25061/%s?sslmode=require' % (user, password, cluster['name'], name)
        pool = dict(name=name, size=size, db=db, user=user, mode=mode,
                    connection={'uri': uri, 'host': 'pool-host', 'port': 25061, 'user': user, 'password': password, 'database': name,
                                'ssl': True},
                    private_connection={'uri': uri.replace('-pool', '-private-pool'), 'password': password})
        self.pools[cluster['id']].append(pool)
        return pool

    def add_user(self, cluster, name, **extra):
        user = dict(name=name, role='normal', password='pw-%s' % uuid.uuid4().hex, **extra)
        self.users[cluster['id']].append(user)
        return user

    def add_rule(self, cluster, kind, value):
        rule = dict(uuid=str(uuid.uuid4()), cluster_uuid=cluster['id'], type=kind, value=value, created_at='2026-01-01T00:00:00Z')
        self.rules[cluster['id']].append(rule)
        return rule

    def run(self, operation, method, path, body, kwargs, action):
        self.log.append((method, path, body))
        queue = self.faults.get(operation) or []
        fault = queue.pop(0) if queue else None
        if isinstance(fault, tuple):
            action()
            raise fault[1]
        if fault is not None:
            raise fault
        status, result = action()
        return self.helpers.result(kwargs, status, result)


def _named(items, name):
    return next((item for item in items if item['name'] == name), None)


def _copy(value):
    if isinstance(value, dict):
        return dict((k, _copy(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


class _Databases:
    def __init__(self, cloud):
        self.cloud = cloud

    def _path(self, cluster_id, tail=''):
        return '/v2/databases/%s%s' % (cluster_id, tail)

    def _refusal(self, cluster_id, engines=None):
        """DigitalOcean's answer to a request on a cluster id that does not exist (404) or whose engine has no such
        resource (422); None when the request is fine."""
        cluster = next((c for c in self.cloud.clusters if c['id'] == cluster_id), None)
        if cluster is None:
            return 404, NOT_FOUND
        if engines and cluster['engine'] not in engines:
            return 422, {'id': 'unprocessable_entity', 'message': 'operation is not supported for this cluster type'}
        return None

    def list_clusters(self, **kwargs):
        return self.cloud.run('list_clusters', 'GET', '/v2/databases', None, kwargs, lambda: (200, {'databases': _copy(self.cloud.clusters)}))

    def get_cluster(self, cluster_id, **kwargs):
        def action():
            cluster = next((c for c in self.cloud.clusters if c['id'] == cluster_id), None)
            return (200, {'database': _copy(cluster)}) if cluster else (404, NOT_FOUND)
        return self.cloud.run('get_cluster', 'GET', self._path(cluster_id), None, kwargs, action)

    # pools
    def list_connection_pools(self, cluster_id, **kwargs):
        return self.cloud.run('list_pools', 'GET', self._path(cluster_id, '/pools'), None, kwargs,
                              lambda: self._refusal(cluster_id, ('pg',)) or (200, {'pools': _copy(self.cloud.pools[cluster_id])}))

    def get_connection_pool(self, cluster_id, name, **kwargs):
        def action():
            pool = _named(self.cloud.pools[cluster_id], name)
            return (200, {'pool': _copy(pool)}) if pool else (404, NOT_FOUND)
        return self.cloud.run('get_pool', 'GET', self._path(cluster_id, '/pools/' + name), None, kwargs, action)

    def add_connection_pool(self, cluster_id, body, **kwargs):
        def action():
            if _named(self.cloud.pools[cluster_id], body['name']):
                raise self.cloud.error(422, 'unprocessable_entity', 'pool name already exists')
            cluster = next(c for c in self.cloud.clusters if c['id'] == cluster_id)
            pool = self.cloud.add_pool(cluster, body['name'], body['size'], body['db'], body.get('user', ''), body['mode'])
            return 201, {'pool': _copy(pool)}
        return self.cloud.run('add_pool', 'POST', self._path(cluster_id, '/pools'), body, kwargs, action)

    def update_connection_pool(self, cluster_id, name, body, **kwargs):
        def action():
            pool = _named(self.cloud.pools[cluster_id], name)
            if not pool:
                return 404, NOT_FOUND
            pool.update(body)
            return 204, None
        return self.cloud.run('update_pool', 'PUT', self._path(cluster_id, '/pools/' + name), body, kwargs, action)

    def delete_connection_pool(self, cluster_id, name, **kwargs):
        def action():
            pool = _named(self.cloud.pools[cluster_id], name)
            if not pool:
                return 404, NOT_FOUND
            self.cloud.pools[cluster_id].remove(pool)
            return 204, None
        return self.cloud.run('delete_pool', 'DELETE', self._path(cluster_id, '/pools/' + name), None, kwargs, action)

    # trusted sources
    def list_firewall_rules(self, cluster_id, **kwargs):
        return self.cloud.run('list_rules', 'GET', self._path(cluster_id, '/firewall'), None, kwargs,
                              lambda: self._refusal(cluster_id) or (200, {'rules': _copy(self.cloud.rules[cluster_id])}))

    def update_firewall_rules(self, cluster_id, body, **kwargs):
        def action():
            cluster = next(c for c in self.cloud.clusters if c['id'] == cluster_id)
            self.cloud.rules[cluster_id] = []
            for rule in body['rules']:
                self.cloud.add_rule(cluster, rule['type'], rule['value'])
            return 204, None
        return self.cloud.run('update_rules', 'PUT', self._path(cluster_id, '/firewall'), body, kwargs, action)

    # users
    def list_users(self, cluster_id, **kwargs):
        return self.cloud.run('list_users', 'GET', self._path(cluster_id, '/users'), None, kwargs,
                              lambda: self._refusal(cluster_id, USER_ENGINES) or (200, {'users': _copy(self.cloud.users[cluster_id])}))

    def add_user(self, cluster_id, body, **kwargs):
        def action():
            if _named(self.cloud.users[cluster_id], body['name']):
                raise self.cloud.error(422, 'unprocessable_entity', 'user already exists')
            cluster = next(c for c in self.cloud.clusters if c['id'] == cluster_id)
            extra = {'settings': dict(body['settings'])} if 'settings' in body else {}
            return 201, {'user': _copy(self.cloud.add_user(cluster, body['name'], **extra))}
        return self.cloud.run('add_user', 'POST', self._path(cluster_id, '/users'), body, kwargs, action)

    def update_user(self, cluster_id, name, body, **kwargs):
        def action():
            user = _named(self.cloud.users[cluster_id], name)
            if not user:
                return 404, NOT_FOUND
            user['settings'] = dict(body.get('settings') or {})
            return 201, {'user': {'name': name, 'settings': dict(user['settings'])}}
        return self.cloud.run('update_user', 'PUT', self._path(cluster_id, '/users/' + name), body, kwargs, action)

    def reset_auth(self, cluster_id, name, body, **kwargs):
        def action():
            user = _named(self.cloud.users[cluster_id], name)
            if not user:
                return 404, NOT_FOUND
            user['password'] = 'pw-%s' % uuid.uuid4().hex
            return 200, {'user': _copy(user)}
        return self.cloud.run('reset_auth', 'POST', self._path(cluster_id, '/users/%s/reset_auth' % name), body, kwargs, action)

    def delete_user(self, cluster_id, name, **kwargs):
        def action():
            user = _named(self.cloud.users[cluster_id], name)
            if not user:
                return 404, NOT_FOUND
            self.cloud.users[cluster_id].remove(user)
            return 204, None
        return self.cloud.run('delete_user', 'DELETE', self._path(cluster_id, '/users/' + name), None, kwargs, action)

    # databases
    def list(self, cluster_id, **kwargs):
        return self.cloud.run('list_dbs', 'GET', self._path(cluster_id, '/dbs'), None, kwargs,
                              lambda: self._refusal(cluster_id, DB_ENGINES) or (200, {'dbs': _copy(self.cloud.dbs[cluster_id])}))

    def add(self, cluster_id, body, **kwargs):
        def action():
            if _named(self.cloud.dbs[cluster_id], body['name']):
                raise self.cloud.error(422, 'unprocessable_entity', 'database already exists')
            self.cloud.dbs[cluster_id].append({'name': body['name']})
            return 201, {'db': {'name': body['name']}}
        return self.cloud.run('add_db', 'POST', self._path(cluster_id, '/dbs'), body, kwargs, action)

    def delete(self, cluster_id, name, **kwargs):
        def action():
            db = _named(self.cloud.dbs[cluster_id], name)
            if not db:
                return 404, NOT_FOUND
            self.cloud.dbs[cluster_id].remove(db)
            return 204, None
        return self.cloud.run('delete_db', 'DELETE', self._path(cluster_id, '/dbs/' + name), None, kwargs, action)

    # engine config
    def get_config(self, cluster_id, **kwargs):
        return self.cloud.run('get_config', 'GET', self._path(cluster_id, '/config'), None, kwargs,
                              lambda: (200, {'config': _copy(self.cloud.configs[cluster_id])}))

    def patch_config(self, cluster_id, body, **kwargs):
        def action():
            config = self.cloud.configs[cluster_id]
            for key, value in body['config'].items():
                config[key] = dict(config.get(key) or {}, **value) if isinstance(value, dict) else value
            return 200, None
        return self.cloud.run('patch_config', 'PATCH', self._path(cluster_id, '/config'), body, kwargs, action)


class _Kubernetes:
    def __init__(self, cloud):
        self.cloud = cloud

    def list_clusters(self, per_page=20, page=1, **kwargs):
        def action():
            items = self.cloud.k8s_clusters
            chunk = items[(page - 1) * per_page:page * per_page]
            return 200, {'kubernetes_clusters': _copy(chunk), 'links': {}, 'meta': {'total': len(items)}}
        return self.cloud.run('list_k8s', 'GET', '/v2/kubernetes/clusters?page=%d' % page, None, kwargs, action)


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def install(monkeypatch, helpers):
    """Put a FakeCloud behind every module run (time passes only through sleep) and make ``exit_json`` /
    ``fail_json`` raise ``ModuleResult`` with the result as Ansible would return it: ``no_log_values`` masked."""
    fake = FakeCloud(helpers)
    fake.clock = FakeClock()
    monkeypatch.setattr(do_utils, 'build_client', lambda *args, **kwargs: fake)

    class Api(do_utils.DigitalOceanApi):
        def __init__(self, policy=None, **kwargs):
            super().__init__(policy, sleep=fake.clock.sleep, clock=fake.clock, wall_clock=lambda: 1.8e9 + fake.clock.now,
                             rng=lambda: 0.5)

    def exit_json(module, **kwargs):
        kwargs.setdefault('changed', False)
        raise ModuleResult(remove_values(kwargs, module.no_log_values))

    def fail_json(module, msg, **kwargs):
        kwargs.pop('exception', None)
        kwargs.update(failed=True, msg=msg)
        raise ModuleResult(remove_values(kwargs, module.no_log_values))

    monkeypatch.setattr(do_utils, 'DigitalOceanApi', Api)
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)
    return fake


class ModuleResult(Exception):
    def __init__(self, result):
        super().__init__(result.get('msg', ''))
        self.result = result


def run_module(main, args, check_mode=False, no_log=False, diff=True):
    """Run a module's ``main`` in-process with the unit-test token; return its (masked) result."""
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_no_log=no_log)
    args.setdefault('oauth_token', TOKEN)
    with patch_module_args(args):
        try:
            main()
        except ModuleResult as exc:
            return exc.result
    raise AssertionError('the module returned without exit_json or fail_json')
