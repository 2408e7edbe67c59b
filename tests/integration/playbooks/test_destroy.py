# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/destroy.yml with the sandbox inventory, against one instance provision.yml built.

The instance is provisioned once for the module. The refusals and --check come first (they must leave
it whole), then the destroy itself, the destroy of the media, and a second destroy that must change nothing.
"""

from __future__ import annotations

import os
import re
import subprocess

import boto3
import pytest
import requests
from botocore.config import Config

from tests.emulators.aws.control import AwsEmulatorControl
from tests.emulators.digitalocean.control import EmulatorControl
from tests.emulators.kubernetes.control import KubernetesControl
from tests.integration.conftest import ANSIBLE_PLAYBOOK, REPO_ROOT
from tests.integration.playbooks.test_provision import run_provision

INVENTORY = os.path.join(REPO_ROOT, 'inventories', 'sandbox')
PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'destroy.yml')
DOMAIN = 'sandbox.fediops.test'
MEDIA_BUCKET = 'sandbox-mastodon-media'
BACKUP_BUCKET = 'sandbox-backups'
BACKUP_KEY = 'sandbox-backups'
IAM_USER = 'ses-smtp-sandbox-fediops-test'
IAM_POLICY = 'ses-send-raw-email'
# A record of the operator's own in the zone (mail of the domain's users): destroy must leave it.
OPERATOR_MX = {'type': 'MX', 'name': '@', 'data': 'mx.mail.example.net.', 'priority': 10, 'ttl': 3600}
KEPT_DEFAULT_VPCS = {'default-tor1', 'default-nyc3', 'default-sfo3'}


class Stand:
    """The three stand-ins of the private sandbox."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.do = EmulatorControl(sandbox.do_url, sandbox.ca_bundle)
        self.k8s = KubernetesControl(sandbox.k8s_url, sandbox.ca_bundle)
        self.aws = AwsEmulatorControl(sandbox.aws_url, sandbox.ca_bundle)
        self.kubeconfig = os.path.join(sandbox.state_dir, 'doks-sandbox.yaml')
        self.provisioned = {}
        self.secrets = []

    def clear_logs(self):
        self.do.clear_requests()
        self.k8s.clear_requests()
        self.aws.clear_requests()

    def assert_no_write(self):
        assert self.do.writes() == [], 'DigitalOcean writes: %s' % self.do.writes()
        assert self.k8s.mutations() == [], 'Kubernetes mutations: %s' % self.k8s.mutations()
        assert self.aws.writes() == [], 'Spaces/AWS writes: %s' % self.aws.writes()

    def spaces(self, region):
        env = self.sandbox.env
        return boto3.session.Session().client(
            's3', region_name=region, endpoint_url=env['SPACES_ENDPOINT_URL'], verify=self.sandbox.ca_bundle,
            aws_access_key_id=env['SPACES_ACCESS_KEY_ID'], aws_secret_access_key=env['SPACES_SECRET_ACCESS_KEY'],
            config=Config(s3={'addressing_style': 'path'}, signature_version='s3v4'))

    def iam(self):
        env = self.sandbox.env
        return boto3.session.Session().client(
            'iam', region_name=env['AWS_REGION'], endpoint_url=env['AWS_ENDPOINT_URL'], verify=self.sandbox.ca_bundle,
            aws_access_key_id=env['AWS_ACCESS_KEY_ID'], aws_secret_access_key=env['AWS_SECRET_ACCESS_KEY'])

    def iam_user_exists(self):
        return IAM_USER in [user['UserName'] for user in self.iam().list_users()['Users']]

    def iam_user_grants(self):
        """(access key ids, inline policy names) of the SMTP IAM user."""
        iam = self.iam()
        keys = [key['AccessKeyId'] for key in iam.list_access_keys(UserName=IAM_USER)['AccessKeyMetadata']]
        return keys, iam.list_user_policies(UserName=IAM_USER)['PolicyNames']

    def ses_identities(self):
        return self.aws.state()['ses_identities']

    def add_operator_record(self):
        response = requests.post('%s/v2/domains/%s/records' % (self.sandbox.do_url.rstrip('/'), DOMAIN), json=OPERATOR_MX, timeout=30,
                                 headers={'Authorization': 'Bearer ' + self.sandbox.do_token}, verify=self.sandbox.ca_bundle)
        response.raise_for_status()

    def buckets(self):
        return {bucket['name'] for bucket in self.aws.state()['s3_buckets']}

    def do_inventory(self):
        """What the DigitalOcean account holds besides the seed: {kind: sorted names}."""
        state = self.do.state()
        registry = state.get('registry')
        return {
            'vpcs': sorted(vpc['name'] for vpc in state['vpcs'] if vpc['name'] not in KEPT_DEFAULT_VPCS),
            'kubernetes_clusters': sorted(cluster['name'] for cluster in state['kubernetes_clusters']),
            'database_clusters': sorted(cluster['name'] for cluster in state['database_clusters']),
            'certificates': sorted(cert['name'] for cert in state['certificates']),
            'cdn_endpoints': sorted(endpoint['origin'] for endpoint in state['cdn_endpoints']),
            'spaces_keys': sorted(key['name'] for key in state['spaces_keys']),
            'registry': [registry['name']] if registry else [],
            'domains': sorted(domain['name'] for domain in state['domains']),
        }

    def zone_records(self):
        """The records of the instance's zone besides DigitalOcean's SOA and NS records, as (type, name)."""
        for domain in self.do.state()['domains']:
            if domain['name'] == DOMAIN:
                return sorted((r['type'], r['name']) for r in domain['records'] if r['type'] not in ('SOA', 'NS'))
        return None


