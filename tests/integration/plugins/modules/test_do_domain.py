# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_domain through ansible-playbook against the sandbox's DigitalOcean emulator."""

from __future__ import annotations

import requests

ZONE = 'example.social'


def domain_task(task='domain', **args):
    args.setdefault('name', ZONE)
    return {'name': task, 'fediops.mastodon.do_domain': args, 'register': 'out'}


def zones(emulator):
    return {domain['name']: domain for domain in emulator.state()['domains']}


def write_calls(emulator):
    return [(entry['method'], entry['path']) for entry in emulator.requests() if entry['write']]


def add_record(sandbox, **body):
    response = requests.post('%s/v2/domains/%s/records' % (sandbox.do_url, ZONE), json=body, timeout=10, verify=sandbox.ca_bundle,
                             headers={'Authorization': 'Bearer ' + sandbox.do_token})
    assert response.status_code == 201, response.text


def test_lifecycle_create_rerun_check_refuse_force_delete(do_emulator, playbook, sandbox):
    created = playbook.run([domain_task(ip_address='203.0.113.10')], diff=True)
    assert created.rc == 0, created.stdout
    result = created.task('domain')
    assert result['changed'] is True and result['domain']['name'] == ZONE
    assert result['diff'] == {'before': {}, 'after': {'name': ZONE, 'ttl': 1800}}
    records = zones(do_emulator)[ZONE]['records']
    assert sorted((r['type'], r['name'], r['data']) for r in records) == [
        ('A', '@', '203.0.113.10'), ('NS', '@', 'ns1.digitalocean.com'), ('NS', '@', 'ns2.digitalocean.com'),
        ('NS', '@', 'ns3.digitalocean.com'), ('SOA', '@', '1800')]

    do_emulator.clear_requests()
    rerun = playbook.run([domain_task(task='again', ip_address='203.0.113.10')])
    assert rerun.rc == 0 and rerun.changed == 0, rerun.stdout
    assert write_calls(do_emulator) == []

    do_emulator.clear_requests()
    checked = playbook.run([domain_task(state='absent', force=True)], check=True, diff=True)
    assert checked.rc == 0 and checked.task('domain')['changed'] is True, checked.stdout
    assert checked.task('domain')['diff']['after'] == {}
    assert write_calls(do_emulator) == [] and ZONE in zones(do_emulator)

    add_record(sandbox, type='TXT', name='_dmarc', data='v=DMARC1; p=none')
    do_emulator.clear_requests()
    refused = playbook.run([domain_task(state='absent')])
    assert refused.rc != 0
    message = refused.task('domain')['msg']
    assert 'force' in message and '2 record(s)' in message and '_dmarc TXT' in message and '@ A 203.0.113.10' in message, message
    assert write_calls(do_emulator) == [] and ZONE in zones(do_emulator)

    deleted = playbook.run([domain_task(state='absent', force=True)])
    assert deleted.rc == 0 and deleted.task('domain')['changed'] is True, deleted.stdout
    assert sorted(r['type'] for r in deleted.task('domain')['records']) == ['A', 'TXT']
    assert write_calls(do_emulator) == [('DELETE', '/v2/domains/' + ZONE)]
    assert ZONE not in zones(do_emulator)

    do_emulator.clear_requests()
    again = playbook.run([domain_task(state='absent')])
    assert again.rc == 0 and again.changed == 0, again.stdout
    assert write_calls(do_emulator) == []


def test_a_zone_with_only_soa_and_ns_records_is_deleted_without_force(do_emulator, playbook):
    run = playbook.run([domain_task(task='create'), domain_task(task='delete', state='absent')])
    assert run.rc == 0, run.stdout
    assert run.task('delete')['changed'] is True and run.task('delete')['records'] == []
    assert ZONE not in zones(do_emulator)


def test_check_mode_create_makes_no_write(do_emulator, playbook):
    run = playbook.run([domain_task()], check=True, diff=True)
    assert run.rc == 0 and run.task('domain')['changed'] is True, run.stdout
    assert run.task('domain')['diff']['after']['name'] == ZONE
    assert write_calls(do_emulator) == [] and zones(do_emulator) == {}


def test_name_spelling_does_not_matter(do_emulator, playbook):
    run = playbook.run([domain_task(task='create'), domain_task(task='again', name='Example.Social.')])
    assert run.rc == 0, run.stdout
    assert run.task('create')['changed'] is True and run.task('again')['changed'] is False
    assert list(zones(do_emulator)) == [ZONE]


def test_invalid_input_fails_before_any_call(do_emulator, playbook):
    run = playbook.run([domain_task(ip_address='2001:db8::1')])
    assert run.rc != 0 and 'ip_address' in run.task('domain')['msg'] and 'IPv4' in run.task('domain')['msg']
    run = playbook.run([domain_task(name='localhost')])
    assert run.rc != 0 and "'localhost'" in run.task('domain')['msg']
    assert do_emulator.requests() == []


def test_lost_create_response_ends_with_one_zone_and_one_post(do_emulator, playbook):
    do_emulator.add_fault(kind='response_lost', method='POST', path='/v2/domains', count=1)
    do_emulator.add_fault(kind='429', method='GET', path='/v2/domains/*', count=1, retry_after=1)
    run = playbook.run([domain_task()])
    assert run.rc == 0 and run.task('domain')['changed'] is True, run.stdout
    assert run.task('domain')['domain']['name'] == ZONE
    assert write_calls(do_emulator) == [('POST', '/v2/domains')]
    assert list(zones(do_emulator)) == [ZONE]
