# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""do_kubernetes_cluster: the pure planning functions, then the module in-process against the emulator over HTTPS."""

import os
import stat
import time

import pytest
import trustme
import yaml

from ansible_collections.fediops.mastodon.plugins.module_utils import kubernetes_cluster as kc
from ansible_collections.fediops.mastodon.plugins.modules import do_kubernetes_cluster
from tests.emulators.digitalocean import EmulatorServer
from tests.emulators.digitalocean.control import EmulatorControl

TOKEN = 'dop_v1_unit_test_token'
OFFERED = ['1.36.2-do.0', '1.36.1-do.0', '1.35.4-do.0', '1.35.2-do.0', '1.34.6-do.1', '1.34.5-do.0', '1.33.8-do.0', '1.33.7-do.0']
SIZES = ['s-2vcpu-4gb', 's-4vcpu-8gb', 'c-2']
CID = 'bd5f5959-5e1e-4205-a714-a914373942af'


def pool(name='web', size='s-2vcpu-4gb', count=2, auto_scale=False, min_nodes=None, max_nodes=None, labels=None, taints=None, tags=None):
    """A node pool as the module's argument spec hands it over (every key present)."""
    return dict(name=name, size=size, count=count, auto_scale=auto_scale, min_nodes=min_nodes, max_nodes=max_nodes,
                labels=labels, taints=taints, tags=tags)


def api_pool(name='web', size='s-2vcpu-4gb', count=2, auto_scale=False, min_nodes=0, max_nodes=0, labels=None, taints=(), tags=()):
    """A node pool as DigitalOcean returns it."""
    return dict(id='pool-' + name, name=name, size=size, count=count, auto_scale=auto_scale, min_nodes=min_nodes, max_nodes=max_nodes,
                labels=labels, taints=list(taints), tags=['k8s', 'k8s:' + CID, 'k8s-worker'] + list(tags), nodes=[])


def api_cluster(**overrides):
    cluster = dict(id=CID, name='mastodon', region='tor1', version='1.35.2-do.0', vpc_uuid='vpc-1', tags=['k8s', 'k8s:' + CID, 'mastodon'],
                   ha=False, auto_upgrade=False, surge_upgrade=True, registry_enabled=False,
                   maintenance_policy={'start_time': '04:00', 'duration': '4h0m0s', 'day': 'sunday'},
                   cluster_subnet='10.200.0.0/16', service_subnet='10.201.0.0/20', endpoint='https://%s.k8s.ondigitalocean.com' % CID,
                   status={'state': 'running'}, node_pools=[api_pool()])
    cluster.update(overrides)
    return cluster


def params(**overrides):
    values = dict(name='mastodon', region=None, version=None, vpc=None, cluster_subnet=None, service_subnet=None, tags=None, ha=None,
                  auto_upgrade=None, surge_upgrade=None, maintenance_policy=None, node_pools=None, purge_node_pools=False,
                  registry_integration=None, kubeconfig_path=None, kubeconfig_expiry_seconds=604800)
    values.update(overrides)
    return values


# -- versions ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('requested, resolved', [('latest', '1.36.2-do.0'), ('1.33', '1.33.8-do.0'), ('1.34.5-do.0', '1.34.5-do.0')])
def test_version_latest_minor_or_slug_resolves_to_an_offered_slug(requested, resolved):
    assert kc.resolve_version(requested, OFFERED) == (resolved, None)


@pytest.mark.parametrize('requested', ['1.32', '1.35.3-do.0', '1.35.4', 'stable', ''])
def test_unknown_version_message_lists_minors_and_slugs(requested):
    slug, message = kc.resolve_version(requested, OFFERED)
    assert slug is None
    assert repr(requested) in message and '1.33, 1.34, 1.35, 1.36' in message and '1.36.2-do.0' in message


