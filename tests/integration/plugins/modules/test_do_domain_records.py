# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_domain_records through ansible-playbook against the sandbox's DigitalOcean emulator."""

from __future__ import annotations

import pytest

from tests.integration.standins import DigitalOceanApi

ZONE = 'example.social'
RECORDS_PATH = '/v2/domains/%s/records' % ZONE
DKIM = 'v=DKIM1; k=rsa; p=' + 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA' * 9


class Zone(DigitalOceanApi):
    """The zone under test, for setting up foreign records (not through the module)."""

    def add(self, **record):
        return self.add_record(ZONE, **record)


@pytest.fixture
def zone(do_emulator, sandbox):
    config = do_emulator.config()
    do_emulator.configure(rate_limit_per_minute=5000, rate_limit_per_hour=50000)
    api = Zone(sandbox)
    api.post('/v2/domains', {'name': ZONE})
    do_emulator.clear_requests()
    yield api
    do_emulator.configure(rate_limit_per_minute=config['rate_limit_per_minute'], rate_limit_per_hour=config['rate_limit_per_hour'])
    api.close()


def records_task(records, task='dns', **args):
    args.setdefault('domain', ZONE)
    args['records'] = records
    return {'name': task, 'fediops.mastodon.do_domain_records': args, 'register': 'out'}


def zone_records(emulator):
    return next(domain for domain in emulator.state()['domains'] if domain['name'] == ZONE)['records']


def of_type(emulator, record_type, name=None):
    return sorted(r['data'] for r in zone_records(emulator) if r['type'] == record_type and (name is None or r['name'] == name))


def writes(emulator):
    return [entry for entry in emulator.requests() if entry['write']]


def fifty_records():
    records = [{'name': 'host-%02d' % index, 'type': 'A', 'data': '192.0.2.%d' % (index + 1)} for index in range(40)]
    records += [
        {'name': '@', 'type': 'A', 'data': '203.0.113.10'},
        {'name': '@', 'type': 'AAAA', 'data': '2001:db8::10'},
        {'name': 'www', 'type': 'CNAME', 'data': ZONE + '.', 'ttl': 3600},
        {'name': 'files', 'type': 'CNAME', 'data': 'mastodon-media.nyc3.cdn.digitaloceanspaces.com'},
        {'name': '@', 'type': 'MX', 'data': 'inbound-smtp.us-east-1.amazonaws.com', 'priority': 10},
        {'name': '@', 'type': 'TXT', 'data': 'v=spf1 include:amazonses.com ~all'},
        {'name': '@', 'type': 'TXT', 'data': 'google-site-verification=abc123'},
        {'name': '_dmarc', 'type': 'TXT', 'data': 'v=DMARC1; p=quarantine'},
        {'name': '@', 'type': 'CAA', 'data': 'letsencrypt.org', 'flags': 0, 'tag': 'issue'},
        {'name': '_xmpp._tcp', 'type': 'SRV', 'data': 'xmpp.example.social', 'priority': 5, 'weight': 0, 'port': 5222},
    ]
    assert len(records) == 50
    return records


