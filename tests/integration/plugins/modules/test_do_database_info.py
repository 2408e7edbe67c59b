# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_database_info through ansible-playbook against the sandbox's DigitalOcean emulator."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
import requests

PG = {'name': 'mastodon-pg', 'engine': 'pg', 'region': 'tor1', 'size': 'db-s-1vcpu-2gb', 'tags': ['mastodon']}
VALKEY = {'name': 'mastodon-valkey', 'engine': 'valkey', 'region': 'tor1', 'size': 'db-s-1vcpu-1gb'}


def info_task(title='info', **args):
    return {'name': title, 'fediops.mastodon.do_database_info': args, 'register': 'info'}


def has_secret(value):
    """True when ``value`` holds a ``password``/``access_key`` field or a URI with a password."""
    if isinstance(value, dict):
        return any(key in ('password', 'access_key') or has_secret(sub) for key, sub in value.items())
    if isinstance(value, list):
        return any(has_secret(sub) for sub in value)
    return isinstance(value, str) and '://' in value and urlsplit(value).password is not None


class Api:
    """Direct calls to the emulator's DigitalOcean API, to give a cluster users, databases and pools."""

    def __init__(self, sandbox):
        self.url = sandbox.do_url.rstrip('/')
        self.headers = {'Authorization': 'Bearer %s' % sandbox.do_token}
        self.verify = sandbox.ca_bundle

    def post(self, path, body):
        response = requests.post(self.url + path, json=body, headers=self.headers, verify=self.verify, timeout=30)
        assert response.status_code in (200, 201), response.text
        return response.json()


@pytest.fixture
def clusters(do_emulator, playbook, sandbox):
    """A PostgreSQL cluster with a user, a database and a pool, and a Valkey cluster."""
    previous = do_emulator.config().get('provision_delay')
    do_emulator.configure(provision_delay=0)
    created = playbook.run([{'name': 'pg', 'fediops.mastodon.do_database_cluster': PG, 'register': 'pg'},
                            {'name': 'valkey', 'fediops.mastodon.do_database_cluster': VALKEY}])
    assert created.rc == 0, created.stdout
    cluster_id = created.task('pg')['cluster']['id']
    api = Api(sandbox)
    api.post('/v2/databases/%s/users' % cluster_id, {'name': 'mastodon'})
    api.post('/v2/databases/%s/dbs' % cluster_id, {'name': 'mastodon_production'})
    api.post('/v2/databases/%s/pools' % cluster_id, {'name': 'web', 'mode': 'transaction', 'size': 10, 'db': 'mastodon_production',
                                                     'user': 'mastodon'})
    do_emulator.clear_requests()
    yield do_emulator
    if previous is not None:
        do_emulator.configure(provision_delay=previous)


def test_lists_a_cluster_with_its_pools_users_dbs_trusted_sources_ca_and_backups(clusters, playbook):
    run = playbook.run([info_task(name='mastodon-pg'), info_task('checked', name='mastodon-pg')], check=True)
    assert run.rc == 0, run.stdout
    result = run.task('info')
    assert result['changed'] is False and [c['name'] for c in result['clusters']] == ['mastodon-pg']
    cluster = result['clusters'][0]
    assert [pool['name'] for pool in cluster['pools']] == ['web'] and cluster['pools'][0]['mode'] == 'transaction'
    assert sorted(user['name'] for user in cluster['users']) == ['doadmin', 'mastodon']
    assert sorted(db['name'] for db in cluster['dbs']) == ['defaultdb', 'mastodon_production']
    assert cluster['firewall_rules'] == []
    assert cluster['ca_certificate'].startswith('-----BEGIN CERTIFICATE-----')
    assert cluster['backups'] and cluster['backups'][0]['created_at']
    assert not has_secret(result), 'no password may be returned without include_secrets'
    assert cluster['connection']['uri'].startswith('postgresql://doadmin@')
    assert [entry for entry in clusters.requests() if entry['write']] == []


def test_all_clusters_by_default_and_by_tag_with_items_per_engine(clusters, playbook):
    run = playbook.run([info_task('all', gather=['pools', 'users', 'firewall']), info_task('tagged', tag='mastodon', gather=[])])
    assert run.rc == 0, run.stdout
    everything = run.task('all')['clusters']
    assert [c['name'] for c in everything] == ['mastodon-pg', 'mastodon-valkey']
    valkey = everything[1]
    assert valkey['firewall_rules'] == [] and 'pools' not in valkey
    assert not has_secret(everything)
    assert [c['name'] for c in run.task('tagged')['clusters']] == ['mastodon-pg']


def test_include_secrets_needs_no_log_and_then_returns_the_passwords(clusters, playbook, tmp_path):
    target = os.path.join(str(tmp_path), 'password')
    run = playbook.run([dict(info_task('refused', name='mastodon-pg', include_secrets=True), ignore_errors=True),
                        dict(info_task(name='mastodon-pg', gather=['users'], include_secrets=True), no_log=True),
                        {'name': 'keep', 'no_log': True,
                         'ansible.builtin.copy': {'content': "{{ (info.clusters[0].users | selectattr('name', 'equalto', 'mastodon') | first).password }}",
                                                  'dest': target, 'mode': '0600'}}])
    assert run.task('refused')['failed'] and 'no_log: true' in run.task('refused')['msg']
    assert run.rc == 0, run.stdout
    with open(target, encoding='utf-8') as handle:
        password = handle.read()
    state = [c for c in clusters.state()['database_clusters'] if c['name'] == 'mastodon-pg'][0]
    assert password == [user for user in state['users'] if user['name'] == 'mastodon'][0]['password']