def test_plan_version_upgrades_only_to_newer_versions():
    assert kc.plan_version(None, '1.35.2-do.0', OFFERED) == (None, None)
    assert kc.plan_version('1.35.2-do.0', '1.35.2-do.0', OFFERED) == (None, None)
    assert kc.plan_version('1.35', '1.35.2-do.0', OFFERED) == ('1.35.4-do.0', None)
    assert kc.plan_version('latest', '1.36.2-do.0', OFFERED) == (None, None)
    assert kc.plan_version('1.36', '1.35.4-do.0', OFFERED) == ('1.36.2-do.0', None)


def test_current_version_no_longer_offered_is_not_a_change():
    assert kc.plan_version('1.32.9-do.0', '1.32.9-do.0', OFFERED) == (None, None)


def test_downgrade_is_refused_naming_requested_resolved_and_current():
    target, message = kc.plan_version('1.35', '1.36.2-do.0', OFFERED)
    assert target is None
    assert "'1.35'" in message and '1.35.4-do.0' in message and '1.36.2-do.0' in message and 'downgraded' in message


def test_upgrade_must_be_listed_by_digitalocean():
    assert kc.upgrade_error('1.36.2-do.0', '1.35.4-do.0', ['1.36.1-do.0', '1.36.2-do.0']) is None
    message = kc.upgrade_error('1.36.2-do.0', '1.34.6-do.1', ['1.35.4-do.0', '1.35.2-do.0'])
    assert '1.36.2-do.0' in message and '1.34.6-do.1' in message and 'available upgrades: 1.35.2-do.0, 1.35.4-do.0' in message
    assert 'none' in kc.upgrade_error('1.36.2-do.0', '1.36.2-do.0', [])


# -- validation ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('spec, words', [
    (pool(count=None), ['count is None', 'auto_scale']),
    (pool(count=0), ['count is 0', '1 or more']),
    (pool(min_nodes=1), ['min_nodes and max_nodes are only used with auto_scale']),
    (pool(auto_scale=True, count=None), ['auto_scale needs min_nodes and max_nodes']),
    (pool(auto_scale=True, count=6, min_nodes=2, max_nodes=5), ['count 6', 'min_nodes 2 <= count <= max_nodes 5']),
    (pool(auto_scale=True, count=None, min_nodes=4, max_nodes=3), ['min_nodes 4 and max_nodes 3']),
    (pool(auto_scale=True, count=None, min_nodes=0, max_nodes=0), ['max_nodes >= 1']),
    (pool(count=-1), ['count is -1']),
    (pool(name='Web_1'), ["name 'Web_1'", 'lowercase']),
    (pool(size='s-1vcpu-1gb'), ["size 's-1vcpu-1gb'", 's-2vcpu-4gb, s-4vcpu-8gb, c-2']),
    (pool(labels={'tier': 1}), ["label 'tier'", 'int', 'string']),
    (pool(tags=['bad tag']), ["tag 'bad tag'"]),
])
def test_invalid_node_pool_message_names_pool_field_value_and_allowed(spec, words):
    errors = kc.validate(params(node_pools=[spec]), SIZES)
    assert errors
    text = ' '.join(errors)
    assert 'node_pools[0] (%s)' % spec['name'] in text
    for word in words:
        assert word in text, (word, text)


def test_valid_pools_pass_including_scale_to_zero():
    pools = [pool(), pool(name='burst', size='c-2', count=None, auto_scale=True, min_nodes=0, max_nodes=4)]
    assert kc.validate(params(node_pools=pools), SIZES) == []


def test_cluster_level_inputs_are_checked():
    errors = kc.validate(params(name='Mastodon', tags=['ok', 'not ok'], maintenance_policy={'start_time': '24:00', 'day': None},
                                node_pools=[pool(), pool()], kubeconfig_expiry_seconds=10))
    text = ' '.join(errors)
    for word in ("name 'Mastodon'", "tag 'not ok'", "start_time '24:00'", "the name 'web' is used 2 times", 'kubeconfig_expiry_seconds is 10'):
        assert word in text, word


def test_start_time_is_normalized_to_two_digit_hours():
    assert kc.normalize_start_time('4:05') == '04:05'
    assert kc.normalize_start_time('4:5') is None


