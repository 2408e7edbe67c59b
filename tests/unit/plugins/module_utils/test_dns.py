# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record normalisation, validation, matching and planning, without any HTTP."""

import pytest

from ansible_collections.fediops.mastodon.plugins.module_utils import dns

ZONE = 'example.com'
SOA = {'id': 1, 'type': 'SOA', 'name': '@', 'data': '1800', 'ttl': 1800}
NS = [{'id': 2 + index, 'type': 'NS', 'name': '@', 'data': 'ns%d.digitalocean.com' % (index + 1), 'ttl': 1800} for index in range(3)]


def current(*items):
    """Records as the API lists them, ids from 100, plus DigitalOcean's SOA and NS records."""
    listed = [dict(SOA)] + [dict(ns) for ns in NS]
    for index, item in enumerate(items):
        record = dict({'priority': None, 'port': None, 'weight': None, 'flags': None, 'tag': None, 'ttl': 1800}, **item)
        record.setdefault('id', 100 + index)
        listed.append(record)
    return [dns.from_api(item, ZONE) for item in listed]


def plan(entries, existing=(), purge=False, default_ttl=1800):
    present, absent, errors, dummy = dns.parse_records(entries, ZONE, default_ttl)
    assert errors == []
    return dns.plan_records(present, absent, current(*existing), ZONE, purge=purge)


def summary(result):
    return {
        'create': [dns.label(r) for r in result['create']],
        'update': [(r['current']['id'], r['body']) for r in result['update']],
        'delete': [r['id'] for r in result['delete']],
    }


# -- names -----------------------------------------------------------------------------------

@pytest.mark.parametrize('spelling', ['www', 'WWW', 'www.example.com', 'www.example.com.', 'Www.Example.Com.', ' www '])
def test_every_spelling_of_a_name_is_the_same_relative_name(spelling):
    assert dns.relative_name(spelling, ZONE) == 'www'


@pytest.mark.parametrize('spelling', ['@', 'example.com', 'example.com.', 'EXAMPLE.COM.'])
def test_the_apex_has_several_spellings(spelling):
    assert dns.relative_name(spelling, ZONE) == '@'


@pytest.mark.parametrize('name, expected', [('*.apps', '*.apps'), ('_dmarc', '_dmarc'), ('abc._domainkey.example.com', 'abc._domainkey')])
def test_wildcards_and_underscores_are_names(name, expected):
    assert dns.relative_name(name, ZONE) == expected


@pytest.mark.parametrize('name, reason', [
    ('www.example.org.', 'not inside the zone example.com'),
    ('', 'is empty; use @'),
    ('a..b', 'not a valid record name'),
    ('a.*', 'not a valid record name'),
    ('sp ace', 'not a valid record name'),
    ('-x' + 'y' * 63, 'not a valid record name'),
])
def test_invalid_names_say_why(name, reason):
    with pytest.raises(dns.DnsInputError) as refused:
        dns.relative_name(name, ZONE)
    assert reason in str(refused.value)


def test_zone_names_are_normalised_and_checked():
    assert dns.normalize_zone('Example.COM.') == ZONE
    assert dns.zone_error('example.com') is None
    assert 'not a valid domain name' in dns.zone_error('localhost')
    assert 'not a valid domain name' in dns.zone_error('under_score.com')


# -- values ----------------------------------------------------------------------------------

@pytest.mark.parametrize('raw, text', [
    ('v=spf1 -all', 'v=spf1 -all'),
    ('"v=spf1 -all"', 'v=spf1 -all'),
    ('"abc" "def"', 'abcdef'),
    ('  "abc"   "def"  ', 'abcdef'),
    (r'"say \"hi\"" "\\ok"', 'say "hi"\\ok'),
    (r'"semi\059colon"', 'semi;colon'),
    ('"unterminated', '"unterminated'),
    ('"a" b', '"a" b'),
    ('plain "quoted" inside', 'plain "quoted" inside'),
])
def test_txt_values_compare_as_dns_serves_them(raw, text):
    assert dns.txt_value(raw) == text


