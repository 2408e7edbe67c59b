# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rclone_backup role through ansible-playbook against the sandbox's Kubernetes stand-in."""

from __future__ import annotations

import base64

import pytest
from kubernetes import config as kube_config
from kubernetes import dynamic

from tests.emulators.kubernetes.control import KubernetesControl

NAMESPACE = 'mastodon'
DB_PASSWORD = 'db-password-5d1e0b77c2'
REMOTE_SECRET = 'remote-secret-key-8a6f2c'
MEDIA_SECRET = 'media-secret-key-3b9e41'
CRYPT_PASSWORD = 'crypt-password-c07e9d55'
HEARTBEAT = 'https://uptime.example.net/api/v1/heartbeat/token-7f3a'


@pytest.fixture
def k8s(sandbox):
    """The Kubernetes stand-in, reset, with an empty mastodon namespace."""
    control = KubernetesControl(sandbox.k8s_url, sandbox.ca_bundle)
    control.reset()
    client = dynamic.DynamicClient(kube_config.new_client_from_config(config_file=sandbox.kubeconfig))
    client.resources.get(api_version='v1', kind='Namespace').create(body={'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': NAMESPACE}})
    control.clear_requests()
    yield control
    control.clear_faults()


def variables(**overrides):
    result = {
        'rclone_backup_database': {'host': 'private-db.example.net', 'name': 'mastodon_production', 'user': 'doadmin', 'password': DB_PASSWORD},
        'rclone_backup_media_source': {'bucket': 'example-media', 'endpoint': 'https://nyc3.digitaloceanspaces.com', 'region': 'nyc3',
                                       'access_key_id': 'MEDIAKEY', 'secret_access_key': MEDIA_SECRET},
        'rclone_backup_remotes': [
            {'name': 'spaces', 'type': 's3', 'path': 'example-backups/mastodon',
             'options': {'provider': 'DigitalOcean', 'endpoint': 'https://sfo3.digitaloceanspaces.com', 'access_key_id': 'BACKUPKEY',
                         'secret_access_key': REMOTE_SECRET}},
            {'name': 'b2', 'type': 'b2', 'path': 'example-b2/mastodon', 'options': {'account': 'acc', 'key': 'b2-key', 'hard_delete': True}}],
        'rclone_backup_crypt_password': CRYPT_PASSWORD,
        'rclone_backup_heartbeats': {'database': HEARTBEAT},
    }
    result.update(overrides)
    return result


def role(**overrides):
    return {'name': 'rclone_backup', 'ansible.builtin.include_role': {'name': 'fediops.mastodon.rclone_backup'}, 'vars': variables(**overrides)}


def failure(run):
    return ' | '.join(str(task.result.get('msg')) for task in run.tasks if task.failed)


def by_name(control, resource):
    return {item['metadata']['name']: item for item in control.objects(resource, NAMESPACE)}


def test_converge_applies_secret_scripts_and_cronjobs_and_a_rerun_mutates_nothing(k8s, playbook):
    run = playbook.run([role()])
    assert run.rc == 0, failure(run) or run.stdout

    cronjobs = by_name(k8s, 'cronjobs.batch')
    assert sorted(cronjobs) == ['mastodon-backup-database', 'mastodon-backup-media', 'mastodon-backup-secrets']
    database = cronjobs['mastodon-backup-database']['spec']
    assert database['schedule'] == '17 */6 * * *' and database['concurrencyPolicy'] == 'Forbid'
    assert database['startingDeadlineSeconds'] == 3600
    assert database['successfulJobsHistoryLimit'] == 3 and database['failedJobsHistoryLimit'] == 3
    job = database['jobTemplate']['spec']
    assert job['backoffLimit'] == 1 and job['activeDeadlineSeconds'] == 7200
    pod = job['template']['spec']
    assert [c['image'] for c in pod['initContainers']] == ['postgres:17'] and [c['image'] for c in pod['containers']] == ['rclone/rclone:1.71']
    upload_env = {entry['name']: entry for entry in pod['containers'][0]['env']}
    assert upload_env['BACKUP_TARGETS']['value'] == 'spaces:example-backups/mastodon b2:example-b2/mastodon'
    assert upload_env['BACKUP_HEARTBEAT_URL']['valueFrom']['secretKeyRef'] == {'name': 'mastodon-backup-env', 'key': 'HEARTBEAT_DATABASE', 'optional': True}
    secrets_pod = cronjobs['mastodon-backup-secrets']['spec']['jobTemplate']['spec']['template']['spec']
    assert {'name': 'mastodon-secrets', 'secret': {'secretName': 'mastodon-secrets', 'defaultMode': 288}} in secrets_pod['volumes']

    secret = by_name(k8s, 'secrets')['mastodon-backup-env']
    data = {key: base64.b64decode(value).decode() for key, value in secret['data'].items()}
    assert data['RCLONE_CONFIG_SPACES_TYPE'] == 's3' and data['RCLONE_CONFIG_SPACES_SECRET_ACCESS_KEY'] == REMOTE_SECRET
    assert data['RCLONE_CONFIG_B2_TYPE'] == 'b2' and data['RCLONE_CONFIG_B2_HARD_DELETE'] == 'true'
    assert data['RCLONE_CONFIG_MASTODONMEDIA_ENDPOINT'] == 'https://nyc3.digitaloceanspaces.com'
    assert (data['PGHOST'], data['PGPORT'], data['PGSSLMODE'], data['PGPASSWORD']) == ('private-db.example.net', '25060', 'require', DB_PASSWORD)
    assert data['BACKUP_CRYPT_PASSWORD'] == CRYPT_PASSWORD and data['HEARTBEAT_DATABASE'] == HEARTBEAT
    assert 'HEARTBEAT_MEDIA' not in data
    scripts = by_name(k8s, 'configmaps')['mastodon-backup-scripts']['data']
    assert {'lib.sh', 'database-dump.sh', 'database-upload.sh', 'retention.sh', 'media-sync.sh', 'secrets-upload.sh',
            'restore-fetch.sh', 'database-restore.sh', 'media-restore.sh'} <= set(scripts)
    # Accepted by the stand-in's schema validation with nothing pruned.
    assert [(entry['kind'], entry['name'], entry['warnings']) for entry in k8s.requests() if entry.get('warnings')] == []

    k8s.clear_requests()
    rerun = playbook.run([role()])
    assert rerun.rc == 0 and rerun.changed == 0, failure(rerun) or rerun.stdout
    assert k8s.mutations() == []


