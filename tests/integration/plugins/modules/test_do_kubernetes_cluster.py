# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_kubernetes_cluster through ansible-playbook against the sandbox's DigitalOcean emulator."""

from __future__ import annotations

import copy
import os
import stat

import pytest
import yaml

NAME = 'mastodon-k8s'
WEB = {'name': 'web', 'size': 's-2vcpu-4gb', 'count': 2, 'labels': {'workload': 'web'}}
SIDEKIQ = {'name': 'sidekiq', 'size': 'c-2', 'count': 1, 'taints': [{'key': 'workload', 'value': 'sidekiq', 'effect': 'NoSchedule'}]}
CLUSTER = {
    'name': NAME,
    'region': 'tor1',
    'version': '1.35',
    'tags': ['mastodon'],
    'surge_upgrade': True,
    'maintenance_policy': {'start_time': '04:00', 'day': 'sunday'},
    'node_pools': [WEB],
}


def task(name='doks', **overrides):
    args = copy.deepcopy(CLUSTER)
    args.update(overrides)
    args = {key: value for key, value in args.items() if value is not None}
    return {'name': name, 'fediops.mastodon.do_kubernetes_cluster': args, 'register': 'out'}


def clusters(emulator):
    return emulator.state()['kubernetes_clusters']


def writes(emulator):
    return [(entry['method'], entry['operation_id']) for entry in emulator.requests() if entry['write']]


def operations(emulator):
    return [entry['operation_id'] for entry in emulator.requests()]


@pytest.fixture
def doks(do_emulator):
    """The emulator with a 1 s provisioning delay (the module must wait for `running`), restored afterwards."""
    previous = do_emulator.config()['provision_delay']
    do_emulator.configure(provision_delay=1)
    yield do_emulator
    do_emulator.configure(provision_delay=previous)


