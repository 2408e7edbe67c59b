# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""do_database_info in-process against the pydo-shaped fake of test_do_database_cluster."""

import base64

import pytest

from ansible_collections.fediops.mastodon.plugins.module_utils import digitalocean as do_utils
from ansible_collections.fediops.mastodon.plugins.module_utils.database import secret_values
from ansible_collections.fediops.mastodon.plugins.modules import do_database_info
from ansible_collections.fediops.mastodon.tests.unit.plugins.modules.test_do_database_cluster import (
    TOKEN, FakeDigitalOcean, _Databases)

PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n'


class _InfoDatabases(_Databases):
    def _list(self, operation, suffix, key, store):
        def call(cluster_id, **kwargs):
            return self._cluster_call(operation, 'GET', suffix, cluster_id, None, kwargs, lambda c: (200, {key: store.get(c['id'], [])}))
        return call

    def __getattr__(self, name):
        fake = self.fake
        table = {
            'list_connection_pools': ('pools', '/pools', 'pools', fake.pools),
            'list_firewall_rules': ('firewall', '/firewall', 'rules', fake.rules),
            'list_users': ('users', '/users', 'users', fake.users),
            'list': ('dbs', '/dbs', 'dbs', fake.dbs),
        }
        if name not in table:
            raise AttributeError(name)
        return self._list(*table[name])

    def get_ca(self, cluster_id, **kwargs):
        return self._cluster_call('ca', 'GET', '/ca', cluster_id, None, kwargs,
                                  lambda c: (200, {'ca': {'certificate': base64.b64encode(PEM.encode()).decode()}}))


class InfoFake(FakeDigitalOcean):
    def __init__(self, helpers):
        super().__init__(helpers)
        self.pools, self.rules, self.users, self.dbs = {}, {}, {}, {}
        self.databases = _InfoDatabases(self)

    def add(self, name, engine='pg', status='online', **fields):
        cluster = super().add(name, engine, status, **fields)
        password = cluster['connection']['password']
        self.users[cluster['id']] = [{'name': 'doadmin', 'role': 'primary', 'password': password},
                                     {'name': 'mastodon', 'role': 'normal', 'password': 'AVNS_mastodon_user_pw'}]
        self.pools[cluster['id']] = [{'name': 'web', 'mode': 'transaction', 'size': 10, 'db': 'mastodon', 'user': 'mastodon',
                                      'connection': {'uri': 'postgresql://mastodon:AVNS_mastodon_user_pw@h:25061/web', 'user': 'mastodon',
                                                     'password': 'AVNS_mastodon_user_pw'}}]
        self.rules[cluster['id']] = [{'uuid': 'r1', 'type': 'k8s', 'value': 'k8s-id'}]
        self.dbs[cluster['id']] = [{'name': 'defaultdb'}, {'name': 'mastodon'}]
        return cluster


@pytest.fixture
def fake(monkeypatch, clean_do_env, fake_pydo):
    cloud = InfoFake(fake_pydo)
    monkeypatch.setattr(do_utils, 'build_client', lambda *args, **kwargs: cloud)
    return cloud


@pytest.fixture
def run(harness, fake):
    def runner(**args):
        args.setdefault('oauth_token', TOKEN)
        return harness.run(do_database_info.main, args, check_mode=args.pop('check_mode', False))
    return runner


def test_lists_a_cluster_with_pools_trusted_sources_users_dbs_ca_and_backups(run, fake):
    fake.add('pg')
    fake.add('other')
    result = run(name='pg')
    assert result['changed'] is False and [c['name'] for c in result['clusters']] == ['pg']
    cluster = result['clusters'][0]
    assert [p['name'] for p in cluster['pools']] == ['web']
    assert cluster['firewall_rules'] == [{'uuid': 'r1', 'type': 'k8s', 'value': 'k8s-id'}]
    assert [u['name'] for u in cluster['users']] == ['doadmin', 'mastodon']
    assert [d['name'] for d in cluster['dbs']] == ['defaultdb', 'mastodon']
    assert cluster['ca_certificate'] == PEM
    assert cluster['backups'][0]['created_at'] == '2026-03-01T04:12:00Z'
    assert fake.writes == []


def test_no_password_anywhere_without_include_secrets(run, fake):
    cluster = fake.add('pg')
    result = run()
    assert secret_values(result['clusters']) == set()
    text = repr(result)
    assert cluster['connection']['password'] not in text and 'AVNS_mastodon_user_pw' not in text
    assert result['clusters'][0]['connection']['uri'] == 'postgresql://doadmin@pg.db:25060/defaultdb'


