#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_vpc
short_description: Manage DigitalOcean VPC networks
version_added: 0.1.0
description:
  - Create, update and delete a DigitalOcean VPC network, found by its name.
  - Changes in place what DigitalOcean allows (O(description), O(default)). The region and the IP range
    cannot change; asking for another one fails, and nothing is ever deleted and recreated.
  - Every input is validated before any call that changes something.
author:
  - fediops.mastodon contributors (@fediops)
options:
  name:
    description:
      - Name of the VPC, unique in the account. Letters, digits, dashes and periods only.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the VPC, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  region:
    description:
      - Slug of the region, for example V(tor1). Required to create the VPC.
      - Checked against the regions DigitalOcean offers; an unknown slug fails listing the valid ones.
      - Cannot change once the VPC exists.
    type: str
  ip_range:
    description:
      - Private IPv4 range of the VPC in CIDR notation, for example V(10.110.0.0/20).
      - Must be inside an RFC 1918 block (V(10.0.0.0/8), V(172.16.0.0/12), V(192.168.0.0/16)), have a
        prefix between V(/16) and V(/28), and not overlap another VPC of the account.
      - When omitted on creation DigitalOcean picks a free V(/20). Cannot change once the VPC exists.
    type: str
  description:
    description:
      - Free-form description, at most 255 characters. V("") clears it.
    type: str
  default:
    description:
      - Whether the VPC is the default VPC of its region.
      - V(true) makes it the default (the previous default stops being one).
      - DigitalOcean can never unset a default VPC, so V(false) on the current default fails; make
        another VPC the default instead. The first VPC created in a region always becomes its default.
      - Omit to leave it as it is.
    type: bool
  wait:
    description:
      - Only used with O(state=absent); creating and updating a VPC is immediate.
      - When true, wait (up to O(wait_timeout)) until the VPC has no members left, then delete it; for
        example right after deleting a Kubernetes cluster whose nodes DigitalOcean removes in the background.
      - When false, deleting a VPC that still has members fails with DigitalOcean's message.
    type: bool
    default: false
extends_documentation_fragment:
  - fediops.mastodon.digitalocean
  - fediops.mastodon.digitalocean_wait
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.DIGITALOCEAN
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
'''

EXAMPLES = r'''
- name: Manage the VPC of a Mastodon platform
  hosts: localhost
  gather_facts: false
  module_defaults:
    # Connection options once for every fediops.mastodon DigitalOcean module of the play.
    # Without oauth_token the modules read DIGITALOCEAN_ACCESS_TOKEN (and the other usual variables).
    group/fediops.mastodon.digitalocean:
      oauth_token: "{{ vault_digitalocean_token }}"
  tasks:
    - name: Ensure the VPC exists
      fediops.mastodon.do_vpc:
        name: mastodon-tor1
        region: tor1
        ip_range: 10.110.0.0/20
        description: Mastodon production network
      register: platform_vpc  # platform_vpc.vpc.id goes to the Kubernetes cluster and the databases

    - name: Make it the default VPC of its region
      fediops.mastodon.do_vpc:
        name: mastodon-tor1
        default: true

    - name: Delete it, first waiting for DigitalOcean to release what was in it
      fediops.mastodon.do_vpc:
        name: mastodon-tor1
        state: absent
        wait: true
        wait_timeout: 900