def test_subnets_must_be_private_separate_and_unused():
    vpcs = [{'name': 'default-tor1', 'ip_range': '10.118.0.0/20'}]
    others = [{'name': 'other', 'cluster_subnet': '10.50.0.0/16', 'service_subnet': '10.51.0.0/20'}]
    assert kc.subnet_errors('10.200.0.0/16', '10.201.0.0/20', vpcs, others) == []
    assert 'default-tor1' in ' '.join(kc.subnet_errors('10.118.0.0/16', '10.201.0.0/20', vpcs))
    assert "cluster 'other'" in ' '.join(kc.subnet_errors('10.200.0.0/16', '10.51.0.0/24', vpcs, others))
    assert 'overlaps service_subnet' in ' '.join(kc.subnet_errors('10.200.0.0/16', '10.200.16.0/20'))
    assert 'private network' in ' '.join(kc.subnet_errors('8.8.0.0/16', '10.201.0.0/20'))
    assert 'CIDR' in ' '.join(kc.subnet_errors('10.200.0.1/16', '10.201.0.0/20'))


# -- node pools ---------------------------------------------------------------------------------------

def test_new_pool_is_created_with_its_size_and_user_tags_only():
    plan = kc.plan_node_pools([pool(tags=['k8s', 'web'], labels={'workload': 'web'})], [], False)
    assert plan['create'] == [{'name': 'web', 'size': 's-2vcpu-4gb', 'count': 2, 'auto_scale': False, 'tags': ['web'],
                               'labels': {'workload': 'web'}}]


def test_unchanged_pools_plan_nothing():
    current = [api_pool(labels={'a': 'b'}, taints=[{'key': 'k', 'value': '', 'effect': 'NoSchedule'}], tags=['web'])]
    desired = [pool(labels={'a': 'b'}, taints=[{'key': 'k', 'value': None, 'effect': 'NoSchedule'}], tags=['web'])]
    plan = kc.plan_node_pools(desired, current, False, CID)
    assert (plan['create'], plan['update'], plan['delete'], plan['errors']) == ([], [], [], [])


def test_resize_sends_a_full_put_body_keeping_labels_and_tags():
    current = [api_pool(labels={'a': 'b'}, tags=['web'])]
    plan = kc.plan_node_pools([pool(count=3)], current, False, CID)
    (existing, body), = plan['update']
    assert existing['id'] == 'pool-web'
    assert body == {'name': 'web', 'count': 3, 'auto_scale': False, 'tags': ['web'], 'labels': {'a': 'b'}, 'taints': []}


def test_autoscale_limits_change_and_count_is_left_to_the_autoscaler():
    current = [api_pool(count=3, auto_scale=True, min_nodes=2, max_nodes=4)]
    same = kc.plan_node_pools([pool(count=None, auto_scale=True, min_nodes=2, max_nodes=4)], current, False, CID)
    assert same['update'] == []
    wider = kc.plan_node_pools([pool(count=None, auto_scale=True, min_nodes=1, max_nodes=6)], current, False, CID)
    assert wider['update'][0][1]['count'] == 3 and (wider['update'][0][1]['min_nodes'], wider['update'][0][1]['max_nodes']) == (1, 6)
    narrower = kc.plan_node_pools([pool(count=None, auto_scale=True, min_nodes=1, max_nodes=2)], current, False, CID)
    assert narrower['update'][0][1]['count'] == 2


def test_turning_autoscale_on_is_an_update():
    plan = kc.plan_node_pools([pool(count=None, auto_scale=True, min_nodes=2, max_nodes=4)], [api_pool()], False, CID)
    assert plan['update'][0][1]['auto_scale'] is True


def test_unlisted_pools_are_reported_without_purge_and_deleted_with_it():
    current = [api_pool(), api_pool(name='legacy')]
    kept = kc.plan_node_pools([pool()], current, False, CID)
    assert kept['unmanaged'] == ['legacy'] and kept['delete'] == []
    purged = kc.plan_node_pools([pool(), pool(name='new')], current, True, CID)
    assert [p['name'] for p in purged['delete']] == ['legacy'] and [b['name'] for b in purged['create']] == ['new']


