# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import json
import uuid

import pytest

from azure.core.exceptions import HttpResponseError, ServiceResponseError

from ansible_collections.fediops.mastodon.plugins.module_utils import digitalocean as do_utils
from ansible_collections.fediops.mastodon.plugins.modules import do_vpc

TOKEN = 'dop_v1_unit_test_token'
WRITES = ('POST', 'PUT', 'PATCH', 'DELETE')
REGIONS = [{'slug': 'tor1', 'name': 'Toronto 1', 'available': True}, {'slug': 'nyc3', 'name': 'New York 3', 'available': True},
           {'slug': 'sfo1', 'name': 'San Francisco 1', 'available': False}]


class _Response:
    def __init__(self, status, body=None, headers=None):
        self.status_code = status
        self.reason = 'reason'
        self.headers = headers or {}
        self._body = body

    def text(self):
        return json.dumps(self._body) if self._body is not None else ''

    def json(self):
        return self._body


class _Pipeline:
    def __init__(self, status):
        self.http_response = _Response(status)


def _result(kwargs, status, body):
    """Like pydo: hand the result to ``cls`` when given, 404s included."""
    cls = kwargs.get('cls')
    return cls(_Pipeline(status), body, {}) if cls else body


def _error(status, error_id, message, headers=None):
    return HttpResponseError(response=_Response(status, {'id': error_id, 'message': message, 'request_id': 'req-%d' % status}, headers))


def _page(items, key, per_page, page):
    chunk = items[(page - 1) * per_page:page * per_page]
    body = {key: [dict(i) for i in chunk], 'links': {}, 'meta': {'total': len(items)}}
    if page * per_page < len(items):
        body['links'] = {'pages': {'next': 'https://api.digitalocean.com/v2/%s?page=%d&per_page=%d' % (key, page + 1, per_page)}}
    return body


class FakeDigitalOcean:
    """A pydo-shaped stand-in with a request log, enough VPC rules, and fault injection."""

    def __init__(self, vpcs=(), members=None):
        self.vpc_store = [dict(v) for v in vpcs]
        self.members = members or {}
        self.log = []
        self.faults = {}
        self.vpcs = _Vpcs(self)
        self.regions = _Regions(self)

    @property
    def writes(self):
        return [entry for entry in self.log if entry[0] in WRITES]

    def inject(self, operation, *faults):
        """Faults for the next calls of an operation: an exception, or ('after', exc) = do it, then lose the response."""
        self.faults.setdefault(operation, []).extend(faults)

    def _fault(self, operation):
        queue = self.faults.get(operation) or []
        return queue.pop(0) if queue else None

    def add(self, name, region, ip_range, default=False, description=''):
        vpc_id = str(uuid.uuid4())
        vpc = dict(id=vpc_id, urn='do:vpc:' + vpc_id, name=name, region=region, ip_range=ip_range, default=default,
                   description=description, created_at='2026-01-01T00:00:00Z')
        self.vpc_store.append(vpc)
        return vpc


