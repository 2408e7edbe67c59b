# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every template of the mastodon role, rendered offline by Ansible with the role's own defaults and
vars, in a minimal and an everything-on configuration: one object per file, of the kind the file is
named after, valid against the Kubernetes 1.33 schemas. No cluster involved.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import kubernetes_validate
import pytest
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLE = os.path.join(REPO_ROOT, 'roles', 'mastodon')
TEMPLATES = os.path.join(ROLE, 'templates')
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')

# File name -> (apiVersion, kind): one object kind per template, named after what it renders.
KINDS = {
    'namespace.yaml.j2': ('v1', 'Namespace'),
    'env-configmap.yaml.j2': ('v1', 'ConfigMap'),
    'db-ca-configmap.yaml.j2': ('v1', 'ConfigMap'),
    'secrets-secret.yaml.j2': ('v1', 'Secret'),
    'web-deployment.yaml.j2': ('apps/v1', 'Deployment'),
    'streaming-deployment.yaml.j2': ('apps/v1', 'Deployment'),
    'web-service.yaml.j2': ('v1', 'Service'),
    'streaming-service.yaml.j2': ('v1', 'Service'),
    'web-pdb.yaml.j2': ('policy/v1', 'PodDisruptionBudget'),
    'streaming-pdb.yaml.j2': ('policy/v1', 'PodDisruptionBudget'),
    'web-hpa.yaml.j2': ('autoscaling/v2', 'HorizontalPodAutoscaler'),
    'streaming-hpa.yaml.j2': ('autoscaling/v2', 'HorizontalPodAutoscaler'),
    'networkpolicy.yaml.j2': ('networking.k8s.io/v1', 'NetworkPolicy'),
    'ciliumnetworkpolicy.yaml.j2': ('cilium.io/v2', 'CiliumNetworkPolicy'),
    'migration-job.yaml.j2': ('batch/v1', 'Job'),
    'search-deploy-job.yaml.j2': ('batch/v1', 'Job'),
    'maintenance-cronjob.yaml.j2': ('batch/v1', 'CronJob'),
}

MINIMAL = {
    'mastodon_local_domain': 'example.social',
    'mastodon_db': {'host': 'db', 'name': 'mastodon', 'user': 'mastodon', 'password': 'p'},
    'mastodon_redis': {'url': 'rediss://default:p@valkey:25061'},
    'mastodon_s3': {'bucket': 'media', 'region': 'nyc3', 'endpoint': 'https://nyc3.digitaloceanspaces.com',
                    'alias_host': 'media.example.social', 'access_key_id': 'k', 'secret_access_key': 's'},
}
EVERYTHING = dict(
    MINIMAL,
    mastodon_db=dict(MINIMAL['mastodon_db'], sslmode='verify-full', ca_cert='-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n'),
    mastodon_opensearch={'enabled': True, 'host': 'search', 'password': 'p'},
    mastodon_web_hpa={'enabled': True}, mastodon_streaming_hpa={'enabled': True, 'min_replicas': 1},
    mastodon_web_pdb_max_unavailable='50%',
    mastodon_image_pull_secrets=['registry'], mastodon_node_selector={'doks.digitalocean.com/node-pool': 'web'},
    mastodon_tolerations=[{'key': 'dedicated', 'operator': 'Equal', 'value': 'mastodon', 'effect': 'NoSchedule'}],
    mastodon_topology_spread={'enabled': False}, mastodon_read_only_root_filesystem=False,
    mastodon_gateway_pod_labels={'app': 'envoy'}, mastodon_network_policy_extra_from=[{'ipBlock': {'cidr': '10.244.0.0/16'}}],
    mastodon_network_policy_extra_cilium_rules=[{'fromEntities': ['cluster']}],
    mastodon_search_deploy_args=['--concurrency', '5'],
    mastodon_extra_secret_env={'CACHE_BUSTER_SECRET': 'c'},
)