def test_node_pools_omitted_leaves_every_pool_alone():
    plan = kc.plan_node_pools(None, [api_pool()], True, CID)
    assert plan == {'create': [], 'update': [], 'delete': [], 'unmanaged': [], 'errors': []}


def test_impossible_pool_changes_are_errors():
    assert 'size cannot change' in kc.plan_node_pools([pool(size='c-2')], [api_pool()], False, CID)['errors'][0]
    assert 'size is required' in kc.plan_node_pools([pool(name='new', size=None)], [api_pool()], False, CID)['errors'][0]
    assert 'at least one node pool' in kc.plan_node_pools([], [api_pool()], True, CID)['errors'][0]


# -- the cluster ----------------------------------------------------------------------------------------

def test_cluster_update_body_is_none_when_nothing_differs():
    body, errors = kc.update_body(params(tags=['mastodon'], surge_upgrade=True, maintenance_policy={'start_time': '4:00', 'day': None}),
                                  api_cluster())
    assert (body, errors) == (None, [])


def test_cluster_update_body_carries_every_managed_field():
    body, errors = kc.update_body(params(auto_upgrade=True, maintenance_policy={'start_time': None, 'day': 'monday'}), api_cluster())
    assert errors == []
    assert body == {'name': 'mastodon', 'tags': ['mastodon'], 'maintenance_policy': {'start_time': '04:00', 'day': 'monday'},
                    'auto_upgrade': True, 'surge_upgrade': True, 'ha': False}


def test_tags_ignore_digitaloceans_automatic_ones():
    assert kc.update_body(params(tags=['k8s', 'mastodon']), api_cluster())[0] is None
    assert kc.update_body(params(tags=[]), api_cluster())[0]['tags'] == []


def test_ha_cannot_be_disabled():
    body, errors = kc.update_body(params(ha=False), api_cluster(ha=True))
    assert body is None and 'ha cannot be disabled' in errors[0]


def test_immutable_fields_are_refused_naming_current_and_asked():
    errors = kc.immutable_errors(params(region='nyc3', cluster_subnet='10.9.0.0/16'), api_cluster(), 'vpc-2')
    text = ' '.join(errors)
    assert 'region cannot change once the cluster exists (tor1 now, nyc3 asked)' in text and 'vpc cannot change' in text and 'cluster_subnet' in text
    assert kc.immutable_errors(params(region='tor1'), api_cluster(), None) == []


def test_prediction_and_projection_for_diff():
    current = api_cluster(node_pools=[api_pool(), api_pool(name='legacy')])
    plan = kc.plan_node_pools([pool(count=3), pool(name='new', count=1)], current['node_pools'], True, CID)
    after = kc.project_cluster(kc.predict(current, {'tags': ['x']}, plan, '1.36.2-do.0', True))
    assert [(p['name'], p['count']) for p in after['node_pools']] == [('new', 1), ('web', 3)]
    assert (after['version'], after['registry_enabled'], after['tags']) == ('1.36.2-do.0', True, ['x'])
    before = kc.project_cluster(current)
    assert before['tags'] == ['mastodon'] and before['maintenance_policy'] == {'start_time': '04:00', 'day': 'sunday'}
    assert kc.project_cluster(None) == {}


# -- kubeconfig ---------------------------------------------------------------------------------------------

KUBECONFIG = yaml.safe_dump({
    'apiVersion': 'v1', 'kind': 'Config', 'current-context': 'do-tor1-mastodon',
    'clusters': [{'name': 'do-tor1-mastodon',
                  'cluster': {'server': 'https://%s.k8s.ondigitalocean.com' % CID, 'certificate-authority-data': 'Y2E='}}],
    'contexts': [{'name': 'do-tor1-mastodon', 'context': {'cluster': 'do-tor1-mastodon', 'user': 'do-tor1-mastodon-admin'}}],
    'users': [{'name': 'do-tor1-mastodon-admin', 'user': {'token': 'secret-token'}}],
})


