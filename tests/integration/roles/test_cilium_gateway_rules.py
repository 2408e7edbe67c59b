# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Gateway API CRDs' CEL rules (x-kubernetes-validations), evaluated by intent on the cilium_gateway role's manifests.

The Kubernetes stand-in validates the CRDs' OpenAPI schemas but not their CEL rules, so a manifest it accepts could
still be refused by a real API server. ``cel_violations`` re-states, in Python, the rules of the Gateway API v1.3.0
CRDs (../shared/gateway-api) that the role's Gateway and HTTPRoutes could break, with the CRDs' own messages. The
templates are rendered offline (ansible-playbook with the template lookup, no cluster) for every variant of the role
and checked; test_cilium_gateway.py checks the objects the converged role stored as well.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from tests.integration.conftest import ANSIBLE_PLAYBOOK, COLLECTIONS_PATH, REPO_ROOT, ensure_collection_link

GATEWAY_GROUP = 'gateway.networking.k8s.io'
ROLE = os.path.join(REPO_ROOT, 'roles', 'cilium_gateway')
SHARED = os.environ.get('FEDIOPS_SHARED_DIR') or os.path.join(os.path.dirname(REPO_ROOT), 'shared')
PATH_CHARACTERS = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$")
DURATION = re.compile(r'^([0-9]{1,5}(h|m|s|ms)){1,4}$')
FILTER_FIELDS = {'RequestHeaderModifier': 'requestHeaderModifier', 'ResponseHeaderModifier': 'responseHeaderModifier',
                 'RequestMirror': 'requestMirror', 'RequestRedirect': 'requestRedirect', 'URLRewrite': 'urlRewrite',
                 'ExtensionRef': 'extensionRef'}


def duration_ms(text):
    """A Gateway API duration (GEP-2257, e.g. ``1h30m``, ``0s``) in milliseconds."""
    assert DURATION.match(text), 'not a Gateway API duration: %r' % text
    units = {'h': 3600000, 'm': 60000, 's': 1000, 'ms': 1}
    return sum(int(amount) * units[unit] for amount, unit in re.findall(r'([0-9]+)(ms|h|m|s)', text))


def _parent_key(ref):
    return (ref.get('group', GATEWAY_GROUP), ref.get('kind', 'Gateway'), ref['name'], ref.get('namespace') or '')


def _parent_ref_violations(refs):
    problems = []
    for first in refs:
        same = [second for second in refs if _parent_key(second) == _parent_key(first)]
        if any(bool(second.get('sectionName')) != bool(first.get('sectionName')) for second in same):
            problems.append('sectionName must be specified when parentRefs includes 2 or more references to the same parent')
        if sum(1 for second in same if (second.get('sectionName') or '') == (first.get('sectionName') or '')) != 1:
            problems.append('sectionName must be unique when parentRefs includes 2 or more references to the same parent')
    return sorted(set(problems))


def _filter_violations(filters):
    problems = []
    types = [item.get('type') for item in filters]
    if 'RequestRedirect' in types and 'URLRewrite' in types:
        problems.append('May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both')
    for kind in ('RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite'):
        if types.count(kind) > 1:
            problems.append('%s filter cannot be repeated' % kind)
    for item in filters:
        for kind, field in FILTER_FIELDS.items():
            if field in item and item.get('type') != kind:
                problems.append('filter.%s must be nil if the filter.type is not %s' % (field, kind))
            if field not in item and item.get('type') == kind:
                problems.append('filter.%s must be specified for %s filter.type' % (field, kind))
        for field in ('requestRedirect', 'urlRewrite'):
            path = (item.get(field) or {}).get('path')
            if path and (path.get('type') == 'ReplaceFullPath') != ('replaceFullPath' in path):
                problems.append('replaceFullPath must be specified when type is set to \'ReplaceFullPath\'')
            if path and (path.get('type') == 'ReplacePrefixMatch') != ('replacePrefixMatch' in path):
                problems.append('replacePrefixMatch must be specified when type is set to \'ReplacePrefixMatch\'')
    return problems


