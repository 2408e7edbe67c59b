# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Proof: no secret the collection touches is in the -vvvv output of provision, upgrade, backup or restore.

One module fixture runs, at -vvvv with the default callback (what a user sees), on the sandbox inventory:
provision.yml at v4.6.5, its converged re-run, a refused upgrade (a failing path: the preflight fails while
the play holds every connection detail), upgrade.yml to v4.7.4, backup.yml and restore.yml (a dump restore).
The secrets are then collected from the stand-ins, not from the inventory alone: the DigitalOcean token, every
database cluster's, pool's and user's password and URI, the Spaces keys' secrets, the Kubernetes token, every
secret value of every Kubernetes Secret (Mastodon's keys, SMTP password, rclone's keys and crypt passwords),
TLS private keys, the IAM secret access key behind the SES SMTP password and the inventory's secrets. Each
value (8 characters or more) is searched for as is, base64-encoded, URL-encoded and JSON-escaped in stdout and
stderr of every run; one test per (run, class of secret) names the secret and shows the hit's context with the
secret masked. Each run's output is kept in <pytest tmp>/secrets*/<run>.log.
"""

# pylint: disable=redefined-outer-name

from __future__ import annotations

import base64
import json
import os
import urllib.parse

import pytest
import requests
import yaml

from tests.integration.proof.conftest import INVENTORY, run_playbook
from tests.integration.standins import reset_kubernetes

OLD = 'v4.6.5'
NEW = 'v4.7.4'
MIN_LENGTH = 8
DUMP = 'mastodon_production-20260301T041200Z.dump'

# (name of the run, playbook, extra arguments, whether it must succeed)
RUNS = [
    ('provision', 'provision.yml', ('-e', 'mastodon_version=' + OLD), True),
    ('provision-rerun', 'provision.yml', ('-e', 'mastodon_version=' + OLD), True),
    ('upgrade-refused', 'upgrade.yml', ('-e', 'mastodon_version=' + NEW, '-e', 'mastodon_upgrade_postgresql_min_version=18'), False),
    ('upgrade', 'upgrade.yml', ('-e', 'mastodon_version=' + NEW), True),
    ('backup', 'backup.yml', (), True),
    ('restore', 'restore.yml', ('-e', 'restore_dump=' + DUMP), True),
]

# Keys of Kubernetes Secrets that hold no secret (identifiers, hosts, names, public keys).
NOT_SECRET = ('ACCESS_KEY_ID', 'PUBLIC_KEY', 'HOST', 'PORT', 'USER', 'LOGIN', 'NAME', 'DOMAIN', 'BUCKET', 'ENDPOINT', 'REGION', 'PROVIDER',
              'TYPE', 'PATH', 'SSLMODE', 'VERSION', 'SCHEME', 'ENABLED', 'SERVER', 'ADDRESS', 'MODE', 'PREFIX', 'CA_CERT')

# Secret classes every complete collection has, with the least number of values each.
EXPECTED = {
    'digitalocean_token': 1,
    'database_password': 3,
    'database_uri': 3,
    'spaces_secret': 1,
    'kubernetes_token': 1,
    'smtp_password': 1,
    'iam_secret': 1,
    'vapid_private_key': 1,
    'active_record_key': 3,
    'mastodon_secret': 1,
    'rclone_secret': 1,
    'rclone_crypt_password': 1,
    'inventory_secret': 1,
}


# Every class searched for: the expected ones and those a deployment may or may not have.
CLASSES = sorted(set(EXPECTED) | {'kubernetes_secret', 'aws_credentials', 'private_key'})


def classify(key):
    """The class of a Kubernetes Secret's key (None for a key that holds no secret)."""
    upper = key.upper().replace('-', '_')
    if upper.startswith('BACKUP_CRYPT_') or (upper.startswith('RCLONE_CONFIG_') and upper.endswith(('_PASSWORD', '_PASSWORD2'))):
        return 'rclone_crypt_password'
    if upper.startswith('RCLONE_CONFIG_'):
        return 'rclone_secret' if upper.endswith(('SECRET_ACCESS_KEY', '_KEY', '_TOKEN', '_ACCOUNT_KEY')) and not upper.endswith(NOT_SECRET) else None
    if upper.endswith('.KEY'):
        return 'private_key'
    if upper.startswith('ACTIVE_RECORD_ENCRYPTION_'):
        return 'active_record_key'
    if upper == 'VAPID_PRIVATE_KEY':
        return 'vapid_private_key'
    if upper == 'SMTP_PASSWORD':
        return 'smtp_password'
    if upper in ('SECRET_KEY_BASE', 'OTP_SECRET'):
        return 'mastodon_secret'
    if upper == 'AWS_SECRET_ACCESS_KEY':
        return 'spaces_secret'
    if upper in ('DB_PASS', 'ES_PASS') or upper.endswith('PASSWORD'):
        return 'database_password'
    if upper.endswith(('_URL', '_URI')) and not upper.startswith('HEARTBEAT_'):
        return 'database_uri'
    if upper.endswith(('TOKEN', '_SECRET', '_KEY')) and not upper.endswith(NOT_SECRET):
        return 'kubernetes_secret'
    return None


