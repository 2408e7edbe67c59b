# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/backup.yml and playbooks/restore.yml against the Kubernetes stand-in (its controller runs the Jobs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml
from kubernetes import config as kube_config
from kubernetes import dynamic

from tests.emulators.kubernetes.control import KubernetesControl
from tests.integration.conftest import ANSIBLE_PLAYBOOK, REPO_ROOT, PlaybookRun, parse_json_output

NAMESPACE = 'mastodon'
DB_PASSWORD = 'db-password-2c4f9a10'
REPLICAS = {'mastodon-web': 2, 'mastodon-streaming': 1, 'mastodon-sidekiq-default': 3}
ROLE_VARS = {
    'rclone_backup_database': {'host': 'private-db.example.net', 'name': 'mastodon_production', 'user': 'doadmin', 'password': DB_PASSWORD},
    'rclone_backup_media_source': {'bucket': 'example-media', 'endpoint': 'https://nyc3.digitaloceanspaces.com', 'access_key_id': 'K',
                                   'secret_access_key': 'media-secret-9911'},
    'rclone_backup_remotes': [{'name': 'spaces', 'type': 's3', 'path': 'example-backups/mastodon',
                               'options': {'provider': 'DigitalOcean', 'endpoint': 'https://sfo3.digitaloceanspaces.com'}}],
    'rclone_backup_crypt_password': 'crypt-password-77aa01',
    'rclone_backup_poll_interval': 1,
}


def deployment(name, component, replicas):
    labels = {'app.kubernetes.io/name': 'mastodon', 'app.kubernetes.io/instance': 'mastodon', 'app.kubernetes.io/component': component}
    if component == 'sidekiq':
        labels['mastodon.fediops.io/sidekiq-process'] = 'default'
    return {'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': name, 'namespace': NAMESPACE, 'labels': labels},
            'spec': {'replicas': replicas, 'selector': {'matchLabels': labels},
                     'template': {'metadata': {'labels': labels},
                                  'spec': {'containers': [{'name': component, 'image': 'ghcr.io/mastodon/mastodon:v4.7.2'}]}}}}


@pytest.fixture
def k8s(sandbox):
    """The stand-in with Mastodon's namespace, Secret and three Deployments (web, streaming, one Sidekiq process)."""
    control = KubernetesControl(sandbox.k8s_url, sandbox.ca_bundle)
    control.reset()
    saved = control.config()
    control.set_config(ready_delay=0.2)
    client = dynamic.DynamicClient(kube_config.new_client_from_config(config_file=sandbox.kubeconfig))
    bodies = [{'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': NAMESPACE}},
              {'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': 'mastodon-secrets', 'namespace': NAMESPACE},
               'stringData': {'SECRET_KEY_BASE': 'x' * 64}},
              deployment('mastodon-web', 'web', REPLICAS['mastodon-web']),
              deployment('mastodon-streaming', 'streaming', REPLICAS['mastodon-streaming']),
              deployment('mastodon-sidekiq-default', 'sidekiq', REPLICAS['mastodon-sidekiq-default'])]
    for body in bodies:
        client.resources.get(api_version=body['apiVersion'], kind=body['kind']).create(body=body, namespace=body['metadata'].get('namespace'))
    control.clear_requests()
    yield control
    control.set_config(ready_delay=saved['ready_delay'], failing_images=saved['failing_images'], pod_logs=saved['pod_logs'])
    control.clear_faults()


@pytest.fixture
def run_playbook(ansible_env, sandbox, tmp_path):
    """Run a playbook of playbooks/ with -i on a one-host inventory (group mastodon, local connection)."""
    inventory = tmp_path / 'hosts.yml'
    host_vars = dict(ROLE_VARS, ansible_connection='local', ansible_python_interpreter=sys.executable, platform_kubeconfig_path=sandbox.kubeconfig)
    inventory.write_text(yaml.safe_dump({'all': {'children': {'mastodon': {'hosts': {'localhost': host_vars}}}}}))

    def run(name, *extra):
        command = [ANSIBLE_PLAYBOOK, '-i', str(inventory), os.path.join(REPO_ROOT, 'playbooks', name)] + list(extra)
        env = dict(ansible_env, ANSIBLE_STDOUT_CALLBACK='ansible.posix.json')
        proc = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False)
        result = PlaybookRun(rc=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)
        parse_json_output(result)
        return result
    return run


@pytest.fixture
def converged(k8s, playbook):
    run = playbook.run([{'name': 'rclone_backup', 'ansible.builtin.include_role': {'name': 'fediops.mastodon.rclone_backup'}, 'vars': ROLE_VARS}])
    assert run.rc == 0, run.stdout
    k8s.clear_requests()
    return k8s


def failure(run):
    return ' | '.join(str(task.result.get('msg')) for task in run.tasks if task.failed)


def jobs(control):
    return {item['metadata']['name']: item for item in control.objects('jobs.batch', NAMESPACE)}


def replicas(control):
    return {item['metadata']['name']: item['spec']['replicas'] for item in control.objects('deployments.apps', NAMESPACE)}


def test_backup_creates_a_job_from_each_cronjob_and_waits_until_complete(converged, run_playbook):
    run = run_playbook('backup.yml')
    assert run.rc == 0, failure(run) or run.stdout
    cronjobs = {item['metadata']['name']: item for item in converged.objects('cronjobs.batch', NAMESPACE)}
    found = jobs(converged)
    assert len(found) == 3
    for name, job in found.items():
        owner = job['metadata']['ownerReferences'][0]
        assert owner['kind'] == 'CronJob' and owner['uid'] == cronjobs[owner['name']]['metadata']['uid'] and owner['controller'] is True
        assert name.startswith(owner['name'] + '-manual-')
        assert job['metadata']['annotations']['cronjob.kubernetes.io/instantiate'] == 'manual'
        assert job['spec']['template']['spec']['containers'] == cronjobs[owner['name']]['spec']['jobTemplate']['spec']['template']['spec']['containers']
        assert any(c['type'] == 'Complete' and c['status'] == 'True' for c in job['status']['conditions'])


