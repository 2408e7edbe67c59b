# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_spaces_bucket through ansible-playbook against the sandbox's AWS stand-in (moto S3)."""
# The pytest fixtures imported from fixtures_aws are test arguments of the same name.
# pylint: disable=redefined-outer-name

from __future__ import annotations

from tests.integration.fixtures_aws import aws_emulator, spaces_client, writes  # noqa: F401  pylint: disable=unused-import

NAME = 'mastodon-media'
REGION = 'nyc3'
WEB = 'https://mastodon.example'
CORS = [{'allowed_origins': [WEB], 'allowed_methods': ['GET', 'HEAD'], 'allowed_headers': ['*'], 'max_age_seconds': 3000}]
LIFECYCLE = [{'abort_incomplete_multipart_upload_days': 7}, {'id': 'expire-cache', 'prefix': 'cache/', 'expiration_days': 30}]


def bucket_task(name='bucket', **overrides):
    args = {'name': NAME, 'region': REGION, 'cors': CORS, 'lifecycle': LIFECYCLE}
    args.update(overrides)
    args = {key: value for key, value in args.items() if value is not None}
    return {'name': name, 'fediops.mastodon.do_spaces_bucket': args, 'register': 'out'}


def buckets(emulator):
    return {bucket['name']: bucket for bucket in emulator.state()['s3_buckets']}


