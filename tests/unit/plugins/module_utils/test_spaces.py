# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import base64
import hashlib

import pytest

from botocore.awsrequest import AWSRequest, AWSResponse

from ansible_collections.fediops.mastodon.plugins.module_utils.diff import is_different
from ansible_collections.fediops.mastodon.plugins.module_utils.spaces import (
    SPACES_REGIONS,
    SpacesModule,
    acl_state,
    addressing_style,
    bucket_name_error,
    build_s3_client,
    cdn_hostname,
    content_md5,
    cors_rule_errors,
    cors_to_api,
    default_endpoint,
    lifecycle_rule_errors,
    lifecycle_to_api,
    normalize_cors,
    normalize_lifecycle,
    origin_hostname,
    versioning_change,
    versioning_state,
)

OWNER = 'a1b2c3'


# ---------------------------------------------------------------------------------------------
# names and endpoints
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('name', ['abc', 'mastodon-media', 'a' * 63, '0backups9', 'x-1-y'])
def test_valid_bucket_names(name):
    assert bucket_name_error(name) is None


@pytest.mark.parametrize('name', ['ab', 'a' * 64, 'Media', 'media_files', 'media.example', '-media', 'media-', 'méd1a', '', None])
def test_invalid_bucket_name_message_names_field_value_and_allowed(name):
    message = bucket_name_error(name)
    assert message.startswith('name %r is not a valid Spaces bucket name' % (name,))
    assert 'allowed: 3 to 63 characters' in message and 'lowercase letters, digits and dashes' in message


def test_bucket_name_message_names_the_option_it_validates():
    assert bucket_name_error('X', option='origin_bucket').startswith("origin_bucket 'X'")


def test_default_endpoint_is_the_regional_spaces_endpoint():
    assert default_endpoint('nyc3') == 'https://nyc3.digitaloceanspaces.com'
    assert default_endpoint('sfo3') == 'https://sfo3.digitaloceanspaces.com'


def test_regions_are_the_spaces_regions():
    assert {'nyc3', 'sfo3', 'ams3', 'fra1', 'sgp1', 'syd1', 'blr1', 'atl1', 'lon1', 'tor1', 'sfo2'} == set(SPACES_REGIONS)
    assert 'nyc1' not in SPACES_REGIONS


@pytest.mark.parametrize('endpoint, style', [
    ('https://nyc3.digitaloceanspaces.com', 'virtual'),
    ('https://NYC3.DigitalOceanSpaces.com/', 'virtual'),
    ('https://127.0.0.1:8443', 'path'),
    ('https://localhost:9000', 'path'),
    ('https://minio.internal.example', 'path'),
    ('https://digitaloceanspaces.com.evil.example', 'path'),
])
def test_addressing_style_is_virtual_only_on_digitaloceans_endpoints(endpoint, style):
    assert addressing_style(endpoint) == style


def test_origin_and_cdn_host_names():
    assert origin_hostname('mastodon-media', 'nyc3') == 'mastodon-media.nyc3.digitaloceanspaces.com'
    assert cdn_hostname('mastodon-media', 'nyc3') == 'mastodon-media.nyc3.cdn.digitaloceanspaces.com'


def test_s3_client_for_a_region_uses_sigv4_virtual_hosts_and_bounded_retries():
    client = build_s3_client('nyc3', 'DO00KEY', 'secret', default_endpoint('nyc3'))
    assert client.meta.region_name == 'nyc3'
    assert client.meta.endpoint_url == 'https://nyc3.digitaloceanspaces.com'
    assert client.meta.config.signature_version == 's3v4'
    assert client.meta.config.s3['addressing_style'] == 'virtual'
    assert client.meta.config.retries == {'mode': 'standard', 'total_max_attempts': 5}
    assert client.meta.config.request_checksum_calculation == 'when_required'


def test_s3_client_on_an_overridden_endpoint_uses_path_addressing():
    client = build_s3_client('sfo3', 'DO00KEY', 'secret', 'https://127.0.0.1:8443')
    assert client.meta.config.s3['addressing_style'] == 'path'
    assert client.meta.endpoint_url == 'https://127.0.0.1:8443'


def test_s3_client_ignores_aws_credentials_from_the_environment(monkeypatch):
    monkeypatch.setenv('AWS_ACCESS_KEY_ID', 'AKIAAWSKEY')
    monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', 'aws-secret')
    client = build_s3_client('nyc3', 'DO00SPACESKEY', 'spaces-secret', default_endpoint('nyc3'))
    assert client._request_signer._credentials.access_key == 'DO00SPACESKEY'  # pylint: disable=protected-access


class _Raw:
    def stream(self, **kwargs):
        yield b''