class Secrets:
    """Named secrets by class: {class: {label: value}}, values shorter than MIN_LENGTH left out."""

    def __init__(self):
        self.by_class = {}

    def add(self, klass, label, value):
        if isinstance(value, str) and len(value) >= MIN_LENGTH:
            self.by_class.setdefault(klass, {})[label] = value

    def forms(self, klass):
        """(label, form name, searched text) of every secret of the class."""
        for label, value in sorted(self.by_class.get(klass, {}).items()):
            yield label, 'as is', value
            yield label, 'base64', base64.b64encode(value.encode('utf-8')).decode('ascii')
            quoted = urllib.parse.quote(value, safe='')
            if quoted != value:
                yield label, 'URL-encoded', quoted
            escaped = json.dumps(value)[1:-1]
            if escaped != value:
                yield label, 'JSON-escaped', escaped


def do_get(sandbox, path):
    response = requests.get(sandbox.do_url + path, headers={'Authorization': 'Bearer ' + sandbox.do_token}, verify=sandbox.ca_bundle, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def walk(document, path=''):
    """(path, key, value) of every string under a JSON document."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield from walk(value, '%s.%s' % (path, key)) if isinstance(value, (dict, list)) else [(path + '.' + key, key, value)]
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from walk(value, '%s[%d]' % (path, index)) if isinstance(value, (dict, list)) else [('%s[%d]' % (path, index), '', value)]


def collect_digitalocean(sandbox, standins, found):
    found.add('digitalocean_token', 'DIGITALOCEAN_ACCESS_TOKEN', sandbox.do_token)
    for cluster in do_get(sandbox, '/v2/databases')['databases']:
        documents = {'cluster': cluster}
        if cluster['engine'] in ('pg', 'opensearch'):
            documents['users'] = do_get(sandbox, '/v2/databases/%s/users' % cluster['id']).get('users') or []
        if cluster['engine'] == 'pg':
            documents['pools'] = do_get(sandbox, '/v2/databases/%s/pools' % cluster['id']).get('pools') or []
        for kind, document in documents.items():
            for path, key, value in walk(document):
                label = '%s %s%s' % (cluster['name'], kind, path)
                if key == 'password':
                    found.add('database_password', label, value)
                elif key == 'uri':
                    found.add('database_uri', label, value)
    for path, key, value in walk(standins.do.state()):
        if key == 'secret_key':
            found.add('spaces_secret', 'Spaces key ' + path, value)
        elif key == 'token':
            found.add('kubernetes_token', 'issued Kubernetes token ' + path, value)
    found.add('kubernetes_token', 'Kubernetes token the stand-in trusts', standins.do.config().get('kubernetes_token'))
    clusters = do_get(sandbox, '/v2/kubernetes/clusters')['kubernetes_clusters']
    for cluster in clusters:
        # What a user downloads (a token of its own, minted now): the same base as every token printed or not.
        response = requests.get(sandbox.do_url + '/v2/kubernetes/clusters/%s/kubeconfig' % cluster['id'],
                                headers={'Authorization': 'Bearer ' + sandbox.do_token}, verify=sandbox.ca_bundle, timeout=30)
        assert response.status_code == 200, response.text
        for user in yaml.safe_load(response.text)['users']:
            found.add('kubernetes_token', 'kubeconfig token of %s (base)' % cluster['name'], user['user']['token'].split('.')[0])


def collect_kubeconfig_files(sandbox, found):
    paths = [sandbox.kubeconfig, os.path.join(sandbox.state_dir, 'doks-sandbox.yaml')]
    for path in paths:
        with open(path, encoding='utf-8') as handle:
            for user in yaml.safe_load(handle)['users']:
                found.add('kubernetes_token', 'token of ' + os.path.basename(path), user['user']['token'])


def collect_kubernetes(standins, found):
    for secret in standins.k8s.objects('secrets'):
        name = '%s/%s' % (secret['metadata'].get('namespace'), secret['metadata']['name'])
        for key, value in (secret.get('data') or {}).items():
            klass = classify(key)
            if klass:
                found.add(klass, 'Secret %s %s' % (name, key), base64.b64decode(value).decode('utf-8', 'replace'))


def collect_aws(sandbox, found):
    """The IAM user's secret access key (its SMTP password is derived from it) from moto's model data, and the
    controller's own AWS credentials."""
    response = requests.get(sandbox.aws_url + '/moto-api/data.json', verify=sandbox.ca_bundle, timeout=60)
    assert response.status_code == 200, response.text[:2000]
    for key in response.json().get('iam', {}).get('AccessKey', []):
        found.add('iam_secret', 'IAM access key %s of %s' % (key.get('access_key_id'), key.get('user_name')), key.get('secret_access_key'))
    found.add('aws_credentials', 'AWS_SECRET_ACCESS_KEY of the controller', sandbox.env.get('AWS_SECRET_ACCESS_KEY'))


def collect_inventory(found):
    with open(os.path.join(INVENTORY, 'host_vars', 'sandbox.fediops.test.yml'), encoding='utf-8') as handle:
        host_vars = yaml.safe_load(handle)
    for key, value in host_vars.items():
        if any(word in key for word in ('password', 'secret', 'token')):
            found.add('inventory_secret', 'inventory ' + key, value)


@pytest.fixture(scope='module')
def runs(standins, sandbox, ansible_env, tmp_path_factory):
    """{run name: (rc, stdout + stderr)} of every run, each also kept in <tmp>/secrets*/<run>.log for a look after a failure
    (``standins`` has reset the stand-ins for the module)."""
    previous = standins.do.config()
    # DigitalOcean resources settle at once (as in test_check_mode.py): the waits print nothing secret.
    standins.do.configure(provision_delay=0, family_provision_delay={'certificates': 0.2, 'firewalls': 0.2})
    logs = tmp_path_factory.mktemp('secrets')
    done = {}
    try:
        with reset_kubernetes(sandbox, ready_delay=0.2, failing_images=[], pod_logs={}):
            for name, playbook, extra, dummy in RUNS:
                run = run_playbook(ansible_env, playbook, '-vvvv', *extra)
                done[name] = (run.returncode, run.stdout + '\n' + run.stderr)
                (logs / (name + '.log')).write_text(run.stdout + '\n----- stderr -----\n' + run.stderr, encoding='utf-8')
    finally:
        standins.do.configure(provision_delay=previous['provision_delay'], family_provision_delay=previous.get('family_provision_delay') or {})
    return done


@pytest.fixture(scope='module')
def secrets(runs, standins, sandbox):
    """The secrets, collected after the runs from the stand-ins."""
    found = Secrets()
    collect_digitalocean(sandbox, standins, found)
    collect_kubeconfig_files(sandbox, found)
    collect_kubernetes(standins, found)
    collect_aws(sandbox, found)
    collect_inventory(found)
    return found


@pytest.mark.parametrize('name, must_succeed', [pytest.param(name, ok, id=name) for name, dummy, dummy2, ok in RUNS])
def test_each_run_ends_as_expected(runs, name, must_succeed):
    rc, text = runs[name]
    assert (rc == 0) is must_succeed, text[-6000:]


@pytest.mark.parametrize('klass, least', sorted(EXPECTED.items()))
def test_every_class_of_secret_was_collected(secrets, klass, least):
    values = secrets.by_class.get(klass, {})
    assert len(values) >= least, 'collected %d %s: %s (all classes: %s)' % (len(values), klass, sorted(values), sorted(secrets.by_class))


def test_every_database_cluster_has_its_password_and_uri_collected(secrets, sandbox):
    clusters = [cluster['name'] for cluster in do_get(sandbox, '/v2/databases')['databases']]
    assert len(clusters) == 3, clusters
    for klass in ('database_password', 'database_uri'):
        missing = [name for name in clusters if not any(label.startswith(name + ' ') for label in secrets.by_class.get(klass, {}))]
        assert not missing, 'no %s of %s' % (klass, missing)


def hits(text, label, form, needle):
    """Each hit of needle in text, with 40 characters either side, the secret masked."""
    found = []
    start = text.find(needle)
    while start >= 0 and len(found) < 3:
        context = text[max(0, start - 40):start + len(needle) + 40].replace(needle, '<%s>' % label)
        found.append('%s (%s): ...%s...' % (label, form, context.replace('\n', '\\n')))
        start = text.find(needle, start + 1)
    return found


def test_the_search_finds_each_secret_of_the_kubernetes_secrets_where_it_is(secrets, standins):
    """The control: the stand-in's Secret objects hold each value collected from them, base64-encoded."""
    text = json.dumps(standins.k8s.objects('secrets'))
    searched = [(label, klass) for klass in CLASSES for label, form, needle in secrets.forms(klass)
                if label.startswith('Secret ') and form == 'base64' and hits(text, label, form, needle)]
    expected = [(label, klass) for klass in CLASSES for label in secrets.by_class.get(klass, {}) if label.startswith('Secret ')]
    assert expected and sorted(searched) == sorted(expected)


@pytest.mark.parametrize('klass', CLASSES)
@pytest.mark.parametrize('name', [name for name, dummy, dummy2, dummy3 in RUNS])
def test_no_secret_in_the_verbose_output(runs, secrets, name, klass):
    dummy, text = runs[name]
    leaks = [line for label, form, needle in secrets.forms(klass) for line in hits(text, label, form, needle)]
    assert not leaks, '%d hit(s) in the -vvvv output of %s:\n%s' % (len(leaks), name, '\n'.join(leaks))
