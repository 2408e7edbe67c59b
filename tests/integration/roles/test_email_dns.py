# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The email_dns role through ansible-playbook against the sandbox: DNS on the DigitalOcean emulator, SES and IAM on moto."""
# The pytest fixtures imported from fixtures_aws are test arguments of the same name.
# pylint: disable=redefined-outer-name

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os

import boto3
import pytest

from tests.integration.fixtures_aws import aws_emulator  # noqa: F401  pylint: disable=unused-import
from tests.tools.check_recap import parse_recap
from tests.integration.standins import DigitalOceanApi

ZONE = 'example.social'
REGION = 'eu-west-1'
USER = 'ses-smtp-example-social'
FOREIGN_SPF = 'v=spf1 include:_spf.example.net ~all'
VERIFICATION = 'google-site-verification=abc123'
DMARC = 'v=DMARC1; p=reject; rua=mailto:dmarc@example.social; adkim=s; pct=100'


def ses_smtp_password(secret, region):
    """AWS's documented derivation, written out here so the role's output is checked against the secret IAM returned."""
    key = ('AWS4' + secret).encode()
    for message in ('11111111', region, 'ses', 'aws4_request', 'SendRawEmail'):
        key = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.b64encode(b'\x04' + key).decode()


class Zone(DigitalOceanApi):
    """The instance's zone on the emulator, for records the role must find already there."""

    def add(self, zone=ZONE, **record):
        return self.add_record(zone, **record)


@pytest.fixture
def zone(do_emulator, aws_emulator, sandbox, playbook):
    """The zone created with do_domain, a foreign SPF record and a site verification in it, empty request logs."""
    config = do_emulator.config()
    do_emulator.configure(rate_limit_per_minute=5000, rate_limit_per_hour=50000)
    run = playbook.run([{'name': 'zone', 'fediops.mastodon.do_domain': {'name': ZONE}}])
    assert run.rc == 0, run.stdout
    api = Zone(sandbox)
    api.add(type='TXT', name='@', data=FOREIGN_SPF, ttl=3600)
    api.add(type='TXT', name='@', data=VERIFICATION, ttl=300)
    do_emulator.clear_requests()
    aws_emulator.clear_requests()
    yield api
    do_emulator.configure(rate_limit_per_minute=config['rate_limit_per_minute'], rate_limit_per_hour=config['rate_limit_per_hour'])
    api.close()


@pytest.fixture
def iam(sandbox):
    env = sandbox.env
    return boto3.session.Session().client('iam', region_name=REGION, endpoint_url=sandbox.aws_url, verify=sandbox.ca_bundle,
                                          aws_access_key_id=env['AWS_ACCESS_KEY_ID'], aws_secret_access_key=env['AWS_SECRET_ACCESS_KEY'])


def role(**variables):
    base = {'email_dns_domain': ZONE, 'email_dns_ses_region': REGION, 'email_dns_dmarc_policy': 'reject',
            'email_dns_dmarc_rua': 'mailto:dmarc@example.social', 'email_dns_dmarc_extra': {'pct': 100, 'adkim': 's'}}
    base.update(variables)
    return {'name': 'email_dns', 'ansible.builtin.include_role': {'name': 'fediops.mastodon.email_dns'}, 'vars': base}


def save_outputs(path):
    """A no_log task writing the role's output (and, for the test only, the new key's secret) to a file."""
    content = ('{{ {"smtp": email_dns_smtp, "key_created": email_dns_smtp_key_created, '
               '"secret": (email_dns__new_key | default({})).secret_access_key | default("")} | to_json }}')
    return {'name': 'save', 'ansible.builtin.copy': {'content': content, 'dest': path, 'mode': '0600'},
            'no_log': True, 'check_mode': False, 'changed_when': False}


def converge(playbook, tmp_path, name='out', **kwargs):
    """Run the role and return (run, outputs)."""
    path = os.path.join(str(tmp_path), name + '.json')
    variables = kwargs.pop('variables', {})
    run = playbook.run([role(**variables), save_outputs(path)], **kwargs)
    outputs = None
    if os.path.exists(path):
        with open(path, encoding='utf-8') as handle:
            outputs = json.load(handle)
    return run, outputs


def records(emulator, zone_name=ZONE):
    return next(domain for domain in emulator.state()['domains'] if domain['name'] == zone_name)['records']


def data_of(emulator, name, record_type):
    return sorted(r['data'].strip('"') for r in records(emulator) if r['name'] == name and r['type'] == record_type)


def ses_tokens(client, domain=ZONE):
    return sorted(client.get_identity_dkim_attributes(Identities=[domain])['DkimAttributes'][domain]['DkimTokens'])


def recap(run):
    return parse_recap(run.stdout)['localhost']


def failure(run):
    return ' | '.join(str(task.result.get('msg')) for task in run.tasks if task.failed) or run.stdout[-3000:]