def test_lifecycle_create_rerun_check_update_version_refuse_force_delete(aws_emulator, playbook, spaces_client):
    created = playbook.run([bucket_task()])
    assert created.rc == 0, created.stdout
    result = created.task('bucket')
    assert result['changed'] is True
    assert result['bucket']['origin'] == 'mastodon-media.nyc3.digitaloceanspaces.com'
    assert result['bucket']['region'] == REGION and result['bucket']['acl'] == 'private'
    state = buckets(aws_emulator)[NAME]
    assert state['region'] == REGION
    assert [(rule['allowed_origins'], sorted(rule['allowed_methods'])) for rule in state['cors']] == [([WEB], ['GET', 'HEAD'])]
    s3 = spaces_client(REGION)
    rules = s3.get_bucket_lifecycle_configuration(Bucket=NAME)['Rules']
    assert sorted(rule['ID'] for rule in rules) == ['abort-uploads-7d', 'expire-cache']

    aws_emulator.clear_requests()
    rerun = playbook.run([bucket_task()])
    assert rerun.rc == 0 and rerun.changed == 0, rerun.stdout
    assert writes(aws_emulator) == []
    assert aws_emulator.requests(), 'the re-run must have read the bucket'

    aws_emulator.clear_requests()
    new_cors = [dict(CORS[0], allowed_origins=[WEB, 'https://www.mastodon.example'])]
    checked = playbook.run([bucket_task(cors=new_cors)], check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    result = checked.task('bucket')
    assert result['changed'] is True
    assert result['diff']['before']['cors'][0]['allowed_origins'] == [WEB]
    assert result['diff']['after']['cors'][0]['allowed_origins'] == [WEB, 'https://www.mastodon.example']
    assert writes(aws_emulator) == []
    assert buckets(aws_emulator)[NAME]['cors'][0]['allowed_origins'] == [WEB]

    aws_emulator.clear_requests()
    updated = playbook.run([bucket_task(cors=new_cors)])
    assert updated.rc == 0 and updated.task('bucket')['changed'] is True, updated.stdout
    assert [(entry['method'], entry['query']) for entry in writes(aws_emulator)] == [('PUT', 'cors')]
    assert sorted(buckets(aws_emulator)[NAME]['cors'][0]['allowed_origins']) == sorted(new_cors[0]['allowed_origins'])

    versioned = playbook.run([bucket_task(cors=None, lifecycle=None, versioning='enabled')])
    assert versioned.rc == 0 and versioned.task('bucket')['bucket']['versioning'] == 'enabled', versioned.stdout
    assert s3.get_bucket_versioning(Bucket=NAME)['Status'] == 'Enabled'
    assert len(versioned.task('bucket')['bucket']['cors']) == 1, 'omitted cors must be left alone'

    s3.put_object(Bucket=NAME, Key='media_attachments/files/1/original/a.png', Body=b'not really a png')
    s3.put_object(Bucket=NAME, Key='media_attachments/files/1/original/a.png', Body=b'a second version')
    aws_emulator.clear_requests()
    refused = playbook.run([bucket_task(state='absent', cors=None, lifecycle=None)])
    assert refused.rc != 0
    message = refused.task('bucket')['msg']
    assert 'not empty' in message and 'media_attachments/files/1/original/a.png' in message and 'force: true' in message
    assert writes(aws_emulator) == []
    assert NAME in buckets(aws_emulator)

    forced = playbook.run([bucket_task(state='absent', cors=None, lifecycle=None, force=True)])
    assert forced.rc == 0, forced.stdout
    assert forced.task('bucket')['changed'] is True
    assert forced.task('bucket')['deleted_objects'] == 2
    assert NAME not in buckets(aws_emulator)

    aws_emulator.clear_requests()
    again = playbook.run([bucket_task(state='absent', cors=None, lifecycle=None)])
    assert again.rc == 0 and again.changed == 0, again.stdout
    assert writes(aws_emulator) == []


def test_check_mode_create_makes_no_write(aws_emulator, playbook):
    run = playbook.run([bucket_task()], check=True, diff=True)
    assert run.rc == 0, run.stdout
    assert run.task('bucket')['changed'] is True
    assert run.task('bucket')['diff']['after']['lifecycle'][0]['id'] == 'abort-uploads-7d'
    assert writes(aws_emulator) == []
    assert NAME not in buckets(aws_emulator)


def test_empty_cors_list_removes_the_rules(aws_emulator, playbook):
    assert playbook.run([bucket_task()]).rc == 0
    run = playbook.run([bucket_task(cors=[])])
    assert run.rc == 0 and run.task('bucket')['changed'] is True, run.stdout
    assert buckets(aws_emulator)[NAME]['cors'] == []
    aws_emulator.clear_requests()
    assert playbook.run([bucket_task(cors=[])]).changed == 0
    assert writes(aws_emulator) == []


def test_keys_given_as_options_without_any_environment(aws_emulator, playbook, sandbox):
    task = bucket_task(access_key=sandbox.env['SPACES_ACCESS_KEY_ID'], secret_key=sandbox.env['SPACES_SECRET_ACCESS_KEY'],
                       endpoint_url=sandbox.env['SPACES_ENDPOINT_URL'])
    run = playbook.run([task], env={'SPACES_ACCESS_KEY_ID': None, 'SPACES_SECRET_ACCESS_KEY': None, 'SPACES_ENDPOINT_URL': None,
                                    'AWS_ACCESS_KEY_ID': None, 'AWS_SECRET_ACCESS_KEY': None})
    assert run.rc == 0, run.stdout
    assert NAME in buckets(aws_emulator)
    signed_with = {entry['region'] for entry in aws_emulator.requests()}
    assert signed_with == {REGION}


def test_missing_keys_fail_naming_options_and_variables(aws_emulator, playbook):
    run = playbook.run([bucket_task()], env={'SPACES_ACCESS_KEY_ID': None, 'SPACES_SECRET_ACCESS_KEY': None})
    assert run.rc != 0
    message = run.task('bucket')['msg']
    assert 'spaces_access_key_id' in message and 'SPACES_ACCESS_KEY_ID' in message
    assert aws_emulator.requests() == []


def test_secret_key_never_appears_in_verbose_output(aws_emulator, playbook, sandbox):
    secret = sandbox.env['SPACES_SECRET_ACCESS_KEY']
    task = bucket_task(secret_key=secret)
    run = playbook.run([task, dict(task, name='again'), bucket_task(name='bad', cors=[{'allowed_origins': [WEB], 'allowed_methods': ['GET'],
                                                                                      'max_age_seconds': -5}])],
                       text=True, verbosity=4, diff=True)
    assert 'max_age_seconds is -5' in run.stdout
    assert secret not in run.stdout + run.stderr
    assert NAME in buckets(aws_emulator)


def test_invalid_name_fails_before_any_request(aws_emulator, playbook):
    run = playbook.run([bucket_task(name='bucket') | {'fediops.mastodon.do_spaces_bucket': {'name': 'Media_Bucket', 'region': REGION}}])
    assert run.rc != 0
    message = run.task('bucket')['msg']
    assert "'Media_Bucket'" in message and 'allowed: 3 to 63 characters' in message
    assert aws_emulator.requests() == []


def test_bucket_in_another_region_is_left_alone(aws_emulator, playbook, spaces_client):
    spaces_client('sfo3').create_bucket(Bucket=NAME, CreateBucketConfiguration={'LocationConstraint': 'sfo3'})
    aws_emulator.clear_requests()
    run = playbook.run([bucket_task()])
    assert run.rc != 0
    assert 'is in region sfo3, not nyc3' in run.task('bucket')['msg']
    assert writes(aws_emulator) == []
    assert buckets(aws_emulator)[NAME]['cors'] == []


def test_plain_http_endpoint_is_refused(aws_emulator, playbook):
    run = playbook.run([bucket_task(endpoint_url='http://127.0.0.1:9')])
    assert run.rc != 0
    assert 'endpoint_url must be an https:// URL' in run.task('bucket')['msg']
    assert aws_emulator.requests() == []