def test_a_long_txt_value_split_into_255_character_strings_equals_the_joined_value():
    value = 'v=DKIM1; k=rsa; p=' + 'Q' * 600
    split = ' '.join('"%s"' % part for part in dns.txt_strings(value))
    assert [len(part) for part in dns.txt_strings(value)] == [255, 255, 108]
    assert dns.canonical_data('TXT', split, ZONE) == dns.canonical_data('TXT', value, ZONE) == value


@pytest.mark.parametrize('record_type, spellings', [
    ('CNAME', ['Target.Example.org.', 'target.example.org', 'TARGET.EXAMPLE.ORG']),
    ('MX', ['@', 'example.com', 'example.com.']),
    ('A', ['192.0.2.1', ' 192.0.2.1']),
    ('AAAA', ['2001:db8::1', '2001:DB8:0:0::1', '2001:0db8:0000:0000:0000:0000:0000:0001']),
    ('CAA', ['letsencrypt.org', '"letsencrypt.org"']),
])
def test_data_spellings_compare_equal(record_type, spellings):
    assert len({dns.canonical_data(record_type, spelling, ZONE) for spelling in spellings}) == 1


def test_hostnames_go_out_with_a_trailing_dot_and_the_apex_as_at():
    assert dns.wire_data({'type': 'CNAME', 'data': 'cdn.example.org'}, ZONE) == 'cdn.example.org.'
    assert dns.wire_data({'type': 'CNAME', 'data': ZONE}, ZONE) == '@'
    assert dns.wire_data({'type': 'TXT', 'data': 'x'}, ZONE) == 'x'


def test_zone_file_lines_describe_records():
    txt = dns.desired_record({'name': 'sel._domainkey', 'type': 'TXT', 'data': 'a' * 300, 'ttl': 300}, ZONE, 1800)
    assert dns.describe(txt, ZONE) == 'sel._domainkey.example.com. 300 IN TXT "%s" "%s"' % ('a' * 255, 'a' * 45)
    srv = dns.desired_record({'name': '_sip._tcp', 'type': 'SRV', 'data': 'sip.example.com', 'priority': 1, 'weight': 2,
                              'port': 5060}, ZONE, 1800)
    assert dns.describe(srv, ZONE) == '_sip._tcp.example.com. 1800 IN SRV 1 2 5060 sip.example.com.'
    caa = dns.desired_record({'name': '@', 'type': 'CAA', 'data': 'letsencrypt.org', 'flags': 0, 'tag': 'ISSUE'}, ZONE, 1800)
    assert dns.describe(caa, ZONE) == 'example.com. 1800 IN CAA 0 issue "letsencrypt.org"'


# -- validation ----------------------------------------------------------------------------------

@pytest.mark.parametrize('entry, message', [
    ({'name': 'www', 'type': 'A', 'data': '2001:db8::1'}, "records[0] (www A): data '2001:db8::1' is not an IPv4 address; A records point"),
    ({'name': 'www', 'type': 'AAAA', 'data': '192.0.2.1'}, "data '192.0.2.1' is not an IPv6 address"),
    ({'name': 'www', 'type': 'CNAME', 'data': 'bad host.example.'}, "data 'bad host.example.' is not a valid hostname"),
    ({'name': 'www', 'type': 'A'}, 'data is required for A records'),
    ({'name': '@', 'type': 'MX', 'data': 'mx.example.org'}, 'priority is required for MX records (an integer from 0 to 65535)'),
    ({'name': '@', 'type': 'MX', 'data': 'mx.example.org', 'priority': 70000}, 'priority 70000 is invalid; allowed: an integer from 0 to 65535'),
    ({'name': 'www', 'type': 'A', 'data': '192.0.2.1', 'priority': 10}, 'priority 10 is not used by A records, only by MX and SRV records'),
    ({'name': '_s._tcp', 'type': 'SRV', 'data': 'h.example.com', 'priority': 1}, 'port is required for SRV records'),
    ({'name': '@', 'type': 'CAA', 'data': 'letsencrypt.org', 'flags': 0}, 'tag is required for CAA records; allowed: issue, issuewild, iodef'),
    ({'name': '@', 'type': 'CAA', 'data': 'letsencrypt.org', 'tag': 'issue', 'flags': 300}, 'flags 300 is invalid; allowed: an integer from 0 to 255'),
    ({'name': 'x', 'type': 'TXT', 'data': 'y', 'ttl': 29}, 'ttl 29 is invalid; allowed: an integer from 30'),
    ({'name': 'x', 'type': 'TXT', 'data': '""'}, 'empty TXT value'),
    ({'name': 'x', 'type': 'SOA', 'data': 'y'}, "type 'SOA' is not supported"),
    ({'name': '@', 'type': 'CNAME', 'data': 'example.org'}, 'a CNAME record cannot be at the apex of example.com'),
    ({'name': 'www.example.org.', 'type': 'A', 'data': '192.0.2.1'}, "name 'www.example.org.' is not inside the zone example.com"),
])
def test_each_invalid_record_is_reported_with_record_field_value_and_what_is_allowed(entry, message):
    dummy, dummy, errors, dummy = dns.parse_records([entry], ZONE)
    assert any(message in error for error in errors), errors