@pytest.fixture
def aws(sandbox):
    env = sandbox.env
    return boto3.session.Session(aws_access_key_id=env['AWS_ACCESS_KEY_ID'], aws_secret_access_key=env['AWS_SECRET_ACCESS_KEY'])


def aws_client(aws, sandbox, service):
    return aws.client(service, region_name=REGION, endpoint_url=sandbox.aws_url, verify=sandbox.ca_bundle)


@pytest.mark.usefixtures('zone')
def test_converge_publishes_every_record_keeps_one_spf_creates_least_privilege_credentials_and_rerun_writes_nothing(
        do_emulator, aws_emulator, sandbox, iam, aws, playbook, tmp_path):
    run, out = converge(playbook, tmp_path, verbosity=4, text=True)
    assert run.rc == 0, run.stdout[-5000:]
    secret = out['secret']
    smtp = out['smtp']
    assert secret and out['key_created'] is True

    # SMTP settings: exactly the mastodon role's mastodon_smtp keys, password derived from the new key for the region.
    keys = iam.list_access_keys(UserName=USER)['AccessKeyMetadata']
    assert [key['AccessKeyId'] for key in keys] == [smtp['login']]
    assert smtp == {'server': 'email-smtp.eu-west-1.amazonaws.com', 'port': 587, 'login': keys[0]['AccessKeyId'],
                    'password': ses_smtp_password(secret, REGION), 'from_address': 'no-reply@example.social',
                    'auth_method': 'plain', 'enable_starttls': 'always'}
    assert base64.b64decode(smtp['password'])[0] == 4
    # Neither the SMTP password nor the IAM secret shows up, even at -vvvv.
    for value in (smtp['password'], secret):
        assert value not in run.stdout and value not in run.stderr

    # The IAM user may send raw mail and nothing else.
    assert iam.list_user_policies(UserName=USER)['PolicyNames'] == ['ses-send-raw-email']
    assert iam.list_attached_user_policies(UserName=USER)['AttachedPolicies'] == []
    assert iam.list_groups_for_user(UserName=USER)['Groups'] == []
    document = iam.get_user_policy(UserName=USER, PolicyName='ses-send-raw-email')['PolicyDocument']
    document = json.loads(document) if isinstance(document, str) else document
    statements = document['Statement']
    assert [(s['Effect'], s['Action'], s['Resource']) for s in statements] == [('Allow', 'ses:SendRawEmail', '*')]

    # DNS: DKIM CNAMEs of SES's tokens, MAIL FROM MX + SPF, one apex SPF with both includes, the verification kept, DMARC.
    tokens = ses_tokens(aws_client(aws, sandbox, 'ses'))
    assert len(tokens) == 3
    for token in tokens:
        assert data_of(do_emulator, '%s._domainkey' % token, 'CNAME') == ['%s.dkim.amazonses.com' % token]
    mx = [r for r in records(do_emulator) if r['name'] == 'bounces' and r['type'] == 'MX']
    assert [(r['data'].rstrip('.'), r['priority']) for r in mx] == [('feedback-smtp.eu-west-1.amazonses.com', 10)]
    assert data_of(do_emulator, 'bounces', 'TXT') == ['v=spf1 include:amazonses.com ~all']
    apex = data_of(do_emulator, '@', 'TXT')
    assert [value for value in apex if value.startswith('v=spf1')] == ['v=spf1 include:_spf.example.net include:amazonses.com ~all']
    assert VERIFICATION in apex and len(apex) == 2
    kept = [r for r in records(do_emulator) if r['name'] == '@' and r['type'] == 'TXT' and r['data'].strip('"') == VERIFICATION]
    assert kept[0]['ttl'] == 300
    assert data_of(do_emulator, '_dmarc', 'TXT') == [DMARC]

    # Re-run with the stored credentials: nothing changes, no write anywhere, no new key, the same SMTP settings.
    do_emulator.clear_requests()
    aws_emulator.clear_requests()
    stored = {'login': smtp['login'], 'password': smtp['password']}
    again, out2 = converge(playbook, tmp_path, name='again', verbosity=4, text=True, variables={'email_dns_stored_smtp': stored})
    assert again.rc == 0, again.stdout[-5000:]
    assert recap(again)['changed'] == 0, again.stdout[-5000:]
    assert do_emulator.writes() == []
    assert aws_emulator.writes() == []
    assert out2['smtp'] == smtp and out2['key_created'] is False
    assert [key['AccessKeyId'] for key in iam.list_access_keys(UserName=USER)['AccessKeyMetadata']] == [smtp['login']]
    assert smtp['password'] not in again.stdout and smtp['password'] not in again.stderr