def test_include_secrets_returns_them_to_a_no_log_task(run, fake):
    cluster = fake.add('pg')
    result = run(include_secrets=True, _ansible_no_log=True)
    found = result['clusters'][0]
    assert found['connection']['password'] == cluster['connection']['password']
    assert {u['password'] for u in found['users']} == {cluster['connection']['password'], 'AVNS_mastodon_user_pw'}


def test_include_secrets_without_no_log_fails_before_any_call(run, fake):
    fake.add('pg')
    result = run(include_secrets=True)
    assert result['failed'] and 'no_log: true' in result['msg'] and fake.log == []


def test_gather_limits_the_calls_and_skips_items_an_engine_does_not_have(run, fake):
    fake.add('cache', engine='valkey')
    result = run(gather=['pools', 'users', 'firewall', 'backups'])
    cluster = result['clusters'][0]
    assert 'pools' not in cluster and 'backups' not in cluster and cluster['firewall_rules']
    assert [p.rsplit('/', 1)[-1] for m, p, b in fake.log] == ['databases', 'firewall']


def test_by_tag_asks_the_api_to_filter(run, fake):
    fake.add('pg', tags=['mastodon'])
    fake.add('other')
    result = run(tag='mastodon', gather=[])
    assert [c['name'] for c in result['clusters']] == ['pg'] and fake.log[0][0] == 'GET'


def test_no_match_is_an_empty_list(run, fake):
    assert run(name='missing')['clusters'] == []


def test_name_and_tag_are_mutually_exclusive(run, fake):
    result = run(name='pg', tag='mastodon')
    assert result['failed'] and 'mutually exclusive' in result['msg']


def test_check_mode_reads_the_same(run, fake):
    fake.add('pg')
    assert run(check_mode=True, name='pg')['clusters'][0]['name'] == 'pg' and fake.writes == []


def test_names_lists_the_named_clusters_with_one_listing(run, fake):
    fake.add('pg')
    fake.add('cache', engine='valkey')
    fake.add('other')
    result = run(names=['pg', 'cache', 'missing'], gather=[])
    assert [c['name'] for c in result['clusters']] == ['cache', 'pg']
    assert [(m, p.rsplit('/', 1)[-1]) for m, p, b in fake.log] == [('GET', 'databases')]


def test_names_is_mutually_exclusive_with_name_and_tag(run, fake):
    assert 'mutually exclusive' in run(names=['pg'], name='pg')['msg']
    assert 'mutually exclusive' in run(names=['pg'], tag='mastodon')['msg']


def test_gather_by_engine_reads_only_what_each_engine_is_asked_for(run, fake):
    fake.add('pg')
    fake.add('cache', engine='valkey')
    fake.add('search', engine='opensearch')
    result = run(names=['pg', 'cache', 'search'], gather=[], gather_by_engine={'pg': ['pools', 'ca']})
    clusters = dict((c['name'], c) for c in result['clusters'])
    assert [p['name'] for p in clusters['pg']['pools']] == ['web'] and clusters['pg']['ca_certificate'] == PEM
    assert 'ca_certificate' not in clusters['cache'] and 'ca_certificate' not in clusters['search']
    assert sorted(p.rsplit('/', 1)[-1] for m, p, b in fake.log) == ['ca', 'databases', 'pools']


def test_gather_by_engine_leaves_other_engines_to_gather(run, fake):
    fake.add('pg')
    fake.add('search', engine='opensearch')
    result = run(gather=['users'], gather_by_engine={'pg': []})
    clusters = dict((c['name'], c) for c in result['clusters'])
    assert [u['name'] for u in clusters['search']['users']] == ['doadmin', 'mastodon']
    assert [p for m, p, b in fake.log if p.endswith('/users')] == ['/v2/databases/%s/users' % clusters['search']['id']]


@pytest.mark.parametrize('value, words', [
    ({'pg': ['pools', 'certs']}, ["gather_by_engine.pg: 'certs' is not a gather item", 'allowed: pools, firewall']),
    ({'pg': 'pools'}, ['gather_by_engine.pg must be a list', "'pools'", 'allowed items: pools']),
])
def test_bad_gather_by_engine_fails_naming_it_before_any_call(run, fake, value, words):
    fake.add('pg')
    result = run(gather_by_engine=value)
    assert result['failed'] and fake.log == []
    assert all(word in result['msg'] for word in words), result['msg']