def _match_violations(match):
    path = match.get('path', {'type': 'PathPrefix', 'value': '/'})
    kind, value = path.get('type', 'PathPrefix'), path.get('value', '/')
    if kind not in ('Exact', 'PathPrefix', 'RegularExpression'):
        return ["type must be one of ['Exact', 'PathPrefix', 'RegularExpression']"]
    if kind == 'RegularExpression':
        return []
    problems = []
    if not value.startswith('/'):
        problems.append("value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']")
    for fragment in ('//', '/./', '/../', '%2f', '%2F', '#'):
        if fragment in value:
            problems.append("must not contain '%s' when type one of ['Exact', 'PathPrefix']" % fragment)
    for ending in ('/..', '/.'):
        if value.endswith(ending):
            problems.append("must not end with '%s' when type one of ['Exact', 'PathPrefix']" % ending)
    if not PATH_CHARACTERS.match(value):
        problems.append("must only contain valid characters for types ['Exact', 'PathPrefix']")
    return problems


def _rule_violations(rule):
    problems = []
    filters = rule.get('filters') or []
    backends = rule.get('backendRefs') or []
    matches = rule.get('matches') or [{'path': {'type': 'PathPrefix', 'value': '/'}}]
    if backends and any('requestRedirect' in item for item in filters):
        problems.append('RequestRedirect filter must not be used together with backendRefs')
    prefix_messages = (
        ('requestRedirect', 'When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified'),
        ('urlRewrite', 'When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified'),
    )
    for field, message in prefix_messages:
        prefix_replaced = [item for item in filters if ((item.get(field) or {}).get('path') or {}).get('type') == 'ReplacePrefixMatch']
        if len(prefix_replaced) == 1 and (len(matches) != 1 or (matches[0].get('path') or {}).get('type', 'PathPrefix') != 'PathPrefix'):
            problems.append(message)
    problems += _filter_violations(filters)
    for backend in backends:
        if backend.get('group', '') == '' and backend.get('kind', 'Service') == 'Service' and 'port' not in backend:
            problems.append('Must have port for Service reference')
        problems += _filter_violations(backend.get('filters') or [])
    for match in matches:
        problems += _match_violations(match)
    timeouts = rule.get('timeouts') or {}
    if 'request' in timeouts and 'backendRequest' in timeouts and duration_ms(timeouts['request']) != 0 \
            and duration_ms(timeouts['backendRequest']) > duration_ms(timeouts['request']):
        problems.append('backendRequest timeout cannot be longer than request timeout')
    for value in timeouts.values():
        duration_ms(value)
    return problems


def httproute_violations(route):
    spec = route.get('spec') or {}
    problems = _parent_ref_violations(spec.get('parentRefs') or [])
    rules = spec.get('rules') or [{}]
    if sum(len(rule.get('matches') or [{}]) for rule in rules) > 128:
        problems.append('While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less '
                        'than 128')
    for rule in rules:
        problems += _rule_violations(rule)
    return problems


def gateway_violations(gateway):
    listeners = (gateway.get('spec') or {}).get('listeners') or []
    problems = []
    if any(item.get('protocol') in ('HTTP', 'TCP', 'UDP') and 'tls' in item for item in listeners):
        problems.append("tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']")
    if any(item.get('protocol') == 'HTTPS' and 'tls' in item and item['tls'].get('mode', 'Terminate') not in ('', 'Terminate') for item in listeners):
        problems.append('tls mode must be Terminate for protocol HTTPS')
    if any(item.get('protocol') in ('TCP', 'UDP') and item.get('hostname') for item in listeners):
        problems.append("hostname must not be specified for protocols ['TCP', 'UDP']")
    names = [item.get('name') for item in listeners]
    if len(set(names)) != len(names):
        problems.append('Listener name must be unique within the Gateway')
    combinations = [(item.get('port'), item.get('protocol'), item.get('hostname')) for item in listeners]
    if len(set(combinations)) != len(combinations):
        problems.append('Combination of port, protocol and hostname must be unique for each listener')
    for item in listeners:
        tls = item.get('tls')
        if tls and tls.get('mode', 'Terminate') == 'Terminate' and not (tls.get('certificateRefs') or tls.get('options')):
            problems.append('certificateRefs or options must be specified when mode is Terminate')
    return problems