def test_kubeconfig_summary_reads_context_server_and_token():
    summary = kc.kubeconfig_summary(KUBECONFIG)
    assert summary == {'context': 'do-tor1-mastodon', 'cluster': 'do-tor1-mastodon', 'user': 'do-tor1-mastodon-admin',
                       'server': 'https://%s.k8s.ondigitalocean.com' % CID, 'token': 'secret-token'}
    assert kc.kubeconfig_summary('not: [a kubeconfig') is None
    assert kc.kubeconfig_summary('just text') is None


def test_kubeconfig_is_kept_while_it_serves_the_cluster_and_is_young():
    cluster = api_cluster()
    assert kc.kubeconfig_refresh_reason(KUBECONFIG, cluster, 3600, 604800) is None
    assert 'due for renewal' in kc.kubeconfig_refresh_reason(KUBECONFIG, cluster, 302400, 604800)
    assert 'does not exist' in kc.kubeconfig_refresh_reason(None, cluster, 0, 604800)
    assert 'not do-tor1-other' in kc.kubeconfig_refresh_reason(KUBECONFIG, api_cluster(name='other'), 0, 604800)
    assert 'not a token kubeconfig' in kc.kubeconfig_refresh_reason('kind: Config', cluster, 0, 604800)


# -- the module in-process, against the emulator over HTTPS ----------------------------------------------------

@pytest.fixture(scope='module')
def emulator(tmp_path_factory):
    directory = tmp_path_factory.mktemp('doks-tls')
    authority = trustme.CA()
    certificate = authority.issue_cert('127.0.0.1')
    ca, cert, key = (str(directory / name) for name in ('ca.pem', 'server.pem', 'server-key.pem'))
    authority.cert_pem.write_to_path(ca)
    certificate.private_key_and_cert_chain_pem.write_to_path(cert)
    certificate.private_key_pem.write_to_path(key)
    with EmulatorServer('127.0.0.1', 0, cert, key, provision_delay=0, tokens=(TOKEN,)) as server:
        with EmulatorControl(server.url, ca) as control:
            yield server, ca, control


@pytest.fixture
def run(emulator, harness, clean_do_env):
    server, ca, control = emulator
    control.reset()
    clean_do_env.setenv('REQUESTS_CA_BUNDLE', ca)

    def module(args, check_mode=False):
        full = dict(oauth_token=TOKEN, api_url=server.url, max_retry_time=5)
        full.update(args)
        return harness.run(do_kubernetes_cluster.main, full, check_mode=check_mode)

    module.control = control
    yield module
    assert control.contract_violations() == []


def writes(control):
    return [(entry['method'], entry['operation_id']) for entry in control.writes()]


CREATE = dict(name='mastodon', region='tor1', version='1.35', tags=['mastodon'], node_pools=[dict(name='web', size='s-2vcpu-4gb', count=2)])


def test_module_creates_once_then_reruns_without_writes(run):
    created = run(CREATE)
    assert created['changed'] is True and not created.get('failed'), created
    assert created['cluster']['status']['state'] == 'running' and created['cluster']['version'] == '1.35.4-do.0'
    assert created['diff']['before'] == {} and created['diff']['after']['node_pools'][0]['count'] == 2
    assert writes(run.control) == [('POST', 'kubernetes_create_cluster')]
    run.control.clear_requests()
    again = run(CREATE)
    assert again['changed'] is False and writes(run.control) == []


def test_module_check_mode_create_and_change_write_nothing(run):
    planned = run(CREATE, check_mode=True)
    assert planned['changed'] is True and planned['diff']['after']['version'] == '1.35.4-do.0'
    assert writes(run.control) == []
    run(CREATE)
    run.control.clear_requests()
    scaled = run(dict(CREATE, node_pools=[dict(name='web', size='s-2vcpu-4gb', count=4)], version='1.36'), check_mode=True)
    assert scaled['changed'] is True
    assert scaled['diff']['after']['node_pools'][0]['count'] == 4 and scaled['diff']['after']['version'] == '1.36.2-do.0'
    assert writes(run.control) == []


