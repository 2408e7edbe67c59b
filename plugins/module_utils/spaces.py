# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""DigitalOcean Spaces through its S3-compatible API: the one place that builds Spaces clients.

Options (doc fragment ``fediops.mastodon.spaces``), endpoint derivation, the boto3 S3 client
(signature v4, the Spaces region, virtual-host addressing on DigitalOcean's endpoints and path
addressing on any other endpoint, bounded retries, TLS always verified), the bucket rules and the
pure comparison helpers of bucket configuration (CORS and lifecycle rules, versioning, ACL).
"""

import base64
import hashlib
import json
import re
from urllib.parse import urlparse

from ansible.module_utils.basic import env_fallback

from ansible_collections.fediops.mastodon.plugins.module_utils.aws import (
    BotoCoreError,
    Boto3Module,
    client_config,
    https_url_error,
)

try:
    import botocore.session
except ImportError:
    pass  # Boto3Module.require_boto3() reports it

# The regions offering Spaces (Standard Storage), from DigitalOcean's availability matrix (March 2026).
SPACES_REGIONS = ('ams3', 'atl1', 'blr1', 'fra1', 'lon1', 'nyc3', 'sfo2', 'sfo3', 'sgp1', 'syd1', 'tor1')
SPACES_DOMAIN = 'digitaloceanspaces.com'
ACCESS_KEY_ENV = 'SPACES_ACCESS_KEY_ID'
SECRET_KEY_ENV = 'SPACES_SECRET_ACCESS_KEY'
ENDPOINT_ENV = 'SPACES_ENDPOINT_URL'

BUCKET_NAME = re.compile(r'^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$')
BUCKET_NAME_RULES = ('3 to 63 characters: lowercase letters, digits and dashes, starting and ending with a letter or digit')
CORS_METHODS = ('GET', 'HEAD', 'PUT', 'POST', 'DELETE')
VERSIONING_STATES = ('enabled', 'suspended')

# Operations whose request body S3 has always required a Content-MD5 for. botocore >= 1.36 sends a
# CRC32 checksum header instead, which S3-compatible services may not know; sending both works everywhere.
CONTENT_MD5_OPERATIONS = ('PutBucketAcl', 'PutBucketCors', 'PutBucketLifecycleConfiguration', 'PutBucketVersioning', 'DeleteObjects')


def spaces_argument_spec():
    """Options shared by every Spaces module (documented in the ``spaces`` doc fragment)."""
    return dict(
        region=dict(type='str', required=True, choices=list(SPACES_REGIONS)),
        spaces_access_key_id=dict(type='str', aliases=['access_key'], no_log=False, fallback=(env_fallback, [ACCESS_KEY_ENV])),
        spaces_secret_access_key=dict(type='str', aliases=['secret_key'], no_log=True, fallback=(env_fallback, [SECRET_KEY_ENV])),
        endpoint_url=dict(type='str', fallback=(env_fallback, [ENDPOINT_ENV])),
    )


# --------------------------------------------------------------------------------------------
# Pure helpers: names, endpoints
# --------------------------------------------------------------------------------------------

def bucket_name_error(name, option='name'):
    """None for a valid Spaces bucket name, else a message naming the option, the value and what is allowed."""
    if name and 3 <= len(name) <= 63 and BUCKET_NAME.match(name):
        return None
    return '%s %r is not a valid Spaces bucket name; allowed: %s' % (option, name, BUCKET_NAME_RULES)


def default_endpoint(region):
    """``https://<region>.digitaloceanspaces.com``, the endpoint DigitalOcean serves a region's buckets on."""
    return 'https://%s.%s' % (region, SPACES_DOMAIN)


def addressing_style(endpoint_url):
    """``virtual`` (``<bucket>.<region>.digitaloceanspaces.com``) on DigitalOcean's own endpoints,
    ``path`` on any other endpoint (an IP address, localhost or another S3-compatible service)."""
    host = (urlparse(endpoint_url).hostname or '').lower()
    return 'virtual' if host.endswith('.' + SPACES_DOMAIN) else 'path'


def origin_hostname(bucket, region):
    """``<bucket>.<region>.digitaloceanspaces.com``: the bucket's own host, the origin of a Spaces CDN endpoint."""
    return '%s.%s.%s' % (bucket, region, SPACES_DOMAIN)


def cdn_hostname(bucket, region):
    """``<bucket>.<region>.cdn.digitaloceanspaces.com``: the host of the bucket's CDN endpoint, once one exists."""
    return '%s.%s.cdn.%s' % (bucket, region, SPACES_DOMAIN)


