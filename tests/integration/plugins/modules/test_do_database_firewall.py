# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_database_firewall through ansible-playbook against the sandbox's DigitalOcean emulator."""

from __future__ import annotations

import pytest

from .do_database_setup import CLUSTER, api, cluster_state, create_cluster, write_calls, writes_by_operation

K8S_ID = 'bd5f5959-5e1e-4205-a714-a914373942af'
RULES = [{'type': 'k8s', 'value': K8S_ID}, {'type': 'ip_addr', 'value': '203.0.113.0/24'}]


def firewall_task(task='firewall', **args):
    args.setdefault('cluster', CLUSTER)
    return {'name': task, 'fediops.mastodon.do_database_firewall': args, 'register': 'out'}


def rules_in(emulator):
    return sorted((rule['type'], rule['value']) for rule in cluster_state(emulator)['firewall_rules'])


def pairs(rules):
    return sorted((rule['type'], rule['value']) for rule in rules)


@pytest.fixture
def cluster(do_emulator, sandbox):
    created = create_cluster(sandbox)
    do_emulator.clear_requests()
    return created


def test_lifecycle_set_rerun_check_update_open(do_emulator, playbook, cluster):
    wanted = RULES + [{'type': 'tag', 'value': 'mastodon-admin'}]
    run = playbook.run([
        firewall_task('create', rules=RULES),
        firewall_task('rerun', rules=list(reversed(RULES))),
        dict(firewall_task('check', rules=wanted), check_mode=True, diff=True),
        firewall_task('update', rules=wanted),
        firewall_task('open', allow_all=True),
        firewall_task('open again', allow_all=True),
    ])
    assert run.rc == 0, run.stdout
    assert run.task('create')['changed'] is True and pairs(run.task('create')['rules']) == pairs(RULES)
    assert run.task('rerun')['changed'] is False
    checked = run.task('check')
    assert checked['changed'] is True and checked['rules_added'] == [{'type': 'tag', 'value': 'mastodon-admin'}]
    assert pairs(run.task('update')['rules']) == pairs(wanted)
    assert run.task('update')['rules_added'] == [{'type': 'tag', 'value': 'mastodon-admin'}]  # the check changed nothing
    assert run.task('open')['changed'] is True and run.task('open')['rules'] == []
    assert run.task('open again')['changed'] is False
    assert writes_by_operation(do_emulator) == [('PUT', 'databases_update_firewall_rules')] * 3
    assert rules_in(do_emulator) == []


def test_rule_outside_the_set_is_purged_and_the_diff_lists_it(do_emulator, playbook, cluster, sandbox):
    api(sandbox, 'PUT', '/v2/databases/%s/firewall' % cluster['id'], {'rules': RULES + [{'type': 'ip_addr', 'value': '198.51.100.4'}]})
    do_emulator.clear_requests()
    run = playbook.run([firewall_task(rules=RULES)], diff=True)
    assert run.rc == 0, run.stdout
    result = run.task('firewall')
    assert result['changed'] is True and result['rules_removed'] == [{'type': 'ip_addr', 'value': '198.51.100.4'}]
    assert result['rules_added'] == []
    assert 'ip_addr 198.51.100.4' in result['diff']['before']['rules']
    assert 'ip_addr 198.51.100.4' not in result['diff']['after']['rules']
    assert rules_in(do_emulator) == pairs(RULES)
    text = playbook.run([firewall_task(rules=RULES[:1])], diff=True, text=True)
    removed_lines = [line for line in text.stdout.splitlines() if line.startswith('-') and '"ip_addr 203.0.113.0/24"' in line]
    assert text.rc == 0 and len(removed_lines) == 1, text.stdout


def test_empty_set_is_refused_without_allow_all(do_emulator, playbook, cluster):
    run = playbook.run([firewall_task(rules=[])])
    assert run.rc != 0
    assert 'accepts connections from anywhere' in run.task('firewall')['msg'] and 'allow_all' in run.task('firewall')['msg']
    assert write_calls(do_emulator) == []


def test_invalid_address_fails_before_any_write(do_emulator, playbook, cluster):
    run = playbook.run([firewall_task(rules=[{'type': 'ip_addr', 'value': '2001:db8::/64'}])])
    assert run.rc != 0
    message = run.task('firewall')['msg']
    assert "ip_addr value '2001:db8::/64' is IPv6" in message and 'IPv4 address' in message
    assert do_emulator.requests() == []


def test_update_converges_through_rate_limits_and_server_errors(do_emulator, playbook, cluster):
    path = '/v2/databases/%s/firewall' % cluster['id']
    do_emulator.add_fault(kind='429', method='PUT', path=path, count=1, retry_after=1)
    do_emulator.add_fault(kind='5xx', method='PUT', path=path, count=2, status=502)
    run = playbook.run([firewall_task(rules=RULES)])
    assert run.rc == 0 and run.task('firewall')['changed'] is True, run.stdout
    assert rules_in(do_emulator) == pairs(RULES)
    faults = [entry['fault'] for entry in do_emulator.requests() if entry['fault']]
    assert faults.count('429') == 1 and faults.count('5xx') == 2


def test_kubernetes_cluster_name_resolves_to_its_id(do_emulator, playbook, cluster, sandbox):
    body = {'name': 'mastodon-tor1', 'region': 'tor1', 'version': 'latest',
            'node_pools': [{'name': 'workers', 'size': 's-2vcpu-4gb', 'count': 1}]}
    doks = api(sandbox, 'POST', '/v2/kubernetes/clusters', body)['kubernetes_cluster']
    do_emulator.clear_requests()
    run = playbook.run([firewall_task(rules=[{'type': 'k8s', 'value': 'mastodon-tor1'}]),
                        firewall_task(task='again', rules=[{'type': 'k8s', 'value': doks['id']}])])
    assert run.rc == 0, run.stdout
    assert run.task('firewall')['changed'] is True and run.task('again')['changed'] is False
    assert rules_in(do_emulator) == [('k8s', doks['id'])]
    assert len(write_calls(do_emulator)) == 1