def cel_violations(obj):
    """The messages of the CRD CEL rules the object breaks ([] when it respects them)."""
    if obj.get('kind') == 'HTTPRoute':
        return httproute_violations(obj)
    if obj.get('kind') == 'Gateway':
        return gateway_violations(obj)
    return []


# -- the checker catches what it must (a checker that accepts everything proves nothing) -------------------------

ROUTE = {'kind': 'HTTPRoute', 'spec': {
    'parentRefs': [{'name': 'gw', 'sectionName': 'https'}],
    'rules': [{'matches': [{'path': {'type': 'PathPrefix', 'value': '/'}}],
               'backendRefs': [{'group': '', 'kind': 'Service', 'name': 'web', 'port': 3000}]}]}}


def route_with(**rule):
    route = json.loads(json.dumps(ROUTE))
    route['spec']['rules'][0].update(rule)
    return route


@pytest.mark.parametrize('route, message', [
    (route_with(filters=[{'type': 'RequestRedirect', 'requestRedirect': {'scheme': 'https'}}]),
     'RequestRedirect filter must not be used together with backendRefs'),
    (route_with(backendRefs=[{'name': 'web'}]), 'Must have port for Service reference'),
    (route_with(timeouts={'request': '10s', 'backendRequest': '20s'}), 'backendRequest timeout cannot be longer than request timeout'),
    (route_with(matches=[{'path': {'type': 'PathPrefix', 'value': 'api'}}]),
     "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']"),
    (route_with(backendRefs=[], matches=[{'path': {'type': 'Exact', 'value': '/a'}}],
                filters=[{'type': 'RequestRedirect', 'requestRedirect': {'path': {'type': 'ReplacePrefixMatch', 'replacePrefixMatch': '/x'}}}]),
     'When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified'),
    (route_with(backendRefs=[], filters=[{'type': 'RequestRedirect'}]), 'filter.requestRedirect must be specified for RequestRedirect filter.type'),
    (dict(ROUTE, spec=dict(ROUTE['spec'], parentRefs=[{'name': 'gw', 'sectionName': 'https'}, {'name': 'gw'}])),
     'sectionName must be specified when parentRefs includes 2 or more references to the same parent'),
    (dict(ROUTE, spec=dict(ROUTE['spec'], parentRefs=[{'name': 'gw', 'sectionName': 'a'}, {'name': 'gw', 'sectionName': 'a'}])),
     'sectionName must be unique when parentRefs includes 2 or more references to the same parent'),
    ({'kind': 'Gateway', 'spec': {'listeners': [{'name': 'http', 'protocol': 'HTTP', 'port': 80, 'tls': {'mode': 'Terminate'}}]}},
     "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"),
    ({'kind': 'Gateway', 'spec': {'listeners': [{'name': 'a', 'protocol': 'HTTPS', 'port': 443, 'hostname': 'x.example', 'tls': {}},
                                                {'name': 'b', 'protocol': 'HTTPS', 'port': 443, 'hostname': 'x.example',
                                                 'tls': {'certificateRefs': [{'name': 's'}]}}]}},
     'Combination of port, protocol and hostname must be unique for each listener'),
    ({'kind': 'Gateway', 'spec': {'listeners': [{'name': 'a', 'protocol': 'HTTPS', 'port': 443, 'tls': {'mode': 'Terminate'}}]}},
     'certificateRefs or options must be specified when mode is Terminate'),
])
def test_the_checker_reports_each_rule_with_the_crds_message(route, message):
    assert message in cel_violations(route)


def test_the_checker_accepts_a_valid_route():
    assert cel_violations(ROUTE) == []