def test_fifty_records_converge_then_rerun_lists_each_page_once_and_three_changes_make_three_writes(do_emulator, playbook, zone):
    for index in range(160):  # foreign records: the zone spans two pages of 200, and they must survive
        zone.add(type='A', name='foreign-%03d' % index, data='198.51.100.%d' % (index % 250 + 1))
    do_emulator.clear_requests()

    created = playbook.run([records_task(fifty_records())])
    assert created.rc == 0, created.stdout
    result = created.task('dns')
    assert result['changed'] is True and len(result['changes']['created']) == 50
    assert result['changes']['updated'] == [] and result['changes']['deleted'] == []
    assert [(w['method'], w['operation_id']) for w in writes(do_emulator)] == [('POST', 'domains_create_record')] * 50
    assert len(zone_records(do_emulator)) == 4 + 160 + 50
    assert len(result['records']) == 4 + 160 + 50

    do_emulator.clear_requests()
    rerun = playbook.run([records_task(fifty_records())])
    assert rerun.rc == 0 and rerun.changed == 0, rerun.stdout
    calls = [(entry['method'], entry['path'], entry['query'].get('page')) for entry in do_emulator.requests()]
    assert calls == [('GET', RECORDS_PATH, '1'), ('GET', RECORDS_PATH, '2')]

    changed = fifty_records()
    changed[0]['data'] = '192.0.2.200'                            # new address for host-00
    changed[42]['ttl'] = 300                                       # new TTL for www
    changed[46]['data'] = 'google-site-verification=xyz789'         # one of the two apex TXT values
    do_emulator.clear_requests()
    three = playbook.run([records_task(changed)], diff=True)
    assert three.rc == 0, three.stdout
    result = three.task('dns')
    assert sorted((w['method'], sorted(w['body'].items())) for w in writes(do_emulator)) == [
        ('PATCH', [('data', '192.0.2.200'), ('type', 'A')]),
        ('PATCH', [('data', 'google-site-verification=xyz789'), ('type', 'TXT')]),
        ('PATCH', [('ttl', 300), ('type', 'CNAME')]),
    ]
    assert len(result['changes']['updated']) == 3 and not result['changes']['created'] and not result['changes']['deleted']
    assert of_type(do_emulator, 'TXT', '@') == ['google-site-verification=xyz789', 'v=spf1 include:amazonses.com ~all']
    assert 'host-00.example.social. 1800 IN A 192.0.2.1\n' in result['diff']['before']
    assert 'host-00.example.social. 1800 IN A 192.0.2.200\n' in result['diff']['after']
    assert 'foreign-000' not in result['diff']['before'] + result['diff']['after']
    assert len([r for r in zone_records(do_emulator) if r['name'].startswith('foreign-')]) == 160


def test_purge_removes_unlisted_records_but_keeps_soa_and_digitalocean_ns(do_emulator, playbook, zone):
    zone.add(type='TXT', name='old', data='left over')
    zone.add(type='NS', name='delegated', data='ns1.elsewhere.example.')
    wanted = [{'name': '@', 'type': 'A', 'data': '203.0.113.10'}]

    kept = playbook.run([records_task(wanted)])
    assert kept.rc == 0, kept.stdout
    assert of_type(do_emulator, 'TXT') == ['left over']

    purged = playbook.run([records_task(wanted, purge=True)], diff=True)
    assert purged.rc == 0 and purged.task('dns')['changed'] is True, purged.stdout
    assert sorted((r['type'], r['name']) for r in purged.task('dns')['changes']['deleted']) == [('NS', 'delegated'), ('TXT', 'old')]
    assert sorted((r['type'], r['name'], r['data']) for r in zone_records(do_emulator)) == [
        ('A', '@', '203.0.113.10'), ('NS', '@', 'ns1.digitalocean.com'), ('NS', '@', 'ns2.digitalocean.com'),
        ('NS', '@', 'ns3.digitalocean.com'), ('SOA', '@', '1800')]
    assert 'old.example.social. 1800 IN TXT "left over"' in purged.task('dns')['diff']['before']

    do_emulator.clear_requests()
    again = playbook.run([records_task(wanted, purge=True)])
    assert again.rc == 0 and again.changed == 0 and writes(do_emulator) == [], again.stdout


