# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real backup round trip: the scripts and environment the role stores in the cluster, run on this
machine against a real PostgreSQL 15 (TLS, verify-full) and moto's S3 through rclone."""

from __future__ import annotations

import os
import subprocess
import tarfile
import time

import pytest

from tests.integration.backup.conftest import APP_PASSWORD, NAMESPACE, checksums, missing_tools
from tests.integration.backup.podrun import PodRunner

pytestmark = pytest.mark.skipif(bool(missing_tools()), reason=missing_tools() or 'PostgreSQL and rclone are installed')

BUCKET = 'backups'
MEDIA_BUCKET = 'media'
PREFIX = 'mastodon'
CRYPT_PASSWORD = 'crypt-pw-0a9f33c1e2'


def read(path):
    with open(path, encoding='utf-8') as handle:
        return handle.read()


def role_vars(sandbox, postgres, heartbeats=None, **overrides):
    keys = {'access_key_id': sandbox.env['AWS_ACCESS_KEY_ID'], 'secret_access_key': sandbox.env['AWS_SECRET_ACCESS_KEY']}
    variables = {
        'rclone_backup_kubeconfig': sandbox.kubeconfig,
        'rclone_backup_database': {'host': '127.0.0.1', 'port': postgres.port, 'name': 'mastodon_production', 'user': 'mastodon',
                                   'password': APP_PASSWORD, 'ca_certificate': read(sandbox.ca_bundle), 'server_version': '15'},
        'rclone_backup_media_source': dict(keys, bucket=MEDIA_BUCKET, endpoint=sandbox.aws_url, region='us-east-1', provider='Other'),
        'rclone_backup_remotes': [{'name': 'offsite', 'type': 's3', 'path': '%s/%s' % (BUCKET, PREFIX),
                                   'options': dict(keys, provider='Other', endpoint=sandbox.aws_url, region='us-east-1')}],
        'rclone_backup_crypt_password': CRYPT_PASSWORD,
        'rclone_backup_ca_bundle': read(sandbox.ca_bundle),
        'rclone_backup_retention_days': 7,
        'rclone_backup_retention_count': 2,
    }
    if heartbeats is not None:
        variables['rclone_backup_heartbeats'] = {job: '%s/hb-%s' % (heartbeats.url, job) for job in ('database', 'media', 'secrets')}
    variables.update(overrides)
    return variables


def converge(playbook, variables, tasks_from=None):
    include = {'name': 'fediops.mastodon.rclone_backup'}
    if tasks_from:
        include['tasks_from'] = tasks_from
    run = playbook.run([{'name': 'rclone_backup', 'ansible.builtin.include_role': include, 'vars': variables}])
    assert run.rc == 0, ' | '.join(str(task.result.get('msg')) for task in run.tasks if task.failed) or run.stdout + run.stderr
    return run


def stored(k8s, resource, name):
    return next(item for item in k8s.objects(resource, NAMESPACE) if item['metadata']['name'] == name)


def cronjob_pod(k8s, job):
    return stored(k8s, 'cronjobs.batch', 'mastodon-backup-' + job)['spec']['jobTemplate']['spec']['template']['spec']


def latest_restore_pod(k8s):
    jobs = [job for job in k8s.objects('jobs.batch', NAMESPACE) if job['metadata']['labels'].get('app.kubernetes.io/component') == 'restore']
    return sorted(jobs, key=lambda job: job['metadata']['name'])[-1]['spec']['template']['spec']


def keys(s3, bucket, prefix=''):
    pages = s3.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item['Key'] for page in pages for item in page.get('Contents', []))


def assert_ran(runs, names):
    assert [run.name for run in runs] == names and all(run.returncode == 0 for run in runs), \
        '\n'.join('--- %s (exit %s)\n%s' % (run.name, run.returncode, run.output) for run in runs)


@pytest.fixture
def runner(k8s, tmp_path):
    return PodRunner(k8s, NAMESPACE, str(tmp_path))


