# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import email.utils
import http.server
import json
import ssl
import threading

import pytest

from azure.core.exceptions import ServiceRequestError, ServiceResponseError

from ansible_collections.fediops.mastodon.plugins.module_utils import digitalocean as do
from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import (
    DigitalOceanApi,
    DigitalOceanError,
    DigitalOceanModule,
    DigitalOceanWaitError,
    RetryPolicy,
    next_page,
    parse_api_error,
    region_error,
    retry_decision,
    scrub_secrets,
    walk_pages,
    wait_until,
)

NOW = 1_800_000_000.0


class FakeClock:
    """Monotonic clock advanced only by the fake sleep."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def make_api(max_attempts=8, max_time=120, rng=lambda: 0.5):
    clock = FakeClock()
    api = DigitalOceanApi(RetryPolicy(max_attempts=max_attempts, max_time=max_time), sleep=clock.sleep, clock=clock,
                          wall_clock=lambda: NOW + clock.now, rng=rng)
    return api, clock


class Scripted:
    """A pydo-like operation that plays a script of outcomes: exceptions are raised, dicts returned."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, {k: v for k, v in kwargs.items() if k != 'cls'}))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        if callable(outcome):
            return outcome(kwargs)
        return outcome


# ---------------------------------------------------------------------------------------------
# retry decisions (pure)
# ---------------------------------------------------------------------------------------------

def decide(status, headers=None, attempt=1, elapsed=0.0, now=NOW, rng=lambda: 0.5, **kwargs):
    return retry_decision(status, headers or {}, attempt, elapsed, now, rng, **kwargs)


def test_429_waits_the_retry_after_seconds():
    decision = decide(429, {'Retry-After': '7'})
    assert decision.retry and decision.delay == 7.0


def test_429_accepts_retry_after_as_http_date():
    decision = decide(429, {'retry-after': email.utils.formatdate(NOW + 42, usegmt=True)})
    assert decision.retry and decision.delay == pytest.approx(42, abs=1)


def test_429_without_retry_after_waits_until_ratelimit_reset():
    decision = decide(429, {'ratelimit-reset': str(int(NOW) + 30)})
    assert decision.retry and decision.delay == pytest.approx(30)


def test_429_retry_after_wins_over_ratelimit_reset():
    decision = decide(429, {'retry-after': '3', 'ratelimit-reset': str(int(NOW) + 300)})
    assert decision.delay == 3.0


def test_429_never_retries_sooner_than_one_second():
    assert decide(429, {'retry-after': '0'}).delay == 1.0
    assert decide(429, {'ratelimit-reset': str(int(NOW) - 100)}).delay == 1.0


def test_429_longer_than_remaining_budget_gives_up_at_once_saying_why():
    decision = decide(429, {'retry-after': '3600'}, attempt=1, elapsed=10, max_time=120)
    assert not decision.retry
    assert '3600' in decision.reason and 'retry-after' in decision.reason and 'max_retry_time' in decision.reason
    assert '110' in decision.reason  # what was left of the budget


def test_ratelimit_reset_beyond_budget_gives_up():
    decision = decide(429, {'ratelimit-reset': str(int(NOW) + 500)}, max_time=120)
    assert not decision.retry and 'ratelimit-reset' in decision.reason


@pytest.mark.parametrize('status', [500, 502, 503, 504, None])
def test_server_errors_and_lost_connections_are_retried(status):
    assert decide(status).retry


@pytest.mark.parametrize('status', [400, 401, 403, 404, 409, 422, 501])
def test_client_errors_are_not_retried(status):
    decision = decide(status)
    assert not decision.retry and str(status) in decision.reason