def test_a_job_left_out_loses_its_cronjob_and_a_ca_switches_to_verify_full(k8s, playbook):
    assert playbook.run([role()]).rc == 0
    ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    database = dict(variables()['rclone_backup_database'], ca_certificate=ca)
    run = playbook.run([role(rclone_backup_jobs=['database', 'secrets'], rclone_backup_database=database)])
    assert run.rc == 0, failure(run)
    assert sorted(by_name(k8s, 'cronjobs.batch')) == ['mastodon-backup-database', 'mastodon-backup-secrets']
    assert by_name(k8s, 'configmaps')['mastodon-backup-scripts']['data']['db-ca.crt'].strip() == ca.strip()
    pod = by_name(k8s, 'cronjobs.batch')['mastodon-backup-database']['spec']['jobTemplate']['spec']['template']['spec']
    assert {'name': 'PGSSLROOTCERT', 'value': '/opt/backup/db-ca.crt'} in pod['initContainers'][0]['env']
    assert base64.b64decode(by_name(k8s, 'secrets')['mastodon-backup-env']['data']['PGSSLMODE']) == b'verify-full'


def test_check_mode_on_an_empty_namespace_writes_nothing(k8s, playbook):
    run = playbook.run([role()], check=True)
    assert run.rc == 0, failure(run) or run.stdout
    assert k8s.writes() == []
    assert by_name(k8s, 'cronjobs.batch') == {} and 'mastodon-backup-env' not in by_name(k8s, 'secrets')


@pytest.mark.parametrize('overrides, expected', [
    ({'rclone_backup_schedules': {'database': '61 * * * *', 'media': '0 3 * * *', 'secrets': '0 4 * * 0'}},
     ['rclone_backup_schedules.database', '61 * * * *', 'minute', '0-59']),
    ({'rclone_backup_schedules': {'database': '0 3 * *', 'media': '0 3 * * *', 'secrets': '0 4 * * 0'}},
     ['rclone_backup_schedules.database', '5 fields']),
    ({'rclone_backup_schedules': {'database': '0 3 * * mon-sun/x', 'media': '0 3 * * *', 'secrets': '0 4 * * 0'}},
     ['rclone_backup_schedules.database', 'day of week', 'allowed']),
    ({'rclone_backup_retention_days': 0}, ['rclone_backup_retention_days = 0', '1 or more']),
    ({'rclone_backup_retention_count': 0}, ['rclone_backup_retention_count = 0', '1 or more']),
    ({'rclone_backup_remotes': [{'name': 'x', 'type': 'ftp', 'path': 'b/p'}]}, ['type', 'ftp', 's3', 'b2']),
    ({'rclone_backup_remotes': [{'name': 'My-Remote', 'type': 's3', 'path': 'b/p'}]}, ['rclone_backup_remotes[0].name', 'My-Remote', 'lowercase']),
    ({'rclone_backup_database': {'name': 'db', 'user': 'u', 'password': DB_PASSWORD}}, ['host', 'rclone_backup_database']),
])
def test_bad_input_fails_before_any_write_naming_the_field_the_value_and_what_is_allowed(k8s, playbook, overrides, expected):
    run = playbook.run([role(**overrides)])
    assert run.rc != 0
    message = failure(run)
    for text in expected:
        assert text in message, message
    assert DB_PASSWORD not in message
    assert k8s.writes() == []


@pytest.mark.usefixtures('k8s')
def test_no_secret_appears_in_verbose_output(playbook):
    run = playbook.run([role()], verbosity=4, text=True)
    assert run.rc == 0, run.stdout[-3000:]
    output = run.stdout + run.stderr
    for secret in (DB_PASSWORD, REMOTE_SECRET, MEDIA_SECRET, CRYPT_PASSWORD, 'token-7f3a', base64.b64encode(DB_PASSWORD.encode()).decode()):
        assert secret not in output
