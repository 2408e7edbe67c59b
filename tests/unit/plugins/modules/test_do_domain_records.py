# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""do_domain_records in-process, against a pydo-shaped client backed by the emulator's DNS family (no HTTP)."""

import pytest

from azure.core.exceptions import ServiceResponseError

from ansible_collections.fediops.mastodon.plugins.module_utils import digitalocean as do_utils
from ansible_collections.fediops.mastodon.plugins.modules import do_domain_records
from tests.emulators.digitalocean.errors import DOError
from tests.emulators.digitalocean.families.domains import DomainsFamily
from tests.emulators.digitalocean.models import Backend, Call, Page
from tests.emulators.digitalocean.pagination import paginate

TOKEN = 'dop_v1_unit_test_token'
ZONE = 'example.com'
RECORDS = '/v2/domains/%s/records' % ZONE
# pydo method -> (HTTP method, operationId, positional parameter names)
OPERATIONS = {
    'list': ('GET', 'domains_list', ('per_page', 'page')),
    'create': ('POST', 'domains_create', ('body',)),
    'get': ('GET', 'domains_get', ('domain_name',)),
    'delete': ('DELETE', 'domains_delete', ('domain_name',)),
    'list_records': ('GET', 'domains_list_records', ('domain_name', 'name', 'type', 'per_page', 'page')),
    'create_record': ('POST', 'domains_create_record', ('domain_name', 'body')),
    'get_record': ('GET', 'domains_get_record', ('domain_name', 'domain_record_id')),
    'patch_record': ('PATCH', 'domains_patch_record', ('domain_name', 'domain_record_id', 'body')),
    'update_record': ('PUT', 'domains_update_record', ('domain_name', 'domain_record_id', 'body')),
    'delete_record': ('DELETE', 'domains_delete_record', ('domain_name', 'domain_record_id')),
}
PATH_PARAMS = ('domain_name', 'domain_record_id')


class FakeDomains:
    """``client.domains`` of pydo, served by the emulator's DomainsFamily; logs calls, injects faults."""

    def __init__(self, fake_pydo):
        self.backend = Backend(family_classes=(DomainsFamily,))
        self.pydo = fake_pydo
        self.log = []
        self.faults = {}

    @property
    def family(self):
        return self.backend.family('domains')

    @property
    def writes(self):
        return [entry for entry in self.log if entry[0] != 'GET']

    def inject(self, operation, *faults):
        """Faults for the next calls of a pydo method: an exception, or ('after', exc) = do it, then lose the response."""
        self.faults.setdefault(operation, []).extend(faults)

    def __getattr__(self, method_name):
        if method_name not in OPERATIONS:
            raise AttributeError(method_name)
        method, operation_id, names = OPERATIONS[method_name]

        def operation(*args, **kwargs):
            cls = kwargs.pop('cls', None)
            bound = dict(zip(names, args))
            bound.update(kwargs)
            path_params = dict((key, str(bound[key])) for key in PATH_PARAMS if key in bound)
            query = dict((key, str(value)) for key, value in bound.items()
                         if key not in PATH_PARAMS and key != 'body' and value is not None)
            path = '/v2/domains'
            if 'domain_name' in path_params:
                path += '/' + path_params['domain_name']
            if 'record' in method_name:
                path += '/records'
            if 'domain_record_id' in path_params:
                path += '/' + path_params['domain_record_id']
            self.log.append((method, path, bound.get('body') if 'body' in bound else query))
            queue = self.faults.get(method_name) or []
            fault = queue.pop(0) if queue else None
            if fault is not None and not isinstance(fault, tuple):
                raise fault
            try:
                outcome = self.backend.handler(operation_id)(Call(operation_id, path_params, query, bound.get('body')))
                if isinstance(outcome, Page):
                    status, body = 200, paginate(outcome.key, outcome.items, 'https://api.digitalocean.com', path, query)
                else:
                    status, body = outcome.status, outcome.body
            except DOError as exc:
                status, body = exc.status, exc.body('req-unit')
            if fault is not None:
                raise fault[1]
            if status >= 400 and status != 404:
                raise self.pydo.error(status, body)
            return self.pydo.result({'cls': cls}, status, body)
        return operation

    # -- setup helpers (not logged) ------------------------------------------------------------
    def add_zone(self, name=ZONE):
        self.family.create_domain(Call('domains_create', {}, {}, {'name': name}))

    def add(self, **body):
        return self.family.create_record(Call('domains_create_record', {'domain_name': ZONE}, {}, body)).body['domain_record']

    def records(self, record_type=None):
        items = self.family.list_records(Call('domains_list_records', {'domain_name': ZONE}, {}, None)).items
        return [item for item in items if record_type is None or item['type'] == record_type]