def sent_request(client, event):
    """Capture the request a client would send for ``event`` (answered with an empty 200, nothing leaves)."""
    captured = []

    def capture(request, **kwargs):
        captured.append(request)
        return AWSResponse(request.url, 200, {}, _Raw())

    client.meta.events.register('before-send.s3.%s' % event, capture)
    return captured


def test_requests_go_to_the_bucket_host_signed_for_the_spaces_region_with_content_md5():
    client = build_s3_client('nyc3', 'DO00KEY', 'secret', default_endpoint('nyc3'))
    captured = sent_request(client, 'PutBucketCors')
    client.put_bucket_cors(Bucket='mastodon-media', CORSConfiguration=cors_to_api(normalize_cors([MEDIA_RULE])))
    request = captured[0]
    assert request.url == 'https://mastodon-media.nyc3.digitaloceanspaces.com/?cors'
    assert '/nyc3/s3/aws4_request' in request.headers['Authorization'].decode()
    assert request.headers['Content-MD5'].decode() == base64.b64encode(hashlib.md5(request.body).digest()).decode()


def test_requests_to_an_overridden_endpoint_put_the_bucket_in_the_path():
    client = build_s3_client('sfo3', 'DO00KEY', 'secret', 'https://127.0.0.1:8443')
    captured = sent_request(client, 'DeleteBucketCors')
    client.delete_bucket_cors(Bucket='mastodon-backups')
    assert captured[0].url == 'https://127.0.0.1:8443/mastodon-backups?cors'
    assert '/sfo3/s3/aws4_request' in captured[0].headers['Authorization'].decode()


def test_content_md5_is_added_to_request_bodies():
    body = b'<CORSConfiguration/>'
    request = AWSRequest(method='PUT', url='https://nyc3.digitaloceanspaces.com/media?cors', data=body)
    content_md5(request)
    assert request.headers['Content-MD5'] == base64.b64encode(hashlib.md5(body).digest()).decode()


def test_content_md5_keeps_a_given_header_and_skips_empty_bodies():
    request = AWSRequest(method='PUT', url='https://x/', data=b'abc', headers={'Content-MD5': 'given'})
    content_md5(request)
    assert request.headers['Content-MD5'] == 'given'
    empty = AWSRequest(method='PUT', url='https://x/', data=b'')
    content_md5(empty)
    assert 'Content-MD5' not in empty.headers


# ---------------------------------------------------------------------------------------------
# CORS
# ---------------------------------------------------------------------------------------------

MEDIA_RULE = {'allowed_origins': ['https://mastodon.example'], 'allowed_methods': ['GET', 'HEAD'], 'allowed_headers': ['*'],
              'expose_headers': None, 'max_age_seconds': 3000}


def test_cors_rule_from_options_and_from_the_api_normalise_alike():
    api = {'AllowedOrigins': ['https://mastodon.example'], 'AllowedMethods': ['HEAD', 'GET'], 'AllowedHeaders': ['*'], 'MaxAgeSeconds': 3000}
    assert normalize_cors([MEDIA_RULE]) == normalize_cors([api])
    assert normalize_cors([MEDIA_RULE]) == [{'allowed_origins': ['https://mastodon.example'], 'allowed_methods': ['GET', 'HEAD'],
                                             'allowed_headers': ['*'], 'expose_headers': [], 'max_age_seconds': 3000}]


def test_cors_rules_compare_as_a_set():
    other = {'allowed_origins': ['*'], 'allowed_methods': ['GET'], 'allowed_headers': None, 'expose_headers': None, 'max_age_seconds': None}
    assert not is_different(normalize_cors([MEDIA_RULE, other]), normalize_cors([other, MEDIA_RULE, dict(MEDIA_RULE)]), unordered=True)


def test_cors_header_names_compare_case_insensitively_and_lists_ignore_order_and_duplicates():
    a = dict(MEDIA_RULE, allowed_headers=['Authorization', 'Content-Type'], expose_headers=['ETag'])
    b = dict(MEDIA_RULE, allowed_headers=['content-type', 'authorization', 'Content-Type'], expose_headers=['etag'],
             allowed_methods=['HEAD', 'GET', 'GET'])
    assert normalize_cors([a]) == normalize_cors([b])


@pytest.mark.parametrize('change', [
    {'allowed_origins': ['https://other.example']},
    {'allowed_methods': ['GET']},
    {'max_age_seconds': 60},
    {'max_age_seconds': None},
    {'expose_headers': ['ETag']},
])
def test_any_change_of_a_cors_rule_is_a_difference(change):
    assert is_different(normalize_cors([dict(MEDIA_RULE, **change)]), normalize_cors([MEDIA_RULE]), unordered=True)


def test_cors_to_api_omits_empty_fields():
    rules = normalize_cors([dict(MEDIA_RULE, allowed_headers=None, max_age_seconds=None)])
    assert cors_to_api(rules) == {'CORSRules': [{'AllowedOrigins': ['https://mastodon.example'], 'AllowedMethods': ['GET', 'HEAD']}]}