PLAY = '''
- hosts: localhost
  gather_facts: false
  vars_files: [{defaults}, {vars}, {inputs}]
  vars:
    __mastodon_secret_set:
      secrets: {{SECRET_KEY_BASE: "{key}", VAPID_PRIVATE_KEY: "v", VAPID_PUBLIC_KEY: "w"}}
      sources: {{SECRET_KEY_BASE: existing, VAPID_PRIVATE_KEY: generated, VAPID_PUBLIC_KEY: generated}}
    __mastodon_config_checksum: "{checksum}"
    __mastodon_cilium_available: true
    __mastodon_network_policy_effective: NetworkPolicy
    __mastodon_migration_phase: pre
    __mastodon_migration_job_name: "{{{{ __mastodon_pre_migration_job_name }}}}"
  tasks:
    - name: Render every template
      ansible.builtin.set_fact:
        rendered: "{{{{ rendered | default({{}}) | combine({{item: lookup('ansible.builtin.template', '{templates}/' ~ item)}}) }}}}"
      loop: {files}
    - name: Render the enabled maintenance CronJobs
      ansible.builtin.set_fact:
        cronjobs: "{{{{ cronjobs | default([]) + [lookup('ansible.builtin.template', '{templates}/maintenance-cronjob.yaml.j2')] }}}}"
      loop: "{{{{ __mastodon_maintenance_cronjobs | dict2items }}}}"
      loop_control: {{loop_var: __mastodon_cronjob}}
    - name: Write them out
      ansible.builtin.copy:
        content: "{{{{ {{'templates': rendered, 'cronjobs': cronjobs, 'env': __mastodon_env_data, 'apply': __mastodon_apply_templates}} | to_json }}}}"
        dest: {out}
        mode: "0600"
'''