def run_destroy(ansible_env, *extra):
    env = dict(ansible_env, ANSIBLE_STDOUT_CALLBACK='default')
    return subprocess.run([ANSIBLE_PLAYBOOK, '-i', INVENTORY, PLAYBOOK] + list(extra), env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=900, check=False)


def recap(run):
    return run.stdout.rsplit('PLAY RECAP', 1)[-1]


@pytest.fixture(name='stand', scope='module')
def stand_fixture(sandbox, ansible_env):
    """One provisioned instance (with an object in the media and one in the backup bucket) for the whole module."""
    stand = Stand(sandbox)
    stand.do.reset()
    stand.k8s.reset()
    stand.aws.reset()
    provision = run_provision(ansible_env)
    assert provision.returncode == 0, provision.stdout[-5000:] + provision.stderr
    stand.spaces('nyc3').put_object(Bucket=MEDIA_BUCKET, Key='media_attachments/files/1/original/cat.png', Body=b'cat')
    stand.spaces('sfo3').put_object(Bucket=BACKUP_BUCKET, Key='postgres/mastodon-latest.dump', Body=b'dump')
    stand.add_operator_record()
    stand.provisioned = stand.do_inventory()
    state = stand.do.state()
    stand.secrets = [key['secret_key'] for key in state['spaces_keys'] if key.get('secret_key')]
    stand.secrets += [cluster['connection']['password'] for cluster in state['database_clusters'] if cluster.get('connection', {}).get('password')]
    stand.clear_logs()
    yield stand
    violations = stand.do.contract_violations()
    assert not violations, 'emulator responses broke the OpenAPI contract: %s' % violations


def test_provisioned_instance_is_what_destroy_must_remove(stand):
    assert stand.provisioned == {
        'vpcs': ['sandbox-mastodon-vpc'],
        'kubernetes_clusters': ['sandbox-k8s'],
        'database_clusters': ['sandbox-pg', 'sandbox-search', 'sandbox-valkey'],
        'certificates': ['sandbox-cdn'],
        'cdn_endpoints': ['sandbox-mastodon-media.nyc3.digitaloceanspaces.com'],
        'spaces_keys': [BACKUP_KEY, 'sandbox-mastodon-media'],
        'registry': ['fediops-sandbox'],
        'domains': [DOMAIN],
    }
    records = stand.zone_records()
    assert {('A', '@'), ('CNAME', 'cdn'), ('MX', '@'), ('MX', 'bounces'), ('TXT', 'bounces'), ('TXT', '_dmarc'), ('TXT', '@')} <= set(records)
    assert len([name for kind, name in records if kind == 'CNAME' and name.endswith('._domainkey')]) == 3
    keys, policies = stand.iam_user_grants()
    assert stand.ses_identities() and len(keys) == 1 and policies == [IAM_POLICY]
    assert os.path.exists(stand.kubeconfig)