def test_the_checked_messages_are_the_crds_own():
    """Every message the checker can give is one the CRDs carry (so the checker follows the real rules, not ours)."""
    messages = set()
    for name in ('gateway.networking.k8s.io_httproutes.yaml', 'gateway.networking.k8s.io_gateways.yaml'):
        with open(os.path.join(SHARED, 'gateway-api', name), encoding='utf-8') as handle:
            text = handle.read()
        messages.update(re.sub(r'\s+', ' ', item['message']) for item in _validations(yaml.safe_load(text)))
    with open(__file__, encoding='utf-8') as handle:
        source = handle.read()
    for message in ('RequestRedirect filter must not be used together with backendRefs', 'Must have port for Service reference',
                    'backendRequest timeout cannot be longer than request timeout', 'Listener name must be unique within the Gateway',
                    'Combination of port, protocol and hostname must be unique for each listener',
                    'certificateRefs or options must be specified when mode is Terminate', 'tls mode must be Terminate for protocol HTTPS',
                    'sectionName must be unique when parentRefs includes 2 or more references to the same parent',
                    'sectionName must be specified when parentRefs includes 2 or more references to the same parent'):
        assert message in messages and message in source, message


def _validations(node):
    if isinstance(node, dict):
        yield from node.get('x-kubernetes-validations') or []
        for value in node.values():
            yield from _validations(value)
    elif isinstance(node, list):
        for value in node:
            yield from _validations(value)


# -- the role's manifests, rendered offline for each variant ------------------------------------------------------

TEMPLATES = ['gateway.yaml.j2', 'httproute-web.yaml.j2', 'httproute-redirect.yaml.j2', 'httproute-alias.yaml.j2', 'clusterissuer.yaml.j2',
             'certificate.yaml.j2', 'namespace.yaml.j2']
BASE = {'cilium_gateway_web_domain': 'example.social', 'cilium_gateway_acme_email': 'admin@example.social',
        'cilium_gateway_digitalocean_token': 'dop_v1_render'}
VARIANTS = {
    'dns01-aliases-redirected': {'cilium_gateway_alias_hosts': ['www.example.social', 'social.example.org']},
    'http01': {'cilium_gateway_acme_solver': 'http01', 'cilium_gateway_alias_hosts': ['www.example.social']},
    'aliases-served': {'cilium_gateway_alias_hosts': ['www.example.social', 'm.example.social'], 'cilium_gateway_alias_redirect': False},
    'annotation-staging': {'cilium_gateway_certificate_mode': 'annotation', 'cilium_gateway_acme_environment': 'staging'},
}


