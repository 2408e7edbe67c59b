# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mastodon role through ansible-playbook against the sandbox's Kubernetes stand-in.

One instance is converged once (first install, at -vvvv) and the tests that follow build on it, in
file order: re-run, check mode, the rendered environment, a configuration change, a failed upgrade,
the fixed upgrade. Each run takes tens of seconds (kubernetes.core starts a Python process per task),
so runs are shared where a test only reads.
"""

from __future__ import annotations

import base64
import copy
import re

import pytest

from tests.integration.standins import reset_kubernetes

NAMESPACE = 'mastodon'
WEB = 'mastodon-web'
STREAMING = 'mastodon-streaming'
VERSION = 'v4.7.2'
UPGRADE = 'v4.7.3'
CHECKSUM = 'fediops.mastodon/config-checksum'

# Credentials passed in: none of them may ever show up in the output.
DB_PASSWORD = 'db-Passw0rd-4f1c9e27'
REDIS_PASSWORD = 'valkey-Passw0rd-8b2d51aa'
S3_SECRET = 'spaces-Secret-0c7e66d3f4'
SMTP_PASSWORD = 'smtp-Passw0rd-a91f03b2'
PASSED_IN_SECRETS = [DB_PASSWORD, REDIS_PASSWORD, S3_SECRET, SMTP_PASSWORD]

BASE_VARS = {
    'mastodon_local_domain': 'sandbox.fediops.test',
    'mastodon_web_domain': 'social.sandbox.fediops.test',
    'mastodon_version': VERSION,
    'mastodon_db': {'host': 'private-majel-do-user-1.db.ondigitalocean.com', 'name': 'mastodon_production',
                    'pool_name': 'mastodon-pool', 'user': 'mastodon', 'password': DB_PASSWORD},
    'mastodon_redis': {'url': 'rediss://default:%s@private-crusher-do-user-1.db.ondigitalocean.com:25061' % REDIS_PASSWORD},
    'mastodon_s3': {'bucket': 'sandbox-media', 'region': 'nyc3', 'endpoint': 'https://nyc3.digitaloceanspaces.com',
                    'alias_host': 'media.sandbox.fediops.test', 'access_key_id': 'DO00SANDBOXKEY',
                    'secret_access_key': S3_SECRET},
    'mastodon_smtp': {'server': 'email-smtp.us-east-1.amazonaws.com', 'login': 'AKIASANDBOXSMTP', 'password': SMTP_PASSWORD,
                      'from_address': 'no-reply@sandbox.fediops.test'},
    'mastodon_trusted_proxy_ip': ['10.244.0.0/16'],
    'mastodon_rollout_timeout': 60,
    'mastodon_migration_poll_interval': 1,
}
FAILED_MIGRATION_LOG = 'rake aborted!\nPG::DuplicateTable: ERROR:  relation "index_accounts_on_uri" already exists\n'


def role(**overrides):
    variables = copy.deepcopy(BASE_VARS)
    variables.update(overrides)
    return [{'name': 'Mastodon', 'ansible.builtin.include_role': {'name': 'fediops.mastodon.mastodon'}, 'vars': variables}]


def failure(run):
    """The messages of the failed tasks, with those of their failed loop items."""
    messages = []
    for task in run.tasks:
        if task.failed:
            messages.append(str(task.result.get('msg')))
            messages.extend(str(item.get('msg')) for item in task.result.get('results', []) if item.get('failed'))
    return ' | '.join(messages)


def recap_changed(text):
    match = re.search(r'localhost\s*: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)', text)
    assert match, text[-3000:]
    return int(match.group(1)), int(match.group(2))


def by_name(control, resource, namespace=NAMESPACE):
    return {item['metadata']['name']: item for item in control.objects(resource, namespace)}


def secret_values(control, name='mastodon-secrets', namespace=NAMESPACE):
    data = by_name(control, 'secrets', namespace)[name]['data']
    return {key: base64.b64decode(value).decode() for key, value in data.items()}


def container(workload):
    spec = workload['spec']
    template = spec['jobTemplate']['spec']['template'] if 'jobTemplate' in spec else spec['template']
    return template['spec']['containers'][0]


def env_of(workload):
    return {item['name']: item.get('value') for item in container(workload).get('env', [])}


def mutated_objects(control):
    return sorted({(entry['kind'], entry['name']) for entry in control.mutations()})


def condition(obj, kind):
    return {item['type']: item['status'] for item in obj.get('status', {}).get('conditions', [])}.get(kind)


@pytest.fixture(scope='module')
def k8s(sandbox):
    with reset_kubernetes(sandbox, ready_delay=0.2, failing_images=[], pod_logs={}) as control:
        yield control


@pytest.fixture(scope='module')
def first_install(k8s, ansible_env, tmp_path_factory):
    """The first converge of a fresh cluster, at -vvvv with the default callback (the leak test reads it)."""
    from tests.integration.conftest import PlaybookRunner
    runner = PlaybookRunner(ansible_env, str(tmp_path_factory.mktemp('mastodon')))
    run = runner.run(role(), text=True, verbosity=4)
    assert run.rc == 0, run.stdout[-6000:] + run.stderr[-2000:]
    return run


def test_first_install_converges_and_the_cluster_reports_everything_available(first_install, k8s):
    changed, failed = recap_changed(first_install.stdout)
    assert failed == 0 and changed > 0
    deployments = by_name(k8s, 'deployments.apps')
    assert sorted(deployments) == [STREAMING, WEB]
    for deployment in deployments.values():
        assert condition(deployment, 'Available') == 'True'
        assert deployment['status']['readyReplicas'] == deployment['spec']['replicas'] == 2
        assert deployment['status']['updatedReplicas'] == 2
    jobs = by_name(k8s, 'jobs.batch')
    assert sorted(re.sub('-[0-9a-f]{8}$', '', name) for name in jobs) == ['mastodon-db-migrate-post-v4-7-2', 'mastodon-db-migrate-pre-v4-7-2']
    assert all(condition(job, 'Complete') == 'True' for job in jobs.values())
    assert sorted(by_name(k8s, 'services')) == [STREAMING, WEB]
    assert sorted(by_name(k8s, 'poddisruptionbudgets.policy')) == [STREAMING, WEB]
    assert sorted(by_name(k8s, 'networkpolicies.networking.k8s.io')) == ['mastodon-ingress']
    assert set(by_name(k8s, 'configmaps')) >= {'mastodon-env'}
    assert 'Generated ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY' in first_install.stdout


def test_generated_secrets_have_mastodon_formats(first_install, k8s):
    values = secret_values(k8s)
    assert re.fullmatch(r'[0-9a-f]{128}', values['SECRET_KEY_BASE'])
    for name in ('DETERMINISTIC_KEY', 'KEY_DERIVATION_SALT', 'PRIMARY_KEY'):
        assert re.fullmatch(r'[A-Za-z0-9]{32}', values['ACTIVE_RECORD_ENCRYPTION_' + name])
    assert len(base64.urlsafe_b64decode(values['VAPID_PRIVATE_KEY'])) == 32
    assert base64.urlsafe_b64decode(values['VAPID_PUBLIC_KEY'])[:1] == b'\x04'
    assert 'OTP_SECRET' not in values and 'REDIS_NAMESPACE' not in values


def test_verbose_output_shows_no_secret(first_install, k8s):
    output = first_install.stdout + first_install.stderr
    values = secret_values(k8s)
    encoded = by_name(k8s, 'secrets')['mastodon-secrets']['data']
    leaked = [name for name, value in values.items() if value in output or encoded[name] in output]
    assert leaked == []
    assert [secret for secret in PASSED_IN_SECRETS if secret in output] == []
    # The run did print at -vvvv (the test would prove nothing on a silent run).
    assert 'mastodon-env' in output and len(output) > 50000


def test_rerun_changes_nothing_and_keeps_the_secrets(first_install, k8s, playbook):
    before = secret_values(k8s)
    versions = {key: item['metadata']['resourceVersion'] for key, item in by_name(k8s, 'deployments.apps').items()}
    k8s.clear_requests()
    run = playbook.run(role())
    assert run.rc == 0, failure(run)
    assert run.changed == 0, [task.name for task in run.tasks if task.changed]
    assert mutated_objects(k8s) == []
    assert not [entry for entry in k8s.requests() if entry['verb'] == 'create']
    assert secret_values(k8s) == before
    assert {key: item['metadata']['resourceVersion'] for key, item in by_name(k8s, 'deployments.apps').items()} == versions
    assert run.task('fediops.mastodon.mastodon : Tell later roles what was deployed')['ansible_facts']['mastodon_deployed']['config_checksum'] == \
        by_name(k8s, 'deployments.apps')[WEB]['spec']['template']['metadata']['annotations'][CHECKSUM]


def test_check_mode_on_a_converged_instance_stores_nothing(first_install, k8s, playbook):
    k8s.clear_requests()
    run = playbook.run(role(mastodon_extra_env={'SINGLE_USER_MODE': 'true'}), check=True)
    assert run.rc == 0, failure(run)
    assert mutated_objects(k8s) == []
    assert 'SINGLE_USER_MODE' not in by_name(k8s, 'configmaps')['mastodon-env']['data']


def test_check_mode_of_a_first_install_validates_and_stops_without_writing(k8s, playbook):
    k8s.clear_requests()
    run = playbook.run(role(mastodon_namespace='mastodon-check'), check=True)
    assert run.rc == 0, failure(run)
    assert k8s.writes() == []
    assert 'the namespace mastodon-check does not exist yet' in run.task('fediops.mastodon.mastodon : Say what a real run of a first install would do')['msg']
    assert 'mastodon-check' not in {item['metadata']['name'] for item in k8s.objects('namespaces')}


def test_explicit_kubeconfig_works_without_the_environment(first_install, k8s, playbook, sandbox):
    k8s.clear_requests()
    run = playbook.run(role(mastodon_kubeconfig=sandbox.kubeconfig), env={'K8S_AUTH_KUBECONFIG': None, 'KUBECONFIG': None})
    assert run.rc == 0, failure(run)
    assert run.changed == 0 and mutated_objects(k8s) == []
    assert len(k8s.requests()) > 5


def test_rendered_environment_follows_mastodon_47(first_install, k8s):
    env = by_name(k8s, 'configmaps')['mastodon-env']['data']
    secrets = secret_values(k8s)
    deployments = by_name(k8s, 'deployments.apps')
    jobs = by_name(k8s, 'jobs.batch')
    web, streaming = deployments[WEB], deployments[STREAMING]

    assert env['LOCAL_DOMAIN'] == 'sandbox.fediops.test' and env['WEB_DOMAIN'] == 'social.sandbox.fediops.test'
    # App pods go through PgBouncer; migrations connect directly.
    assert (env['DB_HOST'], env['DB_PORT'], env['DB_NAME']) == (BASE_VARS['mastodon_db']['host'], '25061', 'mastodon-pool')
    assert env['PREPARED_STATEMENTS'] == 'false' and env['DB_SSLMODE'] == 'require'
    for job in jobs.values():
        assert env_of(job)['DB_PORT'] == '25060' and env_of(job)['DB_NAME'] == 'mastodon_production'
        assert container(job)['envFrom'] == container(web)['envFrom']
    pre = next(job for name, job in jobs.items() if '-pre-' in name)
    post = next(job for name, job in jobs.items() if '-post-' in name)
    # First install: nothing serves yet, so everything runs at once (an empty database gets schema and seeds).
    assert container(pre)['command'] == ['bundle', 'exec', 'rails', 'db:prepare']
    assert container(post)['command'] == ['bundle', 'exec', 'rails', 'db:migrate']
    assert 'SKIP_POST_DEPLOYMENT_MIGRATIONS' not in env_of(pre) and 'SKIP_POST_DEPLOYMENT_MIGRATIONS' not in env_of(post)
    assert pre['spec']['activeDeadlineSeconds'] == 7200 and pre['spec']['backoffLimit'] == 0
    # Valkey over TLS with the Ruby driver, never a namespace; no OTP_SECRET since 4.4.
    assert secrets['REDIS_URL'].startswith('rediss://') and env['REDIS_DRIVER'] == 'ruby'
    everything = [env, secrets] + [env_of(item) for item in list(deployments.values()) + list(jobs.values())]
    assert not [source for source in everything if 'REDIS_NAMESPACE' in source or 'OTP_SECRET' in source]
    assert secrets['DB_PASS'] == DB_PASSWORD and secrets['SMTP_PASSWORD'] == SMTP_PASSWORD
    assert env['S3_ALIAS_HOST'] == 'media.sandbox.fediops.test' and env['S3_HOSTNAME'] == 'nyc3.digitaloceanspaces.com'
    assert env['TRUSTED_PROXY_IP'] == '10.244.0.0/16' and env['SMTP_SERVER'].startswith('email-smtp.')
    assert not set(env) & set(secrets)

    # Web: Puma bound to all interfaces, workers and threads; streaming: its own image at the same tag.
    assert container(web)['command'] == ['bundle', 'exec', 'puma', '-C', 'config/puma.rb']
    assert container(web)['image'] == 'ghcr.io/mastodon/mastodon:' + VERSION
    assert env_of(web)['BIND'] == '0.0.0.0'
    assert (env_of(web)['WEB_CONCURRENCY'], env_of(web)['MAX_THREADS']) == ('2', '5')
    assert container(streaming)['image'] == 'ghcr.io/mastodon/mastodon-streaming:' + VERSION
    assert container(streaming)['command'] == ['node', './streaming/index.js']
    assert env_of(streaming)['DB_POOL'] == '10' and env_of(streaming)['PORT'] == '4000'
    # node-pg verifies "require" against the system CAs; libpq's "require" is its "no-verify".
    assert env_of(streaming)['DB_SSLMODE'] == 'no-verify'
    assert container(web)['startupProbe']['httpGet']['path'] == '/health'
    assert container(streaming)['readinessProbe']['httpGet']['path'] == '/api/v1/streaming/health'

    for workload in list(deployments.values()) + list(jobs.values()):
        pod = workload['spec']['template']['spec']
        assert pod['securityContext']['runAsNonRoot'] is True and pod['securityContext']['runAsUser'] == 991
        assert pod['securityContext']['seccompProfile'] == {'type': 'RuntimeDefault'}
        security = container(workload)['securityContext']
        assert security['readOnlyRootFilesystem'] is True and security['allowPrivilegeEscalation'] is False
        assert security['capabilities'] == {'drop': ['ALL']}
        assert {'/tmp'} <= {mount['mountPath'] for mount in container(workload)['volumeMounts']}
    assert '/opt/mastodon/tmp' in {mount['mountPath'] for mount in container(web)['volumeMounts']}
    assert web['spec']['template']['metadata']['labels']['app.kubernetes.io/version'] == VERSION
    assert web['spec']['template']['spec']['topologySpreadConstraints'][0]['topologyKey'] == 'kubernetes.io/hostname'
    services = by_name(k8s, 'services')
    assert services[WEB]['spec']['ports'][0]['port'] == 3000 and services[STREAMING]['spec']['ports'][0]['port'] == 4000
    policy = by_name(k8s, 'networkpolicies.networking.k8s.io')['mastodon-ingress']['spec']
    assert policy['policyTypes'] == ['Ingress']


def test_config_change_rolls_web_and_streaming_and_nothing_else(first_install, k8s, playbook):
    before = by_name(k8s, 'deployments.apps')
    jobs_before = sorted(by_name(k8s, 'jobs.batch'))
    secrets_before = secret_values(k8s)
    k8s.clear_requests()
    run = playbook.run(role(mastodon_extra_env={'AUTHORIZED_FETCH': 'true'}))
    assert run.rc == 0, failure(run)
    assert mutated_objects(k8s) == [('ConfigMap', 'mastodon-env'), ('Deployment', STREAMING), ('Deployment', WEB)]
    after = by_name(k8s, 'deployments.apps')
    for name in (WEB, STREAMING):
        old = before[name]['spec']['template']['metadata']['annotations'][CHECKSUM]
        new = after[name]['spec']['template']['metadata']['annotations'][CHECKSUM]
        assert old != new
        assert condition(after[name], 'Available') == 'True' and after[name]['status']['updatedReplicas'] == 2
    assert by_name(k8s, 'configmaps')['mastodon-env']['data']['AUTHORIZED_FETCH'] == 'true'
    assert sorted(by_name(k8s, 'jobs.batch')) == jobs_before
    assert secret_values(k8s) == secrets_before


def test_failed_pre_deploy_migration_stops_before_any_deployment_changes(first_install, k8s, playbook):
    k8s.set_config(failing_images=['ghcr.io/mastodon/mastodon:' + UPGRADE],
                   pod_logs={'ghcr.io/mastodon/mastodon:' + UPGRADE: FAILED_MIGRATION_LOG})
    before = {name: item['metadata']['resourceVersion'] for name, item in by_name(k8s, 'deployments.apps').items()}
    k8s.clear_requests()
    run = playbook.run(role(mastodon_version=UPGRADE, mastodon_extra_env={'AUTHORIZED_FETCH': 'true'}))
    assert run.rc != 0
    message = failure(run)
    assert 'pre-deploy migrations failed' in message and 'BackoffLimitExceeded' in message
    assert 'PG::DuplicateTable: ERROR:  relation "index_accounts_on_uri" already exists' in message
    assert [(kind, name) for kind, name in mutated_objects(k8s) if kind != 'Job'] == []
    assert [name for kind, name in mutated_objects(k8s)] == [name for name in by_name(k8s, 'jobs.batch') if '-pre-v4-7-3-' in name]
    assert not [entry for entry in k8s.writes() if entry['kind'] == 'Deployment']
    deployments = by_name(k8s, 'deployments.apps')
    assert {name: item['metadata']['resourceVersion'] for name, item in deployments.items()} == before
    assert container(deployments[WEB])['image'] == 'ghcr.io/mastodon/mastodon:' + VERSION


def test_failed_rollout_stops_before_post_deploy_migrations_and_old_pods_keep_serving(first_install, k8s, playbook):
    """The migration image is fixed, but the new streaming image crash-loops: the wait stage stops the role."""
    k8s.set_config(failing_images=['ghcr.io/mastodon/mastodon-streaming:' + UPGRADE], pod_logs={})
    run = playbook.run(role(mastodon_version=UPGRADE, mastodon_extra_env={'AUTHORIZED_FETCH': 'true'}, mastodon_rollout_timeout=10))
    assert run.rc != 0
    message = failure(run)
    assert 'did not roll out within 10 s' in message and 'post-deploy migrations did not run' in message
    assert 'ghcr.io/mastodon/mastodon-streaming:' + UPGRADE in message and 'CrashLoopBackOff' in message
    jobs = by_name(k8s, 'jobs.batch')
    assert not [name for name in jobs if '-post-v4-7-3-' in name]
    assert [condition(job, 'Complete') for name, job in jobs.items() if '-pre-v4-7-3-' in name] == ['True']
    streaming = by_name(k8s, 'deployments.apps')[STREAMING]
    assert container(streaming)['image'].endswith(':' + UPGRADE)
    # The previous ReplicaSet still serves: its pods run the old image and are ready.
    old_pods = [pod for pod in k8s.objects('pods', NAMESPACE)
                if pod['metadata']['labels'].get('app.kubernetes.io/component') == 'streaming'
                and pod['spec']['containers'][0]['image'].endswith(':' + VERSION)]
    assert len(old_pods) == 2
    assert all(status['ready'] for pod in old_pods for status in pod['status']['containerStatuses'])


def test_fixed_upgrade_replaces_the_failed_job_rolls_and_cleans_up(first_install, k8s, playbook):
    k8s.set_config(failing_images=[], pod_logs={})
    run = playbook.run(role(mastodon_version=UPGRADE, mastodon_extra_env={'AUTHORIZED_FETCH': 'true'}))
    assert run.rc == 0, failure(run)
    jobs = by_name(k8s, 'jobs.batch')
    assert sorted(name.rsplit('-', 1)[0] for name in jobs) == ['mastodon-db-migrate-post-v4-7-3', 'mastodon-db-migrate-pre-v4-7-3']
    assert all(condition(job, 'Complete') == 'True' for job in jobs.values())
    # An upgrade: the pre-deploy Job leaves the post-deployment migrations to the post-deploy Job.
    pre = next(job for name, job in jobs.items() if '-pre-' in name)
    assert container(pre)['command'] == ['bundle', 'exec', 'rails', 'db:migrate']
    assert env_of(pre)['SKIP_POST_DEPLOYMENT_MIGRATIONS'] == 'true' and env_of(pre)['DB_PORT'] == '25060'
    for deployment in by_name(k8s, 'deployments.apps').values():
        assert container(deployment)['image'].endswith(':' + UPGRADE)
        assert condition(deployment, 'Available') == 'True' and deployment['status']['updatedReplicas'] == 2


INVALID_INPUTS = [
    ({'mastodon_extra_env': {'REDIS_NAMESPACE': 'mastodon'}}, ['mastodon_extra_env.REDIS_NAMESPACE', 'aborts boot']),
    ({'mastodon_extra_env': {'OTP_SECRET': 'x'}}, ['mastodon_extra_env.OTP_SECRET', 'removed in Mastodon 4.4']),
    ({'mastodon_extra_env': {'DB_PASS': 'x'}}, ['mastodon_extra_env.DB_PASS', 'belongs in the Secret']),
    ({'mastodon_version': 'v4.4.3'}, ['mastodon_version = "v4.4.3"', 'Mastodon 4.5 or later']),
    ({'mastodon_local_domain': 'https://Social.Example'}, ['mastodon_local_domain = "https://Social.Example"', 'lowercase DNS name']),
    ({'mastodon_redis': {'url': 'redis://default:%s@valkey:6379' % REDIS_PASSWORD}}, ['mastodon_redis.url (starts with "redis://")', 'rediss://']),
    ({'mastodon_maintenance_cronjobs': {'media-remove': {'enabled': True, 'schedule': '61 * * * *'}}},
     ['mastodon_maintenance_cronjobs.media-remove', 'five fields']),
    ({'mastodon_db': {'host': 'db', 'name': 'm', 'user': 'u'}}, ['mastodon_db', 'password']),
]


@pytest.mark.parametrize('overrides, expected', INVALID_INPUTS, ids=[case[1][0].split(' ')[0] for case in INVALID_INPUTS])
def test_invalid_inputs_fail_before_any_request_naming_field_and_rule(k8s, playbook, overrides, expected):
    k8s.clear_requests()
    run = playbook.run(role(**overrides))
    assert run.rc != 0
    message = failure(run)
    for text in expected:
        assert text in message, message
    assert REDIS_PASSWORD not in run.stdout + run.stderr
    assert k8s.requests() == []


CILIUM_CRD = {
    'apiVersion': 'apiextensions.k8s.io/v1', 'kind': 'CustomResourceDefinition',
    'metadata': {'name': 'ciliumnetworkpolicies.cilium.io'},
    'spec': {'group': 'cilium.io', 'scope': 'Namespaced',
             'names': {'kind': 'CiliumNetworkPolicy', 'plural': 'ciliumnetworkpolicies', 'singular': 'ciliumnetworkpolicy',
                       'listKind': 'CiliumNetworkPolicyList', 'shortNames': ['cnp']},
             'versions': [{'name': 'v2', 'served': True, 'storage': True,
                           'schema': {'openAPIV3Schema': {'type': 'object', 'x-kubernetes-preserve-unknown-fields': True}}}]},
}
CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBdummyCAforTests\n-----END CERTIFICATE-----\n'
SUPPLIED_KEY_BASE = 'f' * 64 + '0' * 64


def full_features():
    return role(
        mastodon_name='full', mastodon_namespace='mastodon-full', mastodon_gateway_namespace='gateway',
        mastodon_gateway_pod_labels={'app.kubernetes.io/name': 'envoy'},
        mastodon_db=dict(BASE_VARS['mastodon_db'], sslmode='verify-full', ca_cert=CA_PEM),
        mastodon_opensearch={'enabled': True, 'host': 'private-khan.db.ondigitalocean.com', 'password': 'os-Passw0rd-33'},
        mastodon_deepl={'api_key': 'deepl-key-44', 'plan': 'pro'},
        mastodon_hcaptcha={'site_key': 'site-55', 'secret_key': 'hcaptcha-secret-66'},
        mastodon_otel={'endpoint': 'https://in-otel.logs.betterstack.com', 'headers': 'Authorization=Bearer otel-77'},
        mastodon_web_hpa={'enabled': True, 'max_replicas': 5},
        mastodon_maintenance_cronjobs={'media-remove': {'enabled': True}, 'preview-cards-remove': {'enabled': True, 'schedule': '0 4 * * sun'},
                                       'cache-recount': {'enabled': True, 'schedule': '@weekly', 'args': ['cache', 'recount', 'statuses']}},
        mastodon_secret_key_base=SUPPLIED_KEY_BASE,
        mastodon_image_pull_secrets=['registry-sandbox'],
    )


def test_every_optional_object_is_accepted_validates_and_reruns_without_change(k8s, playbook):
    """Search deploy, HPA, CronJobs, the database CA, Cilium's policy: admitted, schema-valid, idempotent."""
    import kubernetes_validate  # pylint: disable=import-outside-toplevel
    crd = [{'name': 'cilium CRD', 'kubernetes.core.k8s': {'definition': CILIUM_CRD}}]
    run = playbook.run(crd + full_features())
    assert run.rc == 0, failure(run)
    namespace = 'mastodon-full'
    env = by_name(k8s, 'configmaps', namespace)['full-env']['data']
    secrets = secret_values(k8s, 'full-secrets', namespace)
    assert env['ES_ENABLED'] == 'true' and env['ES_HOST'] == 'https://private-khan.db.ondigitalocean.com' and env['ES_PORT'] == '25060'
    assert env['DEEPL_PLAN'] == 'pro' and secrets['DEEPL_API_KEY'] == 'deepl-key-44'
    assert env['OTEL_EXPORTER_OTLP_ENDPOINT'].startswith('https://') and secrets['OTEL_EXPORTER_OTLP_HEADERS'].endswith('otel-77')
    assert env['DB_SSLMODE'] == 'verify-full' and secrets['SECRET_KEY_BASE'] == SUPPLIED_KEY_BASE
    assert by_name(k8s, 'configmaps', namespace)['full-db-ca']['data']['ca.crt'] == CA_PEM
    deployments = by_name(k8s, 'deployments.apps', namespace)
    assert env_of(deployments['full-web'])['PGSSLROOTCERT'] == '/etc/mastodon/db-ca/ca.crt'
    assert env_of(deployments['full-streaming'])['NODE_EXTRA_CA_CERTS'] == '/etc/mastodon/db-ca/ca.crt'
    assert 'DB_SSLMODE' not in env_of(deployments['full-streaming'])
    assert deployments['full-web']['spec']['template']['spec']['imagePullSecrets'] == [{'name': 'registry-sandbox'}]
    assert sorted(by_name(k8s, 'horizontalpodautoscalers.autoscaling', namespace)) == ['full-web']
    search = by_name(k8s, 'jobs.batch', namespace)['full-search-deploy']
    assert container(search)['command'] == ['bin/tootctl', 'search', 'deploy'] and condition(search, 'Complete') == 'True'
    cronjobs = by_name(k8s, 'cronjobs.batch', namespace)
    assert sorted(cronjobs) == ['full-cache-recount', 'full-media-remove', 'full-preview-cards-remove']
    assert cronjobs['full-preview-cards-remove']['spec']['schedule'] == '0 4 * * sun'
    assert container(cronjobs['full-media-remove'])['command'] == ['bin/tootctl', 'media', 'remove', '--days', '7']
    assert env_of(cronjobs['full-media-remove'])['DB_PORT'] == '25060'
    assert cronjobs['full-media-remove']['spec']['concurrencyPolicy'] == 'Forbid'
    policies = by_name(k8s, 'ciliumnetworkpolicies.cilium.io', namespace)
    assert list(policies) == ['full-ingress'] and not by_name(k8s, 'networkpolicies.networking.k8s.io', namespace)
    assert policies['full-ingress']['spec']['ingress'][0]['fromEntities'] == ['ingress']

    # Every built-in object the role wrote passes the Kubernetes 1.33 schemas offline too.
    state = k8s.state()
    checked = 0
    for resource, items in state.items():
        for item in items:
            if item['metadata'].get('namespace') != namespace or resource in ('pods', 'replicasets.apps', 'serviceaccounts') \
                    or resource.endswith('cilium.io'):
                continue
            body = {key: value for key, value in item.items() if key != 'status'}
            kubernetes_validate.validate(body, '1.33', strict=True)
            checked += 1
    assert checked >= 12

    k8s.clear_requests()
    rerun = playbook.run(full_features())
    assert rerun.rc == 0 and rerun.changed == 0, failure(rerun) or [task.name for task in rerun.tasks if task.changed]
    assert mutated_objects(k8s) == []

    # Disabling a CronJob removes it; nothing else changes.
    k8s.clear_requests()
    fewer = full_features()
    fewer[0]['vars']['mastodon_maintenance_cronjobs'] = {'media-remove': {'enabled': True}}
    run = playbook.run(fewer)
    assert run.rc == 0, failure(run)
    assert sorted(by_name(k8s, 'cronjobs.batch', namespace)) == ['full-media-remove']
    assert {kind for kind, name in mutated_objects(k8s)} == {'CronJob'}