def test_destroy_without_confirmation_fails_before_any_write(stand, ansible_env):
    run = run_destroy(ansible_env)
    assert run.returncode != 0
    assert 'confirm_destroy=(not set)' in run.stdout
    assert 'expected confirm_destroy=%s' % DOMAIN in run.stdout
    stand.assert_no_write()
    assert stand.do_inventory() == stand.provisioned


def test_destroy_with_the_wrong_confirmation_fails_before_any_write(stand, ansible_env):
    run = run_destroy(ansible_env, '-e', 'confirm_destroy=other.example')
    assert run.returncode != 0
    assert 'confirm_destroy=other.example' in run.stdout
    assert 'expected confirm_destroy=%s' % DOMAIN in run.stdout
    stand.assert_no_write()
    assert stand.do_inventory() == stand.provisioned


def test_destroy_refuses_when_the_media_bucket_is_the_backup_bucket(stand, ansible_env):
    run = run_destroy(ansible_env, '-e', 'confirm_destroy=%s' % DOMAIN, '-e', 'destroy_media=true',
                      '-e', 'platform_media_bucket=%s' % BACKUP_BUCKET)
    assert run.returncode != 0
    assert 'platform_backup_bucket=%s' % BACKUP_BUCKET in run.stdout
    assert 'backups are never deleted' in run.stdout
    stand.assert_no_write()
    assert BACKUP_BUCKET in stand.buckets()


def test_check_mode_lists_every_resource_and_writes_nothing(stand, ansible_env):
    run = run_destroy(ansible_env, '-e', 'confirm_destroy=%s' % DOMAIN, '-e', 'destroy_media=true', '--check')
    assert run.returncode == 0, run.stdout + run.stderr
    summary = run.stdout.rsplit('What was removed and what was kept', 1)[-1]
    for line in ('DNS A record: @', 'DNS CNAME record: cdn', 'DNS MX record: bounces', 'DNS TXT record: bounces', 'DNS TXT record: _dmarc',
                 'DNS TXT record: @', 'SES identity: %s' % DOMAIN, 'IAM access key: ', 'IAM policy: %s (of %s)' % (IAM_POLICY, IAM_USER),
                 'CDN endpoint: %s.nyc3' % MEDIA_BUCKET, 'certificate: sandbox-cdn', 'Spaces key: sandbox-mastodon-media',
                 'Spaces bucket: %s (nyc3, with every object)' % MEDIA_BUCKET,
                 'database cluster: sandbox-pg', 'database cluster: sandbox-valkey', 'database cluster: sandbox-search',
                 'Kubernetes cluster: sandbox-k8s', 'container registry: fediops-sandbox', 'VPC: sandbox-mastodon-vpc',
                 'kubeconfig file: %s' % stand.kubeconfig,
                 'Spaces bucket: %s (backups are never deleted)' % BACKUP_BUCKET,
                 'Spaces key: %s (backups are never deleted)' % BACKUP_KEY):
        assert line in summary, line + ' missing from:\n' + summary
    assert summary.count('._domainkey') == 3
    stand.assert_no_write()
    assert stand.do_inventory() == stand.provisioned
    assert os.path.exists(stand.kubeconfig)


@pytest.fixture(name='destroyed', scope='module')
def destroyed_fixture(stand, ansible_env):  # pylint: disable=unused-argument
    """The instance destroyed with the defaults (media and DNS zone kept), at -vvvv."""
    run = run_destroy(ansible_env, '-e', 'confirm_destroy=%s' % DOMAIN, '-vvvv')
    return run


