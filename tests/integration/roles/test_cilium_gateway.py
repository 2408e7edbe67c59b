# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cilium_gateway role through ansible-playbook against the sandbox's Kubernetes stand-in."""

from __future__ import annotations

import base64
import glob
import os

import pytest
import yaml
from kubernetes import config as kube_config
from kubernetes import dynamic

from tests.emulators.kubernetes.control import KubernetesControl
from tests.integration.roles.test_cilium_gateway_rules import SHARED, cel_violations

NAMESPACE = 'mastodon'
DOMAIN = 'example.social'
ALIAS = 'www.example.social'
TOKEN = 'dop_v1_0123456789abcdefSANDBOXdnsTOKEN'
GATEWAY_API = 'gateway.networking.k8s.io'
BASE = {'cilium_gateway_web_domain': DOMAIN, 'cilium_gateway_alias_hosts': [ALIAS], 'cilium_gateway_acme_email': 'admin@example.social',
        'cilium_gateway_digitalocean_token': TOKEN}
CERT_MANAGER_CRDS = ['certificaterequests.cert-manager.io', 'certificates.cert-manager.io', 'clusterissuers.cert-manager.io', 'issuers.cert-manager.io']


@pytest.fixture
def kube(sandbox):
    """A dynamic client on the stand-in (for the test's own setup)."""
    return dynamic.DynamicClient(kube_config.new_client_from_config(config_file=sandbox.kubeconfig))


def create(client, body):
    return client.resources.get(api_version=body['apiVersion'], kind=body['kind']).create(body=body, namespace=body['metadata'].get('namespace'))


@pytest.fixture
def k8s(sandbox, kube):
    """The stand-in, reset, with what exists before this role runs: Mastodon's Services (the sandbox
    cluster comes with cert-manager installed: its CRDs, namespace and Deployments)."""
    control = KubernetesControl(sandbox.k8s_url, sandbox.ca_bundle)
    control.reset()
    for body in (
        {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': NAMESPACE}},
        {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 'mastodon-web', 'namespace': NAMESPACE},
         'spec': {'selector': {'app.kubernetes.io/component': 'web'}, 'ports': [{'name': 'http', 'port': 3000}]}},
        {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 'mastodon-streaming', 'namespace': NAMESPACE},
         'spec': {'selector': {'app.kubernetes.io/component': 'streaming'}, 'ports': [{'name': 'streaming', 'port': 4000}]}},
    ):
        create(kube, body)
    control.clear_requests()
    yield control
    control.clear_faults()
    control.reset()  # brings back the CRDs a test deleted


def role(**overrides):
    variables = dict(BASE)
    variables.update(overrides)
    return {'name': 'gateway', 'ansible.builtin.include_role': {'name': 'fediops.mastodon.cilium_gateway'}, 'vars': variables}


ADDRESS = {'name': 'address', 'ansible.builtin.debug': {'var': 'cilium_gateway_address'}}


def failure(run):
    return ' | '.join(str(task.result.get('msg')) for task in run.tasks if task.failed)


def by_name(control, resource, namespace=NAMESPACE):
    return {item['metadata']['name']: item for item in control.objects(resource, namespace)}


def condition(obj, kind):
    """The status of the condition ``kind`` of an object (status.conditions) or of a listener or route parent status (conditions)."""
    conditions = obj['conditions'] if 'conditions' in obj else (obj.get('status') or {}).get('conditions')
    return next((item['status'] for item in conditions or [] if item['type'] == kind), None)