def test_dump_restores_into_a_fresh_database_identically_and_a_non_empty_target_is_refused_unless_forced(
        sandbox, postgres, k8s, s3, playbook, heartbeats, runner):
    s3.create_bucket(Bucket=BUCKET)
    variables = role_vars(sandbox, postgres, heartbeats)
    converge(playbook, variables)

    pod = cronjob_pod(k8s, 'database')
    assert [container['image'] for container in pod['initContainers']] == ['postgres:15']
    assert_ran(runner.run(pod), ['dump', 'upload'])
    dumps = keys(s3, BUCKET, PREFIX + '/database/')
    assert len(dumps) == 1 and dumps[0].startswith(PREFIX + '/database/mastodon_production-') and dumps[0].endswith('.dump')
    assert heartbeats.hits == ['/hb-database']

    original = checksums(postgres, 'mastodon_production')
    assert original['accounts'].startswith('60:') and original['statuses'].startswith('400:')
    postgres.psql('CREATE DATABASE mastodon_restored OWNER mastodon')
    converge(playbook, dict(variables, rclone_backup_restore_database={'name': 'mastodon_restored'}), tasks_from='restore')
    assert_ran(runner.run(latest_restore_pod(k8s)), ['fetch', 'restore', 'media'])
    assert checksums(postgres, 'mastodon_restored') == original

    # The database the backups come from is not empty: the restore refuses and changes nothing.
    time.sleep(1)  # restore Jobs are named by the second
    converge(playbook, variables, tasks_from='restore')
    runs = runner.run(latest_restore_pod(k8s))
    assert [run.name for run in runs] == ['fetch', 'restore'] and runs[-1].returncode != 0
    assert 'refusing to restore into database mastodon_production' in runs[-1].output
    assert checksums(postgres, 'mastodon_production') == original

    # Forced, into the restored (now non-empty) database after changing it: the dump's rows come back.
    postgres.psql("UPDATE statuses SET text = 'changed' WHERE id < 50", database='mastodon_restored', user='mastodon', password=APP_PASSWORD)
    time.sleep(1)
    converge(playbook, dict(variables, rclone_backup_restore_database={'name': 'mastodon_restored'}, rclone_backup_restore_force=True),
             tasks_from='restore')
    assert_ran(runner.run(latest_restore_pod(k8s)), ['fetch', 'restore', 'media'])
    assert checksums(postgres, 'mastodon_restored') == original


def test_a_failing_dump_calls_the_fail_heartbeat_uploads_nothing_and_fails_the_job(sandbox, postgres, k8s, s3, playbook, heartbeats, runner):
    s3.create_bucket(Bucket=BUCKET)
    database = dict(role_vars(sandbox, postgres)['rclone_backup_database'], password='wrong-password-1234')
    converge(playbook, role_vars(sandbox, postgres, heartbeats, rclone_backup_database=database))

    runs = runner.run(cronjob_pod(k8s, 'database'))
    assert [(run.name, run.returncode == 0) for run in runs] == [('dump', True), ('upload', False)]
    assert 'password authentication failed' in runs[-1].output
    assert heartbeats.hits == ['/hb-database/fail']
    assert keys(s3, BUCKET) == []


def test_media_sync_keeps_a_file_deleted_at_the_source_in_the_backup_dir_and_restores_it(
        sandbox, postgres, k8s, s3, playbook, heartbeats, runner):
    s3.create_bucket(Bucket=BUCKET)
    s3.create_bucket(Bucket=MEDIA_BUCKET)
    media = {'accounts/avatars/000/001/original/a.png': b'\x89PNG avatar', 'media_attachments/files/110/2/original/b.jpg': b'\xff\xd8 jpeg',
             'cache/preview_cards/c.webp': b'RIFF webp'}
    for key, body in media.items():
        s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=body)
    # A backup dir of a sync long past the retention (90 days by default) is purged by the next sync.
    s3.put_object(Bucket=BUCKET, Key=PREFIX + '/media/deleted/20200101T000000Z/old.png', Body=b'old')
    variables = role_vars(sandbox, postgres, heartbeats)
    converge(playbook, variables)
    pod = cronjob_pod(k8s, 'media')

    assert_ran(runner.run(pod), ['sync'])
    current = PREFIX + '/media/current/'
    assert keys(s3, BUCKET, current) == sorted(current + key for key in media)
    assert heartbeats.hits == ['/hb-media']
    assert keys(s3, BUCKET, PREFIX + '/media/deleted/') == []

    gone = 'media_attachments/files/110/2/original/b.jpg'
    s3.delete_object(Bucket=MEDIA_BUCKET, Key=gone)
    time.sleep(1)  # the backup dir is named by the second
    assert_ran(runner.run(pod), ['sync'])
    assert current + gone not in keys(s3, BUCKET, current)
    deleted = keys(s3, BUCKET, PREFIX + '/media/deleted/')
    assert len(deleted) == 1 and deleted[0].endswith('/' + gone)
    assert s3.get_object(Bucket=BUCKET, Key=deleted[0])['Body'].read() == media[gone]

    # The restore Job's media step, with the files deleted at the source: the file is back in the bucket.
    converge(playbook, dict(variables, rclone_backup_restore_media=True, rclone_backup_restore_media_include_deleted=True), tasks_from='restore')
    assert_ran(runner.run(latest_restore_pod(k8s), only=['media']), ['media'])
    assert s3.get_object(Bucket=MEDIA_BUCKET, Key=gone)['Body'].read() == media[gone]
    assert keys(s3, MEDIA_BUCKET) == sorted(media)


