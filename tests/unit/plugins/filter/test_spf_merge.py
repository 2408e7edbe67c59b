# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""spf_merge: one SPF record per name, include: merged before the all term, other TXT records untouched."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fediops.mastodon.plugins.filter.spf_merge import FilterModule, merge_spf, spf_merge

VERIFICATION = {'id': 7, 'name': '@', 'type': 'TXT', 'data': 'google-site-verification=abc123', 'ttl': 300, 'priority': None}


def spf_record(data, ttl=1800):
    return {'id': 8, 'name': '@', 'type': 'TXT', 'data': data, 'ttl': ttl, 'priority': None, 'port': None}


def spf_values(records):
    return [record['data'] for record in records if record['data'].lower().startswith('v=spf1')]


def test_no_spf_record_adds_a_new_one_and_keeps_the_others():
    result = spf_merge([VERIFICATION], 'amazonses.com', ttl=3600)
    assert result == [
        {'name': '@', 'type': 'TXT', 'data': 'google-site-verification=abc123', 'ttl': 300},
        {'name': '@', 'type': 'TXT', 'data': 'v=spf1 include:amazonses.com ~all', 'ttl': 3600},
    ]


def test_empty_name_gets_a_new_record_with_the_given_name():
    assert spf_merge([], name='mail.example.com.') == [{'name': 'mail.example.com.', 'type': 'TXT', 'data': 'v=spf1 include:amazonses.com ~all'}]


def test_existing_spf_gets_the_include_before_the_all_term_in_one_record():
    result = spf_merge([spf_record('v=spf1 include:_spf.example.net ~all'), VERIFICATION])
    assert spf_values(result) == ['v=spf1 include:_spf.example.net include:amazonses.com ~all']
    assert len(result) == 2
    assert {'name': '@', 'type': 'TXT', 'data': 'google-site-verification=abc123', 'ttl': 300} in result


def test_existing_records_keep_their_ttl_and_drop_api_only_keys():
    result = spf_merge([spf_record('v=spf1 mx -all', ttl=600)], ttl=3600)
    assert result == [{'name': '@', 'type': 'TXT', 'data': 'v=spf1 mx include:amazonses.com -all', 'ttl': 600}]


@pytest.mark.parametrize('value, expected', [
    ('v=spf1 include:_spf.example.net -all', 'v=spf1 include:_spf.example.net include:amazonses.com -all'),
    ('v=spf1 ip4:192.0.2.0/24 ?all', 'v=spf1 ip4:192.0.2.0/24 include:amazonses.com ?all'),
    ('v=spf1 +mx ~all', 'v=spf1 +mx include:amazonses.com ~all'),
    ('v=spf1 a +all', 'v=spf1 a include:amazonses.com +all'),
    ('v=spf1 mx', 'v=spf1 mx include:amazonses.com'),
    ('v=spf1 mx -all exp=explain.example.com', 'v=spf1 mx include:amazonses.com -all exp=explain.example.com'),
    ('v=spf1', 'v=spf1 include:amazonses.com'),
])
def test_qualifiers_and_other_terms_are_kept(value, expected):
    assert merge_spf(value, 'amazonses.com') == expected


@pytest.mark.parametrize('value', [
    'v=spf1 include:amazonses.com ~all',
    'v=spf1 include:_spf.example.net +include:AmazonSES.com. -all',
    'V=SPF1 include:amazonses.com  -all',
])
def test_already_included_is_unchanged(value):
    record = spf_record(value)
    assert spf_values(spf_merge([record])) == [value]


def test_quoted_value_is_compared_as_served_and_unchanged_when_included():
    record = spf_record('"v=spf1 include:amazonses.com ~all"')
    assert spf_merge([record])[0]['data'] == '"v=spf1 include:amazonses.com ~all"'


def test_quoted_value_is_merged_as_served():
    assert spf_values(spf_merge([spf_record('"v=spf1 mx " "~all"')])) == ['v=spf1 mx include:amazonses.com ~all']


def test_string_values_are_accepted():
    assert spf_merge(['v=spf1 mx ~all', 'other'], ttl=60) == [
        {'name': '@', 'type': 'TXT', 'data': 'v=spf1 mx include:amazonses.com ~all', 'ttl': 60},
        {'name': '@', 'type': 'TXT', 'data': 'other', 'ttl': 60},
    ]


def test_records_of_other_types_are_ignored():
    result = spf_merge([{'name': '@', 'type': 'MX', 'data': 'mx.example.com', 'priority': 10}, VERIFICATION])
    assert [record['data'] for record in result] == ['google-site-verification=abc123', 'v=spf1 include:amazonses.com ~all']


def test_redirect_fails_with_a_clear_message():
    with pytest.raises(AnsibleFilterError) as error:
        spf_merge([spf_record('v=spf1 redirect=_spf.example.net')])
    message = str(error.value)
    assert 'redirect=_spf.example.net' in message and 'include:amazonses.com' in message and 'allowed:' in message


def test_two_spf_records_fail_naming_both():
    with pytest.raises(AnsibleFilterError) as error:
        spf_merge([spf_record('v=spf1 mx ~all'), spf_record('v=spf1 include:_spf.example.net -all'), VERIFICATION])
    message = str(error.value)
    assert '2 SPF records' in message and 'v=spf1 mx ~all' in message and 'v=spf1 include:_spf.example.net -all' in message
    assert 'exactly one SPF record' in message


def test_a_negative_include_of_the_domain_fails():
    with pytest.raises(AnsibleFilterError) as error:
        merge_spf('v=spf1 -include:amazonses.com ~all', 'amazonses.com')
    assert '-include:amazonses.com' in str(error.value)


def test_more_than_ten_lookups_fails():
    value = 'v=spf1 ' + ' '.join('include:s%d.example.net' % index for index in range(10)) + ' ~all'
    with pytest.raises(AnsibleFilterError) as error:
        merge_spf(value, 'amazonses.com')
    assert '11 DNS lookups' in str(error.value)


def test_ten_lookups_after_the_merge_are_fine():
    value = 'v=spf1 ' + ' '.join('include:s%d.example.net' % index for index in range(9)) + ' ~all'
    assert merge_spf(value, 'amazonses.com').endswith('include:s8.example.net include:amazonses.com ~all')


@pytest.mark.parametrize('kwargs, fragment', [
    ({'include': ''}, "include ''"),
    ({'all_term': 'all'}, "all_term 'all'"),
])
def test_invalid_options_fail_naming_the_value(kwargs, fragment):
    with pytest.raises(AnsibleFilterError) as error:
        spf_merge([], **kwargs)
    assert fragment in str(error.value) and 'allowed' in str(error.value)


def test_input_that_is_not_a_list_fails():
    with pytest.raises(AnsibleFilterError):
        spf_merge('v=spf1 mx ~all')


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters()['spf_merge'] is spf_merge
