# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_cdn_endpoint through ansible-playbook against the sandbox's DigitalOcean emulator."""

from __future__ import annotations

import time

import pytest
import requests
import trustme

ORIGIN = 'mastodon-media.nyc3.digitaloceanspaces.com'


def set_cdn_rate_limit(emulator, enabled):
    response = requests.post(emulator.base_url + '/_emulator/config', json={'cdn_rate_limit': enabled}, verify=emulator.ca_bundle, timeout=10)
    assert response.status_code == 200, response.text


@pytest.fixture(autouse=True)
def no_cdn_limits(do_emulator):
    """DigitalOcean's CDN limits (5 requests / 10 s) off, except where a test turns them on; back on afterwards."""
    set_cdn_rate_limit(do_emulator, False)
    yield
    set_cdn_rate_limit(do_emulator, True)


@pytest.fixture(scope='module')
def pem():
    authority = trustme.CA()
    leaf = authority.issue_cert('cdn.example.com', '*.media.example.com')
    return {'private_key': leaf.private_key_pem.bytes().decode(), 'leaf_certificate': leaf.cert_chain_pems[0].bytes().decode()}


def cdn_task(task_name='cdn', **args):
    args = dict({'bucket': 'mastodon-media', 'region': 'nyc3'}, **args)
    return {'name': task_name, 'fediops.mastodon.do_cdn_endpoint': {k: v for k, v in args.items() if v is not None}, 'register': 'out'}


def cert_task(pem, name='cdn-cert'):
    return {'name': 'certificate ' + name, 'fediops.mastodon.do_certificate': dict(pem, name=name), 'register': 'cert'}


def endpoints(emulator):
    return emulator.state()['cdn_endpoints']


def writes(emulator):
    return [(entry['method'], entry['operation_id']) for entry in emulator.requests() if entry['write']]


def test_lifecycle_with_ttl_custom_domain_and_certificate(do_emulator, playbook, pem):
    created = playbook.run([cdn_task(ttl=3600)])
    assert created.rc == 0, created.stdout
    result = created.task('cdn')
    assert result['changed'] is True
    assert result['endpoint']['endpoint'] == 'mastodon-media.nyc3.cdn.digitaloceanspaces.com'
    assert [e['origin'] for e in endpoints(do_emulator)] == [ORIGIN]

    do_emulator.clear_requests()
    rerun = playbook.run([cdn_task(task_name='by origin', bucket=None, region=None, origin=ORIGIN.upper(), ttl=3600), cdn_task()])
    assert rerun.rc == 0 and rerun.changed == 0, rerun.stdout
    assert writes(do_emulator) == []

    checked = playbook.run([cdn_task(ttl=86400)], check=True, diff=True)
    assert checked.rc == 0 and checked.task('cdn')['changed'] is True, checked.stdout
    assert checked.task('cdn')['diff'] == {'before': {'origin': ORIGIN, 'ttl': 3600}, 'after': {'origin': ORIGIN, 'ttl': 86400}}
    assert writes(do_emulator) == [] and endpoints(do_emulator)[0]['ttl'] == 3600

    updated = playbook.run([cdn_task(ttl=86400), cert_task(pem),
                            cdn_task(task_name='custom domain', custom_domain='cdn.example.com', certificate='cdn-cert')])
    assert updated.rc == 0, updated.stdout
    assert updated.task('custom domain')['endpoint']['custom_domain'] == 'cdn.example.com'
    certificate_id = updated.task('certificate cdn-cert')['certificate']['id']
    assert [(m, op) for m, op in writes(do_emulator) if op.startswith('cdn')] == [('PUT', 'cdn_update_endpoints')] * 2
    [stored] = endpoints(do_emulator)
    assert stored['ttl'] == 86400 and stored['certificate_id'] == certificate_id

    do_emulator.clear_requests()
    by_id = playbook.run([cdn_task(custom_domain='cdn.example.com', certificate=certificate_id, ttl=86400)])
    assert by_id.rc == 0 and by_id.changed == 0, by_id.stdout
    assert writes(do_emulator) == []

    removed = playbook.run([cdn_task(custom_domain='')])
    assert removed.rc == 0 and removed.task('cdn')['changed'] is True, removed.stdout
    assert 'custom_domain' not in endpoints(do_emulator)[0]

    deleted = playbook.run([cdn_task(state='absent')])
    assert deleted.rc == 0 and deleted.task('cdn')['changed'] is True, deleted.stdout
    assert endpoints(do_emulator) == []
    do_emulator.clear_requests()
    again = playbook.run([cdn_task(state='absent')])
    assert again.rc == 0 and again.changed == 0, again.stdout
    assert writes(do_emulator) == []


