# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared DigitalOcean plumbing for every fediops.mastodon DO module.

One implementation each of: authentication options, the pydo client, retries (rate limits, 5xx,
lost connections, creates that must never be duplicated), pagination, waiting, and error mapping.

The pure functions (``retry_decision``, ``parse_api_error``, ``next_page``, ``walk_pages``,
``wait_until``, ``scrub_secrets``) take every input they depend on (clock, randomness, sleep) so they
are unit-tested without HTTP. ``DigitalOceanApi`` runs calls with the retry policy; it does not know
about Ansible. ``DigitalOceanModule`` is the ``AnsibleModule`` every DO module instantiates: its
``call``, ``get_or_none``, ``delete``, ``paginate``, ``create_with_lookup``, ``find_unique``,
``validate_region`` and ``wait_for`` fail the module with ``fail_api`` / a clear message themselves.
"""

import email.utils
import inspect
import json
import random
import ssl
import time
import traceback
from urllib.parse import parse_qs, urlparse

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.ansible_release import __version__ as ANSIBLE_CORE_VERSION

PYDO_IMPORT_ERROR = None
try:
    import pydo
    from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
    HAS_PYDO = True
    _HTTP_ERRORS = (HttpResponseError,)
    _AZURE_CONNECTION_ERRORS = (ServiceRequestError, ServiceResponseError)
except ImportError:
    HAS_PYDO = False
    PYDO_IMPORT_ERROR = traceback.format_exc()
    _HTTP_ERRORS = ()
    _AZURE_CONNECTION_ERRORS = ()

try:
    import requests
    _REQUESTS_CONNECTION_ERRORS = (requests.exceptions.ConnectionError, requests.exceptions.Timeout)
    _REQUESTS_SSL_ERRORS = (requests.exceptions.SSLError,)
except ImportError:
    _REQUESTS_CONNECTION_ERRORS = ()
    _REQUESTS_SSL_ERRORS = ()

_CONNECTION_ERRORS = _AZURE_CONNECTION_ERRORS + _REQUESTS_CONNECTION_ERRORS


DEFAULT_API_URL = 'https://api.digitalocean.com'
API_URL_ENV_VAR = 'DIGITALOCEAN_API_URL'
# The variables doctl and the other DigitalOcean collections read, first match wins.
TOKEN_ENV_VARS = (
    'DIGITALOCEAN_ACCESS_TOKEN',
    'DIGITALOCEAN_TOKEN',
    'DO_API_TOKEN',
    'DO_API_KEY',
    'DO_OAUTH_TOKEN',
    'OAUTH_TOKEN',
)
USER_AGENT = 'fediops.mastodon (ansible-core/%s)' % ANSIBLE_CORE_VERSION

DEFAULT_TIMEOUT = 60
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_MAX_RETRY_TIME = 120
DEFAULT_WAIT_TIMEOUT = 1800
PER_PAGE = 200
MAX_PAGES = 10000

RETRYABLE_STATUSES = frozenset((500, 502, 503, 504))
RATE_LIMITED = 429
# A create retried after an ambiguous failure may meet its own earlier success as one of these.
CONFLICT_STATUSES = frozenset((409, 422))
SCRUBBED = '********'


def digitalocean_argument_spec():
    """Options shared by every DigitalOcean module (documented in the ``digitalocean`` doc fragment)."""
    return dict(
        oauth_token=dict(type='str', no_log=True, aliases=['token', 'api_token'],
                         fallback=(env_fallback, list(TOKEN_ENV_VARS))),
        api_url=dict(type='str', default=DEFAULT_API_URL, fallback=(env_fallback, [API_URL_ENV_VAR])),
        timeout=dict(type='int', default=DEFAULT_TIMEOUT),
        max_attempts=dict(type='int', default=DEFAULT_MAX_ATTEMPTS),
        max_retry_time=dict(type='int', default=DEFAULT_MAX_RETRY_TIME),
    )


def digitalocean_wait_argument_spec():
    """Options of modules that wait for asynchronous resources (``digitalocean_wait`` doc fragment)."""
    return dict(
        wait=dict(type='bool', default=True),
        wait_timeout=dict(type='int', default=DEFAULT_WAIT_TIMEOUT),
    )


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

class DigitalOceanError(Exception):
    """A DigitalOcean API call that failed for good (after any retries).

    ``status`` is the HTTP status, or None when no response arrived (connection error).
    """

    def __init__(self, operation, message, status=None, error_id=None, api_message=None, request_id=None,
                 attempts=1, retry_reason=None):
        super(DigitalOceanError, self).__init__(message)
        self.operation = operation
        self.message = message
        self.status = status
        self.error_id = error_id
        self.api_message = api_message
        self.request_id = request_id
        self.attempts = attempts
        self.retry_reason = retry_reason

    @property
    def not_found(self):
        return self.status == 404

    def as_result(self):
        """The keys ``fail_api`` passes to ``fail_json`` (besides ``msg``)."""
        return dict(
            operation=self.operation,
            status=self.status,
            error_id=self.error_id,
            api_message=self.api_message,
            request_id=self.request_id,
            attempts=self.attempts,
        )


class DigitalOceanWaitError(Exception):
    """A wait that timed out or reached a failed state."""

    def __init__(self, description, last_state, elapsed, timeout=None, failure=None):
        if failure:
            message = 'Gave up waiting for %s after %.0f s: it reached a failed state (%s); last seen state: %s' % (
                description, elapsed, failure, last_state)
        else:
            message = 'Timed out after %.0f s (wait_timeout=%s) waiting for %s; last seen state: %s' % (
                elapsed, timeout, description, last_state)
        super(DigitalOceanWaitError, self).__init__(message)
        self.message = message
        self.description = description
        self.last_state = last_state
        self.elapsed = elapsed
        self.timeout = timeout
        self.failure = failure


# --------------------------------------------------------------------------------------------
# Pure helpers: secrets, headers, error bodies
# --------------------------------------------------------------------------------------------

def scrub_secrets(value, secrets):
    """Return ``value`` with every occurrence of each secret string replaced by ``********``.

    Walks dicts, lists and tuples; other values are returned unchanged.
    """
    secrets = [s for s in (secrets or []) if isinstance(s, str) and s]
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, SCRUBBED)
        return value
    if isinstance(value, dict):
        return dict((k, scrub_secrets(v, secrets)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(scrub_secrets(v, secrets) for v in value)
    return value


def header_value(headers, name):
    """Case-insensitive header lookup; None when absent."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def parse_api_error(status, body, headers=None):
    """Turn an error response into ``dict(status, error_id, api_message, request_id)``.

    ``body`` may be the decoded JSON (a dict), raw text/bytes, or None. DigitalOcean errors look like
    ``{"id": "forbidden", "message": "...", "request_id": "..."}``; the request id may also come in
    the ``x-request-id`` header.
    """
    if isinstance(body, bytes):
        body = body.decode('utf-8', 'replace')
    if isinstance(body, str):
        text = body.strip()
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = {'message': text[:2000]} if text else None
    error_id = api_message = request_id = None
    if isinstance(body, dict):
        error_id = body.get('id') if isinstance(body.get('id'), str) else None
        api_message = body.get('message')
        if api_message is not None and not isinstance(api_message, str):
            api_message = json.dumps(api_message, sort_keys=True)
        request_id = body.get('request_id')
    if not request_id:
        request_id = header_value(headers, 'x-request-id')
    return dict(status=status, error_id=error_id, api_message=api_message, request_id=request_id)


