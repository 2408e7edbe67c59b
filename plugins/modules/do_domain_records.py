#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_domain_records
short_description: Reconcile the DNS records of a DigitalOcean domain in one task
version_added: 0.1.0
description:
  - Makes the records of a DNS zone hosted by DigitalOcean match a list, in one task. The zone is read
    once (one paged list, 200 records per page), then only the records that differ are created,
    updated in place or deleted.
  - B(Ownership.) Every name and type pair listed in O(records) (for example C(www) + C(A)) is owned
    by the task. Records of an owned pair that are not in the list are B(deleted), so a pair
    describes its complete set of values (two TXT values at the apex are reconciled as a set of two).
    Pairs not listed are left alone, unless O(purge=true).
  - B(Matching.) A record is identified by its name, its type and its value (the data, plus the MX
    priority, the SRV priority, weight and port, or the CAA flags and tag). The TTL is not part of the
    identity, so a new TTL updates the record in place. When values of a pair change, records are
    updated in place rather than deleted and created again, as far as their numbers allow.
  - B(Comparison as DNS does it.) Names are compared without case and with or without the zone suffix
    and trailing dot (V(www), V(www.example.com) and V(www.example.com.) are one name; V(@) and the
    zone name are the apex). Hostnames in data (CNAME, MX, NS, SRV) are compared without case and
    without the trailing dot. TXT values are compared as the text DNS serves, so V("v=spf1 -all") with
    surrounding quotes equals V(v=spf1 -all), and a long value written as several quoted strings of
    up to 255 characters equals the joined value. IP addresses are compared in their standard form.
  - B(Validation before any write.) Every record is checked first (type, name inside the zone, data
    format per type, TTL of at least 30 seconds, the fields each type needs and only those), then the
    records are checked against each other and against the zone (a CNAME beside any other record of
    its name, the same record listed twice, two SPF records at one name). Any problem fails the task
    with a message naming the record, the field, the value and what is allowed, and nothing is
    written.
  - DigitalOcean's own records, the SOA record and the NS records C(ns1), C(ns2), C(ns3.digitalocean.com)
    at the apex, are never deleted.
  - With O(records=[]) and O(purge=false) the module changes nothing and returns every record of the
    zone in RV(records), which is a way to read a zone.
author:
  - fediops.mastodon contributors (@fediops)
