# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""do_spaces_bucket in-process against a stubbed S3 client: every call it makes is an expected one,
with the expected parameters, in the expected order (botocore's Stubber fails on anything else)."""

import botocore.session
import pytest

from botocore import xform_name
from botocore.stub import Stubber

from ansible_collections.fediops.mastodon.plugins.module_utils import spaces as spaces_utils
from ansible_collections.fediops.mastodon.plugins.modules import do_spaces_bucket

NAME = 'mastodon-media'
REGION = 'nyc3'
OWNER = 'owner-id'
SECRET = 'spaces-secret-never-shown-0123456789'
ORIGIN = 'https://mastodon.example'
MEDIA_CORS = [{'allowed_origins': [ORIGIN], 'allowed_methods': ['GET', 'HEAD'], 'allowed_headers': ['*'], 'max_age_seconds': 3000}]
API_CORS = {'CORSRules': [{'AllowedOrigins': [ORIGIN], 'AllowedMethods': ['GET', 'HEAD'], 'AllowedHeaders': ['*'], 'MaxAgeSeconds': 3000}]}
LIFECYCLE = [{'abort_incomplete_multipart_upload_days': 7}, {'id': 'expire-cache', 'prefix': 'cache/', 'expiration_days': 30}]
API_LIFECYCLE = {'Rules': [
    {'ID': 'abort-uploads-7d', 'Status': 'Enabled', 'Filter': {'Prefix': ''}, 'AbortIncompleteMultipartUpload': {'DaysAfterInitiation': 7}},
    {'ID': 'expire-cache', 'Status': 'Enabled', 'Filter': {'Prefix': 'cache/'}, 'Expiration': {'Days': 30}},
]}
PRIVATE = {'Owner': {'ID': OWNER}, 'Grants': [{'Grantee': {'Type': 'CanonicalUser', 'ID': OWNER}, 'Permission': 'FULL_CONTROL'}]}
PUBLIC = {'Owner': {'ID': OWNER}, 'Grants': PRIVATE['Grants'] + [
    {'Grantee': {'Type': 'Group', 'URI': 'http://acs.amazonaws.com/groups/global/AllUsers'}, 'Permission': 'READ'}]}
SESSION = botocore.session.get_session()  # one session: the S3 model is loaded once
WRITES = ('create_bucket', 'put_bucket_acl', 'put_bucket_cors', 'delete_bucket_cors', 'put_bucket_lifecycle_configuration',
          'delete_bucket_lifecycle', 'put_bucket_versioning', 'delete_objects', 'abort_multipart_upload', 'delete_bucket')


class S3:
    """A real boto3 S3 client whose every call is answered by a Stubber queue; records the calls made."""

    def __init__(self):
        self.client = SESSION.create_client(
            's3', region_name=REGION, endpoint_url='https://nyc3.digitaloceanspaces.com',
            aws_access_key_id='DO00UNIT', aws_secret_access_key=SECRET)
        self.stub = Stubber(self.client)
        self.calls = []
        self.client.meta.events.register('before-parameter-build.s3', self._record)
        self.stub.activate()

    def _record(self, params, model, **kwargs):
        self.calls.append(model.name)

    def ok(self, method, response=None, **expected):
        self.stub.add_response(method, response or {}, expected or None)
        return self

    def error(self, method, code, status, message='', **expected):
        self.stub.add_client_error(method, service_error_code=code, service_message=message, http_status_code=status,
                                   expected_params=expected or None, response_meta={'RequestId': 'tx000unit'})
        return self

    def missing(self):
        return self.error('head_bucket', '404', 404, Bucket=NAME)

    def existing(self, acl=None, cors=None, lifecycle=None, versioning=None, location=REGION):
        self.ok('head_bucket', Bucket=NAME).ok('get_bucket_location', {'LocationConstraint': location}, Bucket=NAME)
        self.ok('get_bucket_acl', acl or PRIVATE, Bucket=NAME)
        if cors:
            self.ok('get_bucket_cors', cors, Bucket=NAME)
        else:
            self.error('get_bucket_cors', 'NoSuchCORSConfiguration', 404, Bucket=NAME)
        if lifecycle:
            self.ok('get_bucket_lifecycle_configuration', lifecycle, Bucket=NAME)
        else:
            self.error('get_bucket_lifecycle_configuration', 'NoSuchLifecycleConfiguration', 404, Bucket=NAME)
        return self.ok('get_bucket_versioning', {'Status': versioning} if versioning else {}, Bucket=NAME)

    @property
    def writes(self):
        return [xform_name(call) for call in self.calls if xform_name(call) in WRITES]


@pytest.fixture
def s3(monkeypatch):
    for name in ('SPACES_ACCESS_KEY_ID', 'SPACES_SECRET_ACCESS_KEY', 'SPACES_ENDPOINT_URL'):
        monkeypatch.delenv(name, raising=False)
    fake = S3()
    monkeypatch.setattr(spaces_utils, 'build_s3_client', lambda *args, **kwargs: fake.client)
    yield fake
    fake.stub.assert_no_pending_responses()


@pytest.fixture
def run(harness, s3):
    def runner(check_mode=False, **args):
        args.setdefault('name', NAME)
        args.setdefault('region', REGION)
        args.setdefault('spaces_access_key_id', 'DO00UNIT')
        args.setdefault('spaces_secret_access_key', SECRET)
        return harness.run(do_spaces_bucket.main, args, check_mode=check_mode)
    return runner


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------

def test_invalid_bucket_name_fails_before_any_call(run, s3):
    result = run(name='Mastodon_Media')
    assert result['failed']
    assert "name 'Mastodon_Media' is not a valid Spaces bucket name; allowed: 3 to 63 characters" in result['msg']
    assert s3.calls == []


def test_invalid_cors_method_fails_naming_field_value_and_allowed(run, s3):
    result = run(cors=[{'allowed_origins': [ORIGIN], 'allowed_methods': ['GET', 'PATCH']}])
    assert result['failed']
    assert 'allowed_methods' in result['msg'] and 'PATCH' in result['msg'] and 'GET, HEAD, PUT, POST, DELETE' in result['msg']
    assert s3.calls == []


def test_lifecycle_rule_without_action_fails_before_any_call(run, s3):
    result = run(lifecycle=[{'prefix': 'cache/'}])
    assert result['failed'] and 'lifecycle[0] has no action' in result['msg']
    assert s3.calls == []


# ---------------------------------------------------------------------------------------------
# present
# ---------------------------------------------------------------------------------------------

def test_create_with_cors_and_lifecycle_makes_exactly_these_writes(run, s3):
    s3.missing()
    s3.ok('create_bucket', {'Location': '/' + NAME}, Bucket=NAME, ACL='private', CreateBucketConfiguration={'LocationConstraint': REGION})
    s3.ok('put_bucket_cors', Bucket=NAME, CORSConfiguration=API_CORS)
    s3.ok('put_bucket_lifecycle_configuration', Bucket=NAME, LifecycleConfiguration=API_LIFECYCLE)
    result = run(cors=MEDIA_CORS, lifecycle=LIFECYCLE)
    assert result['changed'] is True, result
    bucket = result['bucket']
    assert bucket['origin'] == 'mastodon-media.nyc3.digitaloceanspaces.com'
    assert bucket['endpoint'] == 'https://nyc3.digitaloceanspaces.com'
    assert bucket['cdn_hostname'] == 'mastodon-media.nyc3.cdn.digitaloceanspaces.com'
    assert bucket['acl'] == 'private' and bucket['versioning'] == 'disabled'
    assert [rule['id'] for rule in bucket['lifecycle']] == ['abort-uploads-7d', 'expire-cache']
    assert result['diff']['before'] == {}
    assert result['diff']['after']['cors'][0]['allowed_methods'] == ['GET', 'HEAD']


def test_rerun_makes_only_reads(run, s3):
    s3.existing(cors=API_CORS, lifecycle=API_LIFECYCLE)
    result = run(cors=MEDIA_CORS, lifecycle=LIFECYCLE)
    assert result['changed'] is False, result
    assert s3.writes == []
    assert result['diff']['before'] == result['diff']['after']


def test_rerun_with_rules_in_another_order_and_case_changes_nothing(run, s3):
    api = {'CORSRules': [{'AllowedOrigins': [ORIGIN], 'AllowedMethods': ['HEAD', 'GET'], 'AllowedHeaders': ['*'], 'MaxAgeSeconds': 3000}]}
    s3.existing(cors=api, lifecycle={'Rules': list(reversed(API_LIFECYCLE['Rules']))})
    result = run(cors=MEDIA_CORS + MEDIA_CORS, lifecycle=LIFECYCLE)
    assert result['changed'] is False
    assert s3.writes == []


def test_check_mode_create_writes_nothing_and_shows_the_bucket(run, s3):
    s3.missing()
    result = run(check_mode=True, cors=MEDIA_CORS, versioning='enabled')
    assert result['changed'] is True
    assert s3.writes == []
    assert result['diff']['after']['versioning'] == 'enabled'
    assert result['diff']['after']['cors'][0]['allowed_origins'] == [ORIGIN]


def test_check_mode_update_writes_nothing_but_shows_the_diff(run, s3):
    s3.existing(cors=API_CORS)
    result = run(check_mode=True, cors=[dict(MEDIA_CORS[0], allowed_origins=['https://new.example'])])
    assert result['changed'] is True
    assert s3.writes == []
    assert result['diff']['before']['cors'][0]['allowed_origins'] == [ORIGIN]
    assert result['diff']['after']['cors'][0]['allowed_origins'] == ['https://new.example']


def test_cors_change_puts_the_whole_new_set(run, s3):
    s3.existing(cors=API_CORS)
    new_cors = {'CORSRules': [{'AllowedOrigins': ['https://new.example'], 'AllowedMethods': ['GET', 'HEAD'], 'AllowedHeaders': ['*'],
                               'MaxAgeSeconds': 3000}]}
    s3.ok('put_bucket_cors', Bucket=NAME, CORSConfiguration=new_cors)
    result = run(cors=[dict(MEDIA_CORS[0], allowed_origins=['https://new.example'])])
    assert result['changed'] is True
    assert s3.writes == ['put_bucket_cors']


def test_empty_lists_remove_cors_and_lifecycle(run, s3):
    s3.existing(cors=API_CORS, lifecycle=API_LIFECYCLE)
    s3.ok('delete_bucket_cors', Bucket=NAME).ok('delete_bucket_lifecycle', Bucket=NAME)
    result = run(cors=[], lifecycle=[])
    assert result['changed'] is True
    assert result['bucket']['cors'] == [] and result['bucket']['lifecycle'] == []


def test_empty_lists_on_a_bucket_without_rules_change_nothing(run, s3):
    s3.existing()
    assert run(cors=[], lifecycle=[])['changed'] is False
    assert s3.writes == []


def test_omitted_settings_are_left_alone(run, s3):
    s3.existing(cors=API_CORS, lifecycle=API_LIFECYCLE, versioning='Enabled')
    result = run()
    assert result['changed'] is False
    assert s3.writes == []
    assert result['bucket']['versioning'] == 'enabled' and len(result['bucket']['cors']) == 1


def test_versioning_is_enabled_on_request(run, s3):
    s3.existing()
    s3.ok('put_bucket_versioning', Bucket=NAME, VersioningConfiguration={'Status': 'Enabled'})
    result = run(versioning='enabled')
    assert result['changed'] is True and result['bucket']['versioning'] == 'enabled'
    assert result['diff']['before']['versioning'] == 'disabled'


def test_suspending_a_never_versioned_bucket_changes_nothing(run, s3):
    s3.existing()
    assert run(versioning='suspended')['changed'] is False
    assert s3.writes == []


def test_a_public_bucket_is_made_private_again(run, s3):
    s3.existing(acl=PUBLIC)
    s3.ok('put_bucket_acl', Bucket=NAME, ACL='private')
    result = run()
    assert result['changed'] is True
    assert result['diff']['before']['acl'] == 'public-read' and result['diff']['after']['acl'] == 'private'


def test_bucket_in_another_region_fails_without_writing(run, s3):
    s3.ok('head_bucket', Bucket=NAME).ok('get_bucket_location', {'LocationConstraint': 'sfo3'}, Bucket=NAME)
    result = run(cors=MEDIA_CORS)
    assert result['failed']
    assert "Bucket 'mastodon-media' is in region sfo3, not nyc3" in result['msg']
    assert s3.writes == []


def test_bucket_of_another_account_fails_clearly(run, s3):
    s3.error('head_bucket', '403', 403, Bucket=NAME)
    result = run()
    assert result['failed']
    assert 'exists but these Spaces keys may not use it' in result['msg'] and 'HTTP 403' in result['msg']
    assert result['operation'] == 'look up bucket mastodon-media'


def test_taken_name_fails_naming_the_reason(run, s3):
    s3.missing()
    s3.error('create_bucket', 'BucketAlreadyExists', 409, 'The requested bucket name is not available.')
    result = run()
    assert result['failed']
    assert "The bucket name 'mastodon-media' is taken" in result['msg']
    assert result['error_code'] == 'BucketAlreadyExists' and result['status'] == 409 and result['request_id'] == 'tx000unit'


def test_a_create_that_meets_its_own_earlier_success_carries_on(run, s3):
    s3.missing()
    s3.error('create_bucket', 'BucketAlreadyOwnedByYou', 409)
    s3.ok('put_bucket_cors', Bucket=NAME, CORSConfiguration=API_CORS)
    result = run(cors=MEDIA_CORS)
    assert result['changed'] is True and not result.get('failed')


def test_api_errors_fail_with_operation_status_code_and_request_id_never_the_secret(run, s3):
    s3.existing()
    s3.error('put_bucket_cors', 'MalformedXML', 400, 'The XML you provided was not well-formed %s' % SECRET)
    result = run(cors=MEDIA_CORS)
    assert result['failed']
    assert result['operation'] == 'set the CORS rules of bucket mastodon-media'
    assert result['msg'].startswith('set the CORS rules of bucket mastodon-media failed: HTTP 400 MalformedXML')
    assert result['request_id'] == 'tx000unit'
    assert SECRET not in str(result)


# ---------------------------------------------------------------------------------------------
# absent
# ---------------------------------------------------------------------------------------------

def test_absent_on_a_missing_bucket_changes_nothing(run, s3):
    s3.missing()
    result = run(state='absent')
    assert result['changed'] is False and result['bucket'] == {}
    assert s3.writes == []


def empty_bucket(s3, versioned=False):
    s3.ok('list_objects_v2', {'KeyCount': 0}, Bucket=NAME, MaxKeys=1)
    if versioned:
        s3.ok('list_object_versions', {}, Bucket=NAME, MaxKeys=1)
    s3.ok('list_multipart_uploads', {}, Bucket=NAME, MaxUploads=1)


def test_absent_deletes_an_empty_bucket(run, s3):
    s3.existing()
    empty_bucket(s3)
    s3.ok('delete_bucket', Bucket=NAME)
    result = run(state='absent')
    assert result['changed'] is True and result['deleted_objects'] == 0
    assert s3.writes == ['delete_bucket']
    assert result['diff']['after'] == {}


def test_absent_refuses_a_bucket_with_objects_without_force(run, s3):
    s3.existing()
    s3.ok('list_objects_v2', {'Contents': [{'Key': 'media_attachments/1.png'}], 'KeyCount': 1}, Bucket=NAME, MaxKeys=1)
    result = run(state='absent')
    assert result['failed']
    assert "it holds object 'media_attachments/1.png'" in result['msg'] and 'force: true' in result['msg']
    assert s3.writes == []


def test_absent_refuses_a_versioned_bucket_holding_only_old_versions(run, s3):
    s3.existing(versioning='Suspended')
    s3.ok('list_objects_v2', {'KeyCount': 0}, Bucket=NAME, MaxKeys=1)
    s3.ok('list_object_versions', {'DeleteMarkers': [{'Key': 'gone.png', 'VersionId': 'v2'}]}, Bucket=NAME, MaxKeys=1)
    result = run(state='absent', check_mode=True)
    assert result['failed'] and "a delete marker of object 'gone.png'" in result['msg']


def test_check_mode_absent_writes_nothing(run, s3):
    s3.existing()
    empty_bucket(s3)
    result = run(state='absent', check_mode=True)
    assert result['changed'] is True
    assert s3.writes == []


def test_force_deletes_every_version_and_upload_then_the_bucket(run, s3):
    s3.existing(versioning='Enabled')
    s3.ok('list_objects_v2', {'Contents': [{'Key': 'a.png'}], 'KeyCount': 1}, Bucket=NAME, MaxKeys=1)
    s3.ok('list_object_versions', {'Versions': [{'Key': 'a.png', 'VersionId': 'v1'}, {'Key': 'a.png', 'VersionId': 'v2'}],
                                   'DeleteMarkers': [{'Key': 'b.png', 'VersionId': 'v3'}]}, Bucket=NAME)
    doomed = [{'Key': 'a.png', 'VersionId': 'v1'}, {'Key': 'a.png', 'VersionId': 'v2'}, {'Key': 'b.png', 'VersionId': 'v3'}]
    s3.ok('delete_objects', {}, Bucket=NAME, Delete={'Objects': doomed, 'Quiet': True})
    s3.ok('list_multipart_uploads', {'Uploads': [{'Key': 'big.mp4', 'UploadId': 'u1'}]}, Bucket=NAME)
    s3.ok('abort_multipart_upload', {}, Bucket=NAME, Key='big.mp4', UploadId='u1')
    s3.ok('delete_bucket', Bucket=NAME)
    result = run(state='absent', force=True)
    assert result['changed'] is True
    assert result['deleted_objects'] == 4
    assert s3.writes == ['delete_objects', 'abort_multipart_upload', 'delete_bucket']


def test_force_on_an_unversioned_bucket_deletes_plain_objects(run, s3):
    s3.existing()
    s3.ok('list_objects_v2', {'Contents': [{'Key': 'a.png'}], 'KeyCount': 1}, Bucket=NAME, MaxKeys=1)
    s3.ok('list_objects_v2', {'Contents': [{'Key': 'a.png'}, {'Key': 'b.png'}], 'KeyCount': 2}, Bucket=NAME)
    s3.ok('delete_objects', {}, Bucket=NAME, Delete={'Objects': [{'Key': 'a.png'}, {'Key': 'b.png'}], 'Quiet': True})
    s3.ok('list_multipart_uploads', {}, Bucket=NAME)
    s3.ok('delete_bucket', Bucket=NAME)
    result = run(state='absent', force=True)
    assert result['deleted_objects'] == 2


def test_objects_that_cannot_be_deleted_stop_before_deleting_the_bucket(run, s3):
    s3.existing()
    s3.ok('list_objects_v2', {'Contents': [{'Key': 'a.png'}], 'KeyCount': 1}, Bucket=NAME, MaxKeys=1)
    s3.ok('list_objects_v2', {'Contents': [{'Key': 'a.png'}], 'KeyCount': 1}, Bucket=NAME)
    s3.ok('delete_objects', {'Errors': [{'Key': 'a.png', 'Code': 'AccessDenied', 'Message': 'Access Denied'}]},
          Bucket=NAME, Delete={'Objects': [{'Key': 'a.png'}], 'Quiet': True})
    result = run(state='absent', force=True)
    assert result['failed'] and "e.g. 'a.png': AccessDenied Access Denied" in result['msg']
    assert 'delete_bucket' not in s3.writes