def test_dns_equivalent_spellings_are_idempotent(do_emulator, playbook, zone):
    zone.add(type='TXT', name='@', data='"v=spf1 include:amazonses.com ~all"')
    zone.add(type='TXT', name='sel._domainkey', data=DKIM)
    zone.add(type='CNAME', name='www', data='Example.Social.')
    zone.add(type='MX', name='mail', data='feedback-smtp.us-east-1.amazonses.com.', priority=10)
    zone.add(type='AAAA', name='v6', data='2001:db8::1')
    do_emulator.clear_requests()
    split = ' '.join('"%s"' % DKIM[start:start + 255] for start in range(0, len(DKIM), 255))
    spelled = [
        {'name': 'EXAMPLE.SOCIAL.', 'type': 'TXT', 'data': 'v=spf1 include:amazonses.com ~all'},
        {'name': 'sel._domainkey.example.social', 'type': 'TXT', 'data': split},
        {'name': 'www.example.social.', 'type': 'CNAME', 'data': '@'},
        {'name': 'Mail', 'type': 'MX', 'data': 'FEEDBACK-SMTP.us-east-1.amazonses.com', 'priority': 10},
        {'name': 'v6', 'type': 'AAAA', 'data': '2001:0DB8:0:0::1'},
    ]
    run = playbook.run([records_task(spelled)], check=True, diff=True)
    assert run.rc == 0 and run.changed == 0, run.stdout
    assert run.task('dns')['diff']['before'] == run.task('dns')['diff']['after']
    run = playbook.run([records_task(spelled)])
    assert run.rc == 0 and run.changed == 0, run.stdout
    assert writes(do_emulator) == []


def test_long_txt_is_created_whole_and_rerun_is_unchanged(do_emulator, playbook, zone):
    record = {'name': 'sel._domainkey', 'type': 'TXT', 'data': DKIM}
    run = playbook.run([records_task([record], task='create'), records_task([record], task='again')])
    assert run.rc == 0, run.stdout
    assert run.task('create')['changed'] is True and run.task('again')['changed'] is False
    assert of_type(do_emulator, 'TXT') == [DKIM]


def test_cname_beside_a_record_it_does_not_remove_fails_before_any_write(do_emulator, playbook, zone):
    zone.add(type='A', name='www', data='192.0.2.1')
    do_emulator.clear_requests()
    run = playbook.run([records_task([{'name': '_dmarc', 'type': 'TXT', 'data': 'v=DMARC1; p=none'},
                                      {'name': 'www', 'type': 'CNAME', 'data': ZONE}])])
    assert run.rc != 0
    message = run.task('dns')['msg']
    assert 'records[1] (www.example.social CNAME example.social)' in message and 'www A 192.0.2.1' in message, message
    assert 'state: absent' in message
    assert writes(do_emulator) == []

    replaced = playbook.run([records_task([{'name': 'www', 'type': 'A', 'state': 'absent'},
                                           {'name': 'www', 'type': 'CNAME', 'data': ZONE}])])
    assert replaced.rc == 0, replaced.stdout
    assert [w['method'] for w in writes(do_emulator)] == ['DELETE', 'POST']
    assert [(r['type'], r['data']) for r in zone_records(do_emulator) if r['name'] == 'www'] == [('CNAME', '@')]


def test_invalid_records_fail_naming_record_field_and_value_with_zero_writes(do_emulator, playbook, zone):
    run = playbook.run([records_task([
        {'name': 'ok', 'type': 'A', 'data': '192.0.2.1'},
        {'name': 'web', 'type': 'A', 'data': '2001:db8::1'},
        {'name': '@', 'type': 'MX', 'data': 'mx.example.org'},
        {'name': 'x', 'type': 'TXT', 'data': 'y', 'ttl': 10},
        {'name': 'www.other.example.', 'type': 'A', 'data': '192.0.2.1'},
    ])])
    assert run.rc != 0
    message = run.task('dns')['msg']
    assert "records[1] (web A): data '2001:db8::1' is not an IPv4 address" in message, message
    assert 'records[2] (@ MX): priority is required for MX records' in message
    assert 'records[3] (x TXT): ttl 10 is invalid; allowed: an integer from 30' in message
    assert "records[4] (www.other.example. A): name 'www.other.example.' is not inside the zone example.social" in message
    assert do_emulator.requests() == []