class FakeClient:
    def __init__(self, domains):
        self.domains = domains


@pytest.fixture
def fake(monkeypatch, clean_do_env, fake_pydo):
    domains = FakeDomains(fake_pydo)
    domains.sleeps = []
    monkeypatch.setattr(do_utils, 'build_client', lambda *args, **kwargs: FakeClient(domains))

    class Api(do_utils.DigitalOceanApi):
        def __init__(self, policy=None, **kwargs):
            super().__init__(policy, sleep=domains.sleeps.append, clock=lambda: float(len(domains.sleeps)), wall_clock=lambda: 1.8e9,
                             rng=lambda: 0.5)

    monkeypatch.setattr(do_utils, 'DigitalOceanApi', Api)
    domains.add_zone()
    return domains


@pytest.fixture
def run(harness, fake):
    def runner(records=(), check_mode=False, **args):
        args.setdefault('oauth_token', TOKEN)
        args.setdefault('domain', ZONE)
        args['records'] = list(records)
        return harness.run(do_domain_records.main, args, check_mode=check_mode)
    return runner


def data_of(fake, record_type):
    return sorted(record['data'] for record in fake.records(record_type))


# ---------------------------------------------------------------------------------------------

def test_creates_what_is_missing_and_a_rerun_lists_once_and_writes_nothing(run, fake):
    records = [{'name': 'www', 'type': 'A', 'data': '192.0.2.1'}, {'name': '@', 'type': 'MX', 'data': 'mx.example.org', 'priority': 10}]
    first = run(records)
    assert first['changed'] is True and len(first['changes']['created']) == 2
    assert sorted(body['type'] for method, path, body in fake.writes) == ['A', 'MX']
    assert [body['data'] for method, path, body in fake.writes if body['type'] == 'MX'] == ['mx.example.org.']
    fake.log.clear()
    again = run(records)
    assert again['changed'] is False and fake.writes == []
    assert [(method, path) for method, path, query in fake.log] == [('GET', RECORDS)]
    assert again['diff']['before'] == again['diff']['after'] == (
        'example.com. 1800 IN MX 10 mx.example.org.\nwww.example.com. 1800 IN A 192.0.2.1\n')


def test_returned_records_are_the_whole_zone_as_digitalocean_returns_them(run, fake):
    result = run([{'name': 'files', 'type': 'CNAME', 'data': 'bucket.nyc3.cdn.digitaloceanspaces.com.'}])
    assert [(r['type'], r['name'], r['data']) for r in result['records']] == [
        ('NS', '@', 'ns1.digitalocean.com'), ('NS', '@', 'ns2.digitalocean.com'), ('NS', '@', 'ns3.digitalocean.com'),
        ('SOA', '@', '1800'), ('CNAME', 'files', 'bucket.nyc3.cdn.digitaloceanspaces.com')]
    assert all(isinstance(r['id'], int) for r in result['records'])


def test_an_empty_list_only_reads_the_zone(run, fake):
    fake.add(type='TXT', name='x', data='y')
    result = run([])
    assert result['changed'] is False and fake.writes == [] and len(result['records']) == 5
    assert result['diff'] == {'before': '', 'after': '', 'before_header': 'example.com (records in scope of the task)',
                              'after_header': 'example.com (records in scope of the task)'}