def content_md5(request, **kwargs):
    """botocore ``before-sign`` handler: add ``Content-MD5`` to a request body that lacks one."""
    body = request.body
    if isinstance(body, str):
        body = body.encode('utf-8')
    if isinstance(body, bytes) and body and 'Content-MD5' not in request.headers:
        digest = hashlib.md5(body, usedforsecurity=False).digest()  # the protocol's checksum, not a security use
        request.headers['Content-MD5'] = base64.b64encode(digest).decode('ascii')


def build_s3_client(region, access_key, secret_key, endpoint_url):
    """A boto3 S3 client for Spaces: signature v4 scoped to the Spaces region, addressing style from the
    endpoint, standard-mode retries, checksums only where the API requires them (plus Content-MD5).

    Only the keys given are used: AWS credentials from the environment or ~/.aws never reach Spaces.
    TLS is verified; a private CA is trusted through AWS_CA_BUNDLE.
    """
    session = botocore.session.Session()
    config = client_config(
        signature_version='s3v4',
        s3={'addressing_style': addressing_style(endpoint_url)},
        request_checksum_calculation='when_required',
        response_checksum_validation='when_required',
    )
    client = session.create_client('s3', region_name=region, endpoint_url=endpoint_url, aws_access_key_id=access_key,
                                   aws_secret_access_key=secret_key, config=config)
    for operation in CONTENT_MD5_OPERATIONS:
        client.meta.events.register('before-sign.s3.%s' % operation, content_md5)
    return client


# --------------------------------------------------------------------------------------------
# Pure helpers: bucket configuration
# --------------------------------------------------------------------------------------------

def _unique_sorted(values, transform=None):
    transform = transform or (lambda v: v)
    return sorted(set(transform(v) for v in (values or []) if v is not None and v != ''))


def normalize_cors_rule(rule):
    """A CORS rule in the module's canonical form (from the options or from the API's ``CORSRules``).

    Lists are de-duplicated and sorted; methods are upper case; header names (case-insensitive in
    HTTP) are lower case except the ``*`` wildcard; ``max_age_seconds`` is None when not set.
    """
    get = rule.get

    def pick(snake, camel):
        return get(snake) if snake in rule else get(camel)

    max_age = pick('max_age_seconds', 'MaxAgeSeconds')
    return {
        'allowed_origins': _unique_sorted(pick('allowed_origins', 'AllowedOrigins')),
        'allowed_methods': _unique_sorted(pick('allowed_methods', 'AllowedMethods'), lambda m: str(m).upper()),
        'allowed_headers': _unique_sorted(pick('allowed_headers', 'AllowedHeaders'), lambda h: str(h).lower()),
        'expose_headers': _unique_sorted(pick('expose_headers', 'ExposeHeaders'), lambda h: str(h).lower()),
        'max_age_seconds': int(max_age) if max_age is not None else None,
    }


def normalize_cors(rules):
    """The set of rules in canonical form, as a sorted list without duplicates."""
    return _canonical_set(normalize_cors_rule(rule) for rule in (rules or []))


def cors_rule_errors(rules):
    """Messages for invalid CORS rules (name the rule, the field, the value and what is allowed)."""
    errors = []
    for index, rule in enumerate(rules or []):
        where = 'cors[%d]' % index
        if not rule.get('allowed_origins'):
            errors.append('%s.allowed_origins is empty; allowed: one or more origins such as https://mastodon.example' % where)
        if not rule.get('allowed_methods'):
            errors.append('%s.allowed_methods is empty; allowed: one or more of %s' % (where, ', '.join(CORS_METHODS)))
        for method in rule.get('allowed_methods') or []:
            if str(method).upper() not in CORS_METHODS:
                errors.append('%s.allowed_methods has %r; allowed: %s' % (where, method, ', '.join(CORS_METHODS)))
        for origin in rule.get('allowed_origins') or []:
            if origin.count('*') > 1:
                errors.append('%s.allowed_origins has %r; allowed: at most one * wildcard per origin' % (where, origin))
        max_age = rule.get('max_age_seconds')
        if max_age is not None and max_age < 0:
            errors.append('%s.max_age_seconds is %s; allowed: 0 or more' % (where, max_age))
    return errors