def test_converge_programs_the_gateway_issues_the_certificate_and_a_rerun_mutates_nothing(k8s, playbook):
    run = playbook.run([role(), ADDRESS])
    assert run.rc == 0, failure(run) or run.stdout
    gateway = by_name(k8s, 'gateways.' + GATEWAY_API)['mastodon']
    assert gateway['spec']['gatewayClassName'] == 'cilium'
    assert condition(gateway, 'Programmed') == 'True'
    address = gateway['status']['addresses'][0]['value']
    assert run.task('address')['cilium_gateway_address'] == address

    listeners = {item['name']: item for item in gateway['spec']['listeners']}
    assert (listeners['http']['protocol'], listeners['http']['port']) == ('HTTP', 80) and 'tls' not in listeners['http']
    for name, host in (('https', DOMAIN), ('https-alias-1', ALIAS)):
        assert (listeners[name]['protocol'], listeners[name]['port'], listeners[name]['hostname']) == ('HTTPS', 443, host)
        assert listeners[name]['tls']['certificateRefs'] == [{'group': '', 'kind': 'Secret', 'name': 'mastodon-tls'}]
    assert all(condition(item, 'ResolvedRefs') == 'True' for item in gateway['status']['listeners']), gateway['status']['listeners']

    certificate = by_name(k8s, 'certificates.cert-manager.io')['mastodon-tls']
    assert condition(certificate, 'Ready') == 'True'
    assert certificate['spec']['dnsNames'] == [DOMAIN, ALIAS]
    assert certificate['spec']['issuerRef'] == {'group': 'cert-manager.io', 'kind': 'ClusterIssuer', 'name': 'letsencrypt-production'}
    assert by_name(k8s, 'secrets')['mastodon-tls']['type'] == 'kubernetes.io/tls'

    issuer = by_name(k8s, 'clusterissuers.cert-manager.io', None)['letsencrypt-production']
    assert issuer['spec']['acme']['email'] == 'admin@example.social'
    assert issuer['spec']['acme']['server'] == 'https://acme-v02.api.letsencrypt.org/directory'
    assert issuer['spec']['acme']['solvers'][0]['dns01']['digitalocean']['tokenSecretRef'] == {'name': 'digitalocean-dns-token', 'key': 'access-token'}
    token_secret = by_name(k8s, 'secrets', 'cert-manager')['digitalocean-dns-token']
    assert base64.b64decode(token_secret['data']['access-token']).decode() == TOKEN
    # The stand-in prunes unknown fields with a warning instead of refusing them: none may have been dropped.
    assert [(entry['kind'], entry['name'], entry['warnings']) for entry in k8s.requests() if entry.get('warnings')] == []

    k8s.clear_requests()
    rerun = playbook.run([role(), ADDRESS])
    assert rerun.rc == 0 and rerun.changed == 0, failure(rerun) or rerun.stdout
    assert k8s.mutations() == []


def test_routes_send_streaming_and_web_to_their_services_and_redirect_http_and_aliases(k8s, playbook):
    run = playbook.run([role()])
    assert run.rc == 0, failure(run) or run.stdout
    routes = by_name(k8s, 'httproutes.' + GATEWAY_API)
    assert sorted(routes) == ['mastodon-alias-redirect', 'mastodon-http-redirect', 'mastodon-web']
    for name, route in routes.items():
        assert cel_violations(route) == [], name
        for parent in route['status']['parents']:
            assert condition(parent, 'Accepted') == 'True' and condition(parent, 'ResolvedRefs') == 'True', name

    web = routes['mastodon-web']['spec']
    assert web['hostnames'] == [DOMAIN] and [ref['sectionName'] for ref in web['parentRefs']] == ['https']
    streaming, everything = web['rules']
    assert streaming['matches'] == [{'path': {'type': 'PathPrefix', 'value': '/api/v1/streaming'}}]
    assert [(ref['name'], ref['port']) for ref in streaming['backendRefs']] == [('mastodon-streaming', 4000)]
    assert streaming['timeouts'] == {'request': '0s'}
    assert everything['matches'] == [{'path': {'type': 'PathPrefix', 'value': '/'}}]
    assert [(ref['name'], ref['port']) for ref in everything['backendRefs']] == [('mastodon-web', 3000)]
    assert 'timeouts' not in everything

    redirect = routes['mastodon-http-redirect']['spec']
    assert redirect['hostnames'] == [DOMAIN, ALIAS] and [ref['sectionName'] for ref in redirect['parentRefs']] == ['http']
    assert redirect['rules'] == [{'matches': [{'path': {'type': 'PathPrefix', 'value': '/'}}],
                                  'filters': [{'type': 'RequestRedirect', 'requestRedirect': {'scheme': 'https', 'statusCode': 301}}]}]

    alias = routes['mastodon-alias-redirect']['spec']
    assert alias['hostnames'] == [ALIAS] and [ref['sectionName'] for ref in alias['parentRefs']] == ['https-alias-1']
    assert alias['rules'][0]['filters'] == [{'type': 'RequestRedirect', 'requestRedirect': {'hostname': DOMAIN, 'statusCode': 301}}]
    assert 'backendRefs' not in alias['rules'][0]

    gateway = by_name(k8s, 'gateways.' + GATEWAY_API)['mastodon']
    assert cel_violations(gateway) == []
    attached = {item['name']: item['attachedRoutes'] for item in gateway['status']['listeners']}
    assert attached == {'http': 1, 'https': 1, 'https-alias-1': 1}


