#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_firewall
short_description: Manage DigitalOcean Cloud Firewalls
version_added: 0.1.0
description:
  - Create, update and delete a DigitalOcean Cloud Firewall, found by its name.
  - Inbound and outbound rules are sets. Each list given is the whole set of its direction; rules are
    compared in a normalised form (ports V(all), V(0) and V(1-65535) are the same, DigitalOcean answers
    V("0"); ICMP rules have no ports; addresses in canonical notation; every list sorted), so their order
    and spelling never cause a change.
  - Targets are Droplets by id (O(droplet_ids)) and tags (O(tags)); DigitalOcean Kubernetes nodes carry
    the tag V(k8s:<cluster id>), so a firewall applies to every node of a cluster through that tag.
  - The firewall is updated with one PUT of its full representation, only when something differs. The
    result lists the rules, Droplets and tags added and removed.
  - Every input is validated before any call that changes something.
author:
  - fediops.mastodon contributors (@fediops)
options:
  name:
    description:
      - Name of the firewall, unique in the account. At least 2 characters; letters, digits, periods and
        dashes, starting with a letter or digit.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the firewall, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  inbound_rules:
    description:
      - Every inbound rule of the firewall. Rules not listed are removed; V([]) removes all.
      - Omit to leave the inbound rules as they are (a new firewall then has none).
      - A new firewall needs at least one inbound or outbound rule. At most 50 rules, inbound and
        outbound together.
    type: list
    elements: dict
    suboptions:
      protocol:
        description: Protocol of the traffic allowed.
        type: str
        choices: [tcp, udp, icmp]
        default: tcp
      ports:
        description:
          - A port (V(443)), a range (V(8000-9000)) or V(all) (also V(0)) for every port.
          - Required for V(tcp) and V(udp); ignored for V(icmp).
        type: str
      sources:
        description: Where the traffic may come from; at least one entry.
        type: dict
        required: true
        suboptions:
          addresses:
            description: IPv4 and IPv6 addresses and CIDR networks, for example V(0.0.0.0/0) and V(::/0).
            type: list
            elements: str
          droplet_ids:
            description: Ids of Droplets.
            type: list
            elements: int
          load_balancer_uids:
            description: Ids of load balancers.
            type: list
            elements: str
          kubernetes_ids:
            description: Ids of Kubernetes clusters.
            type: list
            elements: str
          tags:
            description: Tags of Droplets.
            type: list
            elements: str
  outbound_rules:
    description:
      - Every outbound rule of the firewall. Rules not listed are removed; V([]) removes all.
      - Omit to leave the outbound rules as they are (a new firewall then has none).
    type: list
    elements: dict
    suboptions:
      protocol:
        description: Protocol of the traffic allowed.
        type: str
        choices: [tcp, udp, icmp]
        default: tcp
      ports:
        description:
          - A port (V(53)), a range (V(8000-9000)) or V(all) (also V(0)) for every port.
          - Required for V(tcp) and V(udp); ignored for V(icmp).
        type: str
      destinations:
        description: Where the traffic may go; at least one entry.
        type: dict
        required: true
        suboptions:
          addresses:
            description: IPv4 and IPv6 addresses and CIDR networks.
            type: list
            elements: str
          droplet_ids:
            description: Ids of Droplets.
            type: list
            elements: int
          load_balancer_uids:
            description: Ids of load balancers.
            type: list
            elements: str
          kubernetes_ids:
            description: Ids of Kubernetes clusters.
            type: list
            elements: str
          tags:
            description: Tags of Droplets.
            type: list
            elements: str
  droplet_ids:
    description:
      - Every Droplet the firewall applies to, by id (at most 10; use a tag for more).
      - Omit to leave them as they are; V([]) removes all.
    type: list
    elements: int
  tags:
    description:
      - Every tag whose Droplets the firewall applies to (at most 5), for example V(k8s:<cluster id>) for
        the nodes of a DigitalOcean Kubernetes cluster.
      - Omit to leave them as they are; V([]) removes all.
    type: list
    elements: str
  wait:
    description:
      - Wait until DigitalOcean has applied the firewall (status V(succeeded)) after a create or an update.
extends_documentation_fragment:
  - fediops.mastodon.digitalocean
  - fediops.mastodon.digitalocean_wait
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.DIGITALOCEAN
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
'''

EXAMPLES = r'''
- name: Firewall of the Kubernetes nodes
  fediops.mastodon.do_firewall:
    name: mastodon-nodes
    tags:
      - "k8s:{{ doks.cluster.id }}"  # every node of the cluster
    inbound_rules:
      - protocol: tcp
        ports: "443"
        sources:
          addresses: [0.0.0.0/0, "::/0"]
      - protocol: tcp
        ports: "30000-32767"
        sources:
          load_balancer_uids: ["{{ lb_id }}"]
      - protocol: icmp
        sources:
          addresses: [0.0.0.0/0, "::/0"]
    outbound_rules:
      - protocol: tcp
        ports: all
        destinations:
          addresses: [0.0.0.0/0, "::/0"]
      - protocol: udp
        ports: all
        destinations:
          addresses: [0.0.0.0/0, "::/0"]
  register: node_firewall

- name: Allow SSH from the office only, keeping the other rules of the list above
  fediops.mastodon.do_firewall:
    name: mastodon-nodes
    inbound_rules: "{{ node_inbound_rules + [{'protocol': 'tcp', 'ports': '22', 'sources': {'addresses': ['192.0.2.0/24']}}] }}"

- name: Delete the firewall
  fediops.mastodon.do_firewall:
    name: mastodon-nodes
    state: absent