def cors_to_api(rules):
    """Canonical rules to the API's ``CORSConfiguration``."""
    api_rules = []
    for rule in rules:
        api_rule = {'AllowedOrigins': rule['allowed_origins'], 'AllowedMethods': rule['allowed_methods']}
        if rule['allowed_headers']:
            api_rule['AllowedHeaders'] = rule['allowed_headers']
        if rule['expose_headers']:
            api_rule['ExposeHeaders'] = rule['expose_headers']
        if rule['max_age_seconds'] is not None:
            api_rule['MaxAgeSeconds'] = rule['max_age_seconds']
        api_rules.append(api_rule)
    return {'CORSRules': api_rules}


LIFECYCLE_KNOWN_KEYS = frozenset(('ID', 'Status', 'Filter', 'Prefix', 'AbortIncompleteMultipartUpload', 'Expiration'))


def lifecycle_rule_id(rule):
    """The id the module gives a rule without one: readable and derived from what the rule does,
    so that re-runs compare equal (e.g. ``abort-uploads-7d``, ``cache-expire-30d``)."""
    parts = []
    prefix = re.sub(r'[^A-Za-z0-9]+', '-', rule.get('prefix') or '').strip('-')
    if prefix:
        parts.append(prefix)
    if rule.get('abort_incomplete_multipart_upload_days'):
        parts.append('abort-uploads-%dd' % rule['abort_incomplete_multipart_upload_days'])
    if rule.get('expiration_days'):
        parts.append('expire-%dd' % rule['expiration_days'])
    return '-'.join(parts)[:255]


def normalize_lifecycle_rule(rule):
    """A lifecycle rule in canonical form, from the options (snake case) or from the API.

    From the API, anything the module does not manage (transitions, tag filters, expiration by
    date, noncurrent versions, ...) is kept under ``unmanaged`` so such a rule never compares
    equal to a desired one and gets replaced.
    """
    if 'ID' in rule or 'Status' in rule:
        filt = rule.get('Filter') or {}
        prefix = filt.get('Prefix')
        if prefix is None:
            prefix = (filt.get('And') or {}).get('Prefix')
        if prefix is None:
            prefix = rule.get('Prefix')
        expiration = rule.get('Expiration') or {}
        unmanaged = dict((k, v) for k, v in rule.items() if k not in LIFECYCLE_KNOWN_KEYS)
        extra_filter = dict((k, v) for k, v in filt.items() if k != 'Prefix')
        if extra_filter:
            unmanaged['Filter'] = extra_filter
        extra_expiration = dict((k, v) for k, v in expiration.items() if k != 'Days')
        if extra_expiration:
            unmanaged['Expiration'] = extra_expiration
        normalized = {
            'id': rule.get('ID') or '',
            'prefix': prefix or '',
            'enabled': rule.get('Status') == 'Enabled',
            'abort_incomplete_multipart_upload_days': (rule.get('AbortIncompleteMultipartUpload') or {}).get('DaysAfterInitiation'),
            'expiration_days': expiration.get('Days'),
        }
        if unmanaged:
            normalized['unmanaged'] = json.loads(json.dumps(unmanaged, default=str))
        return normalized
    normalized = {
        'prefix': rule.get('prefix') or '',
        'enabled': rule.get('enabled') is not False,
        'abort_incomplete_multipart_upload_days': rule.get('abort_incomplete_multipart_upload_days'),
        'expiration_days': rule.get('expiration_days'),
    }
    normalized['id'] = rule.get('id') or lifecycle_rule_id(normalized)
    return normalized


def normalize_lifecycle(rules):
    return _canonical_set(normalize_lifecycle_rule(rule) for rule in (rules or []))


def lifecycle_rule_errors(rules):
    """Messages for invalid lifecycle rules (name the rule, the field, the value and what is allowed)."""
    errors = []
    for index, rule in enumerate(rules or []):
        where = 'lifecycle[%d]' % index
        abort = rule.get('abort_incomplete_multipart_upload_days')
        expire = rule.get('expiration_days')
        if abort is None and expire is None:
            errors.append('%s has no action; allowed: abort_incomplete_multipart_upload_days and/or expiration_days' % where)
        for field, value in (('abort_incomplete_multipart_upload_days', abort), ('expiration_days', expire)):
            if value is not None and value < 1:
                errors.append('%s.%s is %s; allowed: a whole number of days, 1 or more' % (where, field, value))
        if rule.get('id') is not None and not 1 <= len(rule['id']) <= 255:
            errors.append('%s.id %r; allowed: 1 to 255 characters' % (where, rule['id']))
        if (rule.get('prefix') or '').startswith('/'):
            errors.append('%s.prefix %r starts with /; allowed: a key prefix without the leading slash, e.g. cache/' % (where, rule['prefix']))
    if not errors:
        ids = [rule['id'] for rule in normalize_lifecycle(rules)]
        duplicates = sorted(set(i for i in ids if ids.count(i) > 1))
        if duplicates:
            errors.append('lifecycle rule ids must be unique; %s appear more than once (give the rules distinct ids)' % ', '.join(
                repr(d) for d in duplicates))
    return errors


