# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Proof: bad input to the upgrade, backup and restore paths fails before any write, naming the field, the value and
what is allowed.

Roles: every case of the mastodon_upgrade role (main), and of the rclone_backup role's entry points main,
run_now and restore, is one include_role inside block/rescue of ONE shared ansible-playbook run, on a sandbox
holding what the cases read (a running Mastodon at v4.6.5 and two more at v4.2.10 and v4.5.20, the backup
CronJobs, a PostgreSQL cluster); each parametrized test asserts that its case failed with the field, the bad
value and the allowed values in the message, and one test proves that the whole run wrote nothing.
Playbooks: upgrade.yml, backup.yml and restore.yml with one bad -e value per run; each fails naming the
three, and writes nothing.
"""

# pylint: disable=redefined-outer-name

from __future__ import annotations

import copy
import json
import sys

import pytest
import requests
import yaml
from kubernetes import config as kube_config
from kubernetes import dynamic

from tests.integration.proof.conftest import NO_WRITES, run_playbook

NAMESPACE = 'mastodon'
CLUSTER = 'proof-pg'
RUNNING = {'mastodon': 'v4.6.5', 'old': 'v4.2.10', 'skip': 'v4.5.20'}
DUMP = 'mastodon_production-20260301T041200Z.dump'


class Case:
    """One bad input: an include_role in a block whose rescue task (named after the case) shows the failed result,
    and the words its failure message must hold (field, value, allowed)."""

    def __init__(self, case_id, role, variables, field, value, allowed, tasks_from=None):
        self.id = case_id
        include = {'name': 'fediops.mastodon.' + role}
        if tasks_from:
            include['tasks_from'] = tasks_from
        self.task = {'name': 'block ' + case_id,
                     'block': [{'name': 'include ' + case_id, 'ansible.builtin.include_role': include, 'vars': variables}],
                     'rescue': [{'name': case_id, 'ansible.builtin.debug': {'var': 'ansible_failed_result'}}]}
        self.words = [field, value] + (allowed if isinstance(allowed, list) else [allowed])


def merged(base, **changes):
    result = copy.deepcopy(base)
    result.update(changes)
    return result


# ------------------------------------------------------------------ mastodon_upgrade (main)
# The database requirements are read from DigitalOcean only in the one case about them; the backup stage is off, so a
# case that wrongly passed the preflight could not even start a backup Job.
UPGRADE = {'mastodon_version': 'v4.7.4', 'mastodon_upgrade_check_requirements': False, 'mastodon_upgrade_backup': False}


def upgrade(case_id, variables, field, value, allowed):
    return Case(case_id, 'mastodon_upgrade', merged(UPGRADE, **variables), field, value, allowed)


UPGRADE_CASES = [
    upgrade('upgrade-unknown-release', {'mastodon_version': 'v4.7.99'}, 'mastodon_version', '"v4.7.99"', ['a release tag', 'v4.7.4']),
    upgrade('upgrade-version-without-patch', {'mastodon_version': '4.7'}, 'mastodon_version', '"4.7"', 'a release tag with its leading v'),
    upgrade('upgrade-version-wildcard', {'mastodon_version': 'v4.7.x'}, 'mastodon_version', '"v4.7.x"', 'a release tag with its leading v'),
    upgrade('upgrade-version-number', {'mastodon_version': 47}, 'mastodon_version', 'mastodon_version = 47', 'a release tag with its leading v'),
    upgrade('upgrade-downgrade', {'mastodon_version': 'v4.6.4'}, 'mastodon_version', '"v4.6.4"', 'Allowed: v4.6.5 or a later release'),
    upgrade('upgrade-skips-a-minor', {'mastodon_upgrade_name': 'skip'}, 'mastodon_version', '"v4.7.4" skips the 4.6 series',
            ['Allowed without an override', 'mastodon_upgrade_allow_skip_minor']),
    upgrade('upgrade-running-before-4.3', {'mastodon_upgrade_name': 'old', 'mastodon_upgrade_allow_skip_minor': True},
            'label app.kubernetes.io/version of Deployment mastodon/old-web', '"v4.2.10"', 'Allowed: a running version of v4.3.0 or later'),
    upgrade('upgrade-skip-minor-type', {'mastodon_upgrade_allow_skip_minor': 'perhaps'}, 'mastodon_upgrade_allow_skip_minor', 'perhaps',
            'Valid booleans'),
    upgrade('upgrade-backup-type', {'mastodon_upgrade_backup': 'later'}, 'mastodon_upgrade_backup', 'later', 'Valid booleans'),
    upgrade('upgrade-rollback-timeout-type', {'mastodon_upgrade_rollback_timeout': 'long'}, 'mastodon_upgrade_rollback_timeout', 'long',
            'cannot be converted to an int'),
    upgrade('upgrade-rollback-timeout-short', {'mastodon_upgrade_rollback_timeout': 5}, 'mastodon_upgrade_rollback_timeout', '= 5',
            'at least 10 seconds'),
    upgrade('upgrade-extra-release', {'mastodon_upgrade_extra_releases': ['v4.8']}, 'mastodon_upgrade_extra_releases', '["v4.8"]',
            'vMAJOR.MINOR.PATCH'),
    upgrade('upgrade-minimum-running-version', {'mastodon_upgrade_minimum_running_version': '4.3'}, 'mastodon_upgrade_minimum_running_version',
            '"4.3"', 'vMAJOR.MINOR.PATCH'),
    upgrade('upgrade-backup-jobs', {'mastodon_upgrade_backup_jobs': ['database', 'logs']}, 'mastodon_upgrade_backup_jobs', 'logs',
            'database, media, secrets'),
    upgrade('upgrade-requirements-unnamed', {'mastodon_upgrade_check_requirements': True, 'mastodon_upgrade_valkey_name': 'proof-valkey'},
            'mastodon_upgrade_postgresql_name', '""', 'must name the DigitalOcean database clusters'),
]

# ------------------------------------------------------------------ rclone_backup (main, run_now, restore)
BACKUP = {
    'rclone_backup_database': {'host': 'private-pg.db.ondigitalocean.com', 'name': 'mastodon_production', 'user': 'mastodon',
                               'password': 'db-Passw0rd-proof-4f1c9e27'},
    'rclone_backup_media_source': {'bucket': 'proof-media', 'endpoint': 'https://nyc3.digitaloceanspaces.com', 'access_key_id': 'DO00PROOF',
                                   'secret_access_key': 'media-Secret-proof-9911'},
    'rclone_backup_remotes': [{'name': 'spaces', 'type': 's3', 'path': 'proof-backups/mastodon', 'options': {'provider': 'DigitalOcean'}}],
    'rclone_backup_crypt_password': 'crypt-Passw0rd-proof-77aa01',
}
SCHEDULES = {'database': '17 */6 * * *', 'media': '47 3 * * *', 'secrets': '7 4 * * 0'}


def backup(case_id, variables, field, value, allowed):
    return Case(case_id, 'rclone_backup', merged(BACKUP, **variables), field, value, allowed)


def schedules(**changes):
    return {'rclone_backup_schedules': merged(SCHEDULES, **changes)}


def run_now(case_id, variables, field, value, allowed):
    return Case(case_id, 'rclone_backup', variables, field, value, allowed, tasks_from='run_now')


def restore(case_id, variables, field, value, allowed):
    return Case(case_id, 'rclone_backup', merged({'rclone_backup_restore_dump': DUMP}, **variables), field, value, allowed, tasks_from='restore')


def managed(case_id, settings, field, value, allowed):
    return restore(case_id, {'rclone_backup_restore_source': 'managed', 'rclone_backup_managed_restore': settings}, field, value, allowed)


BACKUP_CASES = [
    backup('backup-cron-six-fields', schedules(media='0 3 * * * *'), 'rclone_backup_schedules.media', '"0 3 * * * *"',
           'a cron expression has 5 fields'),
    backup('backup-cron-hour', schedules(database='17 24 * * *'), 'rclone_backup_schedules.database', '"17 24 * * *"', 'allowed: 0-23'),
    backup('backup-cron-macro', schedules(secrets='@fortnightly'), 'rclone_backup_schedules.secrets', '"@fortnightly"', '@weekly'),
    backup('backup-retention-count-zero', {'rclone_backup_retention_count': 0}, 'rclone_backup_retention_count', '= 0', 'must be 1 or more'),
    backup('backup-retention-days-negative', {'rclone_backup_retention_days': -3}, 'rclone_backup_retention_days', '= -3', 'must be 1 or more'),
    backup('backup-deleted-retention-negative', {'rclone_backup_media_deleted_retention_days': -1}, 'rclone_backup_media_deleted_retention_days',
           '= -1', '0 (keep forever) or more'),
    backup('backup-retention-count-type', {'rclone_backup_retention_count': 'seven'}, 'rclone_backup_retention_count', 'seven',
           'cannot be converted to an int'),
    run_now('run-now-unknown-job', {'rclone_backup_run_jobs': ['database', 'logs']}, 'rclone_backup_run_jobs', 'logs', 'database, media, secrets'),
    run_now('run-now-no-job', {'rclone_backup_run_jobs': []}, 'rclone_backup_run_jobs', '= []', 'one or more of database, media, secrets'),
    run_now('run-now-poll-interval', {'rclone_backup_poll_interval': 0}, 'rclone_backup_poll_interval', '= 0', 'a whole number of 1 or more'),
    run_now('run-now-wait-timeout-type', {'rclone_backup_wait_timeout': 'soon'}, 'rclone_backup_wait_timeout', 'soon', 'cannot be converted to an int'),
    restore('restore-unknown-source', {'rclone_backup_restore_source': 'snapshot'}, 'rclone_backup_restore_source', 'snapshot', 'dump, managed'),
    restore('restore-dump-missing', {'rclone_backup_restore_dump': ''}, 'rclone_backup_restore_dump', '= ""', 'allowed are latest'),
    restore('restore-dump-path', {'rclone_backup_restore_dump': '../etc/passwd'}, 'rclone_backup_restore_dump', '"../etc/passwd"',
            '<database>-<YYYYmmddTHHMMSSZ>.dump'),
    restore('restore-dump-bad-timestamp', {'rclone_backup_restore_dump': 'mastodon_production-20261341T041200Z.dump'}, 'rclone_backup_restore_dump',
            '"mastodon_production-20261341T041200Z.dump"', ['latest', '<database>-<YYYYmmddTHHMMSSZ>.dump with a real UTC date and time']),
    restore('restore-unknown-remote', {'rclone_backup_restore_remote': 'b2'}, 'rclone_backup_restore_remote', '= b2', 'allowed: spaces'),
    restore('restore-database-unknown-key', {'rclone_backup_restore_database': {'hostname': 'db.example.net'}}, 'rclone_backup_restore_database',
            'hostname', 'host, name, port, user'),
    restore('restore-database-port', {'rclone_backup_restore_database': {'port': 70000}}, 'rclone_backup_restore_database.port', '70000',
            '1 to 65535'),
    restore('restore-database-name', {'rclone_backup_restore_database': {'name': 'mastodon; drop'}}, 'rclone_backup_restore_database.name',
            '"mastodon; drop"', 'a PostgreSQL name'),
    restore('restore-force-string', {'rclone_backup_restore_force': 'maybe'}, 'rclone_backup_restore_force', 'maybe', 'Valid booleans'),
    restore('restore-media-string', {'rclone_backup_restore_media': 'sometimes'}, 'rclone_backup_restore_media', 'sometimes', 'Valid booleans'),
    restore('restore-wait-timeout', {'rclone_backup_restore_wait_timeout': 0}, 'rclone_backup_restore_wait_timeout', '= 0',
            'a whole number of 1 or more'),
    managed('restore-managed-missing-name', {'source_cluster': CLUSTER}, 'cluster_name is missing', '{"source_cluster": "proof-pg"}',
            'allowed are cluster_name'),
    managed('restore-managed-bad-timestamp', {'cluster_name': 'proof-restored', 'source_cluster': CLUSTER, 'backup_created_at': '2026-13-01 04:12'},
            'backup_created_at', '"2026-13-01 04:12"', 'an ISO 8601 UTC time such as 2026-03-01T04:12:00Z'),
    managed('restore-managed-unknown-key', {'cluster_name': 'proof-restored', 'source': CLUSTER}, 'rclone_backup_managed_restore',
            'unknown key source', 'allowed are cluster_name'),
    managed('restore-managed-unknown-source', {'cluster_name': 'proof-restored', 'source_cluster': 'nope-pg'},
            'rclone_backup_managed_restore.source_cluster', '"nope-pg"', 'allowed: one of the existing clusters (' + CLUSTER),
    managed('restore-managed-unknown-backup', {'cluster_name': 'proof-restored', 'source_cluster': CLUSTER, 'backup_created_at': '2020-01-01T00:00:00Z'},
            'rclone_backup_managed_restore.backup_created_at', '"2020-01-01T00:00:00Z"', ['has no backup taken then', 'allowed: ']),
]

CASES = UPGRADE_CASES + BACKUP_CASES

# The playbooks with one bad -e value each: (id, playbook, extra vars, field, value, allowed).
PLAYBOOK_CASES = [
    ('upgrade.yml-unknown-release', 'upgrade.yml', {'mastodon_version': 'v4.7.99'}, 'mastodon_version', '"v4.7.99"', 'v4.7.4'),
    ('upgrade.yml-version-without-v', 'upgrade.yml', {'mastodon_version': '4.7.4'}, 'mastodon_version', '"4.7.4"', 'a release tag with its leading v'),
    ('upgrade.yml-version-number', 'upgrade.yml', {'mastodon_version': 47}, 'mastodon_version', '= 47', 'a release tag with its leading v'),
    ('backup.yml-unknown-job', 'backup.yml', {'rclone_backup_run_jobs': ['database', 'logs']}, 'rclone_backup_run_jobs', 'logs',
     'database, media, secrets'),
    ('backup.yml-poll-interval', 'backup.yml', {'rclone_backup_poll_interval': 0}, 'rclone_backup_poll_interval', '= 0', '1 or more'),
    ('restore.yml-unknown-source', 'restore.yml', {'restore_source': 'snapshot'}, 'restore_source', 'snapshot', 'dump, managed'),
    ('restore.yml-force-string', 'restore.yml', {'restore_force': 'maybe'}, 'restore_force', 'maybe', 'Valid booleans'),
    ('restore.yml-bad-timestamp', 'restore.yml', {'restore_dump': 'mastodon_production-20260301T251200Z.dump'}, 'restore_dump',
     '"mastodon_production-20260301T251200Z.dump"', 'a real UTC date and time'),
    ('restore.yml-managed-missing-source', 'restore.yml', {'restore_source': 'managed', 'restore_managed': {'cluster_name': 'proof-restored'}},
     'source_cluster is missing', '{"cluster_name": "proof-restored"}', 'allowed are cluster_name'),
]


def deployment(instance, component, version):
    labels = {'app.kubernetes.io/name': 'mastodon', 'app.kubernetes.io/instance': instance, 'app.kubernetes.io/component': component}
    image = 'ghcr.io/mastodon/mastodon:' + version
    return {'apiVersion': 'apps/v1', 'kind': 'Deployment',
            'metadata': {'name': '%s-%s' % (instance, component), 'namespace': NAMESPACE, 'labels': dict(labels, **{'app.kubernetes.io/version': version})},
            'spec': {'replicas': 1, 'selector': {'matchLabels': labels},
                     'template': {'metadata': {'labels': labels}, 'spec': {'containers': [{'name': component, 'image': image}]}}}}


def arrange(sandbox, module_playbook):
    """What the cases read: a PostgreSQL cluster, Mastodon's namespace and Secret, web Deployments of three instances at
    the versions of RUNNING, and the backup CronJobs (the rclone_backup role applied)."""
    response = requests.post(sandbox.do_url + '/v2/databases', timeout=30, verify=sandbox.ca_bundle,
                             headers={'Authorization': 'Bearer %s' % sandbox.do_token},
                             json={'name': CLUSTER, 'engine': 'pg', 'version': '16', 'size': 'db-s-1vcpu-1gb', 'region': 'tor1', 'num_nodes': 1})
    assert response.status_code < 400, response.text
    client = dynamic.DynamicClient(kube_config.new_client_from_config(config_file=sandbox.kubeconfig))
    bodies = [{'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': NAMESPACE}},
              {'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': 'mastodon-secrets', 'namespace': NAMESPACE}, 'stringData': {'X': 'y'}}]
    bodies += [deployment(instance, 'web', version) for instance, version in RUNNING.items()]
    for body in bodies:
        client.resources.get(api_version=body['apiVersion'], kind=body['kind']).create(body=body, namespace=body['metadata'].get('namespace'))
    run = module_playbook.run([{'name': 'backups', 'ansible.builtin.include_role': {'name': 'fediops.mastodon.rclone_backup'}, 'vars': BACKUP}])
    assert run.rc == 0, [(task.name, task.result.get('msg')) for task in run.tasks if task.failed] or run.stdout[-3000:]


@pytest.fixture(scope='module')
def bad_run(standins, module_playbook, sandbox):
    """ONE ansible-playbook run holding every role case, on a fresh sandbox with only what arrange() made."""
    standins.reset()
    arrange(sandbox, module_playbook)
    standins.clear_requests()
    run = module_playbook.run([case.task for case in CASES])
    return run, standins.writes()


def failure_text(run, case):
    """The failure message of a case: the failed task's msg (with the msg of failed loop items)."""
    result = run.task(case.id).get('ansible_failed_result') or {}
    texts = [str(result.get('msg', ''))]
    texts += [str(item.get('msg', '')) for item in result.get('results', []) if isinstance(item, dict) and item.get('failed')]
    return ' | '.join(texts)