def test_lifecycle_create_rerun_check_scale_add_purge_upgrade_downgrade_delete(doks, playbook, tmp_path):
    kubeconfig = str(tmp_path / 'kube' / 'config.yaml')
    created = playbook.run([task(kubeconfig_path=kubeconfig)])
    assert created.rc == 0, created.stdout
    result = created.task('doks')
    assert result['changed'] is True
    assert result['cluster']['status']['state'] == 'running'
    assert result['cluster']['version'] == '1.35.4-do.0'
    assert (result['cluster']['cluster_subnet'], result['cluster']['service_subnet']) == ('10.200.0.0/16', '10.201.0.0/20')
    assert result['kubeconfig']['changed'] is True and result['kubeconfig']['context'] == 'do-tor1-' + NAME
    assert stat.S_IMODE(os.stat(kubeconfig).st_mode) == 0o600
    with open(kubeconfig, encoding='utf-8') as handle:
        document = yaml.safe_load(handle)
    assert document['clusters'][0]['cluster']['server'] == result['cluster']['endpoint']
    assert writes(doks) == [('POST', 'kubernetes_create_cluster')]
    assert len(clusters(doks)) == 1

    doks.clear_requests()
    rerun = playbook.run([task(kubeconfig_path=kubeconfig)])
    assert rerun.rc == 0 and rerun.changed == 0, rerun.stdout
    assert writes(doks) == []
    assert 'kubernetes_get_kubeconfig' not in operations(doks), 'a fresh kubeconfig must not be downloaded again (new token)'

    doks.clear_requests()
    checked = playbook.run([task(node_pools=[dict(WEB, count=3)], tags=['mastodon', 'prod'])], check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    diff = checked.task('doks')['diff']
    assert checked.task('doks')['changed'] is True
    assert diff['before']['node_pools'][0]['count'] == 2 and diff['after']['node_pools'][0]['count'] == 3
    assert diff['before']['tags'] == ['mastodon'] and diff['after']['tags'] == ['mastodon', 'prod']
    assert writes(doks) == []

    doks.clear_requests()
    autoscaled = dict(WEB, count=None, auto_scale=True, min_nodes=2, max_nodes=4)
    grown = playbook.run([task(name='autoscale', node_pools=[autoscaled]), task(name='add pool', node_pools=[autoscaled, SIDEKIQ])])
    assert grown.rc == 0, grown.stdout
    pool = grown.task('autoscale')['cluster']['node_pools'][0]
    assert (pool['auto_scale'], pool['min_nodes'], pool['max_nodes'], pool['count']) == (True, 2, 4, 2)
    assert sorted(p['name'] for p in grown.task('add pool')['cluster']['node_pools']) == ['sidekiq', 'web']
    assert writes(doks) == [('PUT', 'kubernetes_update_nodePool'), ('POST', 'kubernetes_add_nodePool')]

    doks.clear_requests()
    pruned = playbook.run([task(name='kept', node_pools=[autoscaled]), task(name='purged', node_pools=[autoscaled], purge_node_pools=True)])
    assert pruned.rc == 0, pruned.stdout
    assert pruned.task('kept')['changed'] is False and pruned.task('kept')['unmanaged_node_pools'] == ['sidekiq']
    assert any('sidekiq' in warning for warning in pruned.task('kept').get('warnings', []))
    assert pruned.task('purged')['changed'] is True
    assert [p['name'] for p in clusters(doks)[0]['node_pools']] == ['web']
    assert writes(doks) == [('DELETE', 'kubernetes_delete_nodePool')]

    doks.clear_requests()
    upgraded = playbook.run([task(version='1.36', node_pools=[autoscaled])])
    assert upgraded.rc == 0, upgraded.stdout
    assert upgraded.task('doks')['cluster']['version'] == '1.36.2-do.0'
    assert upgraded.task('doks')['cluster']['status']['state'] == 'running'
    assert writes(doks) == [('POST', 'kubernetes_upgrade_cluster')]

    doks.clear_requests()
    downgrade = playbook.run([task(version='1.35', node_pools=[dict(autoscaled, max_nodes=6)])])
    assert downgrade.rc != 0
    message = downgrade.task('doks')['msg']
    assert 'downgraded' in message and '1.35' in message and '1.36.2-do.0' in message, message
    assert writes(doks) == []

    deleted = playbook.run([task(name='delete', state='absent'), task(name='delete again', state='absent')])
    assert deleted.rc == 0, deleted.stdout
    assert deleted.task('delete')['changed'] is True and deleted.task('delete again')['changed'] is False
    assert clusters(doks) == []

    doks.clear_requests()
    again = playbook.run([task(state='absent')])
    assert again.rc == 0 and again.changed == 0, again.stdout
    assert writes(doks) == []


def test_kubeconfig_token_never_appears_in_verbose_output(doks, playbook, tmp_path):
    kubeconfig = str(tmp_path / 'config')
    run = playbook.run([task(kubeconfig_path=kubeconfig, registry_integration=True)], text=True, verbosity=4, diff=True)
    assert run.rc == 0, run.stdout
    with open(kubeconfig, encoding='utf-8') as handle:
        token = yaml.safe_load(handle)['users'][0]['user']['token']
    assert len(token) >= 32
    assert token not in run.stdout + run.stderr
    assert stat.S_IMODE(os.stat(kubeconfig).st_mode) == 0o600
    assert clusters(doks)[0]['registry_enabled'] is True


def test_kubeconfig_is_rewritten_only_when_stale_and_its_mode_is_kept_private(doks, playbook, tmp_path):
    kubeconfig = str(tmp_path / 'config')
    assert playbook.run([task(kubeconfig_path=kubeconfig)]).rc == 0
    os.chmod(kubeconfig, 0o644)
    doks.clear_requests()
    fixed = playbook.run([task(kubeconfig_path=kubeconfig)])
    assert fixed.rc == 0 and fixed.task('doks')['changed'] is True, fixed.stdout
    assert stat.S_IMODE(os.stat(kubeconfig).st_mode) == 0o600
    assert 'kubernetes_get_kubeconfig' not in operations(doks)

    old = os.stat(kubeconfig).st_mtime - 5 * 24 * 3600
    os.utime(kubeconfig, (old, old))
    with open(kubeconfig, encoding='utf-8') as handle:
        before = handle.read()
    renewed = playbook.run([task(kubeconfig_path=kubeconfig)])
    assert renewed.rc == 0 and renewed.task('doks')['kubeconfig']['changed'] is True, renewed.stdout
    assert 'renewal' in renewed.task('doks')['kubeconfig']['reason']
    with open(kubeconfig, encoding='utf-8') as handle:
        assert handle.read() != before
    assert writes(doks) == []


def test_converges_through_rate_limits_and_server_errors(doks, playbook):
    doks.add_fault(kind='429', method='GET', path='/v2/kubernetes/clusters', count=2, retry_after=1)
    doks.add_fault(kind='5xx', method='POST', path='/v2/kubernetes/clusters', count=2, status=503)
    run = playbook.run([task()])
    assert run.rc == 0, run.stdout
    assert [c['name'] for c in clusters(doks)] == [NAME]
    faults = [entry['fault'] for entry in doks.requests() if entry['fault']]
    assert faults.count('429') == 2 and faults.count('5xx') == 2


def test_lost_create_response_ends_with_exactly_one_cluster(doks, playbook):
    doks.add_fault(kind='response_lost', method='POST', path='/v2/kubernetes/clusters', count=1)
    run = playbook.run([task()])
    assert run.rc == 0, run.stdout
    assert run.task('doks')['cluster']['name'] == NAME
    assert [c['name'] for c in clusters(doks)] == [NAME]
    assert writes(doks) == [('POST', 'kubernetes_create_cluster')], 'a create whose response was lost must not be sent again'


def test_invalid_choices_fail_before_any_write_naming_field_value_and_allowed(doks, playbook):
    cases = [
        ('region', dict(region='mars1'), ['region', 'mars1', 'tor1']),
        ('version', dict(version='1.29'), ['version', '1.29', '1.33', '1.36.2-do.0']),
        ('size', dict(node_pools=[dict(WEB, size='s-1vcpu-1gb')]), ['size', 's-1vcpu-1gb', 's-2vcpu-4gb']),
        ('counts', dict(node_pools=[dict(WEB, auto_scale=True, min_nodes=3, max_nodes=5, count=6)]), ['count 6', 'min_nodes 3', 'max_nodes 5']),
        ('no limits', dict(node_pools=[dict(WEB, min_nodes=1)]), ['min_nodes', 'auto_scale']),
        ('window', dict(maintenance_policy={'start_time': '25:00', 'day': 'any'}), ['start_time', '25:00', 'HH:MM']),
        ('subnet', dict(cluster_subnet='10.118.0.0/16'), ['cluster_subnet', '10.118.0.0/16', 'default-tor1']),
        ('vpc', dict(vpc='no-such-vpc'), ['vpc', 'no-such-vpc', 'default-tor1']),
    ]
    tasks = [dict(task(name=name, **overrides), ignore_errors=True) for name, overrides, dummy in cases]
    run = playbook.run(tasks)
    for name, dummy, words in cases:
        result = run.task(name)
        assert result['failed'] is True, (name, result)
        for word in words:
            assert word in result['msg'], (name, word, result['msg'])
    assert writes(doks) == []
    assert clusters(doks) == []


def test_existing_cluster_refuses_impossible_changes_without_writing(doks, playbook):
    assert playbook.run([task(ha=True, version='1.34')]).rc == 0
    doks.clear_requests()
    cases = [
        ('ha off', dict(ha=False), ['ha cannot be disabled']),
        ('region', dict(region='nyc3'), ['region cannot change']),
        ('pool size', dict(node_pools=[dict(WEB, size='s-4vcpu-8gb')]), ['size cannot change', 's-2vcpu-4gb', 's-4vcpu-8gb']),
        ('two minors ahead', dict(version='1.36'), ['1.36.2-do.0', '1.34.6-do.1', 'available upgrades', '1.35.4-do.0']),
        ('empty purge', dict(node_pools=[], purge_node_pools=True), ['at least one node pool']),
    ]
    run = playbook.run([dict(task(name=name, **dict(dict(version=None), **overrides)), ignore_errors=True) for name, overrides, dummy in cases])
    for name, dummy, words in cases:
        result = run.task(name)
        assert result['failed'] is True, (name, result)
        for word in words:
            assert word in result['msg'], (name, word, result['msg'])
    assert writes(doks) == []


def test_vpc_by_name_and_cluster_settings_update_in_place(doks, playbook):
    vpc = {'name': 'k8s-net', 'fediops.mastodon.do_vpc': {'name': 'k8s-net', 'region': 'tor1', 'ip_range': '10.150.0.0/20'}}
    run = playbook.run([vpc, task(vpc='k8s-net')])
    assert run.rc == 0, run.stdout
    vpc_id = run.task('k8s-net')['vpc']['id']
    assert run.task('doks')['cluster']['vpc_uuid'] == vpc_id
    doks.clear_requests()
    changed = playbook.run([task(vpc=vpc_id, auto_upgrade=True, ha=True, tags=['mastodon', 'prod'], maintenance_policy={'day': 'monday'})],
                           diff=True)
    assert changed.rc == 0, changed.stdout
    cluster = changed.task('doks')['cluster']
    assert (cluster['auto_upgrade'], cluster['ha'], cluster['maintenance_policy']['day']) == (True, True, 'monday')
    assert cluster['maintenance_policy']['start_time'] == '04:00'
    assert cluster['tags'] == ['k8s', 'k8s:' + cluster['id'], 'mastodon', 'prod']
    assert writes(doks) == [('PUT', 'kubernetes_update_cluster')]