@pytest.mark.usefixtures('zone')
def test_unknown_stored_login_creates_a_key_and_a_third_key_fails_naming_the_prune_option(do_emulator, aws_emulator, iam, playbook, tmp_path):
    first, out = converge(playbook, tmp_path, name='first')
    assert first.rc == 0, failure(first)
    stale = {'login': 'AKIAOLDOLDOLDOLDOLD0', 'password': 'not-the-password'}

    second, out2 = converge(playbook, tmp_path, name='second', variables={'email_dns_stored_smtp': stale})
    assert second.rc == 0, failure(second)
    assert out2['key_created'] is True and out2['smtp']['login'] != out['smtp']['login']
    assert len(iam.list_access_keys(UserName=USER)['AccessKeyMetadata']) == 2

    aws_emulator.clear_requests()
    do_emulator.clear_requests()
    third = converge(playbook, tmp_path, name='third', variables={'email_dns_stored_smtp': stale})[0]
    assert third.rc != 0
    message = failure(third)
    assert 'email_dns_prune_stale_keys' in message and 'already has 2 access keys' in message
    assert aws_emulator.writes() == [] and do_emulator.writes() == []

    stored = {'login': out2['smtp']['login'], 'password': out2['smtp']['password']}
    pruned, out4 = converge(playbook, tmp_path, name='pruned', variables={'email_dns_stored_smtp': stored, 'email_dns_prune_stale_keys': True})
    assert pruned.rc == 0, failure(pruned)
    assert out4['key_created'] is False and out4['smtp'] == out2['smtp']
    assert [key['AccessKeyId'] for key in iam.list_access_keys(UserName=USER)['AccessKeyMetadata']] == [out2['smtp']['login']]


@pytest.mark.usefixtures('zone')
def test_check_mode_on_a_fresh_zone_writes_nothing(do_emulator, aws_emulator, playbook, tmp_path):
    run, out = converge(playbook, tmp_path, check=True)
    assert run.rc == 0, failure(run)
    assert do_emulator.writes() == []
    assert aws_emulator.writes() == []
    assert out['smtp']['login'] == '' and out['smtp']['password'] == ''
    assert data_of(do_emulator, '@', 'TXT') == sorted([FOREIGN_SPF, VERIFICATION])


@pytest.mark.parametrize('variables, fragments', [
    ({'email_dns_dmarc_policy': 'block'}, ['email_dns_dmarc_policy', 'block', 'none', 'quarantine', 'reject']),
    ({'email_dns_dmarc_rua': 'dmarc@example.social'}, ['email_dns_dmarc_rua', 'dmarc@example.social', 'mailto:']),
    ({'email_dns_ses_region': 'europe'}, ['email_dns_ses_region', 'europe', 'allowed: an AWS region']),
    ({'email_dns_dmarc_extra': {'pct': 150}}, ['email_dns_dmarc_extra.pct', '150', 'from 0 to 100']),
])
@pytest.mark.usefixtures('zone')
def test_bad_input_fails_before_any_write_naming_field_value_and_what_is_allowed(do_emulator, aws_emulator, playbook, tmp_path, variables, fragments):
    run = converge(playbook, tmp_path, variables=variables)[0]
    assert run.rc != 0
    message = failure(run)
    for fragment in fragments:
        assert fragment in message, message
    assert do_emulator.writes() == []
    assert aws_emulator.writes() == []


def test_a_second_spf_record_or_redirect_fails_before_any_write(zone, do_emulator, aws_emulator, playbook, tmp_path):
    zone.add(type='TXT', name='@', data='v=spf1 mx -all', ttl=3600)
    do_emulator.clear_requests()
    run = converge(playbook, tmp_path)[0]
    assert run.rc != 0
    message = failure(run)
    assert '2 SPF records' in message and FOREIGN_SPF in message and 'v=spf1 mx -all' in message
    assert do_emulator.writes() == []
    assert aws_emulator.writes() == []


@pytest.mark.usefixtures('zone')
def test_domain_below_the_zone_apex_gets_its_records_at_its_own_names(do_emulator, playbook, tmp_path, zone):
    zone.add(type='TXT', name='mail', data='v=spf1 include:_spf.mail.example ~all', ttl=3600)
    run = converge(playbook, tmp_path, variables={'email_dns_domain': 'mail.' + ZONE, 'email_dns_dns_zone': ZONE,
                                                  'email_dns_iam_user_name': 'ses-smtp-mail'})[0]
    assert run.rc == 0, failure(run)
    # The subdomain's own SPF record gets the include merged in: still exactly one SPF record there.
    assert data_of(do_emulator, 'mail', 'TXT') == ['v=spf1 include:_spf.mail.example include:amazonses.com ~all']
    assert data_of(do_emulator, 'bounces.mail', 'TXT') == ['v=spf1 include:amazonses.com ~all']
    assert data_of(do_emulator, '_dmarc.mail', 'TXT') == [DMARC]
    assert len([r for r in records(do_emulator) if r['type'] == 'CNAME' and r['name'].endswith('._domainkey.mail')]) == 3
    # The apex of the zone is not the domain: its SPF record is left alone.
    assert data_of(do_emulator, '@', 'TXT') == sorted([FOREIGN_SPF, VERIFICATION])
