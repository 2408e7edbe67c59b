#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_domain
short_description: Manage a DNS zone (domain) hosted by DigitalOcean
version_added: 0.1.0
description:
  - Makes sure a domain is, or is not, hosted by DigitalOcean's DNS.
  - DigitalOcean gives every new zone an SOA record and the NS records C(ns1), C(ns2) and
    C(ns3.digitalocean.com) at the apex. Delegate the domain to those name servers at its registrar.
  - Records are managed with M(fediops.mastodon.do_domain_records).
  - Deleting a zone deletes all its records with it. So that no record is lost by accident, a zone
    holding records besides DigitalOcean's SOA and apex NS records is only deleted with O(force=true).
author:
  - fediops.mastodon contributors (@fediops)
options:
  name:
    description:
      - The domain, for example V(example.social). Case and a trailing dot do not matter.
    type: str
    required: true
    aliases: [domain]
  ip_address:
    description:
      - IPv4 address for an A record at the apex that DigitalOcean creates together with the zone.
      - Only used when the zone is created; afterwards manage that record with
        M(fediops.mastodon.do_domain_records).
    type: str
  state:
    description:
      - V(present) creates the zone when it does not exist, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - With O(state=absent), delete the zone even when it holds records besides DigitalOcean's SOA
        and apex NS records (they are deleted with it). Without it, such a zone is not deleted and the
        task fails naming the records.
    type: bool
    default: false
extends_documentation_fragment:
  - fediops.mastodon.digitalocean
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.DIGITALOCEAN
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
'''

EXAMPLES = r'''
- name: Host the instance's domain on DigitalOcean DNS
  fediops.mastodon.do_domain:
    name: example.social
    ip_address: 203.0.113.10

- name: Delete a test zone and every record in it
  fediops.mastodon.do_domain:
    name: staging.example.social
    state: absent
    force: true
'''

RETURN = r'''
domain:
  description:
    - The zone as DigitalOcean returns it. With O(state=absent), the zone that was deleted, or V({}).
    - In check mode, the zone as it would be.
  returned: always
  type: dict
  contains:
    name:
      description: The domain name.
      type: str
      sample: example.social
    ttl:
      description: TTL of the zone's SOA and NS records, in seconds.
      type: int
      sample: 1800
    zone_file:
      description: The zone file DigitalOcean serves (null in the answer to a creation).
      type: str
      sample: "$ORIGIN example.social.\n$TTL 1800\n..."
records:
  description:
    - With O(state=absent), the records the zone held besides DigitalOcean's SOA and apex NS records
      (deleted with it when O(force=true)).
  returned: when O(state=absent) and the zone existed
  type: list
  elements: dict
'''

import ipaddress

from ansible_collections.fediops.mastodon.plugins.module_utils import dns
from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanModule
from ansible_collections.fediops.mastodon.plugins.module_utils.diff import build_diff

DIFF_FIELDS = ('name', 'ttl')


def validate(params):
    errors = [dns.zone_error(params['name'])]
    if params.get('ip_address') is not None:
        try:
            ipaddress.IPv4Address(params['ip_address'])
        except ValueError:
            errors.append('ip_address %r is not an IPv4 address; DigitalOcean makes it an A record at the apex, so it must be '
                          'an IPv4 address such as 203.0.113.10' % params['ip_address'])
    return [error for error in errors if error]


def get_domain(module, name):
    body = module.get_or_none('get domain %s' % name, module.client.domains.get, name)
    return body.get('domain') if body else None


def content_records(module, name):
    """The records of the zone besides DigitalOcean's SOA and apex NS records."""
    items = module.paginate('list records of %s' % name, module.client.domains.list_records, 'domain_records', domain_name=name)
    kept = []
    for item in items:
        record = dns.from_api(item, name)
        if record['type'] == 'SOA' or (record['type'] == 'NS' and record['name'] == '@'):
            continue
        kept.append(dns.api_form(record, name))
    return kept


def ensure_present(module, name, current):
    if current:
        return False, current
    body = {'name': name}
    if module.params['ip_address']:
        body['ip_address'] = module.params['ip_address']
    if module.check_mode:
        return True, {'name': name, 'ttl': 1800, 'zone_file': None}
    domain = module.create_with_lookup('create domain %s' % name, module.client.domains.create, body,
                                       lookup=lambda: get_domain(module, name), key='domain')
    return True, domain


def ensure_absent(module, name, current):
    if not current:
        return False, {}, None
    records = content_records(module, name)
    if records and not module.params['force']:
        shown = ', '.join('%s %s %s' % (r['name'], r['type'], r['data']) for r in records[:10])
        more = ' and %d more' % (len(records) - 10) if len(records) > 10 else ''
        module.fail_json(msg='domain %s holds %d record(s) besides the SOA and NS records (%s%s); deleting the zone deletes them '
                             'too. Set force=true to delete it anyway. Nothing was changed.' % (name, len(records), shown, more),
                         records=records)
    if not module.check_mode:
        module.delete('delete domain %s' % name, module.client.domains.delete, name)
    return True, current, records


def main():
    argument_spec = dict(
        name=dict(type='str', required=True, aliases=['domain']),
        ip_address=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        force=dict(type='bool', default=False),
    )
    module = DigitalOceanModule(argument_spec=argument_spec, supports_check_mode=True)
    errors = validate(module.params)
    if errors:
        module.fail_json(msg=' '.join(errors))
    name = dns.normalize_zone(module.params['name'])
    current = get_domain(module, name)
    result = {}
    if module.params['state'] == 'present':
        changed, domain = ensure_present(module, name, current)
        after = domain
    else:
        changed, domain, records = ensure_absent(module, name, current)
        after = None
        if records is not None:
            result['records'] = records
    module.exit_json(changed=changed, domain=domain, diff=build_diff(current, after, DIFF_FIELDS), **result)


if __name__ == '__main__':
    main()