def test_check_mode_predicts_changes_and_records_without_writing(run, fake):
    fake.add(type='A', name='www', data='192.0.2.1')
    fake.add(type='TXT', name='old', data='gone')
    result = run([{'name': 'www', 'type': 'A', 'data': '192.0.2.2', 'ttl': 60}, {'name': 'api', 'type': 'AAAA', 'data': '2001:db8::2'}],
                 check_mode=True, purge=True)
    assert result['changed'] is True and fake.writes == []
    assert result['changes']['created'] == [{'id': None, 'name': 'api', 'type': 'AAAA', 'data': '2001:db8::2', 'ttl': 1800,
                                             'priority': None, 'port': None, 'weight': None, 'flags': None, 'tag': None}]
    assert [(u['before']['data'], u['after']['data'], u['after']['ttl']) for u in result['changes']['updated']] == [('192.0.2.1', '192.0.2.2', 60)]
    assert [r['name'] for r in result['changes']['deleted']] == ['old']
    assert sorted(r['name'] for r in result['records'] if r['type'] not in ('SOA', 'NS')) == ['api', 'www']
    assert result['diff']['before'] == 'old.example.com. 1800 IN TXT "gone"\nwww.example.com. 1800 IN A 192.0.2.1\n'
    assert result['diff']['after'] == 'api.example.com. 1800 IN AAAA 2001:db8::2\nwww.example.com. 60 IN A 192.0.2.2\n'


def test_writes_go_deletions_then_updates_then_creations(run, fake):
    fake.add(type='A', name='www', data='192.0.2.1')
    fake.add(type='TXT', name='@', data='one')
    fake.add(type='TXT', name='@', data='two')
    result = run([{'name': 'www', 'type': 'A', 'state': 'absent'}, {'name': 'www', 'type': 'CNAME', 'data': ZONE},
                  {'name': '@', 'type': 'TXT', 'data': 'one', 'ttl': 300}])
    assert [method for method, path, body in fake.writes] == ['DELETE', 'DELETE', 'PATCH', 'POST']
    assert result['changed'] is True and data_of(fake, 'CNAME') == ['@'] and data_of(fake, 'TXT') == ['one']


def test_invalid_records_fail_before_any_call(run, fake):
    result = run([{'name': 'www', 'type': 'A', 'data': 'not-an-ip'}, {'name': 'x', 'type': 'TXT', 'data': 'y', 'priority': 5}])
    assert result['failed'] and result['msg'].startswith('Invalid records, nothing was changed: ')
    assert result['errors'] == [
        "records[0] (www A): data 'not-an-ip' is not an IPv4 address; A records point to an IPv4 address such as 192.0.2.10",
        'records[1] (x TXT): priority 5 is not used by TXT records, only by MX and SRV records; remove it']
    assert fake.log == []


def test_invalid_zone_or_default_ttl_fail_before_any_call(run, fake):
    assert "domain 'nodot'" in run([], domain='nodot')['msg']
    assert 'default_ttl 5 is invalid' in run([], default_ttl=5)['msg']
    assert fake.log == []


def test_a_cname_conflict_with_the_zone_fails_after_the_read_with_zero_writes(run, fake):
    fake.add(type='TXT', name='www', data='hello')
    result = run([{'name': 'www', 'type': 'CNAME', 'data': 'cdn.example.org'}])
    assert result['failed'] and 'nothing was changed' in result['msg'] and 'keeps www TXT hello' in result['msg']
    assert fake.writes == []


def test_a_missing_zone_is_named(run, fake):
    result = run([{'name': 'www', 'type': 'A', 'data': '192.0.2.1'}], domain='other.example')
    assert result['failed'] and result['msg'].startswith('domain other.example does not exist') and result['status'] == 404


