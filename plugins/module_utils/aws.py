# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared boto3 plumbing for the fediops.mastodon modules that call AWS (SES) or S3-compatible APIs (Spaces).

One implementation each of: the guarded boto3 import, the botocore client configuration (bounded
retries in botocore's ``standard`` mode, timeouts, user agent), error mapping (``ClientError`` and
``BotoCoreError`` become ``fail_json`` with the operation, HTTP status, error code, message and
request id; never a traceback or a key) and the AWS authentication options.

TLS verification is never turned off: botocore verifies certificates and honours ``AWS_CA_BUNDLE``
(and the ``ca_bundle`` of the AWS config file) for a private CA.

``Boto3Module`` is the ``AnsibleModule`` both the Spaces base (``spaces.SpacesModule``) and
``AwsModule`` build on: ``call``, ``get_or_none`` and ``fail_aws`` fail the module themselves.
"""

import re
import traceback
from urllib.parse import urlparse

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.ansible_release import __version__ as ANSIBLE_CORE_VERSION

from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import scrub_secrets

BOTO3_IMPORT_ERROR = None
try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
    HAS_BOTO3 = True
except ImportError:
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = traceback.format_exc()

    class BotoCoreError(Exception):
        """Stands in for botocore's exception when boto3 is missing (never raised)."""

    class ClientError(Exception):
        """Stands in for botocore's exception when boto3 is missing (never raised)."""

    class NoCredentialsError(BotoCoreError):
        """Stands in for botocore's exception when boto3 is missing (never raised)."""


DEFAULT_MAX_ATTEMPTS = 5
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
USER_AGENT_EXTRA = 'fediops.mastodon (ansible-core/%s)' % ANSIBLE_CORE_VERSION
AWS_REGION_ENV_VARS = ('AWS_REGION', 'AWS_DEFAULT_REGION')
AWS_REGION_PATTERN = re.compile(r'^[a-z]{2}(-[a-z]+)+-\d{1,2}$')


# --------------------------------------------------------------------------------------------
# Pure helpers
# --------------------------------------------------------------------------------------------

def https_url_error(url, option):
    """None when ``url`` is an ``https://`` URL with a host, else a message naming the option and value."""
    parsed = urlparse(url or '')
    if parsed.scheme.lower() != 'https' or not parsed.hostname:
        return ('%s must be an https:// URL with a host name (got %r): keys are only ever used over TLS, '
                'and TLS certificates are always verified' % (option, url))
    return None


def aws_region_error(region, option='region'):
    """None when ``region`` looks like an AWS region code (``us-east-1``), else a message."""
    if region and AWS_REGION_PATTERN.match(region):
        return None
    return '%s %r is not an AWS region code; expected one like us-east-1 or eu-west-1' % (option, region)


def error_info(exc):
    """``dict(status, error_code, error_message, request_id)`` for a boto3 exception.

    ``ClientError`` carries the service's answer; any other exception (connection, TLS,
    credentials, a response botocore could not parse) only its message.
    """
    if isinstance(exc, ClientError) and hasattr(exc, 'response'):
        response = exc.response or {}
        error = response.get('Error') or {}
        meta = response.get('ResponseMetadata') or {}
        headers = meta.get('HTTPHeaders') or {}
        status = meta.get('HTTPStatusCode')
        code = error.get('Code')
        if status is None and code and code.isdigit():
            status = int(code)
        return dict(
            status=status,
            error_code=code,
            error_message=error.get('Message') or None,
            request_id=meta.get('RequestId') or headers.get('x-amz-request-id') or headers.get('x-amzn-requestid') or None,
        )
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return dict(status=None, error_code=type(exc).__name__, error_message=message, request_id=None)


def format_error(operation, info):
    """One readable sentence for a failed call (``info`` from ``error_info``)."""
    if info.get('status') is None:
        message = '%s failed: %s' % (operation, info.get('error_message') or info.get('error_code') or 'no response')
    else:
        message = '%s failed: HTTP %s' % (operation, info['status'])
        if info.get('error_code') and info['error_code'] != str(info['status']):
            message += ' %s' % info['error_code']
        if info.get('error_message'):
            message += ': %s' % info['error_message']
    if info.get('request_id'):
        message += ' (request_id %s)' % info['request_id']
    return message


def error_code(exc):
    """The service's error code of a ``ClientError`` (``'NoSuchBucket'``, ``'404'``), else None."""
    if isinstance(exc, ClientError) and hasattr(exc, 'response'):
        return ((exc.response or {}).get('Error') or {}).get('Code')
    return None


def client_config(max_attempts=DEFAULT_MAX_ATTEMPTS, **extra):
    """The botocore ``Config`` of every client: standard-mode retries (throttling, 5xx and connection
    errors, with jittered backoff) bounded by ``max_attempts``, timeouts, our user agent."""
    return Config(
        retries={'mode': 'standard', 'total_max_attempts': max_attempts},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        user_agent_extra=USER_AGENT_EXTRA,
        **extra
    )


# --------------------------------------------------------------------------------------------
# The module bases
# --------------------------------------------------------------------------------------------