def test_retention_deletes_only_files_older_than_the_limit_and_never_the_newest_count(sandbox, postgres, k8s, s3, playbook, runner, tmp_path):
    s3.create_bucket(Bucket=BUCKET)
    converge(playbook, role_vars(sandbox, postgres, rclone_backup_retention_days=7, rclone_backup_retention_count=2))
    ages = {'mastodon_production-a.dump': 40, 'mastodon_production-b.dump': 30, 'mastodon_production-c.dump': 20, 'mastodon_production-d.dump': 2}
    local = tmp_path / 'old'
    local.mkdir()
    for name, days in ages.items():
        path = local / name
        path.write_bytes(name.encode())
        stamp = time.time() - days * 86400
        os.utime(path, (stamp, stamp))
    env = dict(PATH=os.environ['PATH'], HOME=str(tmp_path), RCLONE_CONFIG='/dev/null', RCLONE_CONFIG_T_TYPE='s3', RCLONE_CONFIG_T_PROVIDER='Other',
               RCLONE_CONFIG_T_ENDPOINT=sandbox.aws_url, RCLONE_CONFIG_T_REGION='us-east-1', RCLONE_CONFIG_T_ACCESS_KEY_ID=sandbox.env['AWS_ACCESS_KEY_ID'],
               RCLONE_CONFIG_T_SECRET_ACCESS_KEY=sandbox.env['AWS_SECRET_ACCESS_KEY'], RCLONE_CA_CERT=sandbox.ca_bundle)
    copied = subprocess.run(['rclone', 'copy', str(local), 't:%s/%s/database' % (BUCKET, PREFIX)], env=env, check=False, capture_output=True, text=True)
    assert copied.returncode == 0, copied.stderr

    pod = cronjob_pod(k8s, 'database')
    result = runner.exec(pod, 'upload', ['/bin/sh', '/opt/backup/retention.sh', 'offsite:%s/%s/database' % (BUCKET, PREFIX)])
    assert result.returncode == 0, result.output
    # a and b are past 7 days and not among the 2 newest; c is past 7 days but one of the 2 newest; d is recent.
    assert keys(s3, BUCKET, PREFIX + '/database/') == [PREFIX + '/database/mastodon_production-c.dump', PREFIX + '/database/mastodon_production-d.dump']


def test_secrets_bundle_is_stored_encrypted_and_decrypts_to_the_secret_values(sandbox, postgres, k8s, s3, playbook, heartbeats, runner, tmp_path):
    s3.create_bucket(Bucket=BUCKET)
    converge(playbook, role_vars(sandbox, postgres, heartbeats))
    secret = runner.secret_data('mastodon-secrets')

    assert_ran(runner.run(cronjob_pod(k8s, 'secrets')), ['upload'])
    assert heartbeats.hits == ['/hb-secrets']
    stored_keys = keys(s3, BUCKET, PREFIX + '/secrets/')
    assert len(stored_keys) == 1 and 'mastodon-secrets' not in stored_keys[0]
    body = s3.get_object(Bucket=BUCKET, Key=stored_keys[0])['Body'].read()
    for value in list(secret.values()) + list(secret):
        assert value.encode() not in body

    obscured = subprocess.run(['rclone', 'obscure', CRYPT_PASSWORD], capture_output=True, text=True, check=True).stdout.strip()
    env = dict(PATH=os.environ['PATH'], HOME=str(tmp_path), RCLONE_CONFIG='/dev/null', RCLONE_CONFIG_T_TYPE='s3', RCLONE_CONFIG_T_PROVIDER='Other',
               RCLONE_CONFIG_T_ENDPOINT=sandbox.aws_url, RCLONE_CONFIG_T_REGION='us-east-1', RCLONE_CONFIG_T_ACCESS_KEY_ID=sandbox.env['AWS_ACCESS_KEY_ID'],
               RCLONE_CONFIG_T_SECRET_ACCESS_KEY=sandbox.env['AWS_SECRET_ACCESS_KEY'], RCLONE_CA_CERT=sandbox.ca_bundle,
               RCLONE_CONFIG_DEC_TYPE='crypt', RCLONE_CONFIG_DEC_REMOTE='t:%s/%s/secrets' % (BUCKET, PREFIX), RCLONE_CONFIG_DEC_PASSWORD=obscured)
    out = tmp_path / 'decrypted'
    copied = subprocess.run(['rclone', 'copy', 'dec:', str(out)], env=env, check=False, capture_output=True, text=True)
    assert copied.returncode == 0, copied.stderr
    bundles = list(out.iterdir())
    assert len(bundles) == 1 and bundles[0].name.startswith('mastodon-secrets-') and bundles[0].name.endswith('.tar')
    with tarfile.open(bundles[0]) as archive:
        restored = {os.path.basename(member.name): archive.extractfile(member).read().decode('utf-8')
                    for member in archive.getmembers() if member.isfile()}
    assert restored == secret
