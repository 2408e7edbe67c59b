# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sidekiq role through ansible-playbook against the sandbox's Kubernetes stand-in."""

from __future__ import annotations

import copy

import pytest
from kubernetes import config as kube_config
from kubernetes import dynamic

from tests.emulators.kubernetes.control import KubernetesControl

NAMESPACE = 'mastodon'
DEFAULT_PROCESSES = ['default', 'federation', 'mailers', 'scheduler']
VALID_PLAN = [
    {'name': 'default', 'queues': ['default', 'ingress'], 'threads': 10, 'replicas': 2},
    {'name': 'federation', 'queues': [['push', 6], ['pull', 2], 'fasp'], 'threads': 10, 'replicas': 1},
    {'name': 'mailers', 'queues': ['mailers'], 'threads': 2},
    {'name': 'scheduler', 'queues': ['scheduler'], 'threads': 2, 'replicas': 1},
]


@pytest.fixture
def k8s(sandbox):
    """The Kubernetes stand-in, reset, with the mastodon role's objects stubbed (namespace, ConfigMap, Secret, Services)."""
    control = KubernetesControl(sandbox.k8s_url, sandbox.ca_bundle)
    control.reset()
    client = dynamic.DynamicClient(kube_config.new_client_from_config(config_file=sandbox.kubeconfig))
    objects = [
        {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': NAMESPACE}},
        {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'mastodon-env', 'namespace': NAMESPACE},
         'data': {'LOCAL_DOMAIN': 'example.social', 'DB_PORT': '25061', 'PREPARED_STATEMENTS': 'false'}},
        {'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': 'mastodon-secrets', 'namespace': NAMESPACE},
         'stringData': {'SECRET_KEY_BASE': 'x' * 128}},
    ]
    for body in objects:
        client.resources.get(api_version=body['apiVersion'], kind=body['kind']).create(body=body, namespace=body['metadata'].get('namespace'))
    control.clear_requests()
    yield control
    control.clear_faults()


def role(**variables):
    return {'name': 'sidekiq', 'ansible.builtin.include_role': {'name': 'fediops.mastodon.sidekiq'}, 'vars': variables}


def failure(run):
    """The messages of the failed tasks."""
    return ' | '.join(str(task.result.get('msg')) for task in run.tasks if task.failed)


def deployments(control):
    return {item['metadata']['name']: item for item in control.objects('deployments.apps', NAMESPACE)}


def pdbs(control):
    return {item['metadata']['name'] for item in control.objects('poddisruptionbudgets.policy', NAMESPACE)}


def container(deployment):
    return deployment['spec']['template']['spec']['containers'][0]


