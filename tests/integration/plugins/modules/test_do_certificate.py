# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_certificate through ansible-playbook against the sandbox's DigitalOcean emulator."""

from __future__ import annotations

import pytest
import requests
import trustme

ZONE = 'example.com'


@pytest.fixture(autouse=True)
def quick_certificates(do_emulator):
    do_emulator.configure(family_provision_delay={'certificates': 0.5})
    set_cdn_rate_limit(do_emulator, False)
    yield
    set_cdn_rate_limit(do_emulator, True)


@pytest.fixture(scope='module')
def authority():
    return trustme.CA()


def pem_pair(authority, *names):
    leaf = authority.issue_cert(*names)
    return {'private_key': leaf.private_key_pem.bytes().decode(), 'leaf_certificate': leaf.cert_chain_pems[0].bytes().decode(),
            'certificate_chain': authority.cert_pem.bytes().decode()}


def set_cdn_rate_limit(emulator, enabled):
    response = requests.post(emulator.base_url + '/_emulator/config', json={'cdn_rate_limit': enabled}, verify=emulator.ca_bundle, timeout=10)
    assert response.status_code == 200, response.text


def add_zone(sandbox, emulator, name=ZONE):
    response = requests.post(sandbox.do_url + '/v2/domains', json={'name': name}, headers={'Authorization': 'Bearer ' + sandbox.do_token},
                             verify=sandbox.ca_bundle, timeout=10)
    assert response.status_code == 201, response.text
    emulator.clear_requests()


def cert_task(task_name='certificate', **args):
    args = dict({'name': 'mastodon-cdn'}, **args)
    return {'name': task_name, 'fediops.mastodon.do_certificate': {k: v for k, v in args.items() if v is not None}, 'register': 'out'}


def certificates(emulator):
    return emulator.state()['certificates']


def writes(emulator):
    return [(entry['method'], entry['operation_id']) for entry in emulator.requests() if entry['write']]


def test_lets_encrypt_lifecycle_waits_refuses_changes_and_replaces_on_request(do_emulator, playbook, sandbox):
    add_zone(sandbox, do_emulator)
    created = playbook.run([cert_task(dns_names=['cdn.example.com', 'files.example.com'])])
    assert created.rc == 0, created.stdout
    result = created.task('certificate')
    assert result['changed'] is True and result['certificate']['state'] == 'verified'  # waited for issuance
    first_id = result['certificate']['id']

    do_emulator.clear_requests()
    rerun = playbook.run([cert_task(dns_names=['FILES.example.com', 'cdn.example.com'])])
    assert rerun.rc == 0 and rerun.changed == 0, rerun.stdout
    assert writes(do_emulator) == []

    other_names = ['cdn.example.com', 'static.example.com']
    refused = playbook.run([cert_task(dns_names=other_names)])
    assert refused.rc != 0
    message = refused.task('certificate')['msg']
    assert 'Nothing was changed' in message and 'replace=true' in message and 'static.example.com' in message
    checked = playbook.run([cert_task(dns_names=other_names, replace=True)], check=True, diff=True)
    assert checked.rc == 0 and checked.task('certificate')['changed'] is True, checked.stdout
    assert checked.task('certificate')['diff']['after']['dns_names'] == other_names
    assert writes(do_emulator) == []

    replaced = playbook.run([cert_task(dns_names=other_names, replace=True)])
    assert replaced.rc == 0, replaced.stdout
    result = replaced.task('certificate')
    assert result['replaced']['id'] == first_id
    assert result['certificate']['id'] != first_id and result['certificate']['state'] == 'verified'
    assert [(c['name'], c['dns_names']) for c in certificates(do_emulator)] == [('mastodon-cdn', other_names)]

    deleted = playbook.run([cert_task(state='absent')])
    assert deleted.rc == 0 and deleted.task('certificate')['changed'] is True, deleted.stdout
    assert certificates(do_emulator) == []
    do_emulator.clear_requests()
    again = playbook.run([cert_task(state='absent')])
    assert again.rc == 0 and again.changed == 0, again.stdout
    assert writes(do_emulator) == []