def test_backoff_is_full_jitter_under_a_doubling_ceiling():
    # rng at its top: the ceiling; rng at 0: no wait. Ceiling = 1 s * 2^(attempt-1).
    assert [decide(503, attempt=a, rng=lambda: 1.0).delay for a in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert decide(503, attempt=3, rng=lambda: 0.0).delay == 0.0
    assert decide(503, attempt=3, rng=lambda: 0.25).delay == 1.0


def test_backoff_ceiling_is_capped_at_max_delay():
    assert decide(500, attempt=7, rng=lambda: 1.0, max_attempts=20).delay == 30.0
    assert decide(500, attempt=12, rng=lambda: 1.0, max_attempts=20, max_time=10_000).delay == 30.0


def test_gives_up_after_max_attempts():
    decision = decide(503, attempt=8, max_attempts=8)
    assert not decision.retry and 'max_attempts=8' in decision.reason


def test_backoff_is_cut_to_the_remaining_budget_then_gives_up():
    assert decide(503, attempt=6, elapsed=118, rng=lambda: 1.0).delay == pytest.approx(2.0)
    decision = decide(503, attempt=3, elapsed=120)
    assert not decision.retry and 'max_retry_time' in decision.reason


# ---------------------------------------------------------------------------------------------
# error mapping, secrets (pure)
# ---------------------------------------------------------------------------------------------

def test_error_mapping_extracts_id_message_and_request_id():
    info = parse_api_error(403, {'id': 'forbidden', 'message': 'Can not delete VPC with members', 'request_id': 'r-1'}, {})
    assert info == dict(status=403, error_id='forbidden', api_message='Can not delete VPC with members', request_id='r-1')


def test_error_mapping_reads_json_text_and_header_request_id():
    info = parse_api_error(422, b'{"id": "unprocessable_entity", "message": "bad range"}', {'X-Request-Id': 'hdr-9'})
    assert (info['error_id'], info['api_message'], info['request_id']) == ('unprocessable_entity', 'bad range', 'hdr-9')


def test_error_mapping_keeps_a_non_json_body_as_the_message():
    info = parse_api_error(502, '<html>Bad gateway</html>', None)
    assert info['api_message'] == '<html>Bad gateway</html>' and info['error_id'] is None


def test_error_message_names_operation_status_id_message_and_request_id():
    info = parse_api_error(403, {'id': 'forbidden', 'message': 'nope', 'request_id': 'abc'})
    message = do.format_api_error('delete VPC web', info)
    for part in ('delete VPC web', '403', 'forbidden', 'nope', 'abc'):
        assert part in message


def test_scrub_secrets_replaces_the_token_everywhere():
    value = {'msg': 'Bearer s3cr3t-token failed', 'list': ['x', 's3cr3t-token'], 'n': 3}
    assert scrub_secrets(value, ['s3cr3t-token']) == {'msg': 'Bearer ******** failed', 'list': ['x', '********'], 'n': 3}
    assert scrub_secrets('plain', [None, '']) == 'plain'


REGIONS = [{'slug': 'tor1', 'available': True}, {'slug': 'nyc3', 'available': True}, {'slug': 'sfo1', 'available': False}]


def test_region_error_lists_the_valid_slugs():
    assert region_error('tor1', REGIONS) is None
    assert region_error('mars1', REGIONS) == "region 'mars1' is not a DigitalOcean region; allowed: nyc3, tor1"


def test_region_error_explains_an_unavailable_region():
    assert region_error('sfo1', REGIONS) == "region 'sfo1' is not available for new resources; allowed: nyc3, tor1"


# ---------------------------------------------------------------------------------------------
# pagination and waits (pure)
# ---------------------------------------------------------------------------------------------

def page_body(items, next_page_number=None):
    body = {'vpcs': items, 'links': {}, 'meta': {'total': 0}}
    if next_page_number:
        body['links'] = {'pages': {'next': 'https://api.digitalocean.com/v2/vpcs?page=%d&per_page=2' % next_page_number}}
    return body


def test_next_page_reads_the_page_number_of_the_next_link():
    assert next_page(page_body([1], 5), 4) == 5
    assert next_page(page_body([1]), 4) is None
    assert next_page({'links': {'pages': {'next': 'https://x/v2/vpcs?per_page=2'}}}, 4) == 5


def test_walk_pages_collects_every_page_in_order():
    pages = {1: page_body([1, 2], 2), 2: page_body([3, 4], 3), 3: page_body([5])}
    fetched = []

    def fetch(page):
        fetched.append(page)
        return pages[page]

    assert walk_pages(fetch, 'vpcs') == [1, 2, 3, 4, 5]
    assert fetched == [1, 2, 3]


def test_walk_pages_stops_on_a_loop():
    pages = {1: page_body([1], 2), 2: page_body([2], 1)}
    with pytest.raises(ValueError, match='loop'):
        walk_pages(pages.get, 'vpcs')


def test_walk_pages_stops_on_an_empty_page_even_with_a_next_link():
    pages = {1: page_body([1], 2), 2: page_body([], 3)}
    assert walk_pages(pages.get, 'vpcs') == [1]


def test_walk_pages_is_bounded():
    with pytest.raises(ValueError, match='stopped after 5 pages'):
        walk_pages(lambda page: page_body([page], page + 1), 'vpcs', max_pages=5)


def test_wait_polls_with_capped_exponential_backoff_until_done():
    clock = FakeClock()
    states = iter(['creating'] * 7 + ['online'])
    result = wait_until('database db1 to be online', lambda: {'status': next(states)}, lambda v: v['status'] == 'online',
                        timeout=600, clock=clock, sleep=clock.sleep)
    assert result == {'status': 'online'}
    assert clock.sleeps == [2, 4, 8, 16, 30, 30, 30]


def test_wait_times_out_naming_what_it_waited_for_the_last_state_and_the_elapsed_time():
    clock = FakeClock()
    with pytest.raises(DigitalOceanWaitError) as info:
        wait_until('database db1 to be online', lambda: {'status': 'creating'}, lambda v: False, timeout=45,
                   clock=clock, sleep=clock.sleep)
    message = str(info.value)
    assert 'database db1 to be online' in message and 'status=creating' in message and '45 s' in message
    assert sum(clock.sleeps) == 45  # never sleeps past the deadline
    assert clock.sleeps[-1] == 45 - 2 - 4 - 8 - 16


def test_wait_stops_on_a_failed_state():
    clock = FakeClock()
    with pytest.raises(DigitalOceanWaitError, match='failed state .*errored'):
        wait_until('cluster k1 to be running', lambda: {'status': 'errored'}, lambda v: False, timeout=600,
                   is_failed=lambda v: v['status'] == 'errored' and 'errored', clock=clock, sleep=clock.sleep)
    assert clock.sleeps == []


# ---------------------------------------------------------------------------------------------
# DigitalOceanApi: retries around (fake) pydo operations
# ---------------------------------------------------------------------------------------------

def test_call_retries_server_errors_then_returns_the_body(fake_pydo):
    api, clock = make_api()
    op = Scripted(fake_pydo.error(503), fake_pydo.error(500), {'vpc': {'id': 'v1'}})
    assert api.call('get VPC', op, 'v1') == {'vpc': {'id': 'v1'}}
    assert len(op.calls) == 3 and clock.sleeps == [0.5, 1.0]


def test_call_honours_retry_after_on_429(fake_pydo):
    api, clock = make_api()
    op = Scripted(fake_pydo.error(429, {'id': 'too_many_requests', 'message': 'API rate limit exceeded.'}, {'retry-after': '5'}),
                  {'ok': True})
    assert api.call('list VPCs', op) == {'ok': True}
    assert clock.sleeps == [5.0]


def test_call_gives_up_when_retry_after_exceeds_the_budget(fake_pydo):
    api, clock = make_api(max_time=60)
    op = Scripted(fake_pydo.error(429, {'id': 'too_many_requests', 'message': 'API rate limit exceeded.'}, {'retry-after': '600'}))
    with pytest.raises(DigitalOceanError) as info:
        api.call('list VPCs', op)
    assert info.value.status == 429 and clock.sleeps == []
    assert 'API rate limit exceeded.' in str(info.value) and '600' in str(info.value)


def test_call_stops_after_max_attempts(fake_pydo):
    api, clock = make_api(max_attempts=3)
    op = Scripted(*[fake_pydo.error(502)] * 3)
    with pytest.raises(DigitalOceanError) as info:
        api.call('list VPCs', op)
    assert len(op.calls) == 3 and info.value.attempts == 3 and 'max_attempts=3' in str(info.value)


def test_call_does_not_retry_a_forbidden_call_and_keeps_the_api_details(fake_pydo):
    api, clock = make_api()
    body = {'id': 'forbidden', 'message': 'Can not delete VPC with members', 'request_id': 'req-42'}
    op = Scripted(fake_pydo.error(403, body))
    with pytest.raises(DigitalOceanError) as info:
        api.call('delete VPC web', op, 'v1')
    error = info.value
    assert len(op.calls) == 1 and clock.sleeps == []
    assert (error.status, error.error_id, error.api_message, error.request_id) == (403, 'forbidden', body['message'], 'req-42')


def test_call_retries_lost_connections():
    api, clock = make_api()
    op = Scripted(ServiceRequestError('connection refused'), ServiceResponseError('connection reset'), {'ok': 1})
    assert api.call('list VPCs', op) == {'ok': 1}
    assert len(op.calls) == 3


def test_call_does_not_retry_a_tls_verification_failure():
    api, clock = make_api()
    tls = ServiceRequestError('ssl', error=ssl.SSLCertVerificationError('certificate verify failed'))
    op = Scripted(tls)
    with pytest.raises(DigitalOceanError, match='REQUESTS_CA_BUNDLE'):
        api.call('list VPCs', op)
    assert len(op.calls) == 1


def test_a_404_that_pydo_returns_as_a_body_is_not_found(fake_pydo):
    api, clock = make_api()
    not_found = {'id': 'not_found', 'message': 'The resource you requested could not be found.'}
    op = Scripted(lambda kwargs: fake_pydo.result(kwargs, 404, not_found))
    assert api.get_or_none('get VPC', op, 'v1') is None
    op = Scripted(lambda kwargs: fake_pydo.result(kwargs, 404, not_found))
    with pytest.raises(DigitalOceanError) as info:
        api.call('get VPC', op, 'v1')
    assert info.value.not_found and info.value.error_id == 'not_found'


def test_delete_of_something_already_gone_is_not_a_deletion(fake_pydo):
    api, clock = make_api()
    op = Scripted(lambda kwargs: fake_pydo.result(kwargs, 404, {'id': 'not_found', 'message': 'gone'}))
    assert api.delete('delete VPC', op, 'v1') is False


def test_delete_retried_after_a_lost_response_that_now_404s_counts_as_done(fake_pydo):
    api, clock = make_api()
    op = Scripted(ServiceResponseError('connection reset'),
                  lambda kwargs: fake_pydo.result(kwargs, 404, {'id': 'not_found', 'message': 'gone'}))
    assert api.delete('delete VPC', op, 'v1') is True
    assert len(op.calls) == 2


def test_paginate_asks_for_200_per_page_and_follows_next_links(fake_pydo):
    api, clock = make_api()
    op = Scripted(page_body([1, 2], 2), page_body([3]))
    assert api.paginate('list VPCs', op, 'vpcs') == [1, 2, 3]
    assert [kwargs for args, kwargs in op.calls] == [{'per_page': 200, 'page': 1}, {'per_page': 200, 'page': 2}]


def test_paginate_turns_a_loop_into_an_api_error():
    api, clock = make_api()
    op = Scripted(page_body([1], 2), page_body([2], 1))
    with pytest.raises(DigitalOceanError, match='list VPCs failed: pagination loop'):
        api.paginate('list VPCs', op, 'vpcs')


# ---------------------------------------------------------------------------------------------
# create_with_lookup: a create is never duplicated
# ---------------------------------------------------------------------------------------------

class Lookup:
    def __init__(self, *results):
        self.results = list(results)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.results.pop(0)


def test_create_is_never_resent_when_the_lookup_finds_the_resource(fake_pydo):
    api, clock = make_api()
    create = Scripted(fake_pydo.error(500))
    lookup = Lookup({'id': 'v1', 'name': 'web'})
    assert api.create_with_lookup('create VPC web', create, {'name': 'web'}, lookup=lookup, key='vpc') == {'id': 'v1', 'name': 'web'}
    assert len(create.calls) == 1 and lookup.calls == 1


def test_create_whose_response_was_lost_is_found_not_duplicated():
    api, clock = make_api()
    create = Scripted(ServiceResponseError('connection reset by peer'))
    lookup = Lookup({'id': 'v1'})
    assert api.create_with_lookup('create VPC web', create, {'name': 'web'}, lookup=lookup, key='vpc') == {'id': 'v1'}
    assert len(create.calls) == 1


def test_create_is_resent_only_after_the_lookup_finds_nothing(fake_pydo):
    api, clock = make_api()
    create = Scripted(fake_pydo.error(502), {'vpc': {'id': 'v2'}})
    lookup = Lookup(None)
    assert api.create_with_lookup('create VPC web', create, {'name': 'web'}, lookup=lookup, key='vpc') == {'id': 'v2'}
    assert len(create.calls) == 2 and lookup.calls == 1


def test_create_out_of_retries_after_a_server_error_looks_once_more(fake_pydo):
    api, clock = make_api(max_attempts=2)
    create = Scripted(fake_pydo.error(500), fake_pydo.error(503))
    lookup = Lookup(None, {'id': 'v5'})
    assert api.create_with_lookup('create VPC web', create, {'name': 'web'}, lookup=lookup, key='vpc') == {'id': 'v5'}
    assert len(create.calls) == 2 and lookup.calls == 2


def test_create_out_of_retries_fails_when_the_last_look_finds_nothing(fake_pydo):
    api, clock = make_api(max_attempts=1)
    create = Scripted(fake_pydo.error(500, {'id': 'server_error', 'message': 'Unexpected server-side error'}))
    lookup = Lookup(None)
    with pytest.raises(DigitalOceanError, match='Unexpected server-side error.*max_attempts=1'):
        api.create_with_lookup('create VPC web', create, {'name': 'web'}, lookup=lookup, key='vpc')
    assert len(create.calls) == 1 and lookup.calls == 1


def test_create_rate_limited_is_resent_without_lookup(fake_pydo):
    api, clock = make_api()
    create = Scripted(fake_pydo.error(429, headers={'retry-after': '2'}), {'vpc': {'id': 'v3'}})
    lookup = Lookup()
    assert api.create_with_lookup('create VPC web', create, {'name': 'web'}, lookup=lookup, key='vpc') == {'id': 'v3'}
    assert lookup.calls == 0 and clock.sleeps == [2.0]


def test_conflict_after_an_ambiguous_create_asks_the_lookup_again(fake_pydo):
    api, clock = make_api()
    create = Scripted(fake_pydo.error(504), fake_pydo.error(409, {'id': 'conflict', 'message': 'name already in use'}))
    lookup = Lookup(None, {'id': 'v4'})
    assert api.create_with_lookup('create VPC web', create, {'name': 'web'}, lookup=lookup, key='vpc') == {'id': 'v4'}
    assert len(create.calls) == 2 and lookup.calls == 2


def test_create_rejected_outright_is_not_retried(fake_pydo):
    api, clock = make_api()
    create = Scripted(fake_pydo.error(422, {'id': 'unprocessable_entity', 'message': 'ip_range overlaps'}))
    lookup = Lookup()
    with pytest.raises(DigitalOceanError, match='ip_range overlaps'):
        api.create_with_lookup('create VPC web', create, {'name': 'web'}, lookup=lookup, key='vpc')
    assert len(create.calls) == 1 and lookup.calls == 0


# ---------------------------------------------------------------------------------------------
# DigitalOceanModule: auth, options, failures
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('first', range(len(do.TOKEN_ENV_VARS)))
def test_token_comes_from_the_first_set_env_variable_in_order(harness, clean_do_env, first):
    for index, name in enumerate(do.TOKEN_ENV_VARS):
        if index >= first:
            clean_do_env.setenv(name, 'token-from-%s' % name)
    module = harness.build(DigitalOceanModule, {})
    assert module.params['oauth_token'] == 'token-from-%s' % do.TOKEN_ENV_VARS[first]


def test_token_env_order_is_the_documented_one():
    assert do.TOKEN_ENV_VARS == ('DIGITALOCEAN_ACCESS_TOKEN', 'DIGITALOCEAN_TOKEN', 'DO_API_TOKEN', 'DO_API_KEY',
                                 'DO_OAUTH_TOKEN', 'OAUTH_TOKEN')


@pytest.mark.parametrize('option', ['oauth_token', 'token', 'api_token'])
def test_token_option_and_aliases_win_over_the_environment(harness, clean_do_env, option):
    clean_do_env.setenv('DIGITALOCEAN_ACCESS_TOKEN', 'from-env')
    module = harness.build(DigitalOceanModule, {option: 'from-option'})
    assert module.params['oauth_token'] == 'from-option'


def test_missing_token_fails_naming_the_option_and_every_variable(harness, clean_do_env):
    module = harness.build(DigitalOceanModule, {})
    result = harness.failure(lambda: module.client)
    assert 'oauth_token' in result['msg']
    for name in do.TOKEN_ENV_VARS:
        assert name in result['msg']


def test_api_url_comes_from_the_environment(harness, clean_do_env):
    clean_do_env.setenv('DIGITALOCEAN_API_URL', 'https://127.0.0.1:8443')
    assert harness.build(DigitalOceanModule, {}).params['api_url'] == 'https://127.0.0.1:8443'
    clean_do_env.delenv('DIGITALOCEAN_API_URL')
    assert harness.build(DigitalOceanModule, {}).params['api_url'] == 'https://api.digitalocean.com'


def test_plain_http_api_url_is_refused(harness, clean_do_env):
    result = harness.failure(harness.build, DigitalOceanModule, {'api_url': 'http://127.0.0.1:8080', 'oauth_token': 't'})
    assert 'https://' in result['msg'] and 'api_url' in result['msg']


def test_retry_options_must_be_positive(harness, clean_do_env):
    result = harness.failure(harness.build, DigitalOceanModule, {'max_attempts': 0})
    assert 'max_attempts' in result['msg']


def test_wait_options_are_merged_only_when_asked(harness, clean_do_env):
    assert 'wait_timeout' not in harness.build(DigitalOceanModule, {}).params
    module = harness.build(DigitalOceanModule, {}, wait=True)
    assert module.params['wait'] is True and module.params['wait_timeout'] == 1800
    module = harness.build(DigitalOceanModule, {}, wait=True, argument_spec=dict(wait=dict(type='bool', default=False)))
    assert module.params['wait'] is False


def test_fail_api_returns_the_api_details_and_never_the_token(harness, clean_do_env, fake_pydo):
    module = harness.build(DigitalOceanModule, {'oauth_token': 'dop_v1_secret'})
    module.api, clock = make_api()
    body = {'id': 'forbidden', 'message': 'token dop_v1_secret lacks scope vpc:delete', 'request_id': 'rq-7'}
    result = harness.failure(module.call, 'delete VPC web', Scripted(fake_pydo.error(403, body)), 'v1')
    assert result['operation'] == 'delete VPC web'
    assert (result['status'], result['error_id'], result['request_id']) == (403, 'forbidden', 'rq-7')
    assert 'lacks scope vpc:delete' in result['api_message'] and 'lacks scope' in result['msg']
    assert 'dop_v1_secret' not in json.dumps(result)


def test_fail_api_maps_a_raw_pydo_exception(harness, clean_do_env, fake_pydo):
    module = harness.build(DigitalOceanModule, {'oauth_token': 't0ken'})
    result = harness.failure(module.fail_api, fake_pydo.error(401, {'id': 'unauthorized', 'message': 'Unable to authenticate you'}),
                             'list VPCs')
    assert result['status'] == 401 and result['error_id'] == 'unauthorized' and 'Unable to authenticate you' in result['msg']
    assert 'Traceback' not in json.dumps(result)


def test_module_wait_for_fails_with_description_state_and_elapsed(harness, clean_do_env):
    module = harness.build(DigitalOceanModule, {'wait_timeout': 10}, wait=True)
    clock = FakeClock()
    result = harness.failure(module.wait_for, 'VPC web to have no members', lambda: ['do:droplet:1'], lambda m: not m,
                             sleep=clock.sleep, clock=clock, describe=lambda m: '%d member(s)' % len(m))
    assert 'VPC web to have no members' in result['msg'] and '1 member(s)' in result['msg']
    assert result['elapsed'] == 10 and result['waited_for'] == 'VPC web to have no members'


def test_find_unique_refuses_ambiguous_names(harness, clean_do_env):
    module = harness.build(DigitalOceanModule, {})
    result = harness.failure(module.find_unique, [{'id': 'a', 'name': 'x'}, {'id': 'b', 'name': 'x'}], 'VPCs', name='x')
    assert 'Found 2 VPCs' in result['msg'] and 'a, b' in result['msg']


# ---------------------------------------------------------------------------------------------
# The real pydo client, against a local HTTPS server
# ---------------------------------------------------------------------------------------------

class _Recorder(http.server.BaseHTTPRequestHandler):
    script = []
    requests = []

    def _handle(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        type(self).requests.append(dict(method=self.command, path=self.path, headers=dict(self.headers), body=body))
        status, payload, headers = type(self).script.pop(0)
        data = json.dumps(payload).encode() if payload is not None else b''
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if data:
            self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _handle

    def log_message(self, *args):
        pass


@pytest.fixture
def https_api(tmp_path, monkeypatch):
    trustme = pytest.importorskip('trustme')
    ca = trustme.CA()
    cert = ca.issue_cert('127.0.0.1')
    ca_file = tmp_path / 'ca.pem'
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)

    class Handler(_Recorder):
        script = []
        requests = []

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', str(ca_file))
    try:
        yield Handler, 'https://127.0.0.1:%d' % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_pydo_client_sends_a_failed_post_once_with_our_user_agent_and_token(https_api):
    handler, url = https_api
    handler.script = [(500, {'id': 'server_error', 'message': 'Unexpected server-side error'}, None)]
    client = do.build_client('dop_v1_test', url, timeout=5)
    api, clock = make_api(max_attempts=1)
    with pytest.raises(DigitalOceanError) as info:
        api.call('create VPC web', client.vpcs.create, {'name': 'web', 'region': 'tor1'})
    assert info.value.status == 500 and info.value.api_message == 'Unexpected server-side error'
    assert [r['method'] for r in handler.requests] == ['POST']  # pydo's own retries are off
    headers = {k.lower(): v for k, v in handler.requests[0]['headers'].items()}
    assert headers['authorization'] == 'Bearer dop_v1_test'
    assert headers['user-agent'].startswith('fediops.mastodon')


def test_pydo_lost_create_is_looked_up_not_resent(https_api):
    handler, url = https_api
    vpc = {'id': '5a4981aa-9653-4bd1-bef5-d6bff52042e4', 'name': 'web', 'region': 'tor1', 'ip_range': '10.10.0.0/20'}
    handler.script = [(503, {'id': 'service_unavailable', 'message': 'try later'}, None),
                      (200, {'vpcs': [vpc], 'links': {}, 'meta': {'total': 1}}, None)]
    client = do.build_client('dop_v1_test', url, timeout=5)
    api, clock = make_api()

    def lookup():
        return next(iter(v for v in api.paginate('list VPCs', client.vpcs.list, 'vpcs') if v['name'] == 'web'), None)

    assert api.create_with_lookup('create VPC web', client.vpcs.create, {'name': 'web', 'region': 'tor1'},
                                  lookup=lookup, key='vpc') == vpc
    assert [(r['method'], r['path']) for r in handler.requests] == [('POST', '/v2/vpcs'), ('GET', '/v2/vpcs?per_page=200&page=1')]


def test_pydo_404_and_rate_limit_headers_are_understood(https_api):
    handler, url = https_api
    handler.script = [(429, {'id': 'too_many_requests', 'message': 'API rate limit exceeded.'}, {'retry-after': '3'}),
                      (404, {'id': 'not_found', 'message': 'The resource you requested could not be found.'}, None)]
    client = do.build_client('dop_v1_test', url, timeout=5)
    api, clock = make_api()
    assert api.get_or_none('get VPC', client.vpcs.get, '5a4981aa-9653-4bd1-bef5-d6bff52042e4') is None
    assert clock.sleeps == [3.0] and len(handler.requests) == 2


# ---------------------------------------------------------------------------------------------
# VPC lookup shared by the cluster modules
# ---------------------------------------------------------------------------------------------

VPCS = [{'id': '5a4981aa-9653-4bd1-bef5-d6bff52042e4', 'name': 'mastodon', 'region': 'tor1'},
        {'id': '6b4981aa-9653-4bd1-bef5-d6bff52042e4', 'name': 'twin', 'region': 'tor1'},
        {'id': '7c4981aa-9653-4bd1-bef5-d6bff52042e4', 'name': 'twin', 'region': 'nyc3'}]


def test_find_vpc_by_id_or_name():
    assert do.find_vpc(VPCS, 'mastodon')[0]['id'] == VPCS[0]['id']
    assert do.find_vpc(VPCS, VPCS[2]['id'])[0]['name'] == 'twin'


def test_find_vpc_refuses_an_ambiguous_name_and_lists_the_account_vpcs_when_missing():
    assert 'give the id instead' in do.find_vpc(VPCS, 'twin')[1]
    missing = do.find_vpc(VPCS, 'nope')[1]
    assert "vpc 'nope'" in missing and '(missing)' in missing and 'mastodon (5a4981aa' in missing