def test_converge_renders_each_process_waits_until_available_and_a_rerun_mutates_nothing(k8s, playbook):
    run = playbook.run([role(sidekiq_config_checksum='abc123', sidekiq_version='v4.7.2')])
    assert run.rc == 0, failure(run) or run.stdout
    found = deployments(k8s)
    assert sorted(found) == sorted('mastodon-sidekiq-%s' % name for name in DEFAULT_PROCESSES)

    default = found['mastodon-sidekiq-default']
    spec = default['spec']
    pod = spec['template']['spec']
    main = container(default)
    assert spec['replicas'] == 2
    assert main['image'] == 'ghcr.io/mastodon/mastodon:v4.7.2'
    assert main['command'] == ['bundle', 'exec', 'sidekiq', '-c', '15', '-q', 'default', '-q', 'ingress']
    assert {'name': 'DB_POOL', 'value': '15'} in main['env']
    assert main['envFrom'] == [{'configMapRef': {'name': 'mastodon-env'}}, {'secretRef': {'name': 'mastodon-secrets'}}]
    assert main['readinessProbe']['exec']['command'] == [
        '/bin/sh', '-c', 'test -f "/opt/mastodon/tmp/$MASTODON_SIDEKIQ_READY_FILENAME"']
    assert pod['securityContext']['runAsUser'] == 991 and pod['securityContext']['runAsNonRoot'] is True
    assert main['securityContext']['readOnlyRootFilesystem'] is True and main['securityContext']['allowPrivilegeEscalation'] is False
    mounts = {mount['mountPath']: mount['name'] for mount in main['volumeMounts']}
    volumes = {volume['name']: volume for volume in pod['volumes']}
    assert set(mounts) == {'/opt/mastodon/tmp', '/tmp'} and all('emptyDir' in volumes[name] for name in mounts.values())
    assert spec['template']['metadata']['annotations'] == {'fediops.mastodon/config-checksum': 'abc123'}
    assert spec['template']['metadata']['labels']['app.kubernetes.io/component'] == 'sidekiq'
    assert spec['strategy']['type'] == 'RollingUpdate'

    scheduler = found['mastodon-sidekiq-scheduler']
    assert scheduler['spec']['replicas'] == 1 and scheduler['spec']['strategy']['type'] == 'Recreate'
    assert container(scheduler)['command'] == ['bundle', 'exec', 'sidekiq', '-c', '5', '-q', 'scheduler']
    assert container(found['mastodon-sidekiq-federation'])['command'][5:] == ['-q', 'push', '-q', 'pull', '-q', 'fasp']
    for name, deployment in found.items():
        assert deployment['status'].get('availableReplicas') == deployment['spec']['replicas'], name
    # Only processes with 2 or more replicas get a PodDisruptionBudget.
    assert pdbs(k8s) == {'mastodon-sidekiq-default', 'mastodon-sidekiq-federation'}
    # The stand-in prunes unknown fields with a warning instead of refusing them: none may have been dropped.
    assert [(entry['kind'], entry['name'], entry['warnings']) for entry in k8s.requests() if entry.get('warnings')] == []

    k8s.clear_requests()
    rerun = playbook.run([role(sidekiq_config_checksum='abc123', sidekiq_version='v4.7.2')])
    assert rerun.rc == 0 and rerun.changed == 0, failure(rerun) or rerun.stdout
    assert k8s.mutations() == []


def test_weighted_queues_the_db_ca_and_a_new_checksum_roll_only_what_changed(k8s, playbook):
    variables = {'sidekiq_processes': VALID_PLAN, 'sidekiq_db_ca_configmap': 'mastodon-db-ca'}
    first = playbook.run([role(sidekiq_config_checksum='one', **variables)])
    assert first.rc == 0, failure(first) or first.stdout
    found = deployments(k8s)
    federation = container(found['mastodon-sidekiq-federation'])
    assert federation['command'] == ['bundle', 'exec', 'sidekiq', '-c', '10', '-q', 'push,6', '-q', 'pull,2', '-q', 'fasp']
    assert {'name': 'DB_POOL', 'value': '10'} in federation['env']
    # verify-full: the CA the mastodon role writes, mounted read-only, PGSSLROOTCERT pointing at it.
    assert {'name': 'PGSSLROOTCERT', 'value': '/etc/mastodon/db-ca/ca.crt'} in federation['env']
    assert {'name': 'db-ca', 'mountPath': '/etc/mastodon/db-ca', 'readOnly': True} in federation['volumeMounts']
    volumes = found['mastodon-sidekiq-federation']['spec']['template']['spec']['volumes']
    assert [volume['configMap']['name'] for volume in volumes if volume['name'] == 'db-ca'] == ['mastodon-db-ca']

    k8s.clear_requests()
    second = playbook.run([role(sidekiq_config_checksum='two', **variables)])
    assert second.rc == 0, failure(second) or second.stdout
    changed = {(entry['kind'], entry['name']) for entry in k8s.mutations() if entry['kind'] == 'Deployment' and entry['verb'] == 'patch'}
    assert changed == {('Deployment', 'mastodon-sidekiq-%s' % name) for name in DEFAULT_PROCESSES}
    assert all(item['spec']['template']['metadata']['annotations'] == {'fediops.mastodon/config-checksum': 'two'} for item in deployments(k8s).values())


def test_a_process_removed_from_the_plan_is_deleted_with_its_budget(k8s, playbook):
    first = playbook.run([role()])
    assert first.rc == 0, failure(first) or first.stdout
    renamed = copy.deepcopy(VALID_PLAN)
    renamed[1]['name'] = 'outbound'
    renamed[1]['replicas'] = 2
    second = playbook.run([role(sidekiq_processes=renamed)])
    assert second.rc == 0, failure(second) or second.stdout
    assert sorted(deployments(k8s)) == ['mastodon-sidekiq-default', 'mastodon-sidekiq-mailers', 'mastodon-sidekiq-outbound',
                                        'mastodon-sidekiq-scheduler']
    assert pdbs(k8s) == {'mastodon-sidekiq-default', 'mastodon-sidekiq-outbound'}


