# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/upgrade.yml with the sandbox inventory: refusals, failures that leave the old version serving, the upgrade.

The instance is provisioned once at 4.6 (module fixture); the tests then run in file order: the
refusals (each without a single write), a failing pre-deploy migration, a rollout that never becomes
available (rolled back), the upgrade to 4.7, its re-run, and the downgrade refused afterwards. Each
ansible-playbook run takes about a minute (the platform role reads the whole DigitalOcean side first).
"""

from __future__ import annotations

import os
import re
import subprocess

import kubernetes
import pytest

from tests.emulators.digitalocean.control import EmulatorControl
from tests.integration.standins import reset_kubernetes
from tests.integration.conftest import ANSIBLE_PLAYBOOK, REPO_ROOT

INVENTORY = os.path.join(REPO_ROOT, 'inventories', 'sandbox')
PROVISION = os.path.join(REPO_ROOT, 'playbooks', 'provision.yml')
UPGRADE = os.path.join(REPO_ROOT, 'playbooks', 'upgrade.yml')
NAMESPACE = 'mastodon'
WEB = 'mastodon-web'
STREAMING = 'mastodon-streaming'
OLD = 'v4.6.5'
NEW = 'v4.7.4'
# provision.yml deploys the backup CronJobs; every upgrade first runs the database one now and waits.
BACKUP_CRONJOB = 'mastodon-backup-database'


def run_playbook(ansible_env, playbook, *extra):
    env = dict(ansible_env, ANSIBLE_STDOUT_CALLBACK='default')
    return subprocess.run([ANSIBLE_PLAYBOOK, '-i', INVENTORY, playbook] + list(extra), env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=1800, check=False)


def upgrade(ansible_env, *extra):
    return run_playbook(ansible_env, UPGRADE, *extra)


def output(run):
    return re.sub(r'\s+', ' ', run.stdout + run.stderr)


def expect(text, *fragments):
    """Every fragment is in the output (the tail of the output is shown when one is missing)."""
    missing = [fragment for fragment in fragments if fragment not in text]
    assert not missing, 'missing %r in: ...%s' % (missing, text[-4000:])


def recap(run):
    match = re.search(r'ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)', run.stdout.rsplit('PLAY RECAP', 1)[-1])
    assert match, run.stdout[-3000:]
    return int(match.group(1)), int(match.group(2))


def deployments(k8s):
    return {item['metadata']['name']: item for item in k8s.objects('deployments.apps', NAMESPACE)}


def images(deployment):
    return [container['image'] for container in deployment['spec']['template']['spec']['containers']]


def condition(obj, kind):
    return {item['type']: item['status'] for item in obj.get('status', {}).get('conditions', [])}.get(kind)


def env_of(job):
    return {item['name']: item.get('value') for item in job['spec']['template']['spec']['containers'][0].get('env', [])}


def jobs_of(k8s, version):
    return {item['metadata']['name']: item for item in k8s.objects('jobs.batch', NAMESPACE)
            if item['metadata'].get('labels', {}).get('app.kubernetes.io/version') == version}


def resource_versions(k8s):
    return {name: item['metadata']['resourceVersion'] for name, item in deployments(k8s).items()}


@pytest.fixture(scope='module')
def do(sandbox):
    control = EmulatorControl(sandbox.do_url, sandbox.ca_bundle)
    control.reset()
    yield control
    control.clear_faults()


@pytest.fixture(scope='module')
def k8s(sandbox):
    with reset_kubernetes(sandbox, ready_delay=0.2, failing_images=[], pod_logs={}) as control:
        yield control


@pytest.fixture(scope='module')
def provisioned(do, k8s, ansible_env):
    """The sandbox instance, provisioned at 4.6."""
    run = run_playbook(ansible_env, PROVISION, '-e', 'mastodon_version=' + OLD)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert {image for item in deployments(k8s).values() for image in images(item)} == {
        'ghcr.io/mastodon/mastodon:' + OLD, 'ghcr.io/mastodon/mastodon-streaming:' + OLD}
    cronjobs = [item['metadata']['name'] for item in k8s.objects('cronjobs.batch', NAMESPACE)]
    assert BACKUP_CRONJOB in cronjobs
    return run


@pytest.fixture
def clean_logs(do, k8s):
    """Request logs cleared before the test, so that it sees its own requests only."""
    do.clear_requests()
    k8s.clear_requests()
    k8s.clear_faults()


def apps_api(sandbox):
    return kubernetes.client.AppsV1Api(kubernetes.config.new_client_from_config(config_file=sandbox.kubeconfig))


def set_web_version_label(sandbox, version):
    apps_api(sandbox).patch_namespaced_deployment(WEB, NAMESPACE, {'metadata': {'labels': {'app.kubernetes.io/version': version}}})


def assert_no_write(do, k8s):
    assert do.writes() == []
    assert k8s.mutations() == []
    assert [entry for entry in k8s.requests() if entry['write']] == []


def test_unknown_version_is_refused_before_any_request(provisioned, do, k8s, ansible_env, clean_logs):
    run = upgrade(ansible_env, '-e', 'mastodon_version=v4.7.99')
    assert run.returncode != 0
    text = output(run)
    expect(text, 'mastodon_version = "v4.7.99": not a Mastodon release this role knows')
    expect(text, 'v4.6.5, v4.7.4.', 'mastodon_upgrade_extra_releases')
    assert do.requests() == [] and k8s.requests() == []


def test_postgresql_older_than_required_is_refused_without_write(provisioned, do, k8s, ansible_env, clean_logs):
    # The stand-in offers PostgreSQL 14 to 18 and its control API cannot edit a cluster's version: the
    # sandbox's cluster (17) is checked against a minimum above it instead.
    run = upgrade(ansible_env, '-e', 'mastodon_version=' + NEW, '-e', 'mastodon_upgrade_postgresql_min_version=18')
    assert run.returncode != 0
    text = output(run)
    expect(text, 'needs PostgreSQL 18 or later (mastodon_upgrade_postgresql_min_version)')
    expect(text, 'PostgreSQL cluster "sandbox-pg" (mastodon_upgrade_postgresql_name) version 17')
    expect(text, 'upgrade the database cluster first')
    assert_no_write(do, k8s)


def test_skipped_minor_series_is_refused_without_the_override(provisioned, do, k8s, ansible_env, sandbox, clean_logs):
    set_web_version_label(sandbox, 'v4.5.20')
    try:
        do.clear_requests()
        k8s.clear_requests()
        run = upgrade(ansible_env, '-e', 'mastodon_version=' + NEW)
        assert run.returncode != 0
        text = output(run)
        expect(text, 'mastodon_version = "v4.7.4" skips the 4.6 series (running v4.5.20)')
        expect(text, 'upgrade to v4.6.5 first', 'mastodon_upgrade_allow_skip_minor=true')
        assert_no_write(do, k8s)
    finally:
        set_web_version_label(sandbox, OLD)


def test_running_version_before_4_3_is_refused(provisioned, do, k8s, ansible_env, sandbox, clean_logs):
    set_web_version_label(sandbox, 'v4.2.10')
    try:
        do.clear_requests()
        k8s.clear_requests()
        run = upgrade(ansible_env, '-e', 'mastodon_version=' + NEW, '-e', 'mastodon_upgrade_allow_skip_minor=true')
        assert run.returncode != 0
        text = output(run)
        expect(text, 'The running version is "v4.2.10" (label app.kubernetes.io/version of Deployment mastodon/mastodon-web)')
        expect(text, 'cannot migrate from before v4.3.0 (mastodon_upgrade_minimum_running_version) without downtime')
        assert_no_write(do, k8s)
    finally:
        set_web_version_label(sandbox, OLD)


def test_downgrade_is_refused_without_write(provisioned, do, k8s, ansible_env, clean_logs):
    run = upgrade(ansible_env, '-e', 'mastodon_version=v4.6.4')
    assert run.returncode != 0
    text = output(run)
    expect(text, 'mastodon_version = "v4.6.4" is older than the running version v4.6.5')
    expect(text, 'downgrades are not supported', 'restore the database backup')
    assert_no_write(do, k8s)


def test_check_mode_upgrade_makes_no_write(provisioned, do, k8s, ansible_env, clean_logs):
    run = upgrade(ansible_env, '-e', 'mastodon_version=' + NEW, '--check')
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert_no_write(do, k8s)
    assert all(image.endswith(':' + OLD) for item in deployments(k8s).values() for image in images(item))


def test_failed_pre_deploy_migration_leaves_the_deployments_untouched(provisioned, do, k8s, ansible_env, clean_logs):
    k8s.set_config(failing_images=['ghcr.io/mastodon/mastodon:' + NEW],
                   pod_logs={'ghcr.io/mastodon/mastodon:' + NEW: 'rake aborted!\nActiveRecord::NoDatabaseError\n'})
    before = resource_versions(k8s)
    try:
        run = upgrade(ansible_env, '-e', 'mastodon_version=' + NEW)
    finally:
        k8s.set_config(failing_images=[], pod_logs={})
    assert run.returncode != 0
    text = output(run)
    expect(text, 'The upgrade from v4.6.5 to v4.7.4 failed', 'the pre-deploy migrations failed')
    expect(text, 'ActiveRecord::NoDatabaseError')
    expect(text, 'No Deployment had changed: v4.6.5 keeps serving. Next: fix the cause')
    assert not [entry for entry in k8s.writes() if entry['kind'] == 'Deployment']
    assert resource_versions(k8s) == before
    assert all(image.endswith(':' + OLD) for item in deployments(k8s).values() for image in images(item))
    assert do.writes() == []


def test_rollout_that_never_becomes_available_is_rolled_back(provisioned, k8s, ansible_env, clean_logs):
    """The migrations pass, web rolls out, the new streaming image crash-loops: web and streaming go back to 4.6."""
    k8s.set_config(failing_images=['ghcr.io/mastodon/mastodon-streaming:' + NEW], pod_logs={})
    try:
        run = upgrade(ansible_env, '-e', 'mastodon_version=' + NEW, '-e', 'mastodon_rollout_timeout=10')
    finally:
        k8s.set_config(failing_images=[], pod_logs={})
    assert run.returncode != 0
    text = output(run)
    expect(text, 'did not roll out within 10 s')
    expect(text, 'Rolled back to v4.6.5: mastodon-streaming, mastodon-web are rolled out again and serve')
    expect(text, 'Next: fix the cause')
    patched = sorted(entry['name'] for entry in k8s.mutations() if entry['kind'] == 'Deployment' and entry['patch_type'] == 'json')
    assert patched == [STREAMING, WEB]
    now = deployments(k8s)
    for name in (WEB, STREAMING):
        assert all(image.endswith(':' + OLD) for image in images(now[name]))
        assert now[name]['metadata']['labels']['app.kubernetes.io/version'] == OLD
        assert condition(now[name], 'Available') == 'True' and now[name]['status']['updatedReplicas'] == 2
    # Sidekiq was never reached; no post-deploy migration ran.
    assert all(image.endswith(':' + OLD) for name, item in now.items() if 'sidekiq' in name for image in images(item))
    assert not [name for name in jobs_of(k8s, NEW) if '-post-' in name]
    pods = [pod for pod in k8s.objects('pods', NAMESPACE) if pod['metadata']['labels'].get('app.kubernetes.io/component') in ('web', 'streaming')]
    assert pods and all(pod['spec']['containers'][0]['image'].endswith(':' + OLD) for pod in pods)
    assert all(status['ready'] for pod in pods for status in pod['status']['containerStatuses'])


def test_upgrade_migrates_rolls_everything_and_checks_health(provisioned, do, k8s, ansible_env, sandbox, clean_logs):
    run = upgrade(ansible_env, '-e', 'mastodon_version=' + NEW)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert 'Mastodon v4.7.4 serves' in run.stdout and 'upgraded from v4.6.5' in run.stdout
    now = deployments(k8s)
    assert {WEB, STREAMING, 'mastodon-sidekiq-default', 'mastodon-sidekiq-scheduler'} <= set(now)
    for item in now.values():
        assert all(image.endswith(':' + NEW) for image in images(item)), item['metadata']['name']
        assert condition(item, 'Available') == 'True'
        assert item['status']['updatedReplicas'] == item['spec']['replicas']
    jobs = jobs_of(k8s, NEW)
    assert sorted(name.rsplit('-', 1)[0] for name in jobs) == ['mastodon-db-migrate-post-v4-7-4', 'mastodon-db-migrate-pre-v4-7-4']
    assert all(condition(job, 'Complete') == 'True' for job in jobs.values())
    pre = next(job for name, job in jobs.items() if '-pre-' in name)
    assert env_of(pre)['SKIP_POST_DEPLOYMENT_MIGRATIONS'] == 'true' and env_of(pre)['DB_PORT'] == '25060'
    # A fresh database backup was taken from the CronJob, and it completed before the first migration started.
    backups = [job for job in k8s.objects('jobs.batch', NAMESPACE)
               if any(owner.get('name') == BACKUP_CRONJOB for owner in job['metadata'].get('ownerReferences', []))
               and job['metadata'].get('annotations', {}).get('cronjob.kubernetes.io/instantiate') == 'manual']
    assert backups and all(condition(job, 'Complete') == 'True' for job in backups)
    assert min(int(job['metadata']['resourceVersion']) for job in backups) < int(pre['metadata']['resourceVersion'])
    assert do.writes() == []
    assert sandbox.env['DIGITALOCEAN_ACCESS_TOKEN'] not in run.stdout + run.stderr


def test_upgrade_rerun_changes_nothing(provisioned, do, k8s, ansible_env, clean_logs):
    run = upgrade(ansible_env, '-e', 'mastodon_version=' + NEW)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert recap(run) == (0, 0)
    assert 'it already ran this version' in run.stdout
    # kubernetes.core re-sends unchanged objects (write requests that change nothing): nothing may be stored.
    assert do.writes() == []
    assert k8s.mutations() == []


def test_downgrade_after_the_upgrade_is_refused(provisioned, do, k8s, ansible_env, clean_logs):
    run = upgrade(ansible_env, '-e', 'mastodon_version=' + OLD)
    assert run.returncode != 0
    assert 'mastodon_version = "v4.6.5" is older than the running version v4.7.4' in output(run)
    assert_no_write(do, k8s)
