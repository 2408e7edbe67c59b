#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: ses_email_identity
short_description: Manage an Amazon SES domain identity (Easy DKIM, MAIL FROM) and get its DNS records
version_added: 0.1.0
description:
  - Create, update and delete an Amazon SES domain identity with Easy DKIM and a custom MAIL FROM domain,
    and return the DNS records to publish, ready for M(fediops.mastodon.do_domain_records).
  - Uses the SES API version 1 (C(VerifyDomainIdentity), C(VerifyDomainDkim), C(SetIdentityMailFromDomain));
    AWS serves the same identities through SES API version 2, so identities managed here also show in the
    SES console and the v2 API.
  - A converged run makes only C(Get*) calls.
author:
  - fediops.mastodon contributors (@fediops)
options:
  domain:
    description:
      - The domain to send mail from, for example V(mastodon.example). Lower case; a trailing dot is ignored.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the identity, V(absent) deletes it (and its DKIM and MAIL FROM settings).
    type: str
    choices: [present, absent]
    default: present
  dkim:
    description:
      - Whether Easy DKIM signs the mail of the domain. When V(true), SES generates three DKIM tokens and
        RV(records) holds the three CNAME records to publish.
    type: bool
    default: true
  mail_from_domain:
    description:
      - Custom MAIL FROM domain, a subdomain of O(domain) used for nothing else, for example
        V(bounces.mastodon.example). Its MX and SPF records are returned in RV(records).
      - V("") removes the custom MAIL FROM domain. Omit to leave it as it is.
    type: str
  behavior_on_mx_failure:
    description:
      - What SES does when the MX record of O(mail_from_domain) is not found. V(UseDefaultValue) falls back to
        C(amazonses.com), V(RejectMessage) rejects the message.
      - Only used when O(mail_from_domain) is set.
    type: str
    choices: [UseDefaultValue, RejectMessage]
    default: UseDefaultValue
  include_verification_record:
    description:
      - Also return the C(_amazonses) TXT record of the (legacy) domain verification token in RV(records).
        DKIM alone verifies the domain, so it is not needed when O(dkim=true).
    type: bool
    default: false
  dns_ttl:
    description:
      - TTL in seconds of the records in RV(records).
    type: int
    default: 1800
  region:
    description:
      - The AWS region of SES, for example V(eu-west-1). An identity exists per region.
      - If not set, the environment variable E(AWS_REGION) is used, then E(AWS_DEFAULT_REGION), then the
        region of the AWS profile.
    type: str
    aliases: [aws_region]
  access_key:
    description:
      - AWS access key id.
      - If not set, botocore's credential chain applies (E(AWS_ACCESS_KEY_ID), E(AWS_PROFILE), the shared
        credentials file, an instance or container role).
    type: str
    aliases: [aws_access_key_id, aws_access_key]
  secret_key:
    description:
      - AWS secret access key. Never logged nor returned.
      - If not set, botocore's credential chain applies (E(AWS_SECRET_ACCESS_KEY), ...).
    type: str
    aliases: [aws_secret_access_key, aws_secret_key]
  session_token:
    description:
      - AWS STS session token for temporary credentials. If not set, E(AWS_SESSION_TOKEN) applies.
    type: str
    aliases: [aws_session_token]
  profile:
    description:
      - Named profile of the AWS shared configuration files. Mutually exclusive with O(access_key),
        O(secret_key) and O(session_token). If not set, E(AWS_PROFILE) applies.
    type: str
    aliases: [aws_profile]
  endpoint_url:
    description:
      - URL of the SES API instead of the region's AWS endpoint.
      - If not set, the environment variable E(AWS_ENDPOINT_URL_SES) is used, then E(AWS_ENDPOINT_URL).
      - Must be an C(https://) URL. TLS certificates are always verified; a private CA is trusted
        through E(AWS_CA_BUNDLE).
    type: str
    aliases: [aws_endpoint_url]
extends_documentation_fragment:
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.AWS
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
'''

EXAMPLES = r'''
- name: Mail of a Mastodon instance through SES, DNS at DigitalOcean
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Ensure the SES identity with Easy DKIM and a MAIL FROM subdomain
      fediops.mastodon.ses_email_identity:
        domain: mastodon.example
        region: eu-west-1
        mail_from_domain: bounces.mastodon.example
        behavior_on_mx_failure: UseDefaultValue
      register: ses

    - name: Publish what SES needs in the zone
      fediops.mastodon.do_domain_records:
        domain: mastodon.example
        records: "{{ ses.records }}"

    - name: Stop sending as this domain
      fediops.mastodon.ses_email_identity:
        domain: mastodon.example
        region: eu-west-1
        state: absent
'''

RETURN = r'''
identity:
  description:
    - The identity as it is after the task (in check mode, as it would be). With O(state=absent), the identity
      that was deleted, or V({}).
  returned: always
  type: dict
  contains:
    domain:
      description: The domain.
      type: str
      sample: mastodon.example
    region:
      description: The AWS region of the identity.
      type: str
      sample: eu-west-1
    verification_status:
      description: C(Pending), C(Success), C(Failed), C(TemporaryFailure) or C(NotStarted); V(null) in check mode for a new identity.
      type: str
      sample: Pending
    verification_token:
      description: Token of the C(_amazonses) TXT record (legacy verification).
      type: str
      sample: QTKknzFg2J4ygwa+XvHAxUl1hyHoY0gVfZdfjIedHZ0=
    dkim_enabled:
      description: Whether Easy DKIM signing is on.
      type: bool
      sample: true
    dkim_status:
      description: DKIM verification status (C(Pending), C(Success), C(Failed), C(TemporaryFailure), C(NotStarted)).
      type: str
      sample: Pending
    dkim_tokens:
      description: The three Easy DKIM tokens (V([]) until SES generated them).
      type: list
      elements: str
      sample: [vvjuipp74whm76gqoni7qmwwn4w4qusj, 3frqe7jn4obpuxjpwpolz6ipb3k5nvt2, wrqplteh7oodxnad7hsl4mixg2uavzne]
    mail_from_domain:
      description: The custom MAIL FROM domain, V(null) when none.
      type: str
      sample: bounces.mastodon.example
    mail_from_status:
      description: Status of the MAIL FROM domain's MX record as SES sees it.
      type: str
      sample: Pending
    behavior_on_mx_failure:
      description: V(UseDefaultValue) or V(RejectMessage).
      type: str
      sample: UseDefaultValue
records:
  description:
    - The DNS records the identity needs, in the input format of M(fediops.mastodon.do_domain_records)
      for the zone O(domain), in this order, the three DKIM CNAMEs C(<token>._domainkey) pointing at
      C(<token>.dkim.amazonses.com.) (C(dkim.<region>.amazonses.com.) in the few regions AWS gives their own
      DKIM domain), the MX of the MAIL FROM domain (C(feedback-smtp.<region>.amazonses.com.), priority 10),
      its SPF TXT record C(v=spf1 include:amazonses.com ~all), then, with O(include_verification_record=true),
      the C(_amazonses) TXT record.
    - Names are relative to the zone (V(@) for the apex itself); host names in C(data) are fully qualified
      with a trailing dot. C(priority) is only set on MX records.
    - V([]) with O(state=absent).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Record name relative to the zone O(domain).
      type: str
      sample: vvjuipp74whm76gqoni7qmwwn4w4qusj._domainkey
    type:
      description: Record type, C(CNAME), C(MX) or C(TXT).
      type: str
      sample: CNAME
    data:
      description: Record value.
      type: str
      sample: vvjuipp74whm76gqoni7qmwwn4w4qusj.dkim.amazonses.com.
    ttl:
      description: TTL in seconds (O(dns_ttl)).
      type: int
      sample: 1800
    priority:
      description: Priority of an MX record.
      type: int
      returned: for MX records
      sample: 10
  sample:
    - {name: vvjuipp74whm76gqoni7qmwwn4w4qusj._domainkey, type: CNAME, data: vvjuipp74whm76gqoni7qmwwn4w4qusj.dkim.amazonses.com., ttl: 1800}
    - {name: bounces, type: MX, data: feedback-smtp.eu-west-1.amazonses.com., ttl: 1800, priority: 10}
    - {name: bounces, type: TXT, data: "v=spf1 include:amazonses.com ~all", ttl: 1800}
'''

import re

from ansible_collections.fediops.mastodon.plugins.module_utils.aws import AwsModule
from ansible_collections.fediops.mastodon.plugins.module_utils.diff import build_diff

DIFF_KEYS = ('domain', 'region', 'dkim_enabled', 'mail_from_domain', 'behavior_on_mx_failure')
LABEL = re.compile(r'^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$')
DOMAIN_RULES = 'a fully qualified domain name of at least two labels, each 1 to 63 letters, digits or dashes (not at either end)'
SPF_MAIL_FROM = 'v=spf1 include:amazonses.com ~all'
MX_PRIORITY = 10
# Regions whose Easy DKIM records point at a regional DKIM domain (AWS General Reference, SES endpoints).
REGIONAL_DKIM_DOMAINS = frozenset((
    'af-south-1', 'ap-northeast-3', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-5', 'ca-west-1',
    'eu-central-2', 'eu-south-1', 'il-central-1', 'me-central-1', 'us-gov-east-1',
))


def normalize_domain(value):
    return (value or '').strip().rstrip('.').lower()


def domain_error(value, option='domain'):
    """None for a valid domain name, else a message naming the option, the value and what is allowed."""
    labels = normalize_domain(value).split('.')
    if len(labels) >= 2 and len(normalize_domain(value)) <= 253 and all(LABEL.match(label) for label in labels) \
            and not labels[-1].isdigit():
        return None
    return '%s %r is not a valid domain; allowed: %s' % (option, value, DOMAIN_RULES)


def validate_params(params):
    """Messages for every invalid input; checked before any call."""
    errors = [domain_error(params['domain'])]
    mail_from = params.get('mail_from_domain')
    if params['state'] == 'present' and mail_from:
        domain, mail_from_n = normalize_domain(params['domain']), normalize_domain(mail_from)
        problem = domain_error(mail_from, 'mail_from_domain')
        if problem:
            errors.append(problem)
        elif not mail_from_n.endswith('.' + domain):
            errors.append('mail_from_domain %r is not a subdomain of %s; allowed: a subdomain used for nothing else, e.g. bounces.%s' % (
                mail_from, domain, domain))
    if params.get('dns_ttl') is not None and params['dns_ttl'] < 30:
        errors.append('dns_ttl is %s; allowed: 30 seconds or more' % params['dns_ttl'])
    return [e for e in errors if e]


def dkim_domain(region):
    """Where Easy DKIM CNAMEs point: ``dkim.amazonses.com``, or ``dkim.<region>.amazonses.com`` in a few regions."""
    return 'dkim.%s.amazonses.com' % region if region in REGIONAL_DKIM_DOMAINS else 'dkim.amazonses.com'


def relative_name(fqdn, zone):
    """``fqdn`` relative to ``zone`` (``@`` for the apex); a name outside the zone stays absolute, with a dot."""
    fqdn, zone = normalize_domain(fqdn), normalize_domain(zone)
    if fqdn == zone:
        return '@'
    if fqdn.endswith('.' + zone):
        return fqdn[:-len(zone) - 1]
    return fqdn + '.'


def dns_records(domain, region, dkim_tokens=(), mail_from_domain=None, verification_token=None, ttl=1800):
    """The records to publish in the zone ``domain``, in the input format of ``do_domain_records``."""
    records = []
    for token in dkim_tokens or []:
        records.append({'name': '%s._domainkey' % token, 'type': 'CNAME', 'data': '%s.%s.' % (token, dkim_domain(region)), 'ttl': ttl})
    if mail_from_domain:
        name = relative_name(mail_from_domain, domain)
        records.append({'name': name, 'type': 'MX', 'data': 'feedback-smtp.%s.amazonses.com.' % region, 'ttl': ttl, 'priority': MX_PRIORITY})
        records.append({'name': name, 'type': 'TXT', 'data': SPF_MAIL_FROM, 'ttl': ttl})
    if verification_token:
        records.append({'name': relative_name('_amazonses.' + domain, domain), 'type': 'TXT', 'data': verification_token, 'ttl': ttl})
    return records


def identity_from_api(domain, region, verification, dkim, mail_from):
    """The identity from the three ``GetIdentity*Attributes`` answers (each the entry of ``domain``), or None."""
    if not verification:
        return None
    dkim, mail_from = dkim or {}, mail_from or {}
    return {
        'domain': domain,
        'region': region,
        'verification_status': verification.get('VerificationStatus'),
        'verification_token': verification.get('VerificationToken'),
        'dkim_enabled': bool(dkim.get('DkimEnabled')) and bool(dkim.get('DkimTokens')),
        'dkim_status': dkim.get('DkimVerificationStatus'),
        'dkim_tokens': list(dkim.get('DkimTokens') or []),
        'mail_from_domain': mail_from.get('MailFromDomain') or None,
        'mail_from_status': mail_from.get('MailFromDomainStatus'),
        'behavior_on_mx_failure': mail_from.get('BehaviorOnMXFailure') or 'UseDefaultValue',
    }


def plan(params, current):
    """The writes, in order, as ``(action, arguments)``; ``current`` is None for a new identity.

    Actions: ``create``, ``generate_dkim`` (VerifyDomainDkim: tokens, and signing on), ``set_dkim``
    (SetIdentityDkimEnabled) and ``set_mail_from`` (SetIdentityMailFromDomain; no domain = remove).
    """
    actions = []
    state = current or {'dkim_enabled': False, 'dkim_tokens': [], 'mail_from_domain': None, 'behavior_on_mx_failure': 'UseDefaultValue'}
    if current is None:
        actions.append(('create', {}))
    if params['dkim'] and not state['dkim_enabled']:
        actions.append(('generate_dkim', {}) if not state['dkim_tokens'] else ('set_dkim', {'DkimEnabled': True}))
    elif not params['dkim'] and state['dkim_enabled']:
        actions.append(('set_dkim', {'DkimEnabled': False}))
    wanted = params.get('mail_from_domain')
    if wanted is not None:
        wanted = normalize_domain(wanted) or None
        behavior = params['behavior_on_mx_failure']
        if wanted and (wanted != state['mail_from_domain'] or behavior != state['behavior_on_mx_failure']):
            actions.append(('set_mail_from', {'MailFromDomain': wanted, 'BehaviorOnMXFailure': behavior}))
        elif not wanted and state['mail_from_domain']:
            actions.append(('set_mail_from', {}))
    return actions


def predicted(params, current, region):
    """The identity as it would be after ``plan`` (check mode); tokens of a new identity are unknown."""
    after = dict(current or {'domain': normalize_domain(params['domain']), 'region': region, 'verification_status': None,
                             'verification_token': None, 'dkim_status': None, 'dkim_tokens': [], 'mail_from_domain': None,
                             'mail_from_status': None, 'behavior_on_mx_failure': 'UseDefaultValue'})
    after['dkim_enabled'] = params['dkim']
    if params.get('mail_from_domain') is not None:
        after['mail_from_domain'] = normalize_domain(params['mail_from_domain']) or None
        after['behavior_on_mx_failure'] = params['behavior_on_mx_failure'] if after['mail_from_domain'] else 'UseDefaultValue'
    return after


class Identity:
    """SES v1 reads and writes of one domain identity (each failure fails the module)."""

    def __init__(self, module, domain):
        self.module = module
        self.ses = module.client
        self.domain = domain
        self.region = module.region

    def _attributes(self, what, fn, key):
        answer = self.module.call('get the %s attributes of %s' % (what, self.domain), fn, Identities=[self.domain])
        return (answer.get(key) or {}).get(self.domain)

    def read(self):
        verification = self._attributes('verification', self.ses.get_identity_verification_attributes, 'VerificationAttributes')
        if not verification:
            return None
        dkim = self._attributes('DKIM', self.ses.get_identity_dkim_attributes, 'DkimAttributes')
        mail_from = self._attributes('MAIL FROM', self.ses.get_identity_mail_from_domain_attributes, 'MailFromDomainAttributes')
        return identity_from_api(self.domain, self.region, verification, dkim, mail_from)

    def apply(self, actions):
        call, domain = self.module.call, self.domain
        for action, args in actions:
            if action == 'create':
                call('create the SES identity %s' % domain, self.ses.verify_domain_identity, Domain=domain)
            elif action == 'generate_dkim':
                call('generate the DKIM tokens of %s' % domain, self.ses.verify_domain_dkim, Domain=domain)
                dkim = self._attributes('DKIM', self.ses.get_identity_dkim_attributes, 'DkimAttributes') or {}
                if not dkim.get('DkimEnabled'):
                    call('enable DKIM signing for %s' % domain, self.ses.set_identity_dkim_enabled, Identity=domain, DkimEnabled=True)
            elif action == 'set_dkim':
                call('%s DKIM signing for %s' % ('enable' if args['DkimEnabled'] else 'disable', domain),
                     self.ses.set_identity_dkim_enabled, Identity=domain, **args)
            elif action == 'set_mail_from':
                call('%s the MAIL FROM domain of %s' % ('set' if args else 'remove', domain),
                     self.ses.set_identity_mail_from_domain, Identity=domain, **args)

    def delete(self):
        self.module.call('delete the SES identity %s' % self.domain, self.ses.delete_identity, Identity=self.domain)


def main():
    argument_spec = dict(
        domain=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        dkim=dict(type='bool', default=True),
        mail_from_domain=dict(type='str'),
        behavior_on_mx_failure=dict(type='str', default='UseDefaultValue', choices=['UseDefaultValue', 'RejectMessage']),
        include_verification_record=dict(type='bool', default=False),
        dns_ttl=dict(type='int', default=1800),
    )
    module = AwsModule('ses', argument_spec=argument_spec, service_env='SES', supports_check_mode=True)
    params = module.params
    errors = validate_params(params)
    if errors:
        module.fail_json(msg=' '.join(errors))

    identity = Identity(module, normalize_domain(params['domain']))
    current = identity.read()
    if params['state'] == 'absent':
        if current and not module.check_mode:
            identity.delete()
        module.exit_json(changed=bool(current), identity=current or {}, records=[], diff=build_diff(current, None, DIFF_KEYS))

    actions = plan(params, current)
    if not actions:
        after = current
    elif module.check_mode:
        after = predicted(params, current, identity.region)
    else:
        identity.apply(actions)
        after = identity.read()
    records = dns_records(
        identity.domain, identity.region,
        dkim_tokens=after['dkim_tokens'] if after['dkim_enabled'] else [],
        mail_from_domain=after['mail_from_domain'],
        verification_token=after['verification_token'] if params['include_verification_record'] else None,
        ttl=params['dns_ttl'],
    )
    module.exit_json(changed=bool(actions), identity=after, records=records, diff=build_diff(current, after, DIFF_KEYS))


if __name__ == '__main__':
    main()