def test_check_mode_makes_no_write_and_shows_the_diff(do_emulator, playbook, zone):
    zone.add(type='TXT', name='_dmarc', data='v=DMARC1; p=none')
    do_emulator.clear_requests()
    run = playbook.run([records_task([{'name': '_dmarc', 'type': 'TXT', 'data': 'v=DMARC1; p=reject'},
                                      {'name': 'www', 'type': 'A', 'data': '192.0.2.1'}])], check=True, diff=True)
    assert run.rc == 0 and run.task('dns')['changed'] is True, run.stdout
    result = run.task('dns')
    assert result['diff']['before'] == '_dmarc.example.social. 1800 IN TXT "v=DMARC1; p=none"\n'
    assert result['diff']['after'] == ('_dmarc.example.social. 1800 IN TXT "v=DMARC1; p=reject"\n'
                                       'www.example.social. 1800 IN A 192.0.2.1\n')
    assert result['changes']['created'][0]['id'] is None
    assert [(u['before']['data'], u['after']['data']) for u in result['changes']['updated']] == [('v=DMARC1; p=none', 'v=DMARC1; p=reject')]
    assert writes(do_emulator) == []
    assert of_type(do_emulator, 'TXT') == ['v=DMARC1; p=none'] and of_type(do_emulator, 'A') == []


def test_rate_limits_and_server_errors_converge(do_emulator, playbook, zone):
    zone.add(type='TXT', name='_dmarc', data='v=DMARC1; p=none')
    do_emulator.add_fault(kind='429', method='GET', path=RECORDS_PATH, count=2, retry_after=1)
    do_emulator.add_fault(kind='5xx', method='POST', path=RECORDS_PATH, count=2, status=503)
    do_emulator.add_fault(kind='5xx', method='PATCH', path=RECORDS_PATH + '/*', count=1, status=502)
    run = playbook.run([records_task([{'name': '_dmarc', 'type': 'TXT', 'data': 'v=DMARC1; p=reject'},
                                      {'name': 'www', 'type': 'A', 'data': '192.0.2.1'},
                                      {'name': 'api', 'type': 'A', 'data': '192.0.2.2'}])])
    assert run.rc == 0, run.stdout
    assert of_type(do_emulator, 'A') == ['192.0.2.1', '192.0.2.2'] and of_type(do_emulator, 'TXT') == ['v=DMARC1; p=reject']
    faults = [entry['fault'] for entry in do_emulator.requests() if entry['fault']]
    assert faults.count('429') == 2 and faults.count('5xx') == 3


def test_lost_create_response_is_looked_up_and_never_duplicated(do_emulator, playbook, zone):
    do_emulator.add_fault(kind='response_lost', method='POST', path=RECORDS_PATH, count=1)
    run = playbook.run([records_task([{'name': '@', 'type': 'TXT', 'data': 'v=spf1 include:amazonses.com ~all'},
                                      {'name': '@', 'type': 'TXT', 'data': 'google-site-verification=abc123'}])])
    assert run.rc == 0 and run.task('dns')['changed'] is True, run.stdout
    assert len(run.task('dns')['changes']['created']) == 2
    assert of_type(do_emulator, 'TXT') == ['google-site-verification=abc123', 'v=spf1 include:amazonses.com ~all']
    posts = [entry for entry in do_emulator.requests() if entry['method'] == 'POST']
    assert len(posts) == 2, 'a create whose response was lost must not be sent again: %s' % posts
    lookups = [entry['query'] for entry in do_emulator.requests() if entry['method'] == 'GET' and 'type' in entry['query']]
    assert lookups and lookups[0]['name'] == ZONE and lookups[0]['type'] == 'TXT'


def test_missing_zone_fails_clearly(do_emulator, playbook):
    run = playbook.run([records_task([{'name': 'www', 'type': 'A', 'data': '192.0.2.1'}])])
    assert run.rc != 0
    assert 'domain example.social does not exist' in run.task('dns')['msg'] and 'do_domain' in run.task('dns')['msg']
    assert writes(do_emulator) == []