def test_every_invalid_record_is_reported_at_once():
    dummy, dummy, errors, dummy = dns.parse_records([
        {'name': 'a', 'type': 'A', 'data': 'x'}, {'name': 'b', 'type': 'A', 'data': '192.0.2.1'}, {'name': 'c', 'type': 'AAAA', 'data': 'y'}], ZONE)
    assert [error.split(':')[0] for error in errors] == ['records[0] (a A)', 'records[2] (c AAAA)']


def test_the_same_record_twice_is_refused_whatever_the_spelling():
    dummy, dummy, errors, dummy = dns.parse_records([
        {'name': 'www', 'type': 'CNAME', 'data': 'cdn.example.org'},
        {'name': 'WWW.example.com.', 'type': 'CNAME', 'data': 'CDN.example.org.', 'ttl': 60}], ZONE)
    assert len(errors) == 2
    assert 'records[0] (www.example.com CNAME cdn.example.org) and records[1] (www.example.com CNAME cdn.example.org) are the same record' in errors[0]


def test_a_cname_beside_another_record_in_the_list_is_refused():
    dummy, dummy, errors, dummy = dns.parse_records([
        {'name': 'www', 'type': 'CNAME', 'data': 'cdn.example.org'}, {'name': 'www', 'type': 'TXT', 'data': 'hello'}], ZONE)
    assert errors == ['records[0] (www.example.com CNAME cdn.example.org): a CNAME cannot share its name with other records, '
                      'but records[1] (www.example.com TXT hello) is at www.example.com']


def test_two_spf_records_at_one_name_are_refused():
    dummy, dummy, errors, dummy = dns.parse_records([
        {'name': '@', 'type': 'TXT', 'data': 'v=spf1 include:amazonses.com ~all'},
        {'name': '@', 'type': 'TXT', 'data': '"v=spf1 include:_spf.google.com ~all"'},
        {'name': '@', 'type': 'TXT', 'data': 'google-site-verification=x'}], ZONE)
    assert len(errors) == 1 and 'more than one SPF record' in errors[0] and 'merge the mechanisms into one' in errors[0]


def test_different_ttls_in_one_set_only_warn():
    dummy, dummy, errors, warnings = dns.parse_records([
        {'name': 'www', 'type': 'A', 'data': '192.0.2.1', 'ttl': 60}, {'name': 'www', 'type': 'A', 'data': '192.0.2.2'}], ZONE)
    assert errors == [] and 'different TTLs (60, 1800)' in warnings[0]


def test_removing_a_pair_that_is_also_asked_for_is_refused():
    dummy, dummy, errors, dummy = dns.parse_records([
        {'name': 'www', 'type': 'A', 'state': 'absent'}, {'name': 'www', 'type': 'A', 'data': '192.0.2.1'}], ZONE)
    assert 'removes every A record of www.example.com, but records[1]' in errors[0]
    dummy, dummy, errors, dummy = dns.parse_records([
        {'name': 'www', 'type': 'A', 'data': '192.0.2.1', 'state': 'absent'}, {'name': 'www', 'type': 'A', 'data': '192.0.2.1'}], ZONE)
    assert 'removes the record records[1]' in errors[0]


# -- matching and planning -------------------------------------------------------------------------

def test_identical_zone_plans_nothing():
    result = plan([{'name': 'www', 'type': 'A', 'data': '192.0.2.1'}], [{'type': 'A', 'name': 'www', 'data': '192.0.2.1'}])
    assert summary(result) == {'create': [], 'update': [], 'delete': []}
    assert result['conflicts'] == []