def test_check_mode_writes_nothing(k8s, playbook):
    run = playbook.run([role()], check=True)
    assert run.rc == 0, failure(run) or run.stdout
    assert k8s.writes() == []
    assert deployments(k8s) == {}


def plan_without(name):
    return [process for process in VALID_PLAN if process['name'] != name]


def plan_changing(index, **changes):
    plan = copy.deepcopy(VALID_PLAN)
    plan[index].update(changes)
    return plan


@pytest.mark.parametrize('plan, message', [
    pytest.param(plan_without('mailers'), "queue 'mailers' is served by no process", id='missing-queue'),
    pytest.param(plan_changing(2, queues=['mailers', 'scheduler']), "queue 'scheduler' is served by 2 processes (process 'mailers', "
                 "process 'scheduler') (rule: scheduler in exactly one process", id='two-schedulers'),
    pytest.param(plan_changing(3, replicas=2), "process 'scheduler': serves 'scheduler' with 2 replicas (rule: the scheduler process has "
                 "exactly 1 replica)", id='scheduler-with-two-replicas'),
    pytest.param(plan_changing(0, threads=40), "process 'default': threads 40 is out of range (rule: threads between 1 and 25", id='forty-threads'),
    pytest.param(plan_changing(2, queues=['mailers', 'emails']), "process 'mailers': unknown queue 'emails' (rule: queues are Mastodon's",
                 id='unknown-queue'),
    pytest.param(VALID_PLAN + [{'name': 'default', 'queues': ['push']}], "process 'default': duplicate process name (rule: process names are unique",
                 id='duplicate-name'),
])
def test_each_plan_rule_fails_with_its_message_and_no_write(k8s, playbook, plan, message):
    run = playbook.run([role(sidekiq_processes=plan)])
    assert run.rc != 0
    assert message in failure(run), failure(run) or run.stdout
    assert k8s.writes() == []
    assert deployments(k8s) == {}


def test_a_plan_over_the_connection_budget_fails_with_every_term_and_no_write(k8s, playbook):
    run = playbook.run([role(sidekiq_budget_database_size='db-s-1vcpu-1gb', sidekiq_budget_pools=[{'name': 'mastodon', 'size': 20}])])
    assert run.rc != 0
    message = failure(run)
    assert 'The plan does not fit the PostgreSQL connection budget' in message
    assert ('backend connections over budget by 6: pool mastodon (20) + migration Job (2) + pg_dump backup (1) + tootctl (5) = 28 > limit 22 '
            '(db-s-1vcpu-1gb: 1 GiB RAM x 25 per GiB - 3 reserved by DigitalOcean = 22)') in message
    for term in ('web (2 replicas x 2 WEB_CONCURRENCY x 5 MAX_THREADS) (20)', 'streaming (2 replicas x 10 DB_POOL) (20)',
                 'sidekiq default (2 replicas x 15 threads) (30)', 'sidekiq scheduler (1 replica x 5 threads) (5)'):
        assert term in message, term
    assert k8s.writes() == []


def test_too_many_client_connections_fail_before_any_write(k8s, playbook):
    run = playbook.run([role(sidekiq_budget_web_replicas=100, sidekiq_budget_client_connection_limit=1000)])
    assert run.rc != 0
    assert 'PgBouncer client connections over budget by 90: web (100 replicas x 2 WEB_CONCURRENCY x 5 MAX_THREADS) (1000)' in failure(run)
    assert k8s.writes() == []


def test_missing_mastodon_config_fails_naming_it_before_any_write(k8s, playbook):
    run = playbook.run([role(sidekiq_env_configmap='other-env', sidekiq_env_secret='other-secrets')])
    assert run.rc != 0
    message = failure(run)
    assert 'ConfigMap other-env and Secret other-secrets not found in namespace mastodon' in message and 'Run the mastodon role first' in message
    assert k8s.writes() == []
