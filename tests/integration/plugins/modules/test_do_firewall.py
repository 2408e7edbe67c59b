# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_firewall through ansible-playbook against the sandbox's DigitalOcean emulator."""

from __future__ import annotations

import pytest

CLUSTER_TAG = 'k8s:5a4981aa-9653-4bd1-bef5-d6bff52042e4'
HTTPS = {'protocol': 'tcp', 'ports': '443', 'sources': {'addresses': ['0.0.0.0/0', '::/0']}}
PING = {'protocol': 'icmp', 'sources': {'addresses': ['0.0.0.0/0']}}
SSH = {'protocol': 'tcp', 'ports': '22', 'sources': {'addresses': ['192.0.2.0/24']}}
ALL_TCP_OUT = {'protocol': 'tcp', 'ports': 'all', 'destinations': {'addresses': ['0.0.0.0/0', '::/0']}}


@pytest.fixture(autouse=True)
def quick_firewalls(do_emulator):
    do_emulator.configure(family_provision_delay={'firewalls': 0.5})


def firewall_task(task_name='firewall', **overrides):
    args = {'name': 'mastodon-nodes', 'inbound_rules': [HTTPS, PING], 'outbound_rules': [ALL_TCP_OUT], 'tags': [CLUSTER_TAG]}
    args.update(overrides)
    return {'name': task_name, 'fediops.mastodon.do_firewall': {k: v for k, v in args.items() if v is not None}, 'register': 'out'}


def firewalls(emulator):
    return emulator.state()['firewalls']


def writes(emulator):
    return [(entry['method'], entry['operation_id']) for entry in emulator.requests() if entry['write']]


def attach_droplet(emulator, number):
    vpc_id = next(vpc['id'] for vpc in emulator.state()['vpcs'] if vpc['name'] == 'default-tor1')
    emulator.attach_vpc_member(vpc_id, urn='do:droplet:%d' % number, name='node-%d' % number)
    return number