def test_cors_validation_names_rule_field_value_and_allowed():
    errors = cors_rule_errors([MEDIA_RULE, {'allowed_origins': ['https://*.a.*'], 'allowed_methods': ['PATCH'], 'max_age_seconds': -1}])
    assert "cors[1].allowed_methods has 'PATCH'; allowed: GET, HEAD, PUT, POST, DELETE" in errors
    assert any(e.startswith("cors[1].allowed_origins has 'https://*.a.*'") for e in errors)
    assert 'cors[1].max_age_seconds is -1; allowed: 0 or more' in errors
    assert not any(e.startswith('cors[0]') for e in errors)


def test_empty_cors_lists_are_refused():
    errors = cors_rule_errors([{'allowed_origins': [], 'allowed_methods': []}])
    assert any('cors[0].allowed_origins is empty' in e for e in errors)
    assert any('cors[0].allowed_methods is empty' in e for e in errors)


# ---------------------------------------------------------------------------------------------
# lifecycle
# ---------------------------------------------------------------------------------------------

ABORT = {'id': None, 'prefix': '', 'enabled': True, 'abort_incomplete_multipart_upload_days': 7, 'expiration_days': None}
EXPIRE = {'id': 'expire-cache', 'prefix': 'cache/', 'enabled': True, 'abort_incomplete_multipart_upload_days': None, 'expiration_days': 30}


def test_rules_without_id_get_a_readable_id_derived_from_what_they_do():
    rules = normalize_lifecycle([ABORT, dict(EXPIRE, id=None), dict(EXPIRE, id=None, abort_incomplete_multipart_upload_days=2)])
    assert sorted(rule['id'] for rule in rules) == ['abort-uploads-7d', 'cache-abort-uploads-2d-expire-30d', 'cache-expire-30d']


def test_lifecycle_round_trips_through_the_api_format():
    desired = normalize_lifecycle([ABORT, EXPIRE])
    assert normalize_lifecycle(lifecycle_to_api(desired)['Rules']) == desired


def test_lifecycle_api_format_uses_prefix_filters():
    api = lifecycle_to_api(normalize_lifecycle([EXPIRE]))
    assert api == {'Rules': [{'ID': 'expire-cache', 'Status': 'Enabled', 'Filter': {'Prefix': 'cache/'}, 'Expiration': {'Days': 30}}]}


def test_legacy_prefix_and_and_filters_read_as_the_same_prefix():
    legacy = {'ID': 'expire-cache', 'Status': 'Enabled', 'Prefix': 'cache/', 'Expiration': {'Days': 30}}
    assert normalize_lifecycle([legacy]) == normalize_lifecycle([EXPIRE])


def test_lifecycle_rules_compare_as_a_set():
    assert not is_different(normalize_lifecycle([ABORT, EXPIRE]), normalize_lifecycle(lifecycle_to_api(normalize_lifecycle([EXPIRE, ABORT]))['Rules']),
                            unordered=True)


def test_a_rule_with_unmanaged_features_never_matches_a_desired_rule():
    api_rule = {'ID': 'expire-cache', 'Status': 'Enabled', 'Filter': {'Prefix': 'cache/'}, 'Expiration': {'Days': 30},
                'NoncurrentVersionExpiration': {'NoncurrentDays': 5}}
    current = normalize_lifecycle([api_rule])
    assert current[0]['unmanaged'] == {'NoncurrentVersionExpiration': {'NoncurrentDays': 5}}
    assert is_different(normalize_lifecycle([EXPIRE]), current, unordered=True)


def test_disabled_rules_differ_from_enabled_ones():
    assert is_different(normalize_lifecycle([dict(EXPIRE, enabled=False)]), normalize_lifecycle([EXPIRE]), unordered=True)
    assert lifecycle_to_api(normalize_lifecycle([dict(EXPIRE, enabled=False)]))['Rules'][0]['Status'] == 'Disabled'


def test_lifecycle_validation_names_rule_field_value_and_allowed():
    errors = lifecycle_rule_errors([{'id': None, 'prefix': '', 'enabled': True, 'abort_incomplete_multipart_upload_days': None,
                                     'expiration_days': None},
                                    dict(EXPIRE, expiration_days=0),
                                    dict(ABORT, prefix='/cache/')])
    assert errors[0] == 'lifecycle[0] has no action; allowed: abort_incomplete_multipart_upload_days and/or expiration_days'
    assert 'lifecycle[1].expiration_days is 0; allowed: a whole number of days, 1 or more' in errors
    assert any(e.startswith("lifecycle[2].prefix '/cache/' starts with /") for e in errors)


