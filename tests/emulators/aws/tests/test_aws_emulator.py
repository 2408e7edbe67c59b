# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS stand-in answers boto3 over HTTPS for S3 (Spaces) and SES, and logs writes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import boto3
import pytest
import requests
import trustme
from botocore.config import Config

from tests.emulators.aws.control import AwsEmulatorControl
from tests.emulators.aws.server import AwsEmulatorServer, classify

CORS = {'CORSRules': [{'AllowedMethods': ['GET', 'HEAD'], 'AllowedOrigins': ['https://social.example'], 'MaxAgeSeconds': 3000}]}


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    directory = tmp_path_factory.mktemp('aws-tls')
    authority = trustme.CA()
    cert = authority.issue_cert('127.0.0.1', 'localhost')
    certfile, keyfile, cafile = directory / 'server.pem', directory / 'server-key.pem', directory / 'ca.pem'
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    authority.cert_pem.write_to_path(str(cafile))
    with AwsEmulatorServer(certfile=str(certfile), keyfile=str(keyfile)) as running:
        running.ca_bundle = str(cafile)
        yield running


@pytest.fixture
def control(server):
    ctl = AwsEmulatorControl(server.url, server.ca_bundle)
    ctl.reset()
    return ctl


def client(server, service, region='us-east-1'):
    return boto3.client(service, region_name=region, endpoint_url=server.url, verify=server.ca_bundle,
                        aws_access_key_id='sandbox', aws_secret_access_key='sandbox-secret',
                        config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))


def test_bucket_with_cors_is_created_and_read_back(server, control):
    s3 = client(server, 's3', 'nyc3')
    s3.create_bucket(Bucket='mastodon-media', CreateBucketConfiguration={'LocationConstraint': 'nyc3'})
    s3.put_bucket_cors(Bucket='mastodon-media', CORSConfiguration=CORS)
    rules = s3.get_bucket_cors(Bucket='mastodon-media')['CORSRules']
    assert rules[0]['AllowedMethods'] == ['GET', 'HEAD']
    assert rules[0]['AllowedOrigins'] == ['https://social.example']
    assert [bucket['name'] for bucket in control.state()['s3_buckets']] == ['mastodon-media']


def test_request_log_marks_s3_writes_and_reads(server, control):
    s3 = client(server, 's3')
    s3.create_bucket(Bucket='logged')
    control.clear_requests()
    s3.list_buckets()
    s3.get_bucket_location(Bucket='logged')
    assert control.writes() == []
    s3.put_object(Bucket='logged', Key='a.txt', Body=b'x')
    writes = control.writes()
    assert [(entry['method'], entry['service']) for entry in writes] == [('PUT', 's3')]


def test_ses_v1_gives_dkim_tokens_and_mail_from(server, control):
    ses = client(server, 'ses', 'eu-west-1')
    ses.verify_domain_identity(Domain='social.example')
    tokens = ses.verify_domain_dkim(Domain='social.example')['DkimTokens']
    assert len(tokens) == 3
    ses.set_identity_mail_from_domain(Identity='social.example', MailFromDomain='mail.social.example', BehaviorOnMXFailure='UseDefaultValue')
    attributes = ses.get_identity_mail_from_domain_attributes(Identities=['social.example'])['MailFromDomainAttributes']
    assert attributes['social.example']['MailFromDomain'] == 'mail.social.example'
    control.clear_requests()
    ses.get_identity_verification_attributes(Identities=['social.example'])
    entries = control.requests()
    assert [(entry['service'], entry['action'], entry['write']) for entry in entries] == [('ses', 'GetIdentityVerificationAttributes', False)]
    assert {'region': 'eu-west-1', 'identity': 'social.example'} in control.state()['ses_identities']


def test_reset_forgets_buckets_and_log(server, control):
    client(server, 's3').create_bucket(Bucket='ephemeral')
    control.reset()
    assert control.state()['s3_buckets'] == []
    assert control.requests() == []


def test_plain_https_without_the_sandbox_ca_is_refused(server):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.url + '/_emulator/state', timeout=10, verify=True)


def test_only_loopback_is_allowed(tmp_path):
    with pytest.raises(ValueError, match='127.0.0.1'):
        AwsEmulatorServer(host='0.0.0.0', certfile='x', keyfile='y')


@pytest.mark.parametrize('method, action, expected', [
    ('POST', 'SendRawEmail', True), ('POST', 'VerifyDomainDkim', True), ('POST', 'GetIdentityDkimAttributes', False),
    ('POST', 'ListIdentities', False), ('GET', None, False), ('HEAD', None, False), ('DELETE', None, True),
])
def test_classify_tells_writes_from_reads(method, action, expected):
    form = {'Action': [action]} if action else {}
    assert classify(method, {}, {}, form)[3] is expected


def test_cli_writes_the_ready_file_answers_and_stops_on_sigterm(tmp_path):
    directory = tmp_path / 'tls'
    directory.mkdir()
    authority = trustme.CA()
    cert = authority.issue_cert('127.0.0.1')
    cert.private_key_and_cert_chain_pem.write_to_path(str(directory / 'server.pem'))
    cert.private_key_pem.write_to_path(str(directory / 'key.pem'))
    authority.cert_pem.write_to_path(str(directory / 'ca.pem'))
    ready = tmp_path / 'ready.json'
    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    proc = subprocess.Popen([sys.executable, '-m', 'tests.emulators.aws', '--port', '0', '--certfile', str(directory / 'server.pem'),
                             '--keyfile', str(directory / 'key.pem'), '--ready-file', str(ready)], cwd=repo_root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        assert info['pid'] == proc.pid
        assert requests.get(info['url'] + '/_emulator/state', verify=str(directory / 'ca.pem'), timeout=10).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_iam_user_with_keys_and_policy_can_be_deleted_the_way_amazon_aws_does(server, control):
    """amazon.aws.iam_user state=absent lists service-specific credentials, which moto lacks: the stand-in answers."""
    iam = client(server, 'iam')
    iam.create_user(UserName='ses-smtp-sandbox')
    key = iam.create_access_key(UserName='ses-smtp-sandbox')['AccessKey']['AccessKeyId']
    assert iam.list_service_specific_credentials(UserName='ses-smtp-sandbox')['ServiceSpecificCredentials'] == []
    iam.delete_access_key(UserName='ses-smtp-sandbox', AccessKeyId=key)
    iam.delete_user(UserName='ses-smtp-sandbox')
    assert 'ses-smtp-sandbox' not in [user['UserName'] for user in iam.list_users()['Users']]
    listed = [entry for entry in control.requests() if entry['action'] == 'ListServiceSpecificCredentials']
    assert listed and listed[-1]['status'] == 200 and not listed[-1]['write']