def format_api_error(operation, info, retry_reason=None, detail=None):
    """One readable sentence for a failed call (``info`` from ``parse_api_error``)."""
    if info.get('status') is None:
        message = '%s failed: no response from the DigitalOcean API' % operation
        if detail:
            message += ' (%s)' % detail
    else:
        message = '%s failed: HTTP %s' % (operation, info['status'])
        if info.get('error_id'):
            message += ' %s' % info['error_id']
        if info.get('api_message'):
            message += ': %s' % info['api_message']
        elif detail:
            message += ': %s' % detail
    if info.get('request_id'):
        message += ' (request_id %s)' % info['request_id']
    if retry_reason:
        message += '; %s' % retry_reason
    return message


# --------------------------------------------------------------------------------------------
# Pure helpers: retry decision
# --------------------------------------------------------------------------------------------

class RetryDecision:
    """``retry`` True: sleep ``delay`` seconds, then try again. False: give up because of ``reason``."""

    def __init__(self, retry, delay=0.0, reason=None):
        self.retry = retry
        self.delay = delay
        self.reason = reason

    def __repr__(self):
        return 'RetryDecision(retry=%r, delay=%r, reason=%r)' % (self.retry, self.delay, self.reason)


def parse_retry_after(value, now):
    """Seconds to wait from a ``retry-after`` header (delta-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return max(0.0, parsed.timestamp() - now)


def is_retryable_status(status):
    """None means no response at all (connection error), which is retryable."""
    return status is None or status == RATE_LIMITED or status in RETRYABLE_STATUSES


def backoff_delay(attempt, rng, base_delay=1.0, max_delay=30.0):
    """Exponential backoff with full jitter: uniform in [0, min(max_delay, base * 2^(attempt-1))]."""
    ceiling = min(float(max_delay), float(base_delay) * (2 ** max(0, attempt - 1)))
    return rng() * ceiling


def retry_decision(status, headers, attempt, elapsed, now, rng,
                   max_attempts=DEFAULT_MAX_ATTEMPTS, max_time=DEFAULT_MAX_RETRY_TIME, base_delay=1.0, max_delay=30.0):
    """Decide whether a failed attempt is retried and after how long.

    status: HTTP status, or None for a connection error. headers: response headers (any case).
    attempt: attempts made so far (1 after the first failure). elapsed: seconds since the first attempt.
    now: Unix time (for ``ratelimit-reset``). rng: callable returning a float in [0, 1).

    429 waits for ``retry-after`` seconds, else until ``ratelimit-reset`` (Unix time), else backs off,
    and always at least 1 s. 5xx and connection errors back off exponentially with full jitter.
    Attempts are bounded by ``max_attempts`` and total time by ``max_time``: a server-imposed wait
    longer than what is left of the budget gives up at once instead of sleeping.
    """
    if not is_retryable_status(status):
        return RetryDecision(False, reason='HTTP %s is not retried' % status)
    if attempt >= max_attempts:
        return RetryDecision(False, reason='gave up after %d attempt(s) (max_attempts=%d)' % (attempt, max_attempts))
    remaining = float(max_time) - float(elapsed)
    if status == RATE_LIMITED:
        delay = parse_retry_after(header_value(headers, 'retry-after'), now)
        source = 'retry-after'
        if delay is None:
            reset = header_value(headers, 'ratelimit-reset')
            try:
                delay = max(0.0, float(reset) - float(now))
                source = 'ratelimit-reset'
            except (TypeError, ValueError):
                delay = backoff_delay(attempt, rng, base_delay, max_delay)
                source = None
        delay = max(1.0, delay)
        if delay > remaining:
            if source:
                reason = ('rate limited: DigitalOcean asks to wait %.0f s (%s) but only %.0f s remain of the %s s retry budget '
                          '(max_retry_time)' % (delay, source, max(0.0, remaining), max_time))
            else:
                reason = 'rate limited and the %s s retry budget (max_retry_time) is spent' % max_time
            return RetryDecision(False, reason=reason)
        return RetryDecision(True, delay=delay, reason='rate limited, waiting %.1f s' % delay)
    if remaining <= 0:
        return RetryDecision(False, reason='gave up after %d attempt(s): the %s s retry budget (max_retry_time) is spent' % (
            attempt, max_time))
    delay = min(backoff_delay(attempt, rng, base_delay, max_delay), remaining)
    what = 'no response' if status is None else 'HTTP %s' % status
    return RetryDecision(True, delay=delay, reason='%s, backing off %.1f s' % (what, delay))


class RetryPolicy:
    """The retry bounds of one module run; ``decide`` is ``retry_decision`` with them applied."""

    def __init__(self, max_attempts=DEFAULT_MAX_ATTEMPTS, max_time=DEFAULT_MAX_RETRY_TIME, base_delay=1.0, max_delay=30.0):
        self.max_attempts = max_attempts
        self.max_time = max_time
        self.base_delay = base_delay
        self.max_delay = max_delay

    def decide(self, status, headers, attempt, elapsed, now, rng):
        return retry_decision(status, headers, attempt, elapsed, now, rng, max_attempts=self.max_attempts,
                              max_time=self.max_time, base_delay=self.base_delay, max_delay=self.max_delay)


# --------------------------------------------------------------------------------------------
# Pure helpers: pagination and waiting
# --------------------------------------------------------------------------------------------

def next_page(body, current_page):
    """The page number after ``current_page`` from ``links.pages.next``, or None on the last page."""
    links = body.get('links') if isinstance(body, dict) else None
    pages = links.get('pages') if isinstance(links, dict) else None
    nxt = pages.get('next') if isinstance(pages, dict) else None
    if not nxt:
        return None
    values = parse_qs(urlparse(nxt).query).get('page')
    try:
        return int(values[0])
    except (TypeError, ValueError, IndexError):
        return current_page + 1


def walk_pages(fetch_page, key, max_pages=MAX_PAGES):
    """Collect ``body[key]`` from every page; ``fetch_page(page_number)`` returns a decoded body.

    Follows ``links.pages.next``. Raises ValueError when a next link points back to a page already
    read (a loop), or after ``max_pages`` pages.
    """
    items = []
    page = 1
    seen = set()
    while True:
        seen.add(page)
        body = fetch_page(page) or {}
        chunk = body.get(key) or []
        items.extend(chunk)
        following = next_page(body, page)
        if following is None or not chunk:
            return items
        if following in seen:
            raise ValueError('pagination loop: page %d links to page %d, which was already read' % (page, following))
        if len(seen) >= max_pages:
            raise ValueError('pagination stopped after %d pages' % max_pages)
        page = following


def describe_state(value):
    """Default short description of a polled value for wait messages."""
    if isinstance(value, dict):
        for field in ('status', 'state', 'phase'):
            if field in value:
                state = value[field]
                if isinstance(state, dict):
                    state = state.get('state', state)
                return '%s=%s' % (field, state)
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + '...'


def wait_until(description, poll_fn, is_done, timeout, is_failed=None, describe=None,
               clock=None, sleep=None, initial_delay=2.0, max_delay=30.0, factor=2.0):
    """Poll until ``is_done(value)``; return that value.

    Polls at once, then after ``initial_delay`` seconds, doubling (``factor``) up to ``max_delay``,
    never sleeping past the deadline and always polling once at it. ``is_failed(value)`` may return a
    truthy reason for a terminal error state. Raises ``DigitalOceanWaitError`` naming what it waited
    for, the last seen state and the elapsed time.
    """
    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    describe = describe or describe_state
    start = clock()
    delay = float(initial_delay)
    while True:
        value = poll_fn()
        failure = is_failed(value) if is_failed else None
        if failure:
            raise DigitalOceanWaitError(description, describe(value), clock() - start, timeout,
                                        failure=failure if isinstance(failure, str) else describe(value))
        if is_done(value):
            return value
        elapsed = clock() - start
        remaining = float(timeout) - elapsed
        if remaining <= 0:
            raise DigitalOceanWaitError(description, describe(value), elapsed, timeout)
        sleep(min(delay, remaining))
        delay = min(delay * factor, float(max_delay))


# --------------------------------------------------------------------------------------------
# Running calls
# --------------------------------------------------------------------------------------------

class _Response:
    """Status, body and headers of a pydo call, captured through pydo's ``cls`` hook."""

    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self.headers = headers


