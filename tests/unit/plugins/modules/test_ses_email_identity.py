# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ses_email_identity: the pure parts (validation, DNS records) and the module in-process against a
stubbed SES v1 client (botocore's Stubber fails on any call not queued, or with other parameters)."""

import botocore.session
import pytest

from botocore import xform_name
from botocore.stub import Stubber

from ansible_collections.fediops.mastodon.plugins.module_utils.aws import AwsModule
from ansible_collections.fediops.mastodon.plugins.module_utils.dns import parse_records
from ansible_collections.fediops.mastodon.plugins.modules import ses_email_identity as ses_module
from ansible_collections.fediops.mastodon.plugins.modules.ses_email_identity import (
    dkim_domain,
    dns_records,
    domain_error,
    plan,
    relative_name,
    validate_params,
)

DOMAIN = 'mastodon.example'
MAIL_FROM = 'bounces.mastodon.example'
REGION = 'eu-west-1'
TOKENS = ['tokenaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'tokenbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'tokenccccccccccccccccccccccccccc']
SECRET = 'aws-secret-never-shown-0123456789'
SESSION = botocore.session.get_session()
WRITES = ('verify_domain_identity', 'verify_domain_dkim', 'set_identity_dkim_enabled', 'set_identity_mail_from_domain', 'delete_identity')


# ---------------------------------------------------------------------------------------------
# pure: validation
# ---------------------------------------------------------------------------------------------

def params(**overrides):
    base = dict(domain=DOMAIN, state='present', dkim=True, mail_from_domain=None, behavior_on_mx_failure='UseDefaultValue',
                include_verification_record=False, dns_ttl=1800)
    base.update(overrides)
    return base


@pytest.mark.parametrize('domain', ['mastodon.example', 'Mastodon.Example.', 'a.b.c.example', 'xn--bcher-kva.example'])
def test_valid_domains(domain):
    assert domain_error(domain) is None


@pytest.mark.parametrize('domain', ['localhost', 'mastodon_example.com', '-a.example', 'a-.example', 'a..example', 'a.' * 130 + 'example',
                                    'http://mastodon.example', '', '1.2.3.4'])
def test_invalid_domain_message_names_field_value_and_allowed(domain):
    message = domain_error(domain)
    assert message.startswith('domain %r is not a valid domain; allowed: a fully qualified domain name' % domain)


def test_mail_from_must_be_a_subdomain_of_the_domain():
    assert validate_params(params(mail_from_domain='bounces.other.example')) == [
        "mail_from_domain 'bounces.other.example' is not a subdomain of mastodon.example; allowed: a subdomain used for "
        "nothing else, e.g. bounces.mastodon.example"]
    assert validate_params(params(mail_from_domain=DOMAIN))
    assert validate_params(params(mail_from_domain='notmastodon.example'))
    assert validate_params(params(mail_from_domain='Bounces.Mastodon.Example.')) == []
    assert validate_params(params(mail_from_domain='')) == []


def test_mail_from_is_not_checked_when_deleting():
    assert validate_params(params(state='absent', mail_from_domain='elsewhere.example')) == []


def test_tiny_ttl_is_refused():
    assert validate_params(params(dns_ttl=5)) == ['dns_ttl is 5; allowed: 30 seconds or more']


# ---------------------------------------------------------------------------------------------
# pure: DNS records
# ---------------------------------------------------------------------------------------------

def test_records_for_dkim_and_mail_from_in_the_dns_module_format():
    records = dns_records(DOMAIN, REGION, TOKENS, MAIL_FROM, ttl=3600)
    assert records == [
        {'name': 'tokenaaaaaaaaaaaaaaaaaaaaaaaaaaa._domainkey', 'type': 'CNAME', 'data': 'tokenaaaaaaaaaaaaaaaaaaaaaaaaaaa.dkim.amazonses.com.', 'ttl': 3600},
        {'name': 'tokenbbbbbbbbbbbbbbbbbbbbbbbbbbb._domainkey', 'type': 'CNAME', 'data': 'tokenbbbbbbbbbbbbbbbbbbbbbbbbbbb.dkim.amazonses.com.', 'ttl': 3600},
        {'name': 'tokenccccccccccccccccccccccccccc._domainkey', 'type': 'CNAME', 'data': 'tokenccccccccccccccccccccccccccc.dkim.amazonses.com.', 'ttl': 3600},
        {'name': 'bounces', 'type': 'MX', 'data': 'feedback-smtp.eu-west-1.amazonses.com.', 'ttl': 3600, 'priority': 10},
        {'name': 'bounces', 'type': 'TXT', 'data': 'v=spf1 include:amazonses.com ~all', 'ttl': 3600},
    ]


def test_every_record_has_exactly_the_dns_module_keys():
    for record in dns_records(DOMAIN, REGION, TOKENS, MAIL_FROM, verification_token='tok=='):
        assert set(record) <= {'name', 'type', 'data', 'ttl', 'priority'}
        assert ('priority' in record) is (record['type'] == 'MX')


def test_records_pass_the_dns_modules_validation_unchanged():
    records = dns_records(DOMAIN, REGION, TOKENS, MAIL_FROM, verification_token='QTKknzFg2J4ygwa+XvHAxUl1hyHoY0gVfZdfjIedHZ0=')
    present, absent, errors, warnings = parse_records(records, DOMAIN)
    assert (errors, warnings, absent) == ([], [], [])
    assert sorted((r['type'], r['name']) for r in present) == sorted(
        [('CNAME', token + '._domainkey') for token in TOKENS] + [('MX', 'bounces'), ('TXT', 'bounces'), ('TXT', '_amazonses')])


def test_verification_record_is_added_on_request():
    records = dns_records(DOMAIN, REGION, verification_token='QTKknzFg2J4ygwa+XvHAxUl1hyHoY0gVfZdfjIedHZ0=')
    assert records == [{'name': '_amazonses', 'type': 'TXT', 'data': 'QTKknzFg2J4ygwa+XvHAxUl1hyHoY0gVfZdfjIedHZ0=', 'ttl': 1800}]


def test_no_tokens_and_no_mail_from_means_no_records():
    assert dns_records(DOMAIN, REGION) == []


@pytest.mark.parametrize('region, host', [('eu-west-1', 'dkim.amazonses.com'), ('us-east-1', 'dkim.amazonses.com'),
                                          ('af-south-1', 'dkim.af-south-1.amazonses.com'), ('eu-south-1', 'dkim.eu-south-1.amazonses.com'),
                                          ('il-central-1', 'dkim.il-central-1.amazonses.com')])
def test_dkim_records_point_at_the_regions_dkim_domain(region, host):
    assert dkim_domain(region) == host
    assert dns_records(DOMAIN, region, TOKENS[:1])[0]['data'] == '%s.%s.' % (TOKENS[0], host)


def test_mail_from_mx_points_at_the_regions_feedback_host():
    assert dns_records(DOMAIN, 'ap-southeast-2', mail_from_domain=MAIL_FROM)[0]['data'] == 'feedback-smtp.ap-southeast-2.amazonses.com.'


@pytest.mark.parametrize('fqdn, name', [('mastodon.example', '@'), ('bounces.mastodon.example', 'bounces'),
                                        ('a.b.mastodon.example.', 'a.b'), ('other.example', 'other.example.')])
def test_names_are_relative_to_the_zone(fqdn, name):
    assert relative_name(fqdn, DOMAIN) == name


# ---------------------------------------------------------------------------------------------
# pure: plan
# ---------------------------------------------------------------------------------------------

CURRENT = {'domain': DOMAIN, 'region': REGION, 'verification_status': 'Success', 'verification_token': 'tok', 'dkim_enabled': True,
           'dkim_status': 'Success', 'dkim_tokens': TOKENS, 'mail_from_domain': MAIL_FROM, 'mail_from_status': 'Success',
           'behavior_on_mx_failure': 'UseDefaultValue'}


def test_plan_for_a_new_identity_creates_then_generates_dkim_then_sets_mail_from():
    assert plan(params(mail_from_domain=MAIL_FROM), None) == [
        ('create', {}), ('generate_dkim', {}), ('set_mail_from', {'MailFromDomain': MAIL_FROM, 'BehaviorOnMXFailure': 'UseDefaultValue'})]


def test_plan_for_a_converged_identity_is_empty():
    assert plan(params(mail_from_domain=MAIL_FROM), CURRENT) == []
    assert plan(params(), CURRENT) == []


@pytest.mark.parametrize('overrides, current, actions', [
    ({'dkim': False}, {}, [('set_dkim', {'DkimEnabled': False})]),
    ({}, {'dkim_enabled': False}, [('set_dkim', {'DkimEnabled': True})]),
    ({}, {'dkim_enabled': False, 'dkim_tokens': []}, [('generate_dkim', {})]),
    ({'mail_from_domain': ''}, {}, [('set_mail_from', {})]),
    ({'mail_from_domain': ''}, {'mail_from_domain': None}, []),
    ({'mail_from_domain': MAIL_FROM, 'behavior_on_mx_failure': 'RejectMessage'}, {},
     [('set_mail_from', {'MailFromDomain': MAIL_FROM, 'BehaviorOnMXFailure': 'RejectMessage'})]),
    ({'mail_from_domain': 'mail.mastodon.example'}, {},
     [('set_mail_from', {'MailFromDomain': 'mail.mastodon.example', 'BehaviorOnMXFailure': 'UseDefaultValue'})]),
])
def test_plan_changes_only_what_differs(overrides, current, actions):
    assert plan(params(**overrides), dict(CURRENT, **current)) == actions


# ---------------------------------------------------------------------------------------------
# the module against a stubbed SES v1 client
# ---------------------------------------------------------------------------------------------

class Ses:
    def __init__(self):
        self.client = SESSION.create_client('ses', region_name=REGION, aws_access_key_id='AKIAUNIT', aws_secret_access_key=SECRET)
        self.stub = Stubber(self.client)
        self.calls = []
        self.client.meta.events.register('before-parameter-build.ses', lambda model, **kwargs: self.calls.append(xform_name(model.name)))
        self.stub.activate()

    def ok(self, method, response=None, **expected):
        self.stub.add_response(method, response or {}, expected or None)
        return self

    def error(self, method, code, status, message=''):
        self.stub.add_client_error(method, service_error_code=code, service_message=message, http_status_code=status,
                                   response_meta={'RequestId': 'req-unit'})
        return self

    def state(self, exists=True, dkim_enabled=True, tokens=tuple(TOKENS), mail_from=MAIL_FROM, behavior='UseDefaultValue'):
        ids = {'Identities': [DOMAIN]}
        if not exists:
            return self.ok('get_identity_verification_attributes', {'VerificationAttributes': {}}, **ids)
        self.ok('get_identity_verification_attributes',
                {'VerificationAttributes': {DOMAIN: {'VerificationStatus': 'Pending', 'VerificationToken': 'vtok'}}}, **ids)
        dkim = {'DkimEnabled': dkim_enabled, 'DkimVerificationStatus': 'Pending'}
        if tokens:
            dkim['DkimTokens'] = list(tokens)
        self.ok('get_identity_dkim_attributes', {'DkimAttributes': {DOMAIN: dkim}}, **ids)
        mail = {DOMAIN: {'BehaviorOnMXFailure': behavior, 'MailFromDomainStatus': 'Pending', 'MailFromDomain': mail_from}}
        return self.ok('get_identity_mail_from_domain_attributes', {'MailFromDomainAttributes': mail if mail_from else {}}, **ids)

    @property
    def writes(self):
        return [call for call in self.calls if call in WRITES]


@pytest.fixture
def ses(monkeypatch):
    for name in ('AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_SES', 'AWS_PROFILE'):
        monkeypatch.delenv(name, raising=False)
    fake = Ses()
    monkeypatch.setattr(AwsModule, 'client', property(lambda self: fake.client))
    yield fake
    fake.stub.assert_no_pending_responses()


@pytest.fixture
def run(harness, ses):
    def runner(check_mode=False, **args):
        args.setdefault('domain', DOMAIN)
        args.setdefault('region', REGION)
        args.setdefault('access_key', 'AKIAUNIT')
        args.setdefault('secret_key', SECRET)
        return harness.run(ses_module.main, args, check_mode=check_mode)
    return runner


def test_invalid_domain_fails_before_any_call(run, ses):
    result = run(domain='mastodon_example')
    assert result['failed'] and "domain 'mastodon_example' is not a valid domain" in result['msg']
    assert ses.calls == []


def test_create_with_dkim_and_mail_from_returns_the_records(run, ses):
    ses.state(exists=False)
    ses.ok('verify_domain_identity', {'VerificationToken': 'vtok'}, Domain=DOMAIN)
    ses.ok('verify_domain_dkim', {'DkimTokens': TOKENS}, Domain=DOMAIN)
    ses.ok('get_identity_dkim_attributes', {'DkimAttributes': {DOMAIN: {'DkimEnabled': True, 'DkimVerificationStatus': 'Pending',
                                                                        'DkimTokens': TOKENS}}}, Identities=[DOMAIN])
    ses.ok('set_identity_mail_from_domain', Identity=DOMAIN, MailFromDomain=MAIL_FROM, BehaviorOnMXFailure='UseDefaultValue')
    ses.state()
    result = run(mail_from_domain=MAIL_FROM)
    assert result['changed'] is True, result
    assert ses.writes == ['verify_domain_identity', 'verify_domain_dkim', 'set_identity_mail_from_domain']
    assert result['identity']['dkim_tokens'] == TOKENS
    assert [(r['type'], r['name']) for r in result['records']] == [
        ('CNAME', TOKENS[0] + '._domainkey'), ('CNAME', TOKENS[1] + '._domainkey'), ('CNAME', TOKENS[2] + '._domainkey'),
        ('MX', 'bounces'), ('TXT', 'bounces')]
    assert result['diff']['before'] == {} and result['diff']['after']['mail_from_domain'] == MAIL_FROM


def test_dkim_generated_but_not_signing_is_switched_on(run, ses):
    ses.state(exists=False)
    ses.ok('verify_domain_identity', {'VerificationToken': 'vtok'}, Domain=DOMAIN)
    ses.ok('verify_domain_dkim', {'DkimTokens': TOKENS}, Domain=DOMAIN)
    ses.ok('get_identity_dkim_attributes', {'DkimAttributes': {DOMAIN: {'DkimEnabled': False, 'DkimVerificationStatus': 'Pending',
                                                                        'DkimTokens': TOKENS}}}, Identities=[DOMAIN])
    ses.ok('set_identity_dkim_enabled', Identity=DOMAIN, DkimEnabled=True)
    ses.state(mail_from=None)
    result = run()
    assert ses.writes == ['verify_domain_identity', 'verify_domain_dkim', 'set_identity_dkim_enabled']
    assert len(result['records']) == 3


def test_rerun_makes_only_get_calls(run, ses):
    ses.state()
    result = run(mail_from_domain=MAIL_FROM)
    assert result['changed'] is False
    assert ses.writes == []
    assert all(call.startswith('get_') for call in ses.calls)
    assert len(result['records']) == 5


def test_check_mode_new_identity_writes_nothing_and_returns_the_known_records(run, ses):
    ses.state(exists=False)
    result = run(check_mode=True, mail_from_domain=MAIL_FROM)
    assert result['changed'] is True
    assert ses.writes == []
    assert result['identity']['dkim_tokens'] == []
    assert [r['type'] for r in result['records']] == ['MX', 'TXT']


def test_check_mode_change_writes_nothing_but_shows_the_diff(run, ses):
    ses.state()
    result = run(check_mode=True, mail_from_domain='mail.mastodon.example', behavior_on_mx_failure='RejectMessage')
    assert result['changed'] is True and ses.writes == []
    assert result['diff']['before']['mail_from_domain'] == MAIL_FROM
    assert result['diff']['after'] == dict(result['diff']['before'], mail_from_domain='mail.mastodon.example',
                                           behavior_on_mx_failure='RejectMessage')


def test_disabling_dkim_drops_the_dkim_records(run, ses):
    ses.state()
    ses.ok('set_identity_dkim_enabled', Identity=DOMAIN, DkimEnabled=False)
    ses.state(dkim_enabled=False)
    result = run(dkim=False)
    assert ses.writes == ['set_identity_dkim_enabled']
    assert [r['type'] for r in result['records']] == ['MX', 'TXT']


def test_empty_mail_from_removes_it(run, ses):
    ses.state()
    ses.ok('set_identity_mail_from_domain', Identity=DOMAIN)
    ses.state(mail_from=None)
    result = run(mail_from_domain='')
    assert result['changed'] is True and result['identity']['mail_from_domain'] is None
    assert [r['type'] for r in result['records']] == ['CNAME'] * 3


def test_verification_record_on_request(run, ses):
    ses.state()
    result = run(include_verification_record=True, dns_ttl=600)
    assert result['records'][-1] == {'name': '_amazonses', 'type': 'TXT', 'data': 'vtok', 'ttl': 600}


def test_absent_deletes_the_identity(run, ses):
    ses.state()
    ses.ok('delete_identity', Identity=DOMAIN)
    result = run(state='absent')
    assert result['changed'] is True and result['records'] == []
    assert result['diff']['after'] == {}


def test_absent_on_a_missing_identity_changes_nothing(run, ses):
    ses.state(exists=False)
    result = run(state='absent')
    assert result['changed'] is False and result['identity'] == {}
    assert ses.writes == []


def test_check_mode_absent_writes_nothing(run, ses):
    ses.state()
    assert run(state='absent', check_mode=True)['changed'] is True
    assert ses.writes == []


def test_throttling_error_fails_with_operation_code_and_request_id(run, ses):
    ses.error('get_identity_verification_attributes', 'Throttling', 400, 'Rate exceeded')
    result = run()
    assert result['failed']
    assert result['msg'] == ('get the verification attributes of mastodon.example failed: HTTP 400 Throttling: Rate exceeded '
                             '(request_id req-unit)')
    assert result['error_code'] == 'Throttling' and result['operation'] == 'get the verification attributes of mastodon.example'
    assert SECRET not in str(result)


def test_region_that_is_no_aws_region_fails(run, ses):
    result = run(region='nyc3')
    assert result['failed'] and "region 'nyc3' is not an AWS region code" in result['msg']