def test_the_run_of_every_role_case_writes_nothing(bad_run):
    run, writes = bad_run
    assert len(CASES) + len(PLAYBOOK_CASES) >= 15 and len({case.id for case in CASES}) == len(CASES)
    reached = [task.name for task in run.tasks if task.name in {case.id for case in CASES}]
    assert sorted(reached) == sorted(case.id for case in CASES), 'every case must reach its rescue: %s' % run.stdout[-3000:]
    assert writes == NO_WRITES


@pytest.mark.parametrize('case', [pytest.param(case, id=case.id) for case in CASES])
def test_bad_input_fails_naming_field_value_and_allowed(bad_run, case):
    run, dummy = bad_run
    message = failure_text(run, case)
    missing = [word for word in case.words if word not in message]
    assert not missing, 'missing %s in: %s' % (missing, message)


@pytest.fixture(scope='module')
def local_inventory(sandbox, tmp_path_factory):
    """One host in group mastodon, local connection, the sandbox's kubeconfig (backup.yml and restore.yml)."""
    path = tmp_path_factory.mktemp('inventory') / 'hosts.yml'
    host_vars = dict(BACKUP, ansible_connection='local', ansible_python_interpreter=sys.executable, platform_kubeconfig_path=sandbox.kubeconfig)
    path.write_text(yaml.safe_dump({'all': {'children': {'mastodon': {'hosts': {'localhost': host_vars}}}}}))
    return str(path)


@pytest.mark.parametrize('name, extra, field, value, allowed', [
    pytest.param(name, extra, field, value, allowed, id=case_id) for case_id, name, extra, field, value, allowed in PLAYBOOK_CASES])
def test_playbook_with_a_bad_value_fails_before_any_write(bad_run, standins, ansible_env, local_inventory, name, extra, field, value, allowed):
    # bad_run first: the sandbox then holds the CronJobs and Deployments the playbooks would read.
    assert bad_run
    standins.clear_requests()
    kwargs = {} if name == 'upgrade.yml' else {'inventory': local_inventory}
    run = run_playbook(ansible_env, name, '-e', json.dumps(extra), **kwargs)
    writes = standins.writes()
    assert run.returncode != 0, run.stdout[-3000:]
    failed = '\n'.join(line for line in (run.stdout + run.stderr).splitlines() if 'fatal:' in line or '"msg"' in line or 'msg:' in line
                       or 'ERROR' in line or 'argument' in line or 'value of' in line)
    for word in (field, value, allowed):
        assert word in failed, 'missing %r in: %s' % (word, failed[-3000:])
    assert writes == NO_WRITES
