# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Proof: upgrade.yml, backup.yml and restore.yml in --check --diff report what would change and write nothing.

provision.yml converges the sandbox inventory for real at an older release (module fixture); then each
playbook runs in --check --diff on what stands: the upgrade to a newer release (the image patch shows as
a change), a backup now (the Jobs it would create), a restore of a dump (the scale-down, the restore Job
and the scale-back it would do) and a restore of a DigitalOcean managed backup (the cluster it would
create). Every run completes, reports changes, and writes nothing to the DigitalOcean, AWS or Kubernetes
stand-ins (Kubernetes dry runs are no writes); afterwards the Deployments keep their images, replica
counts and annotations, and no Job was created.
"""

# pylint: disable=redefined-outer-name

from __future__ import annotations

import json
import re

import pytest

from tests.integration.proof.conftest import NO_WRITES, run_playbook

NAMESPACE = 'mastodon'
OLD = 'v4.6.5'
NEW = 'v4.7.4'
DUMP = 'mastodon_production-20260301T041200Z.dump'
REPLICAS_ANNOTATION = 'backup.fediops.io/replicas-before-restore'


def recap(stdout):
    """(changed, failed) of the sandbox host from the PLAY RECAP."""
    match = re.search(r'sandbox\.fediops\.test\s*: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)', stdout.rsplit('PLAY RECAP', 1)[-1])
    assert match, stdout[-3000:]
    return int(match.group(1)), int(match.group(2))


def flat(run):
    return re.sub(r'\s+', ' ', run.stdout + run.stderr)


def deployments(standins):
    """name -> (images, replicas, annotations) of every Deployment in Mastodon's namespace."""
    return {item['metadata']['name']: (sorted(container['image'] for container in item['spec']['template']['spec']['containers']),
                                       item['spec'].get('replicas'), item['metadata'].get('annotations') or {})
            for item in standins.k8s.objects('deployments.apps', NAMESPACE)}


def job_names(standins):
    return sorted(item['metadata']['name'] for item in standins.k8s.objects('jobs.batch', NAMESPACE))


@pytest.fixture(scope='module')
def provisioned(standins, ansible_env):
    """The sandbox inventory provisioned for real at OLD (pods ready fast); the state before every check run."""
    standins.reset()
    saved = standins.k8s.config()
    standins.k8s.set_config(ready_delay=0.2)
    run = run_playbook(ansible_env, 'provision.yml', '-e', 'mastodon_version=' + OLD)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert deployments(standins), 'provision.yml deployed no Deployment'
    yield standins
    standins.k8s.set_config(ready_delay=saved['ready_delay'])


def check_run(standins, ansible_env, playbook, *extra):
    """playbook in --check --diff: the run, the writes it made, the Deployments and Jobs before and after."""
    before = deployments(standins), job_names(standins)
    standins.clear_requests()
    run = run_playbook(ansible_env, playbook, '--check', '--diff', *extra)
    writes = standins.writes()
    return run, writes, before, (deployments(standins), job_names(standins))


def test_upgrade_in_check_mode_reports_the_image_change_and_writes_nothing(provisioned, ansible_env):
    run, writes, before, after = check_run(provisioned, ansible_env, 'upgrade.yml', '-e', 'mastodon_version=' + NEW)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    changed, failed = recap(run.stdout)
    assert failed == 0 and changed > 0, 'the image patch to %s must show as a change' % NEW
    assert 'ghcr.io/mastodon/mastodon:' + NEW in run.stdout, 'the diff must show the new image'
    text = flat(run)
    assert 'Check mode: would run mastodon-backup-database-manual-' in text, 'the backup Job it would run first must be said'
    assert writes == NO_WRITES
    assert after == before
    assert all(image.endswith(':' + OLD) for images, dummy, dummy2 in after[0].values() for image in images)


def test_backup_in_check_mode_lists_the_jobs_it_would_create_and_writes_nothing(provisioned, ansible_env):
    run, writes, before, after = check_run(provisioned, ansible_env, 'backup.yml')
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    changed, failed = recap(run.stdout)
    assert failed == 0 and changed > 0, 'the Jobs to create must show as changes'
    text = flat(run)
    for job in ('database', 'media', 'secrets'):
        assert 'mastodon-backup-%s-manual-' % job in text, 'the Job of %s must be named' % job
    assert 'Check mode: would run' in text, 'the skipped wait must be said'
    assert writes == NO_WRITES
    assert after == before


def test_restore_in_check_mode_scales_nothing_down_and_writes_nothing(provisioned, ansible_env):
    run, writes, before, after = check_run(provisioned, ansible_env, 'restore.yml', '-e', json.dumps({'restore_dump': DUMP}))
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    changed, failed = recap(run.stdout)
    assert failed == 0 and changed > 0, 'the scale-down, the restore Job and the scale-back must show as changes'
    text = flat(run)
    assert 'Check mode: would restore ' + DUMP in text, 'the plan must be said'
    assert writes == NO_WRITES
    assert after == before, 'a Deployment or a Job changed'
    replicas = {name: count for name, (dummy, count, dummy2) in after[0].items()}
    assert all(count and count > 0 for count in replicas.values()), replicas
    assert not [name for name, (dummy, dummy2, annotations) in after[0].items() if REPLICAS_ANNOTATION in annotations]


def test_managed_restore_in_check_mode_creates_no_cluster(provisioned, ansible_env):
    run, writes, before, after = check_run(provisioned, ansible_env, 'restore.yml', '-e', json.dumps({
        'restore_source': 'managed', 'restore_managed': {'cluster_name': 'sandbox-pg-restored', 'source_cluster': 'sandbox-pg'}}))
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    changed, failed = recap(run.stdout)
    assert failed == 0 and changed > 0, 'the cluster to create must show as a change'
    assert 'Would create cluster sandbox-pg-restored from a backup of sandbox-pg' in flat(run)
    assert writes == NO_WRITES
    assert after == before
