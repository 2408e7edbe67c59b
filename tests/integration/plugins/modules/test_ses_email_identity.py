# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.ses_email_identity through ansible-playbook against the sandbox's AWS stand-in (moto SES v1)."""
# The pytest fixtures imported from fixtures_aws are test arguments of the same name.
# pylint: disable=redefined-outer-name

from __future__ import annotations

import re

from tests.integration.fixtures_aws import aws_emulator, writes  # noqa: F401  pylint: disable=unused-import

DOMAIN = 'mastodon.example'
MAIL_FROM = 'bounces.mastodon.example'
SANDBOX_REGION = 'us-east-1'  # AWS_REGION of the sandbox environment


def identity_task(name='ses', **overrides):
    args = {'domain': DOMAIN, 'mail_from_domain': MAIL_FROM}
    args.update(overrides)
    args = {key: value for key, value in args.items() if value is not None}
    return {'name': name, 'fediops.mastodon.ses_email_identity': args, 'register': 'out'}


def identities(emulator):
    return sorted((entry['region'], entry['identity']) for entry in emulator.state()['ses_identities'])


def test_lifecycle_create_rerun_check_delete(aws_emulator, playbook):
    created = playbook.run([identity_task()])
    assert created.rc == 0, created.stdout
    result = created.task('ses')
    assert result['changed'] is True
    assert identities(aws_emulator) == [(SANDBOX_REGION, DOMAIN)]
    tokens = result['identity']['dkim_tokens']
    assert len(tokens) == 3 and result['identity']['dkim_enabled'] is True
    assert result['identity']['mail_from_domain'] == MAIL_FROM

    records = result['records']
    assert records[:3] == [{'name': '%s._domainkey' % token, 'type': 'CNAME', 'data': '%s.dkim.amazonses.com.' % token, 'ttl': 1800}
                           for token in tokens]
    assert records[3:] == [
        {'name': 'bounces', 'type': 'MX', 'data': 'feedback-smtp.us-east-1.amazonses.com.', 'ttl': 1800, 'priority': 10},
        {'name': 'bounces', 'type': 'TXT', 'data': 'v=spf1 include:amazonses.com ~all', 'ttl': 1800},
    ]

    aws_emulator.clear_requests()
    rerun = playbook.run([identity_task()])
    assert rerun.rc == 0 and rerun.changed == 0, rerun.stdout
    assert writes(aws_emulator) == []
    actions = [entry['action'] for entry in aws_emulator.requests()]
    assert actions and all(action.startswith('Get') for action in actions), actions
    assert rerun.task('ses')['records'] == records

    aws_emulator.clear_requests()
    checked = playbook.run([identity_task(mail_from_domain='mail.mastodon.example', behavior_on_mx_failure='RejectMessage')],
                           check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    result = checked.task('ses')
    assert result['changed'] is True
    assert result['diff']['before']['mail_from_domain'] == MAIL_FROM
    assert result['diff']['after']['mail_from_domain'] == 'mail.mastodon.example'
    assert result['diff']['after']['behavior_on_mx_failure'] == 'RejectMessage'
    assert [r['name'] for r in result['records'] if r['type'] in ('MX', 'TXT')] == ['mail', 'mail']
    assert writes(aws_emulator) == []

    updated = playbook.run([identity_task(mail_from_domain='mail.mastodon.example', behavior_on_mx_failure='RejectMessage')])
    assert updated.rc == 0 and updated.task('ses')['changed'] is True, updated.stdout
    assert updated.task('ses')['identity']['behavior_on_mx_failure'] == 'RejectMessage'

    aws_emulator.clear_requests()
    deleted = playbook.run([identity_task(state='absent')], diff=True)
    assert deleted.rc == 0 and deleted.task('ses')['changed'] is True, deleted.stdout
    assert deleted.task('ses')['records'] == []
    assert [entry['action'] for entry in writes(aws_emulator)] == ['DeleteIdentity']
    assert identities(aws_emulator) == []

    aws_emulator.clear_requests()
    again = playbook.run([identity_task(state='absent')])
    assert again.rc == 0 and again.changed == 0, again.stdout
    assert writes(aws_emulator) == []


def test_check_mode_create_makes_no_write(aws_emulator, playbook):
    run = playbook.run([identity_task()], check=True, diff=True)
    assert run.rc == 0, run.stdout
    result = run.task('ses')
    assert result['changed'] is True
    assert result['diff']['before'] == {} and result['diff']['after']['domain'] == DOMAIN
    assert [r['type'] for r in result['records']] == ['MX', 'TXT'], 'no DKIM tokens exist before the identity does'
    assert writes(aws_emulator) == []
    assert identities(aws_emulator) == []


def test_verification_record_and_ttl_on_request(aws_emulator, playbook):
    run = playbook.run([identity_task(mail_from_domain=None, include_verification_record=True, dns_ttl=300)])
    assert run.rc == 0, run.stdout
    records = run.task('ses')['records']
    assert [r['type'] for r in records] == ['CNAME', 'CNAME', 'CNAME', 'TXT']
    assert records[-1]['name'] == '_amazonses' and records[-1]['data'] == run.task('ses')['identity']['verification_token']
    assert {r['ttl'] for r in records} == {300}
    assert identities(aws_emulator) == [(SANDBOX_REGION, DOMAIN)]


def test_region_option_wins_over_the_environment(aws_emulator, playbook):
    run = playbook.run([identity_task(region='eu-west-1')])
    assert run.rc == 0, run.stdout
    assert identities(aws_emulator) == [('eu-west-1', DOMAIN)]
    assert run.task('ses')['records'][3]['data'] == 'feedback-smtp.eu-west-1.amazonses.com.'


def test_mail_from_outside_the_domain_fails_before_any_request(aws_emulator, playbook):
    run = playbook.run([identity_task(mail_from_domain='bounces.elsewhere.example')])
    assert run.rc != 0
    message = run.task('ses')['msg']
    assert "mail_from_domain 'bounces.elsewhere.example' is not a subdomain of mastodon.example" in message
    assert aws_emulator.requests() == []


def test_secret_key_never_appears_in_verbose_output(aws_emulator, playbook, sandbox):
    secret = sandbox.env['AWS_SECRET_ACCESS_KEY']
    task = identity_task(access_key=sandbox.env['AWS_ACCESS_KEY_ID'], secret_key=secret)
    run = playbook.run([task, dict(task, name='again'), identity_task(name='env credentials')], text=True, verbosity=4, diff=True)
    assert run.rc == 0, run.stdout
    assert re.search(r'changed=1\b', run.stdout), run.stdout
    assert secret not in run.stdout + run.stderr
    assert identities(aws_emulator) == [(SANDBOX_REGION, DOMAIN)]


def test_plain_http_endpoint_is_refused(aws_emulator, playbook):
    run = playbook.run([identity_task()], env={'AWS_ENDPOINT_URL': 'http://127.0.0.1:9'})
    assert run.rc != 0
    assert 'endpoint_url must be an https:// URL' in run.task('ses')['msg']
    assert aws_emulator.requests() == []


def test_its_records_feed_do_domain_records_unchanged_and_converge(aws_emulator, do_emulator, playbook):
    tasks = [
        {'name': 'zone', 'fediops.mastodon.do_domain': {'name': 'mail-chain.example'}},
        {'name': 'identity', 'fediops.mastodon.ses_email_identity': {
            'domain': 'mail-chain.example', 'region': 'eu-west-1', 'mail_from_domain': 'bounce.mail-chain.example'},
         'register': 'ses'},
        {'name': 'records', 'fediops.mastodon.do_domain_records': {'domain': 'mail-chain.example', 'records': '{{ ses.records }}'},
         'register': 'dns'},
    ]
    first = playbook.run(tasks)
    assert first.rc == 0, first.stdout
    created = first.task('records')['changes']['created']
    assert sorted(record['type'] for record in created) == ['CNAME', 'CNAME', 'CNAME', 'MX', 'TXT']

    do_emulator.clear_requests()
    aws_emulator.clear_requests()
    again = playbook.run(tasks)
    assert again.rc == 0 and again.changed == 0, again.stdout
    assert [entry for entry in do_emulator.requests() if entry['write']] == []
    assert writes(aws_emulator) == []