def test_http01_exempts_acme_challenges_and_writes_no_dns_token(k8s, playbook):
    run = playbook.run([role(cilium_gateway_acme_solver='http01', cilium_gateway_digitalocean_token='', cilium_gateway_alias_redirect=False)])
    assert run.rc == 0, failure(run) or run.stdout
    routes = by_name(k8s, 'httproutes.' + GATEWAY_API)
    assert sorted(routes) == ['mastodon-http-redirect', 'mastodon-web']
    rules = routes['mastodon-http-redirect']['spec']['rules']
    assert rules[0] == {'matches': [{'path': {'type': 'PathPrefix', 'value': '/.well-known/acme-challenge/'}}]}
    assert rules[1]['filters'][0]['requestRedirect'] == {'scheme': 'https', 'statusCode': 301}
    assert routes['mastodon-web']['spec']['hostnames'] == [DOMAIN, ALIAS]
    assert all(cel_violations(route) == [] for route in routes.values())
    issuer = by_name(k8s, 'clusterissuers.cert-manager.io', None)['letsencrypt-production']
    assert issuer['spec']['acme']['solvers'] == [{'http01': {'gatewayHTTPRoute': {'parentRefs': [
        {'group': GATEWAY_API, 'kind': 'Gateway', 'name': 'mastodon', 'namespace': NAMESPACE, 'sectionName': 'http'}]}}}]
    assert 'digitalocean-dns-token' not in by_name(k8s, 'secrets', 'cert-manager')


def test_annotation_mode_lets_cert_manager_write_the_certificate_on_staging(k8s, playbook):
    run = playbook.run([role(cilium_gateway_certificate_mode='annotation', cilium_gateway_acme_environment='staging')])
    assert run.rc == 0, failure(run) or run.stdout
    gateway = by_name(k8s, 'gateways.' + GATEWAY_API)['mastodon']
    assert gateway['metadata']['annotations']['cert-manager.io/cluster-issuer'] == 'letsencrypt-staging'
    certificate = by_name(k8s, 'certificates.cert-manager.io')['mastodon-tls']
    assert certificate['metadata']['ownerReferences'][0]['kind'] == 'Gateway'  # written by the gateway-shim, not the role
    assert condition(certificate, 'Ready') == 'True'
    issuer = by_name(k8s, 'clusterissuers.cert-manager.io', None)['letsencrypt-staging']
    assert issuer['spec']['acme']['server'] == 'https://acme-staging-v02.api.letsencrypt.org/directory'
    assert not any(entry['verb'] in ('create', 'patch') and entry['kind'] == 'Certificate' for entry in k8s.writes())


def test_the_dns_token_never_reaches_the_output_even_at_vvvv(k8s, playbook):
    run = playbook.run([role()], text=True, verbosity=4)
    assert run.rc == 0, run.stdout[-3000:]
    output = run.stdout + run.stderr
    assert 'Apply the Secret with the DigitalOcean token' in output  # the task ran and was logged
    for form in (TOKEN, base64.b64encode(TOKEN.encode()).decode(), base64.b64encode(TOKEN.encode()).decode().rstrip('=')[:24]):
        assert form not in output
    token_secret = by_name(k8s, 'secrets', 'cert-manager')['digitalocean-dns-token']
    assert base64.b64decode(token_secret['data']['access-token']).decode() == TOKEN


def delete_crds(kube, names):
    crds = kube.resources.get(api_version='apiextensions.k8s.io/v1', kind='CustomResourceDefinition')
    for name in names:
        crds.delete(name=name)


def test_missing_cert_manager_crds_fail_with_a_clear_message_and_no_write(k8s, kube, playbook):
    delete_crds(kube, CERT_MANAGER_CRDS)
    k8s.clear_requests()
    run = playbook.run([role()])
    assert run.rc != 0
    message = failure(run)
    assert ('cert-manager is not installed: its CRDs certificates.cert-manager.io, clusterissuers.cert-manager.io are missing from the cluster'
            in message), message
    assert 'set cilium_gateway_install_cert_manager to true' in message
    assert k8s.writes() == []