def test_module_downgrade_fails_before_any_write(run):
    run(dict(CREATE, version='1.36'))
    run.control.clear_requests()
    failed = run(dict(CREATE, version='1.35', tags=['changed']))
    assert failed['failed'] is True and 'Nothing was changed' in failed['msg'] and 'downgraded' in failed['msg']
    assert writes(run.control) == []


def test_module_writes_a_private_kubeconfig_and_never_returns_its_token(run, tmp_path):
    path = str(tmp_path / 'nested' / 'kubeconfig')
    result = run(dict(CREATE, kubeconfig_path=path))
    assert result['kubeconfig'] == {'path': path, 'context': 'do-tor1-mastodon', 'changed': True, 'reason': 'the file does not exist'}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, encoding='utf-8') as handle:
        token = yaml.safe_load(handle)['users'][0]['user']['token']
    assert token and token not in repr(result)
    again = run(dict(CREATE, kubeconfig_path=path))
    assert again['changed'] is False and again['kubeconfig']['changed'] is False


def test_module_renews_an_old_kubeconfig(run, tmp_path):
    path = str(tmp_path / 'kubeconfig')
    run(dict(CREATE, kubeconfig_path=path, kubeconfig_expiry_seconds=3600))
    old = time.time() - 1900
    os.utime(path, (old, old))
    renewed = run(dict(CREATE, kubeconfig_path=path, kubeconfig_expiry_seconds=3600))
    assert renewed['changed'] is True and 'due for renewal' in renewed['kubeconfig']['reason']
    log = [entry for entry in run.control.requests() if entry['operation_id'] == 'kubernetes_get_kubeconfig']
    assert [entry['query'] for entry in log] == [{'expiry_seconds': '3600'}, {'expiry_seconds': '3600'}]


def test_module_absent_deletes_once(run):
    run(CREATE)
    deleted = run(dict(name='mastodon', state='absent'))
    assert deleted['changed'] is True and deleted['diff']['after'] == {}
    assert run(dict(name='mastodon', state='absent'))['changed'] is False
    assert [w for w in writes(run.control) if w[0] == 'DELETE'] == [('DELETE', 'kubernetes_delete_cluster')]


def test_module_fails_on_invalid_input_before_calling_the_api(run):
    failed = run(dict(CREATE, node_pools=[dict(name='web', size='s-2vcpu-4gb', count=0)]))
    assert failed['failed'] is True and 'count is 0' in failed['msg']
    assert run.control.requests() == []


def test_module_waits_for_running_even_when_nothing_changes(run, monkeypatch):
    run.control.configure(provision_delay=30)
    try:
        first = run(dict(CREATE, wait=False))
        assert first['cluster']['status']['state'] == 'provisioning'
        slept = []
        monkeypatch.setattr(time, 'sleep', lambda seconds: (slept.append(seconds), run.control.advance_clock(seconds)))
        again = run(CREATE)
        assert again['changed'] is False and again['cluster']['status']['state'] == 'running'
        assert slept and writes(run.control) == [('POST', 'kubernetes_create_cluster')]
    finally:
        run.control.configure(provision_delay=0)


def test_module_upgrade_of_a_provisioning_cluster_waits_for_it_first(run, monkeypatch):
    run.control.configure(provision_delay=30)
    try:
        run(dict(CREATE, wait=False))
        monkeypatch.setattr(time, 'sleep', run.control.advance_clock)
        upgraded = run(dict(CREATE, version='1.36'))
        assert upgraded['changed'] is True and not upgraded.get('failed'), upgraded
        assert upgraded['cluster']['version'] == '1.36.2-do.0' and upgraded['cluster']['status']['state'] == 'running'
    finally:
        run.control.configure(provision_delay=0)