def test_lifecycle_create_rerun_check_update_delete(do_emulator, playbook):
    droplet = attach_droplet(do_emulator, 9001)
    created = playbook.run([firewall_task(droplet_ids=[droplet])])
    assert created.rc == 0, created.stdout
    result = created.task('firewall')
    assert result['changed'] is True
    assert result['firewall']['status'] == 'succeeded'  # waited for DigitalOcean to apply it
    assert len(result['changes']['inbound_rules']['added']) == 2
    [stored] = firewalls(do_emulator)
    assert stored['tags'] == [CLUSTER_TAG] and stored['droplet_ids'] == [droplet]
    assert sorted(rule['ports'] for rule in stored['inbound_rules']) == ['0', '443']
    assert stored['outbound_rules'][0]['ports'] == '0'

    # The same rules in another order and spelling ("0" for all, reordered addresses) change nothing.
    do_emulator.clear_requests()
    respelled = [dict(PING), {'protocol': 'tcp', 'ports': '443', 'sources': {'addresses': ['::/0', '0.0.0.0/0']}}]
    out = [dict(ALL_TCP_OUT, ports='0')]
    rerun = playbook.run([firewall_task(inbound_rules=respelled, outbound_rules=out, droplet_ids=[droplet]),
                          firewall_task(task_name='options omitted', inbound_rules=None, outbound_rules=None, tags=None)])
    assert rerun.rc == 0 and rerun.changed == 0, rerun.stdout
    assert writes(do_emulator) == []

    do_emulator.clear_requests()
    checked = playbook.run([firewall_task(inbound_rules=[HTTPS, PING, SSH], droplet_ids=[droplet])], check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    result = checked.task('firewall')
    assert result['changed'] is True
    assert result['changes']['inbound_rules']['added'] == [{'protocol': 'tcp', 'ports': '22', 'sources': {'addresses': ['192.0.2.0/24']}}]
    assert 'tcp 22 from addresses=192.0.2.0/24' in result['diff']['after']['inbound_rules']
    assert 'tcp 22 from addresses=192.0.2.0/24' not in result['diff']['before']['inbound_rules']
    assert writes(do_emulator) == []

    do_emulator.clear_requests()
    updated = playbook.run([firewall_task(inbound_rules=[HTTPS, SSH], droplet_ids=[])])
    assert updated.rc == 0, updated.stdout
    result = updated.task('firewall')
    assert result['changed'] is True
    assert [rule['protocol'] for rule in result['changes']['inbound_rules']['removed']] == ['icmp']
    assert result['changes']['droplet_ids'] == {'added': [], 'removed': [droplet]}
    assert writes(do_emulator) == [('PUT', 'firewalls_update')]
    [stored] = firewalls(do_emulator)
    assert sorted(rule['ports'] for rule in stored['inbound_rules']) == ['22', '443']
    assert stored['droplet_ids'] == [] and stored['tags'] == [CLUSTER_TAG]

    deleted = playbook.run([firewall_task(state='absent')])
    assert deleted.rc == 0 and deleted.task('firewall')['changed'] is True, deleted.stdout
    assert firewalls(do_emulator) == []
    do_emulator.clear_requests()
    again = playbook.run([firewall_task(state='absent')], check=True)
    assert again.rc == 0 and again.changed == 0, again.stdout
    again = playbook.run([firewall_task(state='absent')])
    assert again.rc == 0 and again.changed == 0, again.stdout
    assert writes(do_emulator) == []


def test_check_mode_create_makes_no_write(do_emulator, playbook):
    run = playbook.run([firewall_task()], check=True, diff=True)
    assert run.rc == 0 and run.task('firewall')['changed'] is True, run.stdout
    assert run.task('firewall')['diff']['after']['name'] == 'mastodon-nodes'
    assert writes(do_emulator) == [] and firewalls(do_emulator) == []


def test_converges_through_rate_limits_and_server_errors(do_emulator, playbook):
    do_emulator.add_fault(kind='429', method='GET', path='/v2/firewalls', count=2, retry_after=1)
    do_emulator.add_fault(kind='5xx', method='POST', path='/v2/firewalls', count=1, status=503)
    do_emulator.add_fault(kind='5xx', method='GET', path='/v2/firewalls/*', count=1, status=502)
    run = playbook.run([firewall_task()])
    assert run.rc == 0, run.stdout
    assert len(firewalls(do_emulator)) == 1
    faults = [entry['fault'] for entry in do_emulator.requests() if entry['fault']]
    assert faults.count('429') == 2 and faults.count('5xx') == 2


def test_lost_create_response_ends_with_exactly_one_firewall(do_emulator, playbook):
    do_emulator.add_fault(kind='response_lost', method='POST', path='/v2/firewalls', count=1)
    run = playbook.run([firewall_task()])
    assert run.rc == 0, run.stdout
    assert run.task('firewall')['firewall']['name'] == 'mastodon-nodes'
    assert len(firewalls(do_emulator)) == 1
    assert [entry['method'] for entry in do_emulator.requests() if entry['write']] == ['POST']


@pytest.mark.parametrize('overrides, words', [
    ({'inbound_rules': [dict(HTTPS, ports='70000')]}, ['inbound_rules[0].ports', '70000', '1-65535']),
    ({'inbound_rules': [{'protocol': 'tcp', 'sources': {'addresses': ['0.0.0.0/0']}}]}, ['inbound_rules[0].ports is required']),
    ({'outbound_rules': [dict(ALL_TCP_OUT, destinations={'addresses': ['300.0.0.0/8']})]}, ['outbound_rules[0].destinations.addresses', '300.0.0.0/8']),
    ({'inbound_rules': [dict(HTTPS, sources={})]}, ['inbound_rules[0].sources must name at least one']),
    ({'tags': ['a', 'b', 'c', 'd', 'e', 'f']}, ['at most 5']),
    ({'name': 'bad name'}, ["name 'bad name' is invalid"]),
    ({'inbound_rules': [], 'outbound_rules': []}, ['at least one rule']),
])
def test_invalid_input_fails_before_any_write(do_emulator, playbook, overrides, words):
    run = playbook.run([firewall_task(**overrides)])
    assert run.rc != 0
    message = run.task('firewall')['msg']
    for word in words:
        assert word in message, message
    assert writes(do_emulator) == []


def test_unknown_droplet_fails_with_the_api_message(do_emulator, playbook):
    run = playbook.run([firewall_task(droplet_ids=[424242])])
    assert run.rc != 0
    result = run.task('firewall')
    assert result['status'] == 422 and 'Droplet 424242 not found' in result['msg']
    assert firewalls(do_emulator) == []
