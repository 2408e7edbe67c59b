# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set-up and assertions shared by the integration tests of the database-resource modules.

A test gets a cluster by calling the emulator's DigitalOcean API directly (``create_cluster``), so it
depends on no other module than the one it tests; users, databases and pools it needs likewise.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

CLUSTER = 'mastodon-pg'


def api(sandbox, method, path, body=None):
    """One call to the emulator's DigitalOcean API with the sandbox token; the decoded body (None for 204)."""
    response = requests.request(method, sandbox.do_url + path, json=body, timeout=30, verify=sandbox.ca_bundle,
                                headers={'Authorization': 'Bearer %s' % sandbox.do_token})
    assert response.status_code < 400, '%s %s answered %d: %s' % (method, path, response.status_code, response.text)
    return response.json() if response.content else None


def create_cluster(sandbox, name=CLUSTER, engine='pg', size='db-s-1vcpu-1gb', region='tor1'):
    """A new cluster (users, databases, pools and trusted sources can change while it is still creating)."""
    body = {'name': name, 'engine': engine, 'size': size, 'region': region, 'num_nodes': 1}
    return api(sandbox, 'POST', '/v2/databases', body)['database']


def add_db(sandbox, cluster, name):
    return api(sandbox, 'POST', '/v2/databases/%s/dbs' % cluster['id'], {'name': name})['db']


def add_user(sandbox, cluster, name):
    return api(sandbox, 'POST', '/v2/databases/%s/users' % cluster['id'], {'name': name})['user']


def cluster_state(emulator, name=CLUSTER):
    """The emulator's full record of a cluster (users with passwords, dbs, pools, firewall_rules, config)."""
    matches = [c for c in emulator.state().get('database_clusters', []) if c['name'] == name]
    assert len(matches) == 1, 'expected one cluster named %s, found %d' % (name, len(matches))
    return matches[0]


def write_calls(emulator):
    return [entry for entry in emulator.requests() if entry['write']]


def writes_by_operation(emulator):
    return [(entry['method'], entry['operation_id']) for entry in write_calls(emulator)]


def secrets_in_state(emulator):
    """Every password, and every URI holding one, anywhere in the emulator's state."""
    found = set()

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key == 'password' and isinstance(item, str) and item:
                    found.add(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and '://' in value:
            try:
                password = urlsplit(value).password
            except ValueError:
                password = None
            if password:
                found.add(value)
                found.add(password)

    walk(emulator.state())
    return found


def assert_no_secret_in(text, secrets):
    assert secrets, 'the emulator state holds no secret: the check would prove nothing'
    leaked = sorted(secret for secret in secrets if secret in text)
    assert not leaked, 'secrets printed: %s' % leaked