def test_lost_create_response_is_found_by_a_filtered_lookup_not_a_second_post(run, fake):
    fake.inject('create_record', ('after', ServiceResponseError('Connection aborted: response lost')))
    result = run([{'name': '_dmarc', 'type': 'TXT', 'data': 'v=DMARC1; p=none'}])
    assert result['changed'] is True and result['changes']['created'][0]['data'] == 'v=DMARC1; p=none'
    assert [method for method, path, body in fake.writes] == ['POST']
    lookups = [query for method, path, query in fake.log if method == 'GET' and 'type' in query]
    assert lookups == [{'name': '_dmarc.example.com', 'type': 'TXT', 'per_page': '200', 'page': '1'}]
    assert data_of(fake, 'TXT') == ['v=DMARC1; p=none']


def test_a_create_that_never_arrived_is_sent_again_after_the_lookup(run, fake):
    fake.inject('create_record', ServiceResponseError('Connection reset'))
    result = run([{'name': 'www', 'type': 'A', 'data': '192.0.2.1'}])
    assert result['changed'] is True and [method for method, path, body in fake.writes] == ['POST', 'POST']
    assert data_of(fake, 'A') == ['192.0.2.1']


def test_rate_limited_list_waits_as_asked(run, fake, fake_pydo):
    fake.inject('list_records', fake_pydo.error(429, {'id': 'too_many_requests', 'message': 'API rate limit exceeded.'}, {'retry-after': '3'}))
    result = run([{'name': 'www', 'type': 'A', 'data': '192.0.2.1'}])
    assert result['changed'] is True and fake.sleeps == [3.0]


def test_a_failed_write_reports_the_changes_made_before_it(run, fake, fake_pydo):
    fake.add(type='TXT', name='old', data='x')
    fake.inject('create_record', fake_pydo.error(403, {'id': 'forbidden', 'message': 'You do not have access for the attempted action.'}))
    result = run([{'name': 'www', 'type': 'A', 'data': '192.0.2.1'}], purge=True)
    assert result['failed'] and result['status'] == 403 and 'forbidden' in result['msg'] and 'changes made before the failure' in result['msg']
    assert result['changed'] is True and [r['name'] for r in result['changes']['deleted']] == ['old']
    assert TOKEN not in str(result)


def test_many_records_span_pages_and_are_read_page_by_page(run, fake):
    for index in range(230):
        fake.add(type='A', name='h%03d' % index, data='192.0.2.%d' % (index % 250 + 1))
    fake.log.clear()
    result = run([{'name': 'h000', 'type': 'A', 'data': '192.0.2.1'}])
    assert result['changed'] is False and len(result['records']) == 234
    assert [(method, query.get('page')) for method, path, query in fake.log] == [('GET', '1'), ('GET', '2')]


def test_ses_style_output_with_fully_qualified_names_is_accepted(run, fake):
    ses_records = [
        {'name': 'tok1._domainkey.example.com', 'type': 'CNAME', 'data': 'tok1.dkim.amazonses.com', 'ttl': 1800},
        {'name': 'mail.example.com', 'type': 'MX', 'data': 'feedback-smtp.us-east-1.amazonses.com', 'priority': 10, 'ttl': 1800},
        {'name': 'mail.example.com', 'type': 'TXT', 'data': 'v=spf1 include:amazonses.com ~all', 'ttl': 1800},
    ]
    assert run(ses_records)['changed'] is True
    assert sorted((r['name'], r['type']) for r in fake.records() if r['type'] not in ('SOA', 'NS')) == [
        ('mail', 'MX'), ('mail', 'TXT'), ('tok1._domainkey', 'CNAME')]
    fake.log.clear()
    assert run(ses_records)['changed'] is False and fake.writes == []


def test_the_records_ses_email_identity_returns_are_taken_unchanged(run, fake):
    from ansible_collections.fediops.mastodon.plugins.modules import ses_email_identity  # pylint: disable=import-outside-toplevel
    ses_records = ses_email_identity.dns_records(ZONE, 'eu-west-1', ['tok1', 'tok2', 'tok3'], 'bounces.' + ZONE, 'verify-me')
    created = run(ses_records)
    assert created['changed'] is True and len(created['changes']['created']) == len(ses_records) == 6
    fake.log.clear()
    assert run(ses_records)['changed'] is False and fake.writes == []