def lifecycle_to_api(rules):
    """Canonical rules to the API's ``LifecycleConfiguration`` (prefix filters, as Spaces supports)."""
    api_rules = []
    for rule in rules:
        api_rule = {'ID': rule['id'], 'Status': 'Enabled' if rule['enabled'] else 'Disabled', 'Filter': {'Prefix': rule['prefix']}}
        if rule['abort_incomplete_multipart_upload_days']:
            api_rule['AbortIncompleteMultipartUpload'] = {'DaysAfterInitiation': rule['abort_incomplete_multipart_upload_days']}
        if rule['expiration_days']:
            api_rule['Expiration'] = {'Days': rule['expiration_days']}
        api_rules.append(api_rule)
    return {'Rules': api_rules}


def versioning_state(api_status):
    """``enabled``, ``suspended`` or ``disabled`` (never enabled) from ``GetBucketVersioning``'s Status."""
    return {'Enabled': 'enabled', 'Suspended': 'suspended'}.get(api_status or '', 'disabled')


def versioning_change(desired, current):
    """The API status to set, or None when nothing changes. A bucket never versioned already behaves
    as suspended, so ``suspended`` there is no change; versioning is never turned off silently."""
    if desired is None or desired == current or (desired == 'suspended' and current == 'disabled'):
        return None
    return {'enabled': 'Enabled', 'suspended': 'Suspended'}[desired]


ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers'


def acl_state(acl):
    """``private`` (owner only), ``public-read`` (plus everyone may read) or ``custom`` from ``GetBucketAcl``."""
    owner = (acl.get('Owner') or {}).get('ID')
    others = []
    for grant in acl.get('Grants') or []:
        grantee = grant.get('Grantee') or {}
        if grantee.get('Type') == 'CanonicalUser' and grantee.get('ID') == owner and grant.get('Permission') == 'FULL_CONTROL':
            continue
        others.append((grantee.get('URI') or grantee.get('ID'), grant.get('Permission')))
    if not others:
        return 'private'
    if others == [(ALL_USERS, 'READ')]:
        return 'public-read'
    return 'custom'


def _canonical_set(items):
    unique = {}
    for item in items:
        unique[json.dumps(item, sort_keys=True)] = item
    return [unique[key] for key in sorted(unique)]


# --------------------------------------------------------------------------------------------
# The module base
# --------------------------------------------------------------------------------------------

class SpacesModule(Boto3Module):
    """``AnsibleModule`` with the Spaces options and a lazily built S3 client (``self.s3``)."""

    secret_options = ('spaces_secret_access_key',)

    def __init__(self, argument_spec=None, **kwargs):
        kwargs['required_together'] = list(kwargs.get('required_together') or []) + [['spaces_access_key_id', 'spaces_secret_access_key']]
        super(SpacesModule, self).__init__(argument_spec=argument_spec, base_spec=spaces_argument_spec(), **kwargs)
        self._s3 = None
        problem = https_url_error(self.endpoint_url, 'endpoint_url')
        if problem:
            self.fail_json(msg=problem)

    @property
    def endpoint_url(self):
        """The endpoint_url option, else the region's DigitalOcean endpoint."""
        return (self.params.get('endpoint_url') or default_endpoint(self.params['region'])).rstrip('/')

    def missing_credentials_hint(self):
        return ('set spaces_access_key_id and spaces_secret_access_key (aliases access_key, secret_key), or the '
                'environment variables %s and %s' % (ACCESS_KEY_ENV, SECRET_KEY_ENV))

    @property
    def s3(self):
        if self._s3 is None:
            self.require_boto3()
            if not (self.params.get('spaces_access_key_id') and self.params.get('spaces_secret_access_key')):
                self.fail_json(msg='No Spaces access key: %s' % self.missing_credentials_hint())
            try:
                self._s3 = build_s3_client(self.params['region'], self.params['spaces_access_key_id'],
                                           self.params['spaces_secret_access_key'], self.endpoint_url)
            except BotoCoreError as exc:
                self.fail_aws(exc, 'create the Spaces client')
        return self._s3