def test_lets_encrypt_without_the_zone_on_digitalocean_fails_before_any_write(do_emulator, playbook):
    run = playbook.run([cert_task(dns_names=['cdn.example.com'])])
    assert run.rc != 0
    message = run.task('certificate')['msg']
    assert 'cdn.example.com' in message and 'DigitalOcean DNS' in message
    assert writes(do_emulator) == []


def test_uploaded_certificate_is_idempotent_and_its_key_never_printed(do_emulator, playbook, authority):
    pair = pem_pair(authority, 'cdn.example.com')
    key_body = pair['private_key'].splitlines()[1]
    run = playbook.run([cert_task(**pair), cert_task(task_name='again', **pair)], text=True, verbosity=4, diff=True)
    assert run.rc == 0, run.stdout
    assert key_body not in run.stdout + run.stderr
    [stored] = certificates(do_emulator)
    assert stored['type'] == 'custom' and stored['dns_names'] == ['cdn.example.com']
    assert [entry['operation_id'] for entry in do_emulator.requests() if entry['write']] == ['certificates_create']

    do_emulator.clear_requests()
    other = pem_pair(authority, 'cdn.example.com')
    refused = playbook.run([cert_task(**other)])
    assert refused.rc != 0 and 'another leaf certificate' in refused.task('certificate')['msg']
    assert writes(do_emulator) == []


def test_key_of_another_certificate_is_refused_before_any_write(do_emulator, playbook, authority):
    pair = pem_pair(authority, 'cdn.example.com')
    pair['private_key'] = pem_pair(authority, 'other.example.com')['private_key']
    run = playbook.run([cert_task(**pair)])
    assert run.rc != 0
    assert 'private_key does not belong to leaf_certificate' in run.task('certificate')['msg']
    assert writes(do_emulator) == []


def test_certificate_used_by_a_cdn_endpoint_is_not_deleted(do_emulator, playbook, authority):
    pair = pem_pair(authority, 'cdn.example.com')
    cdn_args = {'bucket': 'media', 'region': 'nyc3', 'custom_domain': 'cdn.example.com', 'certificate': 'mastodon-cdn'}
    cdn = {'name': 'cdn', 'fediops.mastodon.do_cdn_endpoint': cdn_args}
    assert playbook.run([cert_task(**pair), cdn]).rc == 0
    do_emulator.clear_requests()
    run = playbook.run([cert_task(state='absent')])
    assert run.rc != 0
    message = run.task('certificate')['msg']
    assert 'CDN endpoint' in message and 'cdn.example.com' in message and 'Nothing was changed' in message
    assert writes(do_emulator) == [] and len(certificates(do_emulator)) == 1


def test_lost_create_response_and_faults_end_with_exactly_one_certificate(do_emulator, playbook, sandbox):
    add_zone(sandbox, do_emulator)
    do_emulator.add_fault(kind='response_lost', method='POST', path='/v2/certificates', count=1)
    do_emulator.add_fault(kind='429', method='GET', path='/v2/certificates', count=1, retry_after=1)
    do_emulator.add_fault(kind='5xx', method='GET', path='/v2/domains', count=1, status=500)
    run = playbook.run([cert_task(dns_names=['cdn.example.com'])])
    assert run.rc == 0, run.stdout
    assert run.task('certificate')['certificate']['state'] == 'verified'
    assert len(certificates(do_emulator)) == 1
    assert [entry['method'] for entry in do_emulator.requests() if entry['write']] == ['POST']


def test_invalid_names_fail_before_any_call_that_writes(do_emulator, playbook):
    run = playbook.run([cert_task(dns_names=['cdn..example.com'])])
    assert run.rc != 0
    assert "dns_names: 'cdn..example.com' is not a fully qualified domain name" in run.task('certificate')['msg']
    run = playbook.run([cert_task(type='custom', dns_names=['cdn.example.com'])])
    assert run.rc != 0 and 'private_key and leaf_certificate are required' in run.task('certificate')['msg']
    assert writes(do_emulator) == []