@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
    """{variant: {template: object}}, from one ansible-playbook run with a play per variant (role defaults and vars loaded)."""
    ensure_collection_link()
    plays = []
    for name, overrides in VARIANTS.items():
        plays.append({
            'name': name, 'hosts': 'localhost', 'gather_facts': False,
            # vars_files outrank play vars: the variant's values go on the task, which outranks both.
            'vars_files': [os.path.join(ROLE, 'defaults', 'main.yml'), os.path.join(ROLE, 'vars', 'main.yml')],
            'tasks': [{'name': 'render', 'ansible.builtin.debug': {'msg': "{{ lookup('ansible.builtin.template', item) | from_yaml }}"},
                       'vars': dict(BASE, **overrides),
                       'loop': [os.path.join(ROLE, 'templates', template) for template in TEMPLATES]}],
        })
    path = tmp_path_factory.mktemp('render') / 'render.yml'
    path.write_text(yaml.safe_dump(plays, sort_keys=False), encoding='utf-8')
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, 'ansible.cfg'), ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH,
               ANSIBLE_STDOUT_CALLBACK='ansible.posix.json', ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false')
    proc = subprocess.run([ANSIBLE_PLAYBOOK, '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=%s' % sys.executable, str(path)],
                          env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    document = json.loads(proc.stdout)
    result = {}
    for play in document['plays']:
        items = play['tasks'][0]['hosts']['localhost']['results']
        result[play['play']['name']] = {os.path.basename(item['item']): item['msg'] for item in items}
    return result


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_rendered_gateway_and_routes_respect_the_crds_cel_rules(rendered, variant):
    for template, obj in rendered[variant].items():
        assert cel_violations(obj) == [], '%s %s: %s' % (variant, template, cel_violations(obj))


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_redirect_rules_never_carry_backends_and_the_streaming_rule_has_no_timeout(rendered, variant):
    routes = {template: obj for template, obj in rendered[variant].items() if obj['kind'] == 'HTTPRoute'}
    for template, route in routes.items():
        for rule in route['spec']['rules']:
            if any(item['type'] == 'RequestRedirect' for item in rule.get('filters') or []):
                assert not rule.get('backendRefs'), template
    streaming, web = routes['httproute-web.yaml.j2']['spec']['rules']
    assert streaming['matches'] == [{'path': {'type': 'PathPrefix', 'value': '/api/v1/streaming'}}]
    assert streaming['timeouts'] == {'request': '0s'} and duration_ms(streaming['timeouts']['request']) == 0
    assert [ref['port'] for ref in streaming['backendRefs']] == [4000] and [ref['port'] for ref in web['backendRefs']] == [3000]
    assert 'timeouts' not in web


def test_only_http01_exempts_acme_challenges_from_the_redirect(rendered):
    for variant, objects in rendered.items():
        rules = objects['httproute-redirect.yaml.j2']['spec']['rules']
        exempt = [rule for rule in rules if rule['matches'][0]['path']['value'] == '/.well-known/acme-challenge/']
        if variant == 'http01':
            assert exempt == [{'matches': [{'path': {'type': 'PathPrefix', 'value': '/.well-known/acme-challenge/'}}]}]
            assert rules.index(exempt[0]) == 0
        else:
            assert exempt == [], variant


def test_alias_hosts_get_a_listener_each_and_are_redirected_or_served(rendered):
    redirected = rendered['dns01-aliases-redirected']
    listeners = redirected['gateway.yaml.j2']['spec']['listeners']
    assert [(item['name'], item.get('hostname')) for item in listeners] == [
        ('http', None), ('https', 'example.social'), ('https-alias-1', 'www.example.social'), ('https-alias-2', 'social.example.org')]
    alias = redirected['httproute-alias.yaml.j2']['spec']
    assert [ref['sectionName'] for ref in alias['parentRefs']] == ['https-alias-1', 'https-alias-2']
    assert alias['rules'][0]['filters'] == [{'type': 'RequestRedirect', 'requestRedirect': {'hostname': 'example.social', 'statusCode': 301}}]
    served = rendered['aliases-served']['httproute-web.yaml.j2']['spec']
    assert served['hostnames'] == ['example.social', 'www.example.social', 'm.example.social']
    assert [ref['sectionName'] for ref in served['parentRefs']] == ['https', 'https-alias-1', 'https-alias-2']


def test_issuer_and_certificate_follow_the_switches(rendered):
    production = rendered['dns01-aliases-redirected']['clusterissuer.yaml.j2']
    assert production['metadata']['name'] == 'letsencrypt-production'
    assert production['spec']['acme']['server'] == 'https://acme-v02.api.letsencrypt.org/directory'
    assert production['spec']['acme']['solvers'] == [
        {'dns01': {'digitalocean': {'tokenSecretRef': {'name': 'digitalocean-dns-token', 'key': 'access-token'}}}}]
    staging = rendered['annotation-staging']
    assert staging['clusterissuer.yaml.j2']['spec']['acme']['server'] == 'https://acme-staging-v02.api.letsencrypt.org/directory'
    assert staging['gateway.yaml.j2']['metadata']['annotations'] == {'cert-manager.io/cluster-issuer': 'letsencrypt-staging'}
    http01 = rendered['http01']['clusterissuer.yaml.j2']['spec']['acme']['solvers']
    assert http01 == [{'http01': {'gatewayHTTPRoute': {'parentRefs': [
        {'group': GATEWAY_GROUP, 'kind': 'Gateway', 'name': 'mastodon', 'namespace': 'mastodon', 'sectionName': 'http'}]}}}]
    assert rendered['dns01-aliases-redirected']['certificate.yaml.j2']['spec']['dnsNames'] == [
        'example.social', 'www.example.social', 'social.example.org']