options:
  domain:
    description:
      - The zone, a domain hosted by DigitalOcean, for example V(example.com). It must exist; create it
        with M(fediops.mastodon.do_domain).
    type: str
    required: true
    aliases: [zone, domain_name]
  records:
    description:
      - The records to have (or, with O(records[].state=absent), not to have).
      - This is also exactly the format of the C(records) that M(fediops.mastodon.ses_email_identity)
        returns (name, type, data, ttl, priority), so its output can be passed on unchanged; names may
        be fully qualified there.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Name of the record, relative to the zone (V(www), V(_dmarc), V(*.apps)) or fully qualified
            (V(www.example.com) or V(www.example.com.)). V(@) or the zone name is the apex.
          - A fully qualified name outside the zone is an error.
        type: str
        required: true
      type:
        description:
          - Record type. DigitalOcean's SOA record is not managed.
        type: str
        required: true
        choices: [A, AAAA, CAA, CNAME, MX, NS, SRV, TXT]
      data:
        description:
          - The value. A - an IPv4 address. AAAA - an IPv6 address. CNAME, MX, NS, SRV - a hostname,
            with or without the trailing dot, or V(@) for the apex. TXT - the text, with or without
            surrounding quotes; long values may be given whole or as quoted strings of up to 255
            characters. CAA - the certificate authority (V(letsencrypt.org)) or, for V(iodef), a URL.
          - Required unless O(records[].state=absent).
        type: str
      ttl:
        description:
          - Time to live in seconds, at least V(30). Defaults to O(default_ttl).
        type: int
      priority:
        description:
          - Priority of an MX or SRV record, V(0) to V(65535). Required for MX and SRV, not allowed for other types.
        type: int
      port:
        description:
          - Port of an SRV record, V(0) to V(65535). Required for SRV, not allowed for other types.
        type: int
      weight:
        description:
          - Weight of an SRV record, V(0) to V(65535). Required for SRV, not allowed for other types.
        type: int
      flags:
        description:
          - Flags of a CAA record, V(0) to V(255). Required for CAA, not allowed for other types.
        type: int
      tag:
        description:
          - Tag of a CAA record. Required for CAA, not allowed for other types.
        type: str
        choices: [issue, issuewild, iodef]
      state:
        description:
          - V(present) - the record exists (its pair becomes owned by the task).
          - V(absent) - without O(records[].data), every record of this name and type is deleted; with
            O(records[].data) (and, optionally, the type's own fields), only the records with that value.
            An absent entry does not make the pair owned.
        type: str
        choices: [present, absent]
        default: present
  purge:
    description:
      - When true, also delete every record of the zone whose name and type pair is not listed in
        O(records), except DigitalOcean's SOA record and its NS records at the apex.
    type: bool
    default: false
  default_ttl:
    description:
      - TTL of the records that do not set O(records[].ttl). It is enforced like an explicit TTL.
    type: int
    default: 1800
extends_documentation_fragment:
  - fediops.mastodon.digitalocean
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.DIGITALOCEAN
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
attributes:
  check_mode:
    support: full
    details: "No write call is made; RV(changes) and RV(records) show what would change."
  diff_mode:
    support: full
    details: "The records in the task's scope before and after, one zone-file line each."
'''

EXAMPLES = r'''
- name: Publish the records of a Mastodon instance
  fediops.mastodon.do_domain_records:
    domain: example.social
    records:
      - {name: "@", type: A, data: 203.0.113.10}
      - {name: "@", type: AAAA, data: "2001:db8::10"}
      - {name: www, type: CNAME, data: example.social., ttl: 3600}
      - {name: files, type: CNAME, data: mastodon-media.nyc3.cdn.digitaloceanspaces.com}
      - {name: "@", type: CAA, flags: 0, tag: issue, data: letsencrypt.org}
      # The apex TXT pair is owned: these two values are its complete set.
      - {name: "@", type: TXT, data: "v=spf1 include:amazonses.com ~all"}
      - {name: "@", type: TXT, data: "google-site-verification=abc123"}
      - {name: _dmarc, type: TXT, data: "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.social"}

- name: Publish what SES asks for (DKIM CNAMEs, MAIL FROM MX and SPF), as returned by ses_email_identity
  fediops.mastodon.do_domain_records:
    domain: example.social
    records: "{{ ses_identity.records }}"

- name: Replace the A record of www with a CNAME in one task
  fediops.mastodon.do_domain_records:
    domain: example.social
    records:
      - {name: www, type: A, state: absent}
      - {name: www, type: CNAME, data: "@"}

- name: Make the zone hold exactly these records (DigitalOcean's SOA and NS records stay)
  fediops.mastodon.do_domain_records:
    domain: example.social
    purge: true
    records:
      - {name: "@", type: A, data: 203.0.113.10}
      - {name: "@", type: MX, data: inbound-smtp.us-east-1.amazonaws.com, priority: 10}

- name: Read every record of the zone (no change)
  fediops.mastodon.do_domain_records:
    domain: example.social
  register: zone
'''

RETURN = r'''
changes:
  description:
    - What was changed (in check mode, what would be).
  returned: always
  type: dict
  contains:
    created:
      description: Records created, as DigitalOcean returned them (in check mode their C(id) is null).
      type: list
      elements: dict
      sample: [{"id": 300000012, "name": "_dmarc", "type": "TXT", "data": "v=DMARC1; p=none", "ttl": 1800,
                "priority": null, "port": null, "weight": null, "flags": null, "tag": null}]
    updated:
      description: Records updated in place, each as RV(changes.updated[].before) and RV(changes.updated[].after).
      type: list
      elements: dict
      contains:
        before:
          description: The record before.
          type: dict
        after:
          description: The record after.
          type: dict
    deleted:
      description: Records deleted, as they were.
      type: list
      elements: dict
records:
  description:
    - Every record of the zone after the task (in check mode, as it would be), DigitalOcean's SOA and NS
      records included, sorted by name, type and data. Each record has the keys DigitalOcean returns.
    - Hostnames in RV(records[].data) have no trailing dot; names are relative to the zone, V(@) being the apex.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Record id (none yet for a record check mode would create).
      type: int
      sample: 300000007
    name:
      description: Name relative to the zone, V(@) for the apex.
      type: str
      sample: www
    type:
      description: Record type.
      type: str
      sample: CNAME
    data:
      description: Value of the record.
      type: str
      sample: example.social
    ttl:
      description: Time to live in seconds.
      type: int
      sample: 1800
    priority:
      description: MX and SRV priority, else null.
      type: int
    port:
      description: SRV port, else null.
      type: int
    weight:
      description: SRV weight, else null.
      type: int
    flags:
      description: CAA flags, else null.
      type: int
    tag:
      description: CAA tag, else null.
      type: str
'''

from ansible_collections.fediops.mastodon.plugins.module_utils import dns
from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanError, DigitalOceanModule


class Reconciler:
    """Reads the zone once, plans with ``module_utils.dns`` and applies the plan."""

    def __init__(self, module, zone):
        self.module = module
        self.zone = zone
        self.done = {'created': [], 'updated': [], 'deleted': []}

    def list_records(self, **filters):
        return self.module.api.paginate('list records of %s' % self.zone, self.module.client.domains.list_records,
                                        'domain_records', domain_name=self.zone, **filters)

    def read(self):
        try:
            items = self.list_records()
        except DigitalOceanError as exc:
            if exc.not_found:
                self.module.missing_dependency('domain %s does not exist in this DigitalOcean account; create it first with '
                                               'fediops.mastodon.do_domain' % self.zone, **self.module.scrub(exc.as_result()))
            self.module.fail_api(exc)
        return [dns.from_api(item, self.zone) for item in items]

    def fail_during_apply(self, exc):
        message = exc.message
        if any(self.done.values()):
            message += ' (changes made before the failure are in "changes")'
        self.module.fail_json(msg=self.module.scrub(message), changed=any(self.done.values()), changes=self.done,
                              **self.module.scrub(exc.as_result()))

    def find_created(self, record, known_ids):
        """After an ambiguous create: the record, if that create happened."""
        items = self.list_records(name=dns.absolute_name(record['name'], self.zone), type=record['type'])
        for item in items:
            found = dns.from_api(item, self.zone)
            if item.get('id') not in known_ids and dns.value_key(found) == dns.value_key(record):
                return item
        return None

    def body_for_create(self, record):
        body = {'type': record['type'], 'name': record['name'], 'data': dns.wire_data(record, self.zone), 'ttl': record['ttl']}
        for field in dns.VALUE_FIELDS.get(record['type'], ()):
            body[field] = record[field]
        return body

    def apply(self, plan, current):
        """Deletions, then updates, then creations; returns the records that replace the planned ones."""
        client = self.module.client.domains
        known_ids = set(record['id'] for record in current)
        results = {}
        try:
            for record in plan['delete']:
                self.module.api.delete('delete record %s' % dns.label(record, self.zone), client.delete_record, self.zone, record['id'])
                self.done['deleted'].append(dns.api_form(record, self.zone))
            for update in plan['update']:
                before = update['current']
                body = self.module.api.call('update record %s' % dns.label(before, self.zone), client.patch_record,
                                            self.zone, before['id'], update['body'])
                item = body['domain_record']
                results[id(update['desired'])] = item
                self.done['updated'].append({'before': dns.api_form(before, self.zone), 'after': item})
            for record in plan['create']:
                item = self.module.api.create_with_lookup(
                    'create record %s' % dns.label(record, self.zone), client.create_record, self.zone, self.body_for_create(record),
                    lookup=lambda record=record: self.find_created(record, known_ids), key='domain_record')
                results[id(record)] = item
                self.done['created'].append(item)
        except DigitalOceanError as exc:
            self.fail_during_apply(exc)
        return results

    def predicted(self, plan):
        for record in plan['delete']:
            self.done['deleted'].append(dns.api_form(record, self.zone))
        for update in plan['update']:
            after = dict(update['current'], changed=True)
            after.update(dict((key, update['desired'][key]) for key in ('data', 'ttl') + dns.OPTIONAL_FIELDS))
            self.done['updated'].append({'before': dns.api_form(update['current'], self.zone), 'after': dns.api_form(after, self.zone)})
        for record in plan['create']:
            self.done['created'].append(dns.api_form(dict(record, id=None), self.zone))


def main():
    record_spec = dict(
        name=dict(type='str', required=True),
        type=dict(type='str', required=True, choices=list(dns.RECORD_TYPES)),
        data=dict(type='str'),
        ttl=dict(type='int'),
        priority=dict(type='int'),
        port=dict(type='int'),
        weight=dict(type='int'),
        flags=dict(type='int'),
        tag=dict(type='str', choices=list(dns.CAA_TAGS)),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    argument_spec = dict(
        domain=dict(type='str', required=True, aliases=['zone', 'domain_name']),
        records=dict(type='list', elements='dict', default=[], options=record_spec),
        purge=dict(type='bool', default=False),
        default_ttl=dict(type='int', default=dns.DEFAULT_TTL),
    )
    module = DigitalOceanModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    zone = dns.normalize_zone(params['domain'])
    errors = [dns.zone_error(params['domain'])]
    default_ttl = params['default_ttl']
    if not dns.MIN_TTL <= default_ttl <= dns.MAX_TTL:
        errors.append('default_ttl %r is invalid; allowed: an integer from %d to %d seconds' % (default_ttl, dns.MIN_TTL, dns.MAX_TTL))
    errors = [error for error in errors if error]
    if errors:
        module.fail_json(msg='; '.join(errors))
    present, absent, errors, warnings = dns.parse_records(params['records'], zone, default_ttl)
    if errors:
        module.fail_json(msg='Invalid records, nothing was changed: ' + '; '.join(errors), errors=errors)
    for warning in warnings:
        module.warn(warning)

    reconciler = Reconciler(module, zone)
    current = reconciler.read()
    plan = dns.plan_records(present, absent, current, zone, purge=params['purge'])
    if plan['conflicts']:
        module.fail_json(msg='Records conflict with the zone, nothing was changed: ' + '; '.join(plan['conflicts']),
                         errors=plan['conflicts'])

    changed = bool(plan['create'] or plan['update'] or plan['delete'])
    after = dns.records_after(plan)
    if module.check_mode:
        reconciler.predicted(plan)
        final = [dns.api_form(record, zone) for record in after]
    else:
        applied = reconciler.apply(plan, current)
        final = [applied.get(id(record.get('source', record))) or dns.api_form(record, zone) for record in after]

    def scope(records):
        return [record for record in records if dns.in_scope(record, present, absent, params['purge'])]

    before_scope = scope(current)
    after_scope = scope(after)
    diff = {
        'before_header': '%s (records in scope of the task)' % zone,
        'after_header': '%s (records in scope of the task)' % zone,
        'before': dns.diff_text(before_scope, zone),
        'after': dns.diff_text(after_scope, zone),
    }
    module.exit_json(changed=changed, changes=reconciler.done, records=final, diff=diff)


if __name__ == '__main__':
    main()