'''

RETURN = r'''
firewall:
  description:
    - The firewall as DigitalOcean returns it. With O(state=absent), the firewall that was deleted, or V({}).
    - In check mode, the firewall as it would be (without RV(firewall.id) for one that would be created).
  returned: always
  type: dict
  contains:
    id:
      description: Unique id of the firewall.
      type: str
      sample: bb4b2611-3d72-467b-8602-280330ecd65c
    name:
      description: Name of the firewall.
      type: str
      sample: mastodon-nodes
    status:
      description: V(waiting) while DigitalOcean applies a change, then V(succeeded) (or V(failed)).
      type: str
      sample: succeeded
    inbound_rules:
      description: Inbound rules, each with C(protocol), C(ports) and C(sources).
      type: list
      elements: dict
      sample: [{"protocol": "tcp", "ports": "443", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}}]
    outbound_rules:
      description: Outbound rules, each with C(protocol), C(ports) and C(destinations).
      type: list
      elements: dict
      sample: [{"protocol": "udp", "ports": "53", "destinations": {"addresses": ["0.0.0.0/0", "::/0"]}}]
    droplet_ids:
      description: Ids of the Droplets the firewall applies to.
      type: list
      elements: int
      sample: [8043964]
    tags:
      description: Tags whose Droplets the firewall applies to.
      type: list
      elements: str
      sample: ["k8s:5a4981aa-9653-4bd1-bef5-d6bff52042e4"]
    pending_changes:
      description: Droplets whose policies are being updated.
      type: list
      elements: dict
      sample: []
    created_at:
      description: When the firewall was created (ISO 8601).
      type: str
      sample: "2026-03-13T19:20:47Z"
changes:
  description:
    - What the task changed (or would change in check mode), in normalised form.
    - For each of C(inbound_rules), C(outbound_rules), C(droplet_ids) and C(tags), the entries C(added)
      and C(removed). A new firewall lists everything as added.
  returned: when O(state=present)
  type: dict
  sample:
    inbound_rules:
      added: [{"protocol": "tcp", "ports": "22", "sources": {"addresses": ["192.0.2.0/24"]}}]
      removed: []
    outbound_rules: {added: [], removed: []}
    droplet_ids: {added: [], removed: []}
    tags: {added: ["k8s:5a4981aa-9653-4bd1-bef5-d6bff52042e4"], removed: []}
'''

from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanModule
from ansible_collections.fediops.mastodon.plugins.module_utils import firewall_rules as fw


def fail_on(module, errors):
    if errors:
        module.fail_json(msg='Nothing was changed: ' + '; '.join(errors))


def find_firewall(module):
    firewalls = module.paginate('list firewalls', module.client.firewalls.list, 'firewalls')
    return module.find_unique(firewalls, 'firewalls', name=module.params['name'])


def wait_applied(module, firewall):
    if not module.params['wait'] or firewall.get('status') == 'succeeded':
        return firewall
    return module.wait_for(
        'firewall %s to be applied' % firewall['name'],
        lambda: module.call('get firewall %s' % firewall['name'], module.client.firewalls.get, firewall['id'])['firewall'],
        lambda current: current.get('status') == 'succeeded',
        is_failed=lambda current: 'DigitalOcean could not apply it (status failed)' if current.get('status') == 'failed' else None)


def ensure_present(module, current):
    params = module.params
    before = fw.current_state(current) if current else None
    desired = fw.desired_state(params, before)
    changed, changes = fw.plan(desired, before)
    if not changed:
        return False, current, before, desired, changes
    body = fw.api_body(desired)
    if current is None and not (desired['inbound_rules'] or desired['outbound_rules']):
        module.fail_json(msg='Nothing was changed: firewall %r does not exist and a new firewall needs at least one rule in '
                             'inbound_rules or outbound_rules' % params['name'])
    if module.check_mode:
        preview = dict(current or {}, **body)
        return True, preview, before, desired, changes
    if current is None:
        firewall = module.create_with_lookup('create firewall %s' % params['name'], module.client.firewalls.create, body,
                                             lookup=lambda: find_firewall(module), key='firewall')
    else:
        firewall = module.call('update firewall %s' % params['name'], module.client.firewalls.update, current['id'], body)['firewall']
    return True, wait_applied(module, firewall), before, desired, changes


def main():
    targets = dict(
        addresses=dict(type='list', elements='str'),
        droplet_ids=dict(type='list', elements='int'),
        load_balancer_uids=dict(type='list', elements='str'),
        kubernetes_ids=dict(type='list', elements='str'),
        tags=dict(type='list', elements='str'),
    )

    def rule_spec(side):
        return dict(
            protocol=dict(type='str', default='tcp', choices=list(fw.PROTOCOLS)),
            ports=dict(type='str'),
            **{side: dict(type='dict', required=True, options=targets)}
        )

    module = DigitalOceanModule(argument_spec=dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        inbound_rules=dict(type='list', elements='dict', options=rule_spec('sources')),
        outbound_rules=dict(type='list', elements='dict', options=rule_spec('destinations')),
        droplet_ids=dict(type='list', elements='int'),
        tags=dict(type='list', elements='str'),
    ), supports_check_mode=True, wait=True)
    params = module.params

    if params['state'] == 'present':
        fail_on(module, fw.validate(params))
    current = find_firewall(module)

    if params['state'] == 'absent':
        if current and not module.check_mode:
            module.delete('delete firewall %s' % params['name'], module.client.firewalls.delete, current['id'])
        diff = {'before': fw.diff_view(fw.current_state(current)) if current else {}, 'after': {}}
        module.exit_json(changed=bool(current), firewall=current or {}, diff=diff)

    changed, firewall, before, desired, changes = ensure_present(module, current)
    module.exit_json(changed=changed, firewall=firewall, changes=changes,
                     diff={'before': fw.diff_view(before), 'after': fw.diff_view(desired)})


if __name__ == '__main__':
    main()