def test_a_new_ttl_updates_in_place():
    result = plan([{'name': 'www', 'type': 'A', 'data': '192.0.2.1', 'ttl': 300}], [{'type': 'A', 'name': 'www', 'data': '192.0.2.1'}])
    assert summary(result) == {'create': [], 'update': [(100, {'type': 'A', 'ttl': 300})], 'delete': []}


def test_default_ttl_is_enforced_for_records_without_ttl():
    result = plan([{'name': 'www', 'type': 'A', 'data': '192.0.2.1'}], [{'type': 'A', 'name': 'www', 'data': '192.0.2.1', 'ttl': 3600}],
                  default_ttl=600)
    assert summary(result)['update'] == [(100, {'type': 'A', 'ttl': 600})]


def test_a_new_value_of_a_single_record_updates_it_in_place_with_a_trailing_dot():
    result = plan([{'name': 'www', 'type': 'CNAME', 'data': 'new.example.org'}], [{'type': 'CNAME', 'name': 'www', 'data': 'old.example.org'}])
    assert summary(result)['update'] == [(100, {'type': 'CNAME', 'data': 'new.example.org.'})]


def test_a_txt_set_is_reconciled_as_a_set():
    existing = [{'type': 'TXT', 'name': '@', 'data': 'v=spf1 -all'}, {'type': 'TXT', 'name': '@', 'data': 'keep-me'},
                {'type': 'TXT', 'name': '@', 'data': 'stale'}]
    result = plan([{'name': '@', 'type': 'TXT', 'data': 'keep-me'}, {'name': '@', 'type': 'TXT', 'data': 'v=spf1 include:amazonses.com -all'}],
                  existing)
    assert summary(result) == {'create': [], 'update': [(102, {'type': 'TXT', 'data': 'v=spf1 include:amazonses.com -all'})],
                               'delete': [100]}


def test_growing_a_set_creates_and_shrinking_it_deletes():
    grown = plan([{'name': 'www', 'type': 'A', 'data': '192.0.2.%d' % index} for index in (1, 2, 3)],
                 [{'type': 'A', 'name': 'www', 'data': '192.0.2.1'}])
    assert summary(grown)['create'] == ['www A 192.0.2.2', 'www A 192.0.2.3'] and summary(grown)['update'] == []
    shrunk = plan([{'name': 'www', 'type': 'A', 'data': '192.0.2.2'}],
                  [{'type': 'A', 'name': 'www', 'data': '192.0.2.1'}, {'type': 'A', 'name': 'www', 'data': '192.0.2.2'}])
    assert summary(shrunk) == {'create': [], 'update': [], 'delete': [100]}


def test_an_mx_with_a_new_priority_keeps_its_record():
    existing = [{'type': 'MX', 'name': '@', 'data': 'mx1.example.org', 'priority': 10}, {'type': 'MX', 'name': '@', 'data': 'mx2.example.org', 'priority': 20}]
    result = plan([{'name': '@', 'type': 'MX', 'data': 'mx1.example.org', 'priority': 30},
                   {'name': '@', 'type': 'MX', 'data': 'mx2.example.org', 'priority': 20}], existing)
    assert summary(result) == {'create': [], 'update': [(100, {'type': 'MX', 'priority': 30})], 'delete': []}


def test_duplicates_already_in_the_zone_are_reduced_to_one():
    existing = [{'type': 'A', 'name': 'www', 'data': '192.0.2.1'}, {'type': 'A', 'name': 'www', 'data': '192.0.2.1'}]
    assert summary(plan([{'name': 'www', 'type': 'A', 'data': '192.0.2.1'}], existing)) == {'create': [], 'update': [], 'delete': [101]}


def test_pairs_not_listed_are_left_alone_without_purge_and_removed_with_it():
    existing = [{'type': 'A', 'name': 'www', 'data': '192.0.2.1'}, {'type': 'TXT', 'name': 'www', 'data': 'foreign'},
                {'type': 'NS', 'name': 'sub', 'data': 'ns.elsewhere.example'}]
    wanted = [{'name': 'www', 'type': 'A', 'data': '192.0.2.1'}]
    assert summary(plan(wanted, existing)) == {'create': [], 'update': [], 'delete': []}
    assert summary(plan(wanted, existing, purge=True)) == {'create': [], 'update': [], 'delete': [102, 101]}


