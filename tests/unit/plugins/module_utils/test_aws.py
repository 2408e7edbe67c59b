# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from ansible_collections.fediops.mastodon.plugins.module_utils.aws import (
    AwsModule,
    aws_region_error,
    client_config,
    error_code,
    error_info,
    format_error,
    https_url_error,
)


def client_error(code, message, status, operation='GetBucketCors', request_id='req-1', headers=None):
    return ClientError({'Error': {'Code': code, 'Message': message},
                        'ResponseMetadata': {'HTTPStatusCode': status, 'RequestId': request_id, 'HTTPHeaders': headers or {}}}, operation)


def test_client_error_keeps_status_code_message_and_request_id():
    info = error_info(client_error('AccessDenied', 'Access Denied', 403))
    assert info == {'status': 403, 'error_code': 'AccessDenied', 'error_message': 'Access Denied', 'request_id': 'req-1'}


def test_request_id_falls_back_to_the_s3_header():
    exc = client_error('NoSuchBucket', 'gone', 404, request_id='', headers={'x-amz-request-id': 'tx00000abc'})
    assert error_info(exc)['request_id'] == 'tx00000abc'


def test_head_errors_without_a_body_get_their_status_from_the_code():
    exc = ClientError({'Error': {'Code': '404', 'Message': 'Not Found'}}, 'HeadBucket')
    assert error_info(exc)['status'] == 404
    assert error_code(exc) == '404'


def test_connection_errors_have_no_status_but_a_readable_message():
    info = error_info(EndpointConnectionError(endpoint_url='https://nyc3.digitaloceanspaces.com/media'))
    assert info['status'] is None and info['error_code'] == 'EndpointConnectionError'
    message = format_error('create bucket media', info)
    assert message.startswith('create bucket media failed: Could not connect to the endpoint URL')


def test_formatted_error_names_operation_status_code_message_and_request_id():
    message = format_error('set the CORS rules of bucket media', error_info(client_error('MalformedXML', 'bad rules', 400)))
    assert message == 'set the CORS rules of bucket media failed: HTTP 400 MalformedXML: bad rules (request_id req-1)'


def test_error_code_of_other_exceptions_is_none():
    assert error_code(ValueError('x')) is None


@pytest.mark.parametrize('url', ['http://127.0.0.1:9000', 'nyc3.digitaloceanspaces.com', '', None, 'https://'])
def test_non_https_endpoints_are_refused_naming_the_option(url):
    message = https_url_error(url, 'endpoint_url')
    assert message.startswith('endpoint_url must be an https:// URL') and repr(url) in message


def test_https_endpoints_are_accepted():
    assert https_url_error('https://127.0.0.1:8443', 'endpoint_url') is None


@pytest.mark.parametrize('region, ok', [('us-east-1', True), ('eu-central-2', True), ('us-gov-east-1', True), ('nyc3', False),
                                        ('US-EAST-1', False), ('', False), (None, False)])
def test_aws_region_codes(region, ok):
    assert (aws_region_error(region) is None) is ok


def test_client_config_uses_bounded_standard_retries():
    config = client_config(max_attempts=4)
    assert config.retries == {'mode': 'standard', 'total_max_attempts': 4}
    assert config.connect_timeout and config.read_timeout
    assert 'fediops.mastodon' in config.user_agent_extra


# ---------------------------------------------------------------------------------------------
# AwsModule
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def aws_env(monkeypatch):
    for name in ('AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_SES', 'AWS_PROFILE',
                 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('AWS_CONFIG_FILE', '/nonexistent/aws-config')
    monkeypatch.setenv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials')
    return monkeypatch


def build(harness, args):
    return harness.build(AwsModule, args, service='ses', service_env='SES', argument_spec={})


def test_region_comes_from_aws_region_then_aws_default_region(harness, aws_env):
    aws_env.setenv('AWS_DEFAULT_REGION', 'eu-west-1')
    assert build(harness, {}).region == 'eu-west-1'
    aws_env.setenv('AWS_REGION', 'eu-central-1')
    assert build(harness, {}).region == 'eu-central-1'
    assert build(harness, {'aws_region': 'us-west-2'}).region == 'us-west-2'


def test_missing_region_fails_naming_the_option_and_variables(harness, aws_env):
    module = build(harness, {})
    failure = harness.failure(lambda: module.region)
    assert 'region' in failure['msg'] and 'AWS_REGION' in failure['msg'] and 'AWS_DEFAULT_REGION' in failure['msg']


def test_service_endpoint_variable_wins_over_the_general_one(harness, aws_env):
    aws_env.setenv('AWS_ENDPOINT_URL', 'https://general.example')
    assert build(harness, {}).params['endpoint_url'] == 'https://general.example'
    aws_env.setenv('AWS_ENDPOINT_URL_SES', 'https://ses.example')
    assert build(harness, {}).params['endpoint_url'] == 'https://ses.example'


def test_plain_http_endpoint_is_refused(harness, aws_env):
    failure = harness.failure(build, harness, {'endpoint_url': 'http://127.0.0.1:5000', 'region': 'us-east-1'})
    assert 'endpoint_url must be an https:// URL' in failure['msg']


def test_profile_and_keys_are_mutually_exclusive(harness, aws_env):
    failure = harness.failure(build, harness, {'profile': 'prod', 'access_key': 'AKIA1', 'secret_key': 's'})
    assert 'mutually exclusive' in failure['msg']


def test_access_key_needs_the_secret_key(harness, aws_env):
    failure = harness.failure(build, harness, {'access_key': 'AKIA1'})
    assert 'access_key' in failure['msg'] and 'secret_key' in failure['msg']


def test_client_gets_region_endpoint_and_retry_config(harness, aws_env):
    module = build(harness, {'region': 'eu-west-1', 'access_key': 'AKIA1', 'secret_key': 'secret', 'endpoint_url': 'https://ses.example'})
    client = module.client
    assert client.meta.region_name == 'eu-west-1'
    assert client.meta.endpoint_url == 'https://ses.example'
    assert client.meta.config.retries['mode'] == 'standard'


def test_missing_credentials_fail_with_a_hint_and_no_traceback(harness, aws_env):
    module = build(harness, {'region': 'eu-west-1'})
    failure = harness.failure(module.fail_aws, NoCredentialsError(), 'get the verification attributes of example.org')
    assert failure['msg'].startswith('get the verification attributes of example.org failed: Unable to locate credentials')
    assert 'AWS_ACCESS_KEY_ID' in failure['msg']
    assert failure['operation'] == 'get the verification attributes of example.org'
    assert 'exception' not in failure


def test_failures_never_contain_the_secret_key(harness, aws_env):
    secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
    module = build(harness, {'region': 'eu-west-1', 'access_key': 'AKIA1', 'secret_key': secret})
    failure = harness.failure(module.fail_aws, client_error('InvalidParameterValue', 'bad value %s' % secret, 400), 'x')
    assert secret not in str(failure)


def test_get_or_none_maps_the_named_codes_to_none_and_fails_on_others(harness, aws_env):
    module = build(harness, {'region': 'eu-west-1'})

    def missing(**kwargs):
        raise client_error('NoSuchCORSConfiguration', 'none', 404)

    def denied(**kwargs):
        raise client_error('AccessDenied', 'no', 403)

    assert module.get_or_none('get cors', missing, ('NoSuchCORSConfiguration',), Bucket='b') is None
    failure = harness.failure(module.get_or_none, 'get cors', denied, ('NoSuchCORSConfiguration',), Bucket='b')
    assert failure['status'] == 403 and failure['error_code'] == 'AccessDenied'