def render(tmp_path, inputs):
    """Render all templates with ansible-playbook; returns {'templates': {file: text}, 'cronjobs': [text], 'env': {...}}."""
    inputs = dict(inputs, mastodon_maintenance_cronjobs={'media-remove': {'enabled': True},
                                                         'weekly-recount': {'schedule': '@weekly', 'args': ['cache', 'recount', 'statuses']}})
    (tmp_path / 'inputs.yml').write_text(yaml.safe_dump(inputs), encoding='utf-8')
    out = tmp_path / 'rendered.json'
    files = sorted(name for name in os.listdir(TEMPLATES) if name.endswith('.j2') and name != 'maintenance-cronjob.yaml.j2')
    play = PLAY.format(defaults=os.path.join(ROLE, 'defaults', 'main.yml'), vars=os.path.join(ROLE, 'vars', 'main.yml'),
                       inputs=tmp_path / 'inputs.yml', key='f' * 128, checksum='0' * 64, templates=TEMPLATES,
                       files=json.dumps(files), out=out)
    (tmp_path / 'play.yml').write_text(play, encoding='utf-8')
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
               ANSIBLE_CONFIG=os.path.join(REPO_ROOT, 'ansible.cfg'))
    proc = subprocess.run([ANSIBLE_PLAYBOOK, '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=%s' % sys.executable,
                           str(tmp_path / 'play.yml')], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return json.loads(out.read_text(encoding='utf-8'))


@pytest.fixture(scope='module', params=['minimal', 'everything'])
def rendered(request, tmp_path_factory):
    inputs = MINIMAL if request.param == 'minimal' else EVERYTHING
    return request.param, render(tmp_path_factory.mktemp(request.param), inputs)


def test_every_template_is_known(rendered):
    dummy, output = rendered
    assert sorted(list(output['templates']) + ['maintenance-cronjob.yaml.j2']) == sorted(KINDS)


def test_each_template_renders_one_object_of_its_kind_that_the_1_33_schemas_accept(rendered):
    dummy, output = rendered
    documents = list(output['templates'].items()) + [('maintenance-cronjob.yaml.j2', text) for text in output['cronjobs']]
    assert len(output['cronjobs']) == 7
    for name, text in documents:
        objects = [item for item in yaml.safe_load_all(text) if item]
        assert len(objects) == 1, name
        obj = objects[0]
        assert (obj['apiVersion'], obj['kind']) == KINDS[name], name
        assert obj['metadata']['name'] and obj['metadata'].get('labels', {}).get('app.kubernetes.io/managed-by') == 'fediops.mastodon', name
        if obj['kind'] == 'CiliumNetworkPolicy':
            assert obj['spec']['ingress'][0] == {'fromEntities': ['ingress'], 'toPorts': [{'ports': [
                {'port': '3000', 'protocol': 'TCP'}, {'port': '4000', 'protocol': 'TCP'}]}]}
            continue
        if obj['kind'] != 'Namespace':
            assert obj['metadata']['namespace'] == 'mastodon', name
        kubernetes_validate.validate(obj, '1.33', strict=True)


def test_secret_data_is_base64_and_configmap_data_all_strings(rendered):
    dummy, output = rendered
    secret = yaml.safe_load(output['templates']['secrets-secret.yaml.j2'])
    assert secret['data']['SECRET_KEY_BASE'] == 'Zm' + secret['data']['SECRET_KEY_BASE'][2:]  # base64 of "ff..."
    assert all(isinstance(value, str) for value in output['env'].values())
    configmap = yaml.safe_load(output['templates']['env-configmap.yaml.j2'])
    assert configmap['data'] == output['env']


def test_optional_settings_reach_the_objects(rendered):
    variant, output = rendered
    web = yaml.safe_load(output['templates']['web-deployment.yaml.j2'])
    streaming = yaml.safe_load(output['templates']['streaming-deployment.yaml.j2'])
    pod = web['spec']['template']['spec']
    enabled = {item['template'] for item in output['apply'] if item['enabled']}
    migration = yaml.safe_load(output['templates']['migration-job.yaml.j2'])['spec']['template']['spec']['containers'][0]
    assert migration['command'] == ['bundle', 'exec', 'rails', 'db:migrate']
    assert {'name': 'SKIP_POST_DEPLOYMENT_MIGRATIONS', 'value': 'true'} in migration['env']
    if variant == 'minimal':
        assert web['spec']['replicas'] == 2 and 'imagePullSecrets' not in pod and 'nodeSelector' not in pod
        assert pod['topologySpreadConstraints'][0]['whenUnsatisfiable'] == 'ScheduleAnyway'
        assert {'web-hpa.yaml.j2', 'streaming-hpa.yaml.j2', 'ciliumnetworkpolicy.yaml.j2'}.isdisjoint(enabled)
        assert {'web-pdb.yaml.j2', 'networkpolicy.yaml.j2'} <= enabled
        assert output['env']['ES_ENABLED'] == 'false' and 'ES_HOST' not in output['env']
        assert [item for item in streaming['spec']['template']['spec']['containers'][0]['env'] if item['name'] == 'DB_SSLMODE'] == \
            [{'name': 'DB_SSLMODE', 'value': 'no-verify'}]
    else:
        # An autoscaled Deployment leaves its replica count to the HorizontalPodAutoscaler.
        assert 'replicas' not in web['spec'] and 'replicas' not in streaming['spec']
        assert pod['imagePullSecrets'] == [{'name': 'registry'}] and pod['tolerations'][0]['key'] == 'dedicated'
        assert 'topologySpreadConstraints' not in pod
        assert pod['containers'][0]['securityContext']['readOnlyRootFilesystem'] is False
        assert {'name': 'db-ca', 'configMap': {'name': 'mastodon-db-ca'}} in pod['volumes']
        assert {'web-hpa.yaml.j2', 'streaming-hpa.yaml.j2'} <= enabled
        assert yaml.safe_load(output['templates']['web-pdb.yaml.j2'])['spec']['maxUnavailable'] == '50%'
        assert output['env']['ES_HOST'] == 'https://search' and output['env']['DB_SSLMODE'] == 'verify-full'
        search = yaml.safe_load(output['templates']['search-deploy-job.yaml.j2'])
        assert search['spec']['template']['spec']['containers'][0]['command'][-2:] == ['--concurrency', '5']
        policy = yaml.safe_load(output['templates']['networkpolicy.yaml.j2'])
        assert policy['spec']['ingress'][0]['from'][1] == {'ipBlock': {'cidr': '10.244.0.0/16'}}
        assert policy['spec']['ingress'][0]['from'][0]['podSelector'] == {'matchLabels': {'app': 'envoy'}}
        secret = yaml.safe_load(output['templates']['secrets-secret.yaml.j2'])
        assert 'CACHE_BUSTER_SECRET' in secret['data'] and 'ES_PASS' in secret['data']