class _Vpcs:
    def __init__(self, fake):
        self.fake = fake

    def _run(self, operation, method, path, body, kwargs, action):
        self.fake.log.append((method, path, body))
        fault = self.fake._fault(operation)
        if isinstance(fault, tuple):
            action()
            raise fault[1]
        if fault is not None:
            raise fault
        return action()

    def _find(self, vpc_id):
        return next((v for v in self.fake.vpc_store if v['id'] == vpc_id), None)

    def list(self, per_page=20, page=1, **kwargs):
        return self._run('list', 'GET', '/v2/vpcs?page=%d' % page, None, kwargs,
                         lambda: _result(kwargs, 200, _page(self.fake.vpc_store, 'vpcs', per_page, page)))

    def create(self, body, **kwargs):
        def action():
            vpc = self.fake.add(body['name'], body['region'], body.get('ip_range') or '10.120.0.0/20',
                                default=not any(v['region'] == body['region'] for v in self.fake.vpc_store),
                                description=body.get('description', ''))
            return _result(kwargs, 201, {'vpc': dict(vpc)})
        return self._run('create', 'POST', '/v2/vpcs', body, kwargs, action)

    def patch(self, vpc_id, body, **kwargs):
        def action():
            vpc = self._find(vpc_id)
            if vpc is None:
                return _result(kwargs, 404, {'id': 'not_found', 'message': 'The resource you requested could not be found.'})
            if body.get('default'):
                for other in self.fake.vpc_store:
                    if other['region'] == vpc['region']:
                        other['default'] = False
            vpc.update(body)
            return _result(kwargs, 200, {'vpc': dict(vpc)})
        return self._run('patch', 'PATCH', '/v2/vpcs/%s' % vpc_id, body, kwargs, action)

    def delete(self, vpc_id, **kwargs):
        def action():
            vpc = self._find(vpc_id)
            if vpc is None:
                return _result(kwargs, 404, {'id': 'not_found', 'message': 'The resource you requested could not be found.'})
            if (self.fake.members.get(vpc_id) or [[]])[0]:
                raise _error(403, 'forbidden', 'Can not delete VPC with members')
            self.fake.vpc_store.remove(vpc)
            return _result(kwargs, 204, None)
        return self._run('delete', 'DELETE', '/v2/vpcs/%s' % vpc_id, None, kwargs, action)

    def list_members(self, vpc_id, per_page=20, page=1, **kwargs):
        def action():
            queue = self.fake.members.get(vpc_id) or []
            current = queue.pop(0) if len(queue) > 1 else (queue[0] if queue else [])
            return _result(kwargs, 200, _page(current, 'members', per_page, page))
        return self._run('list_members', 'GET', '/v2/vpcs/%s/members' % vpc_id, None, kwargs, action)


class _Regions:
    def __init__(self, fake):
        self.fake = fake

    def list(self, per_page=20, page=1, **kwargs):
        self.fake.log.append(('GET', '/v2/regions?page=%d' % page, None))
        return _result(kwargs, 200, _page(REGIONS, 'regions', per_page, page))


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake(monkeypatch, clean_do_env):
    """The fake DigitalOcean behind every module run, with time that passes only through sleep."""
    cloud = FakeDigitalOcean()
    cloud.clock = FakeClock()
    monkeypatch.setattr(do_utils, 'build_client', lambda *args, **kwargs: cloud)

    class Api(do_utils.DigitalOceanApi):
        def __init__(self, policy=None, **kwargs):
            super().__init__(policy, sleep=cloud.clock.sleep, clock=cloud.clock, wall_clock=lambda: 1.8e9 + cloud.clock.now,
                             rng=lambda: 0.5)

    monkeypatch.setattr(do_utils, 'DigitalOceanApi', Api)
    return cloud


@pytest.fixture
def run(harness, fake):
    def runner(check_mode=False, **args):
        args.setdefault('oauth_token', TOKEN)
        return harness.run(do_vpc.main, args, check_mode=check_mode)
    return runner


# ---------------------------------------------------------------------------------------------
# input validation (pure)
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    ('8.8.8.0/24', 'not a private (RFC 1918) range'),
    ('10.0.0.0/29', 'has prefix /29'),
    ('10.0.0.0/15', 'has prefix /15'),
    ('10.0.0.0/33', 'not a valid CIDR network'),
    ('not-a-range', 'not a valid CIDR network'),
    ('fd00::/64', 'not an IPv4 CIDR network'),
    ('10.0.0.0', 'not an IPv4 CIDR network'),
])
def test_invalid_ip_range_message_names_field_value_and_what_is_allowed(value, expected):
    network, message = do_vpc.parse_ip_range(value)
    assert network is None
    assert expected in message
    assert message.startswith('ip_range %r' % value)
    if 'host bits' not in message:
        assert 'RFC 1918' in message and '/16 to /28' in message