def test_destroy_removes_everything_but_media_backups_and_the_zone(stand, destroyed):
    assert destroyed.returncode == 0, destroyed.stdout[-8000:] + destroyed.stderr
    assert stand.do_inventory() == {
        'vpcs': [], 'kubernetes_clusters': [], 'database_clusters': [], 'certificates': [], 'cdn_endpoints': [],
        'spaces_keys': [BACKUP_KEY], 'registry': [], 'domains': [DOMAIN],
    }
    assert stand.zone_records() == [('MX', '@')], 'the records provision made go, the operator\'s own and the zone stay'
    assert stand.ses_identities() == []
    assert not stand.iam_user_exists(), 'nothing may send mail as the instance any more'
    assert not os.path.exists(stand.kubeconfig)
    assert stand.buckets() == {MEDIA_BUCKET, BACKUP_BUCKET}
    assert stand.spaces('nyc3').list_objects_v2(Bucket=MEDIA_BUCKET)['KeyCount'] == 1, 'media is kept by default'
    assert 'set destroy_media=true to delete it' in destroyed.stdout


def test_destroy_prints_no_secret_at_vvvv(stand, destroyed):
    secrets = [stand.sandbox.env[name] for name in ('DIGITALOCEAN_ACCESS_TOKEN', 'SPACES_SECRET_ACCESS_KEY', 'AWS_SECRET_ACCESS_KEY')]
    secrets += stand.secrets
    assert len(secrets) >= 5, 'the Spaces key secrets and database passwords of the instance'
    assert '<sandbox.fediops.test> ESTABLISH LOCAL CONNECTION' in destroyed.stdout, 'the run must really be at -vvvv'
    for secret in secrets:
        assert secret not in destroyed.stdout + destroyed.stderr


@pytest.fixture(name='media_destroyed', scope='module')
def media_destroyed_fixture(destroyed, ansible_env):  # pylint: disable=unused-argument
    """After the default destroy: the same with destroy_media=true."""
    return run_destroy(ansible_env, '-e', 'confirm_destroy=%s' % DOMAIN, '-e', 'destroy_media=true')


def test_destroy_media_deletes_the_media_bucket_and_never_the_backups(stand, media_destroyed):
    assert media_destroyed.returncode == 0, media_destroyed.stdout[-8000:] + media_destroyed.stderr
    assert stand.buckets() == {BACKUP_BUCKET}
    assert stand.spaces('sfo3').list_objects_v2(Bucket=BACKUP_BUCKET)['KeyCount'] == 1
    assert [key['name'] for key in stand.do.state()['spaces_keys']] == [BACKUP_KEY]
    assert re.search(r'changed=1\s', recap(media_destroyed)), recap(media_destroyed)


def test_second_destroy_changes_nothing_and_writes_nothing(stand, ansible_env, media_destroyed):
    assert media_destroyed.returncode == 0
    stand.clear_logs()
    run = run_destroy(ansible_env, '-e', 'confirm_destroy=%s' % DOMAIN, '-e', 'destroy_media=true')
    assert run.returncode == 0, run.stdout + run.stderr
    assert 'changed=0' in recap(run)
    assert 'nothing (the instance is already gone)' in run.stdout
    stand.assert_no_write()


def test_destroy_dns_zone_deletes_the_zone(stand, ansible_env, media_destroyed):
    assert media_destroyed.returncode == 0
    run = run_destroy(ansible_env, '-e', 'confirm_destroy=%s' % DOMAIN, '-e', 'destroy_dns_zone=true')
    assert run.returncode == 0, run.stdout + run.stderr
    assert stand.do_inventory()['domains'] == []
    assert stand.buckets() == {BACKUP_BUCKET}
    again = run_destroy(ansible_env, '-e', 'confirm_destroy=%s' % DOMAIN, '-e', 'destroy_dns_zone=true')
    assert again.returncode == 0, again.stdout + again.stderr
    assert 'changed=0' in recap(again)