def test_purge_cache_on_request_only_in_batches_of_fifty(do_emulator, playbook):
    assert playbook.run([cdn_task()]).rc == 0
    paths = ['media_attachments/%03d/*' % number for number in range(60)]
    do_emulator.clear_requests()
    checked = playbook.run([cdn_task(purge_cache=paths)], check=True)
    assert checked.rc == 0 and checked.task('cdn')['changed'] is True and checked.task('cdn')['purged'] == [], checked.stdout
    assert writes(do_emulator) == []

    purged = playbook.run([cdn_task(purge_cache=paths)], diff=True)
    assert purged.rc == 0, purged.stdout
    result = purged.task('cdn')
    assert result['changed'] is True and result['purged'] == paths
    assert result['diff']['before'] == result['diff']['after']  # a purge is not configuration
    assert [len(p['files']) for p in do_emulator.state()['cdn_purges']] == [50, 10]
    assert writes(do_emulator) == [('DELETE', 'cdn_purge_cache')] * 2


def test_custom_domain_needs_a_covering_issued_certificate_checked_before_any_write(do_emulator, playbook, pem):
    assert playbook.run([cert_task(pem)]).rc == 0
    do_emulator.clear_requests()
    cases = [
        (cdn_task(custom_domain='cdn.example.com'), 'needs certificate'),
        (cdn_task(custom_domain='static.example.com', certificate='cdn-cert'), 'covers cdn.example.com, *.media.example.com, not custom_domain'),
        (cdn_task(custom_domain='cdn.example.com', certificate='no-such-cert'), "no certificate with the id or name 'no-such-cert'"),
        (cdn_task(bucket=None, region=None, origin='media.example.com'), "origin 'media.example.com' is not allowed"),
        (cdn_task(bucket='Bad_Bucket'), 'not a valid Spaces bucket name'),
    ]
    for task, words in cases:
        run = playbook.run([task])
        assert run.rc != 0, task
        assert words in run.task('cdn')['msg'], run.task('cdn')['msg']
    assert writes(do_emulator) == []


def test_wildcard_certificate_covers_a_subdomain(do_emulator, playbook, pem):
    run = playbook.run([cert_task(pem), cdn_task(custom_domain='img.media.example.com', certificate='cdn-cert')])
    assert run.rc == 0, run.stdout
    assert endpoints(do_emulator)[0]['custom_domain'] == 'img.media.example.com'


def test_lost_create_response_and_server_errors_end_with_exactly_one_endpoint(do_emulator, playbook):
    do_emulator.add_fault(kind='response_lost', method='POST', path='/v2/cdn/endpoints', count=1)
    do_emulator.add_fault(kind='5xx', method='GET', path='/v2/cdn/endpoints', count=1, status=503)
    do_emulator.add_fault(kind='429', method='GET', path='/v2/cdn/endpoints', count=1, retry_after=1)
    run = playbook.run([cdn_task(ttl=600)])
    assert run.rc == 0, run.stdout
    assert [e['ttl'] for e in endpoints(do_emulator)] == [600]
    assert [entry['method'] for entry in do_emulator.requests() if entry['write']] == ['POST']


def test_respects_the_cdn_rate_limit_by_waiting(do_emulator, playbook):
    set_cdn_rate_limit(do_emulator, True)
    tasks = [cdn_task(task_name='step %d' % number, ttl=ttl) for number, ttl in enumerate((600, 3600, 600, 3600))]
    started = time.monotonic()
    run = playbook.run(tasks)  # 8 CDN requests: more than 5 in 10 seconds
    assert run.rc == 0, run.stdout
    refused = [entry for entry in do_emulator.requests() if entry['status'] == 429]
    assert refused and all(entry['path'].startswith('/v2/cdn/endpoints') for entry in refused)
    assert endpoints(do_emulator)[0]['ttl'] == 3600
    assert time.monotonic() - started < 60