def _capture_response(pipeline_response, deserialized, response_headers):
    http = pipeline_response.http_response
    return _Response(http.status_code, deserialized, dict((k.lower(), v) for k, v in http.headers.items()))


def _accepts_cls(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind == p.VAR_KEYWORD or p.name == 'cls' for p in params)


class _Failure:
    """A failed attempt, normalised: status None means no (complete) response arrived."""

    def __init__(self, status, headers=None, body=None, detail=None, fatal=False):
        self.status = status
        self.headers = headers or {}
        self.body = body
        self.detail = detail
        self.fatal = fatal


def _response_body(response):
    for reader in ('json', 'text'):
        try:
            return getattr(response, reader)()
        except Exception:
            continue
    return None


def _is_tls_error(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ssl.SSLError) or isinstance(exc, _REQUESTS_SSL_ERRORS):
            return True
        if 'CERTIFICATE_VERIFY_FAILED' in str(exc):
            return True
        exc = getattr(exc, 'inner_exception', None) or exc.__cause__ or exc.__context__
    return False


def failure_from_exception(exc):
    """Normalise an exception raised by a pydo call into a ``_Failure``; None if not an API failure."""
    if _HTTP_ERRORS and isinstance(exc, _HTTP_ERRORS) and getattr(exc, 'status_code', None) is not None:
        response = getattr(exc, 'response', None)
        headers = {}
        body = None
        if response is not None:
            headers = dict((k.lower(), v) for k, v in (getattr(response, 'headers', None) or {}).items())
            body = _response_body(response)
        return _Failure(exc.status_code, headers, body, detail=getattr(exc, 'reason', None))
    if _HTTP_ERRORS and isinstance(exc, _HTTP_ERRORS):
        # A response that broke off or could not be decoded: as ambiguous as a dropped connection.
        return _Failure(None, detail=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    if _CONNECTION_ERRORS and isinstance(exc, _CONNECTION_ERRORS):
        if _is_tls_error(exc):
            return _Failure(None, detail='TLS verification failed (%s); a private CA is trusted through REQUESTS_CA_BUNDLE or '
                                         'SSL_CERT_FILE' % str(exc).splitlines()[0], fatal=True)
        return _Failure(None, detail=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return None


def error_from_failure(operation, failure, attempts, retry_reason=None):
    """The ``DigitalOceanError`` for a failed attempt."""
    info = parse_api_error(failure.status, failure.body, failure.headers)
    return DigitalOceanError(operation, format_api_error(operation, info, retry_reason, failure.detail),
                             status=info['status'], error_id=info['error_id'], api_message=info['api_message'],
                             request_id=info['request_id'], attempts=attempts, retry_reason=retry_reason)


class DigitalOceanApi:
    """Runs pydo operations with the retry policy. Knows nothing about Ansible.

    ``sleep``, ``clock`` (monotonic), ``wall_clock`` (Unix time) and ``rng`` are injectable for tests.
    """

    def __init__(self, policy=None, sleep=None, clock=None, wall_clock=None, rng=None):
        self.policy = policy or RetryPolicy()
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self.wall_clock = wall_clock or time.time
        self.rng = rng or random.random

    # -- one attempt ------------------------------------------------------------------------
    @staticmethod
    def _attempt(fn, args, kwargs):
        """Run ``fn`` once. Returns ``(body, None)`` on success or ``(None, _Failure)``."""
        if 'cls' not in kwargs and _accepts_cls(fn):
            kwargs = dict(kwargs, cls=_capture_response)
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            failure = failure_from_exception(exc)
            if failure is None:
                raise
            return None, failure
        if isinstance(result, _Response):
            if result.status is not None and result.status >= 400:
                # pydo hands some 404s back as a body instead of raising.
                return None, _Failure(result.status, result.headers, result.body)
            return result.body, None
        return result, None

    def _decide(self, failure, attempt, start):
        if failure.fatal:
            return RetryDecision(False)
        if failure.status == 404:
            return RetryDecision(False)
        return self.policy.decide(failure.status, failure.headers, attempt, self.clock() - start, self.wall_clock(), self.rng)

    # -- public ---------------------------------------------------------------------------------
    def call(self, operation, fn, *args, **kwargs):
        """Call an idempotent operation (GET, PUT, PATCH, DELETE) with retries; return the decoded body.

        Raises ``DigitalOceanError`` (``.not_found`` for 404) once retrying stops.
        """
        start = self.clock()
        attempt = 0
        while True:
            attempt += 1
            body, failure = self._attempt(fn, args, kwargs)
            if failure is None:
                return body
            decision = self._decide(failure, attempt, start)
            if not decision.retry:
                raise error_from_failure(operation, failure, attempt, decision.reason if is_retryable_status(failure.status) else None)
            self.sleep(decision.delay)

    def get_or_none(self, operation, fn, *args, **kwargs):
        """Like ``call`` but a 404 returns None."""
        try:
            return self.call(operation, fn, *args, **kwargs)
        except DigitalOceanError as exc:
            if exc.not_found:
                return None
            raise

    def delete(self, operation, fn, *args, **kwargs):
        """Delete with retries. True if deleted, False if it was already gone (404 on the first try).

        A 404 after a retried attempt (whose response was lost) counts as deleted.
        """
        try:
            self.call(operation, fn, *args, **kwargs)
        except DigitalOceanError as exc:
            if exc.not_found:
                return exc.attempts > 1
            raise
        return True

    def paginate(self, operation, list_fn, key, **kwargs):
        """Every item of a paginated list (``per_page=200``), following ``links.pages.next``."""
        def fetch(page):
            return self.call(operation, list_fn, per_page=PER_PAGE, page=page, **kwargs)
        try:
            return walk_pages(fetch, key)
        except ValueError as exc:
            raise DigitalOceanError(operation, '%s failed: %s' % (operation, exc))

    def create_with_lookup(self, operation, create_fn, *args, **kwargs):
        """Create a resource (POST) without ever duplicating it.

        Keyword-only: ``lookup`` (callable returning the resource or None, e.g. find by name) and
        ``key`` (the body key holding the resource, e.g. ``'vpc'``; None returns the whole body).
        Remaining arguments go to ``create_fn``.

        A 429 means the request was not processed: it is re-sent after the wait. A 5xx or a lost
        connection may hide a create that happened: after the backoff, ``lookup()`` runs first and its
        result is returned if it finds the resource; only otherwise is the create re-sent. If a re-sent
        create meets a 409/422 conflict, or retries run out after such a failure, ``lookup()`` is asked
        once more. Returns the created (or found) resource.
        """
        lookup = kwargs.pop('lookup')
        key = kwargs.pop('key', None)
        start = self.clock()
        attempt = 0
        ambiguous = False
        while True:
            attempt += 1
            body, failure = self._attempt(create_fn, args, kwargs)
            if failure is None:
                return body.get(key) if key and isinstance(body, dict) else body
            if ambiguous and failure.status in CONFLICT_STATUSES:
                found = lookup()
                if found is not None:
                    return found
            decision = self._decide(failure, attempt, start)
            maybe_created = not failure.fatal and (failure.status is None or failure.status in RETRYABLE_STATUSES)
            if not decision.retry:
                if maybe_created:
                    # Out of retries, but the last attempt may have created it: one last look.
                    found = lookup()
                    if found is not None:
                        return found
                raise error_from_failure(operation, failure, attempt, decision.reason if is_retryable_status(failure.status) else None)
            self.sleep(decision.delay)
            if maybe_created:
                ambiguous = True
                found = lookup()
                if found is not None:
                    return found


def build_client(token, api_url=DEFAULT_API_URL, timeout=DEFAULT_TIMEOUT):
    """A pydo client with pydo's own retries OFF (they re-send POSTs) and our user agent.

    TLS verification stays on; a private CA is trusted through REQUESTS_CA_BUNDLE / SSL_CERT_FILE.
    """
    return pydo.Client(
        token=token,
        endpoint=api_url.rstrip('/'),
        retry_total=0,
        user_agent=USER_AGENT,
        connection_timeout=timeout,
        read_timeout=timeout,
    )


def match_items(items, **attrs):
    """Items whose fields equal every given attribute."""
    return [item for item in items if all(item.get(k) == v for k, v in attrs.items())]


def region_error(region, regions):
    """None when ``region`` is a slug DigitalOcean offers for new resources, else a message saying why not
    and listing the valid slugs. ``regions`` are the items of ``GET /v2/regions``."""
    available = sorted(r['slug'] for r in regions if r.get('available', True))
    if region in available:
        return None
    if region in [r.get('slug') for r in regions]:
        return 'region %r is not available for new resources; allowed: %s' % (region, ', '.join(available))
    return 'region %r is not a DigitalOcean region; allowed: %s' % (region, ', '.join(available))


def find_vpc(vpcs, value):
    """``(vpc, None)`` for the VPC whose id or name is ``value``, else ``(None, message)``.

    The message says whether no VPC matched (``missing`` in it) or the name is ambiguous.
    """
    by_id = [v for v in vpcs if v.get('id') == value]
    if by_id:
        return by_id[0], None
    by_name = [v for v in vpcs if v.get('name') == value]
    if len(by_name) == 1:
        return by_name[0], None
    if len(by_name) > 1:
        return None, 'vpc %r: %d VPCs have that name (ids: %s); give the id instead' % (
            value, len(by_name), ', '.join(v['id'] for v in by_name))
    known = ', '.join('%s (%s, %s)' % (v.get('name'), v.get('id'), v.get('region')) for v in vpcs) or 'none'
    return None, 'vpc %r: no VPC has that id or name (missing); VPCs of the account: %s' % (value, known)


# --------------------------------------------------------------------------------------------
# The module base
# --------------------------------------------------------------------------------------------

class DigitalOceanModule(AnsibleModule):
    """``AnsibleModule`` with the shared DigitalOcean options, a lazily built client and API helpers.

    ``DigitalOceanModule(argument_spec=..., supports_check_mode=True, wait=True)`` merges the auth
    spec (and the wait spec when ``wait=True``) under the module's own spec; the module's own entries
    win, so a module may change e.g. the default of ``wait``. Every helper fails the module with
    ``fail_api`` when the API call fails for good.
    """

    def __init__(self, argument_spec=None, wait=False, **kwargs):
        spec = digitalocean_argument_spec()
        if wait:
            spec.update(digitalocean_wait_argument_spec())
        spec.update(argument_spec or {})
        super(DigitalOceanModule, self).__init__(argument_spec=spec, **kwargs)
        self._client = None
        self._check_common_params()
        self.api = DigitalOceanApi(RetryPolicy(max_attempts=self.params['max_attempts'],
                                               max_time=self.params['max_retry_time']))

    def _check_common_params(self):
        api_url = self.params['api_url'] or ''
        if not api_url.lower().startswith('https://'):
            self.fail_json(msg='api_url must be an https:// URL (got %r): the API token is only ever sent over TLS' % api_url)
        for name, minimum in (('timeout', 1), ('max_attempts', 1), ('max_retry_time', 0), ('wait_timeout', 0)):
            value = self.params.get(name)
            if value is not None and value < minimum:
                self.fail_json(msg='%s must be at least %d (got %s)' % (name, minimum, value))

    @property
    def client(self):
        """The pydo client, built on first use."""
        if self._client is None:
            if not HAS_PYDO:
                self.fail_json(msg=missing_required_lib('pydo'), exception=PYDO_IMPORT_ERROR)
            token = self.params.get('oauth_token')
            if not token:
                self.fail_json(msg='No DigitalOcean API token: set the oauth_token option (aliases: token, api_token) '
                                   'or one of the environment variables %s' % ', '.join(TOKEN_ENV_VARS))
            self._client = build_client(token, self.params['api_url'], self.params['timeout'])
        return self._client

    # -- errors -----------------------------------------------------------------------------
    def scrub(self, value):
        """``value`` (str, dict or list) with the API token replaced by ``********``."""
        return scrub_secrets(value, [self.params.get('oauth_token')])

    def fail_api(self, exc, operation=None, msg=None):
        """Fail with the API's error id, message and request id; never a traceback or the token."""
        if isinstance(exc, DigitalOceanError):
            error = exc
        else:
            failure = failure_from_exception(exc)
            if failure is None:
                failure = _Failure(None, detail='%s: %s' % (type(exc).__name__, exc))
            error = error_from_failure(operation or 'DigitalOcean API call', failure, 1)
        result = error.as_result()
        if operation:
            result['operation'] = operation
        message = msg + ': ' + error.message if msg else error.message
        self.fail_json(msg=self.scrub(message), **self.scrub(result))

    # -- calls --------------------------------------------------------------------------------
    def call(self, operation, fn, *args, **kwargs):
        """Run an idempotent pydo operation with retries; return its body."""
        try:
            return self.api.call(operation, fn, *args, **kwargs)
        except DigitalOceanError as exc:
            self.fail_api(exc)

    def get_or_none(self, operation, fn, *args, **kwargs):
        """Run a read; None on 404."""
        try:
            return self.api.get_or_none(operation, fn, *args, **kwargs)
        except DigitalOceanError as exc:
            self.fail_api(exc)

    def delete(self, operation, fn, *args, **kwargs):
        """Run a DELETE; True if deleted, False if it was already gone."""
        try:
            return self.api.delete(operation, fn, *args, **kwargs)
        except DigitalOceanError as exc:
            self.fail_api(exc)

    def paginate(self, operation, list_fn, key, **kwargs):
        """All items of a paginated list operation, e.g. ``paginate('list VPCs', client.vpcs.list, 'vpcs')``."""
        try:
            return self.api.paginate(operation, list_fn, key, **kwargs)
        except DigitalOceanError as exc:
            self.fail_api(exc)

    def create_with_lookup(self, operation, create_fn, *args, **kwargs):
        """Create without duplicates; see ``DigitalOceanApi.create_with_lookup`` (``lookup=``, ``key=``)."""
        try:
            return self.api.create_with_lookup(operation, create_fn, *args, **kwargs)
        except DigitalOceanError as exc:
            self.fail_api(exc)

    def find_unique(self, items, what, **attrs):
        """The one item matching ``attrs``, None if none; fails when several match."""
        found = match_items(items, **attrs)
        if len(found) > 1:
            self.fail_json(msg='Found %d %s matching %s; cannot tell which one to manage (ids: %s)' % (
                len(found), what, ', '.join('%s=%r' % kv for kv in sorted(attrs.items())),
                ', '.join(str(item.get('id')) for item in found)))
        return found[0] if found else None

    def validate_region(self, region, option='region'):
        """Fail unless ``region`` is a region slug DigitalOcean offers (one ``GET /v2/regions``)."""
        message = region_error(region, self.paginate('list regions', self.client.regions.list, 'regions'))
        if message:
            self.fail_json(msg=message if option == 'region' else '%s: %s' % (option, message))

    def missing_dependency(self, message, **result):
        """A resource this task refers to (a VPC, a cluster) does not exist.

        In check mode an earlier task of the same run may be about to create it (a provision run
        in ``--check`` against an empty account): the task then reports the change it would make
        and warns, instead of failing. A real run fails with ``message``.
        """
        if self.check_mode:
            self.warn('%s. Check mode: assuming an earlier task of this run creates it; this task would then '
                      'create its own resource.' % message)
            self.exit_json(changed=True, **result)
        self.fail_json(msg=message, **result)

    def resolve_vpc(self, value, region=None, vpcs=None):
        """The VPC whose id or name is ``value`` (in ``region`` when given); fails clearly otherwise."""
        if vpcs is None:
            vpcs = self.paginate('list VPCs', self.client.vpcs.list, 'vpcs')
        vpc, error = find_vpc(vpcs, value)
        if vpc is None:
            if '(missing)' in error:
                self.missing_dependency(error.replace(' (missing)', ''))
            self.fail_json(msg='Nothing was changed: ' + error)
        if region and vpc.get('region') != region:
            self.fail_json(msg='Nothing was changed: vpc %r is in region %s, not %s' % (value, vpc.get('region'), region))
        return vpc

    # -- waiting ------------------------------------------------------------------------------
    def wait_for(self, description, poll_fn, is_done, timeout=None, is_failed=None, describe=None, sleep=None, clock=None):
        """Poll ``poll_fn`` with capped exponential backoff (2 s doubling to 30 s) until ``is_done``.

        ``timeout`` defaults to the ``wait_timeout`` option. Fails naming ``description``, the last
        seen state and the elapsed time.
        """
        if timeout is None:
            timeout = self.params.get('wait_timeout')
        if timeout is None:
            timeout = DEFAULT_WAIT_TIMEOUT
        try:
            return wait_until(description, poll_fn, is_done, timeout, is_failed=is_failed, describe=describe,
                              sleep=sleep or self.api.sleep, clock=clock or self.api.clock)
        except DigitalOceanWaitError as exc:
            self.fail_json(msg=self.scrub(exc.message), waited_for=description, last_state=self.scrub(exc.last_state),
                           elapsed=round(exc.elapsed, 1))