def test_purge_and_owned_pairs_never_delete_soa_or_digitaloceans_ns():
    result = plan([{'name': '@', 'type': 'NS', 'data': 'ns.other.example'}], purge=True)
    assert summary(result) == {'create': ['@ NS ns.other.example'], 'update': [], 'delete': []}
    assert sorted(r['type'] for r in result['unchanged']) == ['NS', 'NS', 'NS', 'SOA']


def test_digitaloceans_ns_records_can_take_a_new_ttl_when_listed():
    result = plan([{'name': '@', 'type': 'NS', 'data': 'ns%d.digitalocean.com' % index, 'ttl': 3600} for index in (1, 2, 3)])
    assert [body for dummy, body in summary(result)['update']] == [{'type': 'NS', 'ttl': 3600}] * 3


def test_absent_entries_remove_a_pair_or_one_value():
    existing = [{'type': 'A', 'name': 'www', 'data': '192.0.2.1'}, {'type': 'A', 'name': 'www', 'data': '192.0.2.2'},
                {'type': 'TXT', 'name': '@', 'data': 'a'}, {'type': 'TXT', 'name': '@', 'data': '"b"'}]
    result = plan([{'name': 'www', 'type': 'A', 'state': 'absent'}, {'name': '@', 'type': 'TXT', 'data': 'b', 'state': 'absent'}], existing)
    assert summary(result) == {'create': [], 'update': [], 'delete': [103, 100, 101]}


def test_a_cname_beside_a_record_the_task_keeps_is_a_conflict():
    result = plan([{'name': 'www', 'type': 'CNAME', 'data': 'cdn.example.org'}], [{'type': 'A', 'name': 'www', 'data': '192.0.2.1'}])
    assert len(result['conflicts']) == 1
    assert result['conflicts'][0].startswith('records[0] (www.example.com CNAME cdn.example.org): a CNAME cannot share its name')
    assert 'keeps www A 192.0.2.1' in result['conflicts'][0]


def test_a_record_beside_a_cname_the_task_keeps_is_a_conflict():
    result = plan([{'name': 'www', 'type': 'TXT', 'data': 'hello'}], [{'type': 'CNAME', 'name': 'www', 'data': 'cdn.example.org'}])
    assert 'has a CNAME record (www CNAME cdn.example.org)' in result['conflicts'][0]


def test_a_cname_replacing_removed_records_is_no_conflict():
    existing = [{'type': 'A', 'name': 'www', 'data': '192.0.2.1'}]
    assert plan([{'name': 'www', 'type': 'A', 'state': 'absent'}, {'name': 'www', 'type': 'CNAME', 'data': 'x.example.org'}],
                existing)['conflicts'] == []
    assert plan([{'name': 'www', 'type': 'CNAME', 'data': 'x.example.org'}], existing, purge=True)['conflicts'] == []


def test_records_after_and_diff_text_show_the_result():
    existing = [{'type': 'A', 'name': 'www', 'data': '192.0.2.1'}]
    present, absent, dummy, dummy = dns.parse_records([{'name': 'www', 'type': 'A', 'data': '192.0.2.9', 'ttl': 60}], ZONE)
    records = current(*existing)
    result = dns.plan_records(present, absent, records, ZONE)
    after = dns.records_after(result)
    scoped = [record for record in after if dns.in_scope(record, present, absent, False)]
    assert dns.diff_text(scoped, ZONE) == 'www.example.com. 60 IN A 192.0.2.9\n'
    assert [dns.api_form(record, ZONE)['data'] for record in after if record['type'] == 'A'] == ['192.0.2.9']
    assert len(after) == 5


def test_api_form_gives_hostnames_as_digitalocean_returns_them():
    record = dns.desired_record({'name': 'www', 'type': 'CNAME', 'data': 'Example.COM.'}, ZONE, 1800)
    assert dns.api_form(dict(record, id=None), ZONE) == {'id': None, 'name': 'www', 'type': 'CNAME', 'data': '@', 'ttl': 1800,
                                                         'priority': None, 'port': None, 'weight': None, 'flags': None, 'tag': None}
