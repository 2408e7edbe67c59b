# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""do_domain in-process, against a pydo-shaped client backed by the emulator's DNS family (no HTTP)."""

import pytest

from azure.core.exceptions import ServiceResponseError

from ansible_collections.fediops.mastodon.plugins.module_utils import digitalocean as do_utils
from ansible_collections.fediops.mastodon.plugins.modules import do_domain
from tests.emulators.digitalocean.errors import DOError
from tests.emulators.digitalocean.families.domains import DomainsFamily
from tests.emulators.digitalocean.models import Backend, Call, Page
from tests.emulators.digitalocean.pagination import paginate

TOKEN = 'dop_v1_unit_test_token'
ZONE = 'example.social'


class FakeDomains:
    """The ``domains`` operations do_domain uses, served by the emulator's family; logs calls, injects faults."""

    def __init__(self, fake_pydo):
        self.family = Backend(family_classes=(DomainsFamily,)).family('domains')
        self.pydo = fake_pydo
        self.log = []
        self.faults = {}

    @property
    def writes(self):
        return [(method, path) for method, path in self.log if method != 'GET']

    def _run(self, name, method, path, handler, call, kwargs):
        self.log.append((method, path))
        queue = self.faults.get(name) or []
        fault = queue.pop(0) if queue else None
        if fault is not None and not isinstance(fault, tuple):
            raise fault
        try:
            outcome = handler(call)
            if isinstance(outcome, Page):
                status, body = 200, paginate(outcome.key, outcome.items, 'https://api.digitalocean.com', path, call.query)
            else:
                status, body = outcome.status, outcome.body
        except DOError as exc:
            status, body = exc.status, exc.body('req-unit')
        if fault is not None:
            raise fault[1]
        if status >= 400 and status != 404:
            raise self.pydo.error(status, body)
        return self.pydo.result(kwargs, status, body)

    def get(self, domain_name, **kwargs):
        return self._run('get', 'GET', '/v2/domains/' + domain_name, self.family.get_domain,
                         Call('domains_get', {'domain_name': domain_name}), kwargs)

    def create(self, body, **kwargs):
        return self._run('create', 'POST', '/v2/domains', self.family.create_domain, Call('domains_create', body=body), kwargs)

    def delete(self, domain_name, **kwargs):
        return self._run('delete', 'DELETE', '/v2/domains/' + domain_name, self.family.delete_domain,
                         Call('domains_delete', {'domain_name': domain_name}), kwargs)

    def list_records(self, domain_name, per_page=20, page=1, **kwargs):
        query = {'per_page': str(per_page), 'page': str(page)}
        return self._run('list_records', 'GET', '/v2/domains/%s/records' % domain_name, self.family.list_records,
                         Call('domains_list_records', {'domain_name': domain_name}, query), kwargs)

    def add_zone(self, **body):
        self.family.create_domain(Call('domains_create', body=dict({'name': ZONE}, **body)))

    def add_record(self, **body):
        self.family.create_record(Call('domains_create_record', {'domain_name': ZONE}, {}, body))


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
    return domains


@pytest.fixture
def run(harness, fake):
    def runner(check_mode=False, **args):
        args.setdefault('oauth_token', TOKEN)
        args.setdefault('name', ZONE)
        return harness.run(do_domain.main, args, check_mode=check_mode)
    return runner


def test_creates_the_zone_once_and_a_rerun_only_reads(run, fake):
    created = run(ip_address='203.0.113.10')
    assert created['changed'] is True and created['domain'] == {'name': ZONE, 'ttl': 1800, 'zone_file': None}
    assert fake.writes == [('POST', '/v2/domains')]
    assert created['diff'] == {'before': {}, 'after': {'name': ZONE, 'ttl': 1800}}
    fake.log.clear()
    again = run(ip_address='198.51.100.1')
    assert again['changed'] is False and fake.log == [('GET', '/v2/domains/' + ZONE)]
    assert 'IN A 203.0.113.10' in again['domain']['zone_file']


def test_check_mode_create_writes_nothing(run, fake):
    result = run(check_mode=True)
    assert result['changed'] is True and fake.writes == [] and result['diff']['after']['name'] == ZONE
    assert fake.family.domains == {}


@pytest.mark.parametrize('args, words', [
    ({'name': 'localhost'}, ["domain 'localhost' is not a valid domain name"]),
    ({'ip_address': '2001:db8::1'}, ["ip_address '2001:db8::1' is not an IPv4 address"]),
])
def test_invalid_input_fails_before_any_call(run, fake, args, words):
    result = run(**args)
    assert result['failed'] and all(word in result['msg'] for word in words) and fake.log == []


def test_the_name_is_normalised(run, fake):
    fake.add_zone()
    result = run(name='Example.Social.')
    assert result['changed'] is False and fake.log == [('GET', '/v2/domains/' + ZONE)]


def test_deleting_a_zone_with_only_soa_and_ns_needs_no_force(run, fake):
    fake.add_zone()
    result = run(state='absent')
    assert result['changed'] is True and result['records'] == [] and fake.writes == [('DELETE', '/v2/domains/' + ZONE)]
    assert result['diff'] == {'before': {'name': ZONE, 'ttl': 1800}, 'after': {}}


def test_deleting_a_zone_with_records_is_refused_without_force_even_in_check_mode(run, fake):
    fake.add_zone(ip_address='203.0.113.10')
    fake.add_record(type='TXT', name='_dmarc', data='v=DMARC1; p=none')
    for check_mode in (True, False):
        result = run(state='absent', check_mode=check_mode)
        assert result['failed'] and 'holds 2 record(s) besides the SOA and NS records' in result['msg']
        assert '@ A 203.0.113.10' in result['msg'] and 'force=true' in result['msg']
        assert [r['name'] for r in result['records']] == ['@', '_dmarc']
    assert fake.writes == []


def test_force_deletes_a_zone_with_records_and_check_mode_only_predicts_it(run, fake):
    fake.add_zone()
    fake.add_record(type='A', name='www', data='192.0.2.1')
    predicted = run(state='absent', force=True, check_mode=True)
    assert predicted['changed'] is True and fake.writes == []
    deleted = run(state='absent', force=True)
    assert deleted['changed'] is True and fake.writes == [('DELETE', '/v2/domains/' + ZONE)]
    assert fake.family.domains == {}


def test_absent_on_a_missing_zone_changes_nothing(run, fake):
    result = run(state='absent')
    assert result['changed'] is False and result['domain'] == {} and fake.writes == []


def test_lost_create_response_is_recovered_by_a_lookup(run, fake):
    fake.faults['create'] = [('after', ServiceResponseError('Connection aborted: response lost'))]
    result = run()
    assert result['changed'] is True and result['domain']['name'] == ZONE
    assert fake.writes == [('POST', '/v2/domains')] and list(fake.family.domains) == [ZONE]


def test_server_errors_are_retried(run, fake, fake_pydo):
    fake.faults['get'] = [fake_pydo.error(503, {'id': 'service_unavailable', 'message': 'try again'})]
    result = run()
    assert result['changed'] is True and len(fake.sleeps) == 1


def test_a_refused_delete_returns_the_api_error(run, fake, fake_pydo):
    fake.add_zone()
    fake.faults['delete'] = [fake_pydo.error(403, {'id': 'forbidden', 'message': 'You do not have access for the attempted action.',
                                                   'request_id': 'req-42'})]
    result = run(state='absent')
    assert result['failed'] and result['status'] == 403 and result['error_id'] == 'forbidden' and result['request_id'] == 'req-42'
    assert result['operation'] == 'delete domain ' + ZONE