def test_ip_range_with_host_bits_proposes_the_network_address():
    network, message = do_vpc.parse_ip_range('10.110.3.7/20')
    assert network is None and '10.110.0.0/20' in message


@pytest.mark.parametrize('value', ['10.110.0.0/20', '172.16.0.0/16', '192.168.10.0/28', '172.31.255.240/28'])
def test_valid_ip_ranges(value):
    network, message = do_vpc.parse_ip_range(value)
    assert message is None and str(network) == value


def test_invalid_name_and_description_messages_name_field_value_and_allowed():
    errors = do_vpc.validate_params(dict(name='web_vpc!', description='x' * 256, ip_range=None))
    assert "name 'web_vpc!'" in errors[0] and 'letters, digits, dashes' in errors[0]
    assert 'description is 256 characters' in errors[1] and 'at most 255' in errors[1]


# ---------------------------------------------------------------------------------------------
# create, re-run, check mode
# ---------------------------------------------------------------------------------------------

def test_invalid_input_fails_before_any_api_call(run, fake):
    result = run(name='web', region='tor1', ip_range='8.8.8.0/24')
    assert result['failed'] and 'ip_range' in result['msg']
    assert fake.log == []


def test_create_posts_once_and_returns_the_vpc(run, fake):
    fake.add('other', 'tor1', '10.50.0.0/20', default=True)
    result = run(name='web', region='tor1', ip_range='10.110.0.0/20', description='Mastodon')
    assert result['changed'] is True
    assert [(m, p) for m, p, b in fake.writes] == [('POST', '/v2/vpcs')]
    assert fake.writes[0][2] == {'name': 'web', 'region': 'tor1', 'ip_range': '10.110.0.0/20', 'description': 'Mastodon'}
    assert result['vpc']['id'] and result['vpc']['ip_range'] == '10.110.0.0/20'
    assert result['diff']['before'] == {}
    assert result['diff']['after'] == {'name': 'web', 'region': 'tor1', 'ip_range': '10.110.0.0/20',
                                       'description': 'Mastodon', 'default': False}


def test_rerun_makes_no_write_calls(run, fake):
    args = dict(name='web', region='tor1', ip_range='10.110.0.0/20', description='Mastodon')
    run(**args)
    fake.log.clear()
    result = run(**args)
    assert result['changed'] is False and fake.writes == []
    assert result['diff']['before'] == result['diff']['after']


def test_check_mode_create_reports_the_change_without_writing(run, fake):
    result = run(check_mode=True, name='web', region='tor1', ip_range='10.110.0.0/20')
    assert result['changed'] is True and fake.writes == [] and fake.vpc_store == []
    assert result['diff']['after']['ip_range'] == '10.110.0.0/20' and 'id' not in result['vpc']


def test_create_needs_a_region(run, fake):
    result = run(name='web')
    assert result['failed'] and 'region is required' in result['msg'] and fake.writes == []


def test_unknown_region_fails_listing_the_valid_slugs_before_writing(run, fake):
    result = run(name='web', region='tor9')
    assert result['failed'] and "'tor9'" in result['msg'] and 'nyc3, tor1' in result['msg']
    assert fake.writes == []


def test_overlapping_ip_range_fails_naming_the_other_vpc(run, fake):
    fake.add('db-net', 'nyc3', '10.110.0.0/16', default=True)
    result = run(name='web', region='tor1', ip_range='10.110.16.0/20')
    assert result['failed'] and 'db-net' in result['msg'] and 'overlaps' in result['msg'] and fake.writes == []


def test_create_as_region_default_posts_then_patches(run, fake):
    fake.add('old-default', 'tor1', '10.50.0.0/20', default=True)
    result = run(name='web', region='tor1', default=True)
    assert [m for m, p, b in fake.writes] == ['POST', 'PATCH'] and fake.writes[1][2] == {'default': True}
    assert result['vpc']['default'] is True
    assert [v['default'] for v in fake.vpc_store if v['name'] == 'old-default'] == [False]