def test_missing_gateway_api_crds_fail_with_a_clear_message_and_no_write(k8s, kube, playbook):
    delete_crds(kube, ['httproutes.' + GATEWAY_API])
    k8s.clear_requests()
    run = playbook.run([role()])
    assert run.rc != 0
    message = failure(run)
    assert 'The Gateway API CRDs httproutes.gateway.networking.k8s.io are missing from the cluster. DOKS installs and manages them' in message
    assert k8s.writes() == []


def cert_manager_manifest(path):
    """A small stand-in for cert-manager's release manifest: its namespace, its four CRDs (v1.21.1) and its three Deployments."""
    documents = [{'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'cert-manager'}}]
    for crd in sorted(glob.glob(os.path.join(SHARED, 'cert-manager', 'cert-manager.io_*.yaml'))):
        with open(crd, encoding='utf-8') as handle:
            documents.append(yaml.safe_load(handle))
    for name, image in (('cert-manager', 'controller'), ('cert-manager-cainjector', 'cainjector'), ('cert-manager-webhook', 'webhook')):
        labels = {'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'cert-manager'}
        documents.append({'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': name, 'namespace': 'cert-manager', 'labels': labels},
                          'spec': {'replicas': 1, 'selector': {'matchLabels': labels}, 'template': {'metadata': {'labels': labels}, 'spec': {
                              'containers': [{'name': image, 'image': 'quay.io/jetstack/cert-manager-%s:v1.21.1' % image}]}}}})
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding='utf-8')
    return str(path)


def test_cert_manager_is_installed_from_a_local_manifest_when_asked(k8s, kube, playbook, tmp_path):
    delete_crds(kube, CERT_MANAGER_CRDS)
    kube.resources.get(api_version='v1', kind='Namespace').delete(name='cert-manager')
    manifest = cert_manager_manifest(tmp_path / 'cert-manager.yaml')
    run = playbook.run([role(cilium_gateway_install_cert_manager=True, cilium_gateway_cert_manager_manifest_file=manifest)])
    assert run.rc == 0, failure(run) or run.stdout
    assert set(CERT_MANAGER_CRDS) <= {item['metadata']['name'] for item in k8s.objects('customresourcedefinitions.apiextensions.k8s.io')}
    deployments = by_name(k8s, 'deployments.apps', 'cert-manager')
    assert sorted(deployments) == ['cert-manager', 'cert-manager-cainjector', 'cert-manager-webhook']
    assert all(item['status'].get('availableReplicas') == 1 for item in deployments.values())
    assert condition(by_name(k8s, 'certificates.cert-manager.io')['mastodon-tls'], 'Ready') == 'True'

    k8s.clear_requests()
    rerun = playbook.run([role(cilium_gateway_install_cert_manager=True, cilium_gateway_cert_manager_manifest_file=manifest)])
    assert rerun.rc == 0 and rerun.changed == 0, failure(rerun) or rerun.stdout
    assert k8s.mutations() == []


@pytest.mark.parametrize('overrides, message', [
    pytest.param({'cilium_gateway_digitalocean_token': ''}, 'the DNS-01 solver needs cilium_gateway_digitalocean_token', id='no-token'),
    pytest.param({'cilium_gateway_acme_email': 'admin'}, 'cilium_gateway_acme_email=admin is not an email address', id='bad-email'),
    pytest.param({'cilium_gateway_alias_hosts': ['WWW.example.social']}, 'hosts must be lowercase DNS names: WWW.example.social', id='bad-host'),
    pytest.param({'cilium_gateway_alias_hosts': [DOMAIN]}, 'the alias hosts must differ from the web domain', id='alias-is-domain'),
    pytest.param({'cilium_gateway_acme_solver': 'tls-alpn'}, 'value of cilium_gateway_acme_solver must be one of: dns01, http01', id='bad-solver'),
])
def test_invalid_settings_fail_before_any_write(k8s, playbook, overrides, message):
    run = playbook.run([role(**overrides)])
    assert run.rc != 0
    assert message in failure(run), failure(run) or run.stdout
    assert k8s.writes() == []


def test_missing_required_settings_are_named(k8s, playbook):
    task = role()
    del task['vars']['cilium_gateway_acme_email']
    run = playbook.run([task])
    assert run.rc != 0
    assert 'cilium_gateway_acme_email' in failure(run)
    assert k8s.writes() == []