def test_duplicate_lifecycle_ids_are_refused():
    errors = lifecycle_rule_errors([dict(EXPIRE, id='same'), dict(ABORT, id='same')])
    assert errors == ["lifecycle rule ids must be unique; 'same' appear more than once (give the rules distinct ids)"]


# ---------------------------------------------------------------------------------------------
# versioning and ACL
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('api, state', [(None, 'disabled'), ('', 'disabled'), ('Enabled', 'enabled'), ('Suspended', 'suspended')])
def test_versioning_state(api, state):
    assert versioning_state(api) == state


@pytest.mark.parametrize('desired, current, status', [
    (None, 'enabled', None),
    (None, 'disabled', None),
    ('enabled', 'disabled', 'Enabled'),
    ('enabled', 'suspended', 'Enabled'),
    ('enabled', 'enabled', None),
    ('suspended', 'enabled', 'Suspended'),
    ('suspended', 'suspended', None),
    ('suspended', 'disabled', None),
])
def test_versioning_changes_only_when_asked_and_never_turns_off_silently(desired, current, status):
    assert versioning_change(desired, current) == status


def _acl(*grants):
    owner = {'Grantee': {'Type': 'CanonicalUser', 'ID': OWNER}, 'Permission': 'FULL_CONTROL'}
    return {'Owner': {'ID': OWNER}, 'Grants': [owner] + list(grants)}


def test_acl_states():
    everyone = {'Grantee': {'Type': 'Group', 'URI': 'http://acs.amazonaws.com/groups/global/AllUsers'}, 'Permission': 'READ'}
    writers = {'Grantee': {'Type': 'Group', 'URI': 'http://acs.amazonaws.com/groups/global/AllUsers'}, 'Permission': 'WRITE'}
    assert acl_state(_acl()) == 'private'
    assert acl_state(_acl(everyone)) == 'public-read'
    assert acl_state(_acl(everyone, writers)) == 'custom'
    assert acl_state(_acl({'Grantee': {'Type': 'CanonicalUser', 'ID': 'someone-else'}, 'Permission': 'READ'})) == 'custom'


# ---------------------------------------------------------------------------------------------
# SpacesModule
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def spaces_env(monkeypatch):
    for name in ('SPACES_ACCESS_KEY_ID', 'SPACES_SECRET_ACCESS_KEY', 'SPACES_ENDPOINT_URL'):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_keys_and_endpoint_come_from_the_spaces_environment_variables(harness, spaces_env):
    spaces_env.setenv('SPACES_ACCESS_KEY_ID', 'DO00ENV')
    spaces_env.setenv('SPACES_SECRET_ACCESS_KEY', 'env-secret')
    spaces_env.setenv('SPACES_ENDPOINT_URL', 'https://127.0.0.1:8443/')
    module = harness.build(SpacesModule, {'region': 'nyc3'}, argument_spec={})
    assert module.params['spaces_access_key_id'] == 'DO00ENV'
    assert module.params['spaces_secret_access_key'] == 'env-secret'
    assert module.endpoint_url == 'https://127.0.0.1:8443'
    assert module.s3.meta.config.s3['addressing_style'] == 'path'


def test_endpoint_defaults_to_the_region(harness, spaces_env):
    module = harness.build(SpacesModule, {'region': 'sfo3', 'access_key': 'DO00A', 'secret_key': 'b'}, argument_spec={})
    assert module.endpoint_url == 'https://sfo3.digitaloceanspaces.com'


def test_unknown_region_fails_listing_the_spaces_regions(harness, spaces_env):
    failure = harness.failure(harness.build, SpacesModule, {'region': 'nyc1'}, argument_spec={})
    assert 'region' in failure['msg'] and 'nyc3' in failure['msg'] and 'nyc1' in failure['msg']


def test_plain_http_endpoint_is_refused(harness, spaces_env):
    failure = harness.failure(harness.build, SpacesModule, {'region': 'nyc3', 'endpoint_url': 'http://127.0.0.1:9000'}, argument_spec={})
    assert failure['msg'].startswith("endpoint_url must be an https:// URL with a host name (got 'http://127.0.0.1:9000')")


def test_missing_keys_fail_naming_options_and_variables(harness, spaces_env):
    module = harness.build(SpacesModule, {'region': 'nyc3'}, argument_spec={})
    failure = harness.failure(lambda: module.s3)
    assert 'spaces_access_key_id' in failure['msg'] and 'SPACES_SECRET_ACCESS_KEY' in failure['msg']


def test_a_key_id_without_its_secret_is_refused(harness, spaces_env):
    failure = harness.failure(harness.build, SpacesModule, {'region': 'nyc3', 'access_key': 'DO00A'}, argument_spec={})
    assert 'spaces_access_key_id' in failure['msg'] and 'spaces_secret_access_key' in failure['msg']