class Boto3Module(AnsibleModule):
    """``AnsibleModule`` with boto3 error handling. ``secret_options`` name the options scrubbed
    from every failure message (no_log already masks them; this also covers a value echoed back
    inside an API error)."""

    secret_options = ()

    def __init__(self, argument_spec=None, base_spec=None, **kwargs):
        spec = dict(base_spec or {})
        spec.update(argument_spec or {})
        super(Boto3Module, self).__init__(argument_spec=spec, **kwargs)

    def require_boto3(self):
        if not HAS_BOTO3:
            self.fail_json(msg=missing_required_lib('boto3'), exception=BOTO3_IMPORT_ERROR)

    def scrub(self, value):
        return scrub_secrets(value, [self.params.get(name) for name in self.secret_options])

    def fail_aws(self, exc, operation, msg=None):
        """Fail with the operation, HTTP status, error code, message and request id; no traceback."""
        info = error_info(exc)
        message = format_error(operation, info)
        if isinstance(exc, NoCredentialsError):
            message += '; %s' % self.missing_credentials_hint()
        if msg:
            message = '%s: %s' % (msg, message)
        self.fail_json(msg=self.scrub(message), operation=operation, **self.scrub(info))

    def missing_credentials_hint(self):
        return 'no credentials were found'

    def call(self, operation, fn, **kwargs):
        """Run one API call (botocore retries it); fail the module if it fails for good."""
        try:
            return fn(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            self.fail_aws(exc, operation)

    def get_or_none(self, operation, fn, missing, **kwargs):
        """Run a read; None when the service answers with one of the error codes in ``missing``."""
        try:
            return fn(**kwargs)
        except ClientError as exc:
            if error_code(exc) in missing:
                return None
            self.fail_aws(exc, operation)
        except BotoCoreError as exc:
            self.fail_aws(exc, operation)


def aws_argument_spec(service_env=None):
    """AWS authentication and region options (the names and aliases amazon.aws modules use).

    Credentials not given as options come from botocore's own chain (``AWS_ACCESS_KEY_ID``,
    ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_PROFILE``, the shared files, roles).
    ``service_env`` (e.g. ``'SES'``) puts ``AWS_ENDPOINT_URL_<service_env>`` before ``AWS_ENDPOINT_URL``,
    the order botocore itself uses.
    """
    endpoint_env = (['AWS_ENDPOINT_URL_%s' % service_env] if service_env else []) + ['AWS_ENDPOINT_URL']
    return dict(
        region=dict(type='str', aliases=['aws_region'], fallback=(env_fallback, list(AWS_REGION_ENV_VARS))),
        access_key=dict(type='str', aliases=['aws_access_key_id', 'aws_access_key'], no_log=False),
        secret_key=dict(type='str', aliases=['aws_secret_access_key', 'aws_secret_key'], no_log=True),
        session_token=dict(type='str', aliases=['aws_session_token'], no_log=True),
        profile=dict(type='str', aliases=['aws_profile']),
        endpoint_url=dict(type='str', aliases=['aws_endpoint_url'], fallback=(env_fallback, endpoint_env)),
    )


AWS_MUTUALLY_EXCLUSIVE = [['profile', 'access_key'], ['profile', 'secret_key'], ['profile', 'session_token']]
AWS_REQUIRED_TOGETHER = [['access_key', 'secret_key']]


class AwsModule(Boto3Module):
    """A module calling one AWS service: ``AwsModule(service='ses', argument_spec=..., supports_check_mode=True)``.

    ``self.client`` is built on first use; ``self.region`` is the resolved region.
    """

    secret_options = ('secret_key', 'session_token')

    def __init__(self, service, argument_spec=None, service_env=None, **kwargs):
        kwargs['mutually_exclusive'] = list(kwargs.get('mutually_exclusive') or []) + AWS_MUTUALLY_EXCLUSIVE
        kwargs['required_together'] = list(kwargs.get('required_together') or []) + AWS_REQUIRED_TOGETHER
        super(AwsModule, self).__init__(argument_spec=argument_spec, base_spec=aws_argument_spec(service_env), **kwargs)
        self.service = service
        self._session = None
        self._client = None
        if self.params['endpoint_url']:
            problem = https_url_error(self.params['endpoint_url'], 'endpoint_url')
            if problem:
                self.fail_json(msg=problem)

    def missing_credentials_hint(self):
        return ('set access_key and secret_key (or profile), or the environment variables AWS_ACCESS_KEY_ID and '
                'AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)')

    @property
    def session(self):
        if self._session is None:
            self.require_boto3()
            try:
                self._session = boto3.session.Session(
                    aws_access_key_id=self.params['access_key'],
                    aws_secret_access_key=self.params['secret_key'],
                    aws_session_token=self.params['session_token'],
                    profile_name=self.params['profile'],
                )
            except BotoCoreError as exc:
                self.fail_aws(exc, 'load the AWS configuration')
        return self._session

    @property
    def region(self):
        """The region option, else the profile's region; fails when there is none or it is malformed."""
        region = self.params['region'] or self.session.region_name
        if not region:
            self.fail_json(msg='No AWS region: set the region option (alias aws_region), or AWS_REGION or AWS_DEFAULT_REGION')
        problem = aws_region_error(region)
        if problem:
            self.fail_json(msg=problem)
        return region

    @property
    def client(self):
        if self._client is None:
            region = self.region
            try:
                self._client = self.session.client(self.service, region_name=region, endpoint_url=self.params['endpoint_url'],
                                                   config=client_config())
            except BotoCoreError as exc:
                self.fail_aws(exc, 'create the %s client' % self.service)
        return self._client