'''

RETURN = r'''
vpc:
  description:
    - The VPC as DigitalOcean returns it. With O(state=absent), the VPC that was deleted, or V({}).
    - In check mode, the VPC as it would be (no RV(vpc.id) for one that would be created).
  returned: always
  type: dict
  contains:
    id:
      description: Unique id of the VPC.
      type: str
      sample: 5a4981aa-9653-4bd1-bef5-d6bff52042e4
    urn:
      description: Uniform resource name of the VPC.
      type: str
      sample: do:vpc:5a4981aa-9653-4bd1-bef5-d6bff52042e4
    name:
      description: Name of the VPC.
      type: str
      sample: mastodon-tor1
    description:
      description: Description of the VPC.
      type: str
      sample: Mastodon production network
    region:
      description: Slug of the region of the VPC.
      type: str
      sample: tor1
    ip_range:
      description: IP range of the VPC in CIDR notation.
      type: str
      sample: 10.110.0.0/20
    default:
      description: Whether the VPC is the default VPC of its region.
      type: bool
      sample: false
    created_at:
      description: When the VPC was created (ISO 8601).
      type: str
      sample: "2026-03-13T19:20:47Z"
'''

import ipaddress
import re

from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanModule
from ansible_collections.fediops.mastodon.plugins.module_utils.diff import build_diff, changed_fields

MANAGED_FIELDS = ('name', 'region', 'ip_range', 'description', 'default')
RFC1918_NETWORKS = tuple(ipaddress.ip_network(n) for n in ('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'))
NAME_PATTERN = re.compile(r'^[a-zA-Z0-9.-]+$')
MIN_PREFIX = 16
MAX_PREFIX = 28
MAX_DESCRIPTION = 255


def parse_ip_range(value):
    """(network, None) for a valid VPC range, else (None, message naming field, value and what is allowed)."""
    allowed = ('an IPv4 network in CIDR notation inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918) '
               'with a prefix from /%d to /%d, for example 10.110.0.0/20' % (MIN_PREFIX, MAX_PREFIX))
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None, 'ip_range %r is not a valid CIDR network; expected %s' % (value, allowed)
    if network.version != 4 or '/' not in value:
        return None, 'ip_range %r is not an IPv4 CIDR network; expected %s' % (value, allowed)
    if str(network) != value.strip():
        return None, 'ip_range %r has host bits set; use the network address %s' % (value, network)
    if not any(network.subnet_of(block) for block in RFC1918_NETWORKS):
        return None, 'ip_range %r is not a private (RFC 1918) range; expected %s' % (value, allowed)
    if not MIN_PREFIX <= network.prefixlen <= MAX_PREFIX:
        return None, 'ip_range %r has prefix /%d; expected %s' % (value, network.prefixlen, allowed)
    return network, None


def validate_params(params):
    """Messages for every invalid input; checked before any API call."""
    errors = []
    if not NAME_PATTERN.match(params['name'] or ''):
        errors.append('name %r is invalid; allowed: letters, digits, dashes (-) and periods (.)' % params['name'])
    if params.get('description') is not None and len(params['description']) > MAX_DESCRIPTION:
        errors.append('description is %d characters long; allowed: at most %d' % (len(params['description']), MAX_DESCRIPTION))
    if params.get('ip_range') is not None:
        errors.append(parse_ip_range(params['ip_range'])[1])
    return [e for e in errors if e]


def overlapping_vpc(network, vpcs):
    """The first VPC whose range overlaps ``network``, or None."""
    return next((v for v in vpcs if v.get('ip_range') and network.overlaps(ipaddress.ip_network(v['ip_range'], strict=False))), None)


def immutable_errors(current, params):
    """Why the existing VPC cannot become what is asked, if it cannot."""
    errors = []
    if params.get('region') and params['region'] != current.get('region'):
        errors.append('region cannot change (VPC %r is in %s, %s was asked)' % (current['name'], current.get('region'), params['region']))
    if params.get('ip_range') and params['ip_range'] != current.get('ip_range'):
        errors.append('ip_range cannot change (VPC %r has %s, %s was asked)' % (current['name'], current.get('ip_range'), params['ip_range']))
    if params.get('default') is False and current.get('default'):
        errors.append('VPC %r is the default VPC of %s and DigitalOcean cannot unset a default VPC (default=false); '
                      'make another VPC of the region the default instead' % (current['name'], current.get('region')))
    if errors:
        return 'Cannot update VPC in place: %s. Nothing was changed; use another name for a new VPC.' % '; '.join(errors)
    return None


def fail_on(module, errors):
    if errors:
        module.fail_json(msg=' '.join(errors) if isinstance(errors, list) else errors)


def list_vpcs(module):
    return module.paginate('list VPCs', module.client.vpcs.list, 'vpcs')


def ensure_present(module, current, vpcs):
    params = module.params
    if current:
        if params['region'] and params['region'] != current.get('region'):
            module.validate_region(params['region'])
        fail_on(module, immutable_errors(current, params))
        changes = changed_fields(params, current, keys=('description', 'default'))
        if not changes:
            return False, current
        if module.check_mode:
            return True, dict(current, **changes)
        return True, module.call('update VPC %s' % params['name'], module.client.vpcs.patch, current['id'], changes)['vpc']

    if not params['region']:
        module.fail_json(msg='region is required to create VPC %r' % params['name'])
    module.validate_region(params['region'])
    if params['ip_range']:
        other = overlapping_vpc(parse_ip_range(params['ip_range'])[0], vpcs)
        if other:
            module.fail_json(msg='ip_range %s overlaps VPC %r (%s); VPC ranges in an account must not overlap' % (
                params['ip_range'], other.get('name'), other.get('ip_range')))
    first_in_region = not [v for v in vpcs if v.get('region') == params['region']]
    if params['default'] is False and first_in_region:
        module.fail_json(msg='default=false cannot hold for VPC %r: it would be the first VPC in %s, which DigitalOcean '
                             'always makes the region default and can never unset' % (params['name'], params['region']))
    body = dict((k, params[k]) for k in ('name', 'region', 'ip_range', 'description') if params[k] is not None)
    if module.check_mode:
        return True, dict(body, default=bool(params['default'] or first_in_region))
    vpc = module.create_with_lookup('create VPC %s' % params['name'], module.client.vpcs.create, body,
                                    lookup=lambda: module.find_unique(list_vpcs(module), 'VPCs', name=params['name']),
                                    key='vpc')
    if params['default'] and not vpc.get('default'):
        vpc = module.call('make VPC %s the region default' % params['name'], module.client.vpcs.patch, vpc['id'], {'default': True})['vpc']
    return True, vpc


def ensure_absent(module, current):
    if not current:
        return False, {}
    if current.get('default'):
        module.fail_json(msg='VPC %r is the default VPC of %s; DigitalOcean does not delete a region default VPC. '
                             'Make another VPC the default first.' % (current['name'], current.get('region')))
    if module.check_mode:
        return True, current
    if module.params['wait']:
        module.wait_for(
            'VPC %s to have no members' % current['name'],
            lambda: module.paginate('list VPC members', module.client.vpcs.list_members, 'members', vpc_id=current['id']),
            lambda members: not members,
            describe=lambda members: '%d member(s): %s' % (len(members), ', '.join(m.get('urn') or m.get('name') or '?' for m in members[:10])),
        )
    module.delete('delete VPC %s' % current['name'], module.client.vpcs.delete, current['id'])
    return True, current


def main():
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        region=dict(type='str'),
        ip_range=dict(type='str'),
        description=dict(type='str'),
        default=dict(type='bool'),
        wait=dict(type='bool', default=False),
    )
    module = DigitalOceanModule(argument_spec=argument_spec, supports_check_mode=True, wait=True)
    params = module.params
    if params['state'] == 'present':
        fail_on(module, validate_params(params))

    vpcs = list_vpcs(module)
    current = module.find_unique(vpcs, 'VPCs', name=params['name'])

    if params['state'] == 'absent':
        changed, vpc = ensure_absent(module, current)
        after = None
    else:
        changed, vpc = ensure_present(module, current, vpcs)
        after = vpc
    module.exit_json(changed=changed, vpc=vpc, diff=build_diff(current, after, MANAGED_FIELDS))


if __name__ == '__main__':
    main()