def test_default_false_for_the_first_vpc_of_a_region_fails_before_writing(run, fake):
    result = run(name='web', region='tor1', default=False)
    assert result['failed'] and 'first VPC in tor1' in result['msg'] and fake.writes == []


def test_lost_create_response_is_recovered_by_lookup_without_a_second_post(run, fake):
    fake.add('other', 'tor1', '10.50.0.0/20', default=True)
    fake.inject('create', ('after', ServiceResponseError('Connection aborted: response lost')))
    result = run(name='web', region='tor1', ip_range='10.110.0.0/20')
    assert result['changed'] is True and result['vpc']['name'] == 'web'
    assert [m for m, p, b in fake.writes] == ['POST']
    assert len([v for v in fake.vpc_store if v['name'] == 'web']) == 1


def test_rate_limited_list_is_retried_after_retry_after(run, fake):
    fake.inject('list', _error(429, 'too_many_requests', 'API rate limit exceeded.', {'retry-after': '4'}))
    result = run(name='web', region='tor1')
    assert result['changed'] is True and fake.clock.sleeps == [4.0]


def test_finds_the_vpc_on_a_later_page(run, fake):
    for index in range(450):
        fake.add('vpc-%03d' % index, 'nyc3', '10.%d.%d.0/24' % (100 + index // 256, index % 256), default=index == 0)
    fake.add('web', 'tor1', '10.200.0.0/20', default=True)
    result = run(name='web', region='tor1', ip_range='10.200.0.0/20')
    assert result['changed'] is False and result['vpc']['name'] == 'web'
    assert [p for m, p, b in fake.log] == ['/v2/vpcs?page=1', '/v2/vpcs?page=2', '/v2/vpcs?page=3']


def test_duplicate_names_are_refused(run, fake):
    fake.add('web', 'tor1', '10.1.0.0/20')
    fake.add('web', 'nyc3', '10.2.0.0/20')
    result = run(name='web', state='absent')
    assert result['failed'] and 'Found 2 VPCs' in result['msg'] and fake.writes == []


# ---------------------------------------------------------------------------------------------
# updates in place, immutable fields
# ---------------------------------------------------------------------------------------------

def test_description_change_is_patched_alone(run, fake):
    fake.add('web', 'tor1', '10.110.0.0/20', default=True, description='old')
    result = run(name='web', region='tor1', ip_range='10.110.0.0/20', description='new')
    assert result['changed'] is True
    assert [(m, b) for m, p, b in fake.writes] == [('PATCH', {'description': 'new'})]
    assert result['diff'] == {'before': {'name': 'web', 'region': 'tor1', 'ip_range': '10.110.0.0/20', 'description': 'old', 'default': True},
                              'after': {'name': 'web', 'region': 'tor1', 'ip_range': '10.110.0.0/20', 'description': 'new', 'default': True}}


def test_check_mode_update_writes_nothing_but_shows_the_diff(run, fake):
    fake.add('web', 'tor1', '10.110.0.0/20', default=True, description='old')
    result = run(check_mode=True, name='web', description='new')
    assert result['changed'] is True and fake.writes == []
    assert result['diff']['after']['description'] == 'new' and fake.vpc_store[0]['description'] == 'old'


def test_making_a_vpc_the_default_patches_default(run, fake):
    fake.add('first', 'tor1', '10.1.0.0/20', default=True)
    fake.add('web', 'tor1', '10.110.0.0/20')
    result = run(name='web', default=True)
    assert [(m, b) for m, p, b in fake.writes] == [('PATCH', {'default': True})] and result['vpc']['default'] is True


def test_default_false_on_the_current_default_fails_clearly(run, fake):
    fake.add('web', 'tor1', '10.110.0.0/20', default=True)
    result = run(name='web', default=False)
    assert result['failed'] and 'cannot unset a default VPC' in result['msg'] and 'default=false' in result['msg']
    assert fake.writes == []


def test_region_cannot_change(run, fake):
    fake.add('web', 'tor1', '10.110.0.0/20', default=True)
    result = run(name='web', region='nyc3')
    assert result['failed'] and 'region cannot change' in result['msg'] and fake.writes == []


def test_region_typo_on_an_existing_vpc_lists_the_valid_slugs(run, fake):
    fake.add('web', 'tor1', '10.110.0.0/20', default=True)
    result = run(name='web', region='tro1')
    assert result['failed'] and 'allowed: nyc3, tor1' in result['msg']


def test_ip_range_cannot_change_and_nothing_is_recreated(run, fake):
    fake.add('web', 'tor1', '10.110.0.0/20', default=True)
    result = run(name='web', ip_range='10.120.0.0/20')
    assert result['failed'] and 'ip_range cannot change' in result['msg'] and '10.110.0.0/20' in result['msg']
    assert fake.writes == []


# ---------------------------------------------------------------------------------------------
# deletion
# ---------------------------------------------------------------------------------------------

def test_absent_on_a_missing_vpc_changes_nothing(run, fake):
    result = run(name='web', state='absent')
    assert result['changed'] is False and fake.writes == [] and result['vpc'] == {}


def test_absent_deletes_once(run, fake):
    fake.add('first', 'tor1', '10.1.0.0/20', default=True)
    vpc = fake.add('web', 'tor1', '10.110.0.0/20')
    result = run(name='web', state='absent')
    assert result['changed'] is True and [(m, p) for m, p, b in fake.writes] == [('DELETE', '/v2/vpcs/%s' % vpc['id'])]
    assert result['diff']['after'] == {} and result['diff']['before']['name'] == 'web'


def test_check_mode_absent_writes_nothing(run, fake):
    fake.add('first', 'tor1', '10.1.0.0/20', default=True)
    fake.add('web', 'tor1', '10.110.0.0/20')
    result = run(check_mode=True, name='web', state='absent')
    assert result['changed'] is True and fake.writes == [] and len(fake.vpc_store) == 2


def test_deleting_a_vpc_with_members_surfaces_digitaloceans_message(run, fake):
    fake.add('first', 'tor1', '10.1.0.0/20', default=True)
    vpc = fake.add('web', 'tor1', '10.110.0.0/20')
    fake.members[vpc['id']] = [[{'urn': 'do:droplet:1', 'name': 'node-1'}]]
    result = run(name='web', state='absent')
    assert result['failed'] and 'Can not delete VPC with members' in result['msg']
    assert (result['status'], result['error_id'], result['request_id']) == (403, 'forbidden', 'req-403')
    assert result['operation'] == 'delete VPC web' and TOKEN not in json.dumps(result)


def test_deleting_the_region_default_fails_before_writing(run, fake):
    fake.add('web', 'tor1', '10.110.0.0/20', default=True)
    result = run(name='web', state='absent')
    assert result['failed'] and 'default VPC' in result['msg'] and fake.writes == []


def test_wait_lets_members_drain_before_deleting(run, fake):
    fake.add('first', 'tor1', '10.1.0.0/20', default=True)
    vpc = fake.add('web', 'tor1', '10.110.0.0/20')
    node = {'urn': 'do:droplet:1', 'name': 'node-1'}
    fake.members[vpc['id']] = [[node], [node], []]
    result = run(name='web', state='absent', wait=True)
    assert result['changed'] is True and [m for m, p, b in fake.writes] == ['DELETE']
    assert fake.clock.sleeps == [2.0, 4.0]


def test_wait_times_out_naming_the_remaining_members(run, fake):
    fake.add('first', 'tor1', '10.1.0.0/20', default=True)
    vpc = fake.add('web', 'tor1', '10.110.0.0/20')
    fake.members[vpc['id']] = [[{'urn': 'do:droplet:1', 'name': 'node-1'}]]
    result = run(name='web', state='absent', wait=True, wait_timeout=60)
    assert result['failed'] and 'VPC web to have no members' in result['msg'] and 'do:droplet:1' in result['msg']
    assert result['elapsed'] == 60 and fake.writes == []