def test_run_now_with_only_the_database_runs_one_job(converged, run_playbook):
    run = run_playbook('backup.yml', '-e', '{"rclone_backup_run_jobs": ["database"]}')
    assert run.rc == 0, failure(run)
    assert [job['metadata']['ownerReferences'][0]['name'] for job in jobs(converged).values()] == ['mastodon-backup-database']


def test_a_failing_backup_fails_the_play_with_the_log_tail(converged, run_playbook):
    converged.set_config(failing_images=['rclone/rclone:*'], pod_logs={'rclone/rclone:*': 'FAILED: upload to spaces failed: AccessDenied 403'})
    run = run_playbook('backup.yml', '-e', '{"rclone_backup_run_jobs": ["database"]}')
    assert run.rc != 0
    message = failure(run)
    assert 'mastodon-backup-database-manual-' in message and 'BackoffLimitExceeded' in message
    assert 'AccessDenied 403' in message


def test_backup_without_the_cronjobs_says_to_apply_the_role(k8s, run_playbook):
    run = run_playbook('backup.yml')
    assert run.rc != 0
    assert 'CronJob mastodon-backup-database, mastodon-backup-media, mastodon-backup-secrets not found' in failure(run)
    assert k8s.writes() == []


def test_restore_scales_to_zero_runs_the_restore_job_and_scales_back(converged, run_playbook):
    run = run_playbook('restore.yml', '-e', '{"restore_dump": "mastodon_production-20260301T041200Z.dump"}')
    assert run.rc == 0, failure(run) or run.stdout
    assert replicas(converged) == REPLICAS
    for item in converged.objects('deployments.apps', NAMESPACE):
        assert 'backup.fediops.io/replicas-before-restore' not in (item['metadata'].get('annotations') or {})
    restore_jobs = [job for job in jobs(converged).values() if job['metadata']['labels']['app.kubernetes.io/component'] == 'restore']
    assert len(restore_jobs) == 1
    pod = restore_jobs[0]['spec']['template']['spec']
    assert [c['name'] for c in pod['initContainers']] == ['fetch', 'restore'] and [c['name'] for c in pod['containers']] == ['media']
    env = {entry['name']: entry.get('value') for entry in pod['initContainers'][1]['env']}
    assert env['BACKUP_RESTORE_DUMP'] == 'mastodon_production-20260301T041200Z.dump' and env['BACKUP_RESTORE_FORCE'] == 'false'
    # Order: every Deployment scaled down, then the Job, then every Deployment scaled back.
    writes = [(entry['verb'], entry['kind'], entry['name']) for entry in converged.writes() if entry['kind'] in ('Deployment', 'Job')]
    job_index = writes.index(('create', 'Job', None))  # a create is a POST to the collection: no name in the log
    assert sorted(name for verb, kind, name in writes[:job_index] if kind == 'Deployment') == sorted(REPLICAS)
    assert sorted(name for verb, kind, name in writes[job_index + 1:] if kind == 'Deployment') == sorted(REPLICAS)


def test_a_failed_restore_scales_back_and_fails_with_the_log(converged, run_playbook):
    # The stand-in serves the logs of main containers only (init containers get no status there): the failure
    # is simulated in the rclone image, which the media step runs as the main container.
    converged.set_config(failing_images=['rclone/rclone:*'], pod_logs={'rclone/rclone:*': 'FAILED: no dump found in spaces:example-backups/mastodon/database'})
    run = run_playbook('restore.yml')
    assert run.rc != 0
    message = failure(run)
    assert 'FAILED: no dump found in spaces:example-backups/mastodon/database' in message and 'restore failed' in message
    assert replicas(converged) == REPLICAS


def test_restore_rejects_a_bad_dump_name_before_any_write(converged, run_playbook):
    run = run_playbook('restore.yml', '-e', '{"restore_dump": "../etc/passwd"}')
    assert run.rc != 0 and 'restore_dump' in failure(run) and 'latest' in failure(run)
    assert converged.writes() == []


def test_managed_restore_creates_a_new_cluster_from_a_backup_and_says_what_to_repoint(k8s, do_emulator, playbook, run_playbook):
    source = playbook.run([{'name': 'source', 'fediops.mastodon.do_database_cluster': {
        'name': 'mastodon-pg', 'engine': 'pg', 'region': 'tor1', 'size': 'db-s-1vcpu-1gb', 'version': '17'}}])
    assert source.rc == 0, failure(source) or source.stdout
    run = run_playbook('restore.yml', '-e', json.dumps({'restore_source': 'managed', 'restore_managed': {
        'cluster_name': 'mastodon-pg-restored', 'source_cluster': 'mastodon-pg'}}))
    assert run.rc == 0, failure(run) or run.stdout
    message = ' '.join(run.task('fediops.mastodon.rclone_backup : Say what to repoint')['msg'])
    assert 'Created cluster mastodon-pg-restored from a backup of mastodon-pg' in message and 'Next:' in message
    created = [entry for entry in do_emulator.writes() if entry.get('method') == 'POST' and entry.get('path', '').endswith('/databases')]
    assert len(created) == 2 and created[1]['body']['backup_restore']['database_name'] == 'mastodon-pg'
    assert created[1]['body']['name'] == 'mastodon-pg-restored'
    assert k8s.writes() == []
