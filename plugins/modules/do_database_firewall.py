#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_database_firewall
short_description: Manage the trusted sources (firewall rules) of a DigitalOcean database cluster
version_added: 0.1.0
description:
  - Makes the trusted sources of a DigitalOcean database cluster exactly the set of O(rules) given.
    Rules outside the set are removed, missing ones added; DigitalOcean replaces the whole set in one
    C(PUT) request, sent only when the set differs (rules compare by type and value, in any order).
  - A cluster without trusted sources accepts connections from anywhere, so an empty set is refused
    unless O(allow_all=true) asks for exactly that.
  - Every rule is validated before any write; DigitalOcean allows at most 100 and no IPv6 addresses.
author:
  - fediops.mastodon contributors (@fediops)
options:
  cluster:
    description:
      - Name of the database cluster.
      - One of O(cluster) and O(cluster_id) is required.
    type: str
  cluster_id:
    description:
      - Id of the database cluster, instead of its name (for example the C(cluster.id) returned by
        M(fediops.mastodon.do_database_cluster)). Saves the lookup of the cluster by name.
    type: str
    version_added: 0.1.0
  rules:
    description:
      - The complete set of trusted sources. Duplicates are ignored.
    type: list
    elements: dict
    default: []
    suboptions:
      type:
        description:
          - V(k8s) a Kubernetes cluster (its nodes), V(droplet) a Droplet, V(tag) every Droplet and Kubernetes
            node with the tag, V(ip_addr) an address or network, V(app) an App Platform app.
        type: str
        required: true
        choices: [k8s, droplet, tag, ip_addr, app]
      value:
        description:
          - V(k8s) the cluster's id, or its name, looked up among the account's Kubernetes clusters.
          - V(droplet) the Droplet's numeric id. V(tag) the tag name. V(app) the app's id.
          - V(ip_addr) an IPv4 address (V(203.0.113.7)) or network in CIDR notation (V(203.0.113.0/24)); no IPv6.
        type: str
        required: true
  allow_all:
    description:
      - Set to V(true), with no O(rules), to remove every trusted source so that the cluster accepts
        connections from anywhere (still with its credentials and TLS).
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
- name: Only the Kubernetes cluster and the admin network may reach the database
  fediops.mastodon.do_database_firewall:
    cluster: mastodon-pg
    rules:
      - type: k8s
        value: mastodon-tor1          # a DOKS cluster name, or its id
      - type: ip_addr
        value: 203.0.113.0/24

- name: Both clusters by id, from earlier tasks (no lookup by name; one read of the trusted sources)
  fediops.mastodon.do_database_firewall:
    cluster_id: "{{ pg.cluster.id }}"
    rules:
      - type: k8s
        value: "{{ doks.cluster.id }}"

- name: Open the cluster to every address (explicitly)
  fediops.mastodon.do_database_firewall:
    cluster: mastodon-pg
    allow_all: true
'''

RETURN = r'''
rules:
  description: The trusted sources after the change (in check mode, as they would be).
  returned: always
  type: list
  elements: dict
  sample: [{"type": "k8s", "value": "bd5f5959-5e1e-4205-a714-a914373942af", "uuid": "79f26d28-ea8a-41f2-8ad8-8cfcdd020095"}]
rules_added:
  description: Rules (type and value) that were, or in check mode would be, added.
  returned: always
  type: list
  elements: dict
  sample: [{"type": "ip_addr", "value": "203.0.113.0/24"}]
rules_removed:
  description: Rules (type and value) that were, or in check mode would be, removed.
  returned: always
  type: list
  elements: dict
  sample: [{"type": "ip_addr", "value": "198.51.100.4"}]
'''

import ipaddress
import re

from ansible_collections.fediops.mastodon.plugins.module_utils.database_resources import (
    CLUSTER_REF_CONSTRAINTS, UUID_PATTERN, ClusterRef, cluster_ref_argument_spec)
from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanModule

MAX_RULES = 100
TAG_PATTERN = re.compile(r'^[A-Za-z0-9_:-]{1,255}$')
IP_ALLOWED = 'an IPv4 address (203.0.113.7) or IPv4 network in CIDR notation (203.0.113.0/24); DigitalOcean accepts no IPv6'


def ip_error(value):
    """None for a valid ``ip_addr`` value, else a message naming the value and what is allowed."""
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return 'rules: ip_addr value %r is not valid; allowed: %s' % (value, IP_ALLOWED)
    if network.version != 4:
        return 'rules: ip_addr value %r is IPv6; allowed: %s' % (value, IP_ALLOWED)
    if '/' in value and str(network) != value.strip():
        return 'rules: ip_addr value %r has host bits set; use the network address %s' % (value, network)
    return None


def rule_errors(rules):
    """Messages for every invalid rule; checked before any API call."""
    errors = []
    for rule in rules:
        kind, value = rule['type'], rule['value']
        if not value:
            errors.append('rules: a %s rule has an empty value' % kind)
        elif kind == 'ip_addr':
            errors.append(ip_error(value))
        elif kind == 'droplet' and not value.isdigit():
            errors.append('rules: droplet value %r is invalid; allowed: the numeric id of a Droplet' % value)
        elif kind == 'tag' and not TAG_PATTERN.match(value):
            errors.append('rules: tag value %r is invalid; allowed: letters, digits, "_", "-" and ":", at most 255 characters' % value)
        elif kind == 'app' and not UUID_PATTERN.match(value):
            errors.append('rules: app value %r is invalid; allowed: the id (a UUID) of an App Platform app' % value)
    distinct = len(set(rule_key(rule) for rule in rules))
    if distinct > MAX_RULES:
        errors.append('rules: %d distinct rules given; DigitalOcean allows at most %d' % (distinct, MAX_RULES))
    return [e for e in errors if e]


def rule_key(rule):
    """(type, value) with IP values in a canonical form (``10.0.0.5/32`` is ``10.0.0.5``)."""
    kind, value = rule.get('type'), rule.get('value')
    if kind == 'ip_addr':
        try:
            network = ipaddress.ip_network(value, strict=False)
            value = str(network.network_address) if network.prefixlen == network.max_prefixlen else str(network)
        except ValueError:
            pass
    return kind, value


def unique_rules(rules):
    """Rules as {type, value} dicts, first occurrence of each (type, value) kept, in order."""
    seen, result = set(), []
    for rule in rules:
        if rule_key(rule) not in seen:
            seen.add(rule_key(rule))
            result.append({'type': rule['type'], 'value': rule['value']})
    return result


def rule_changes(desired, current):
    """(added, removed): desired rules missing from ``current``, current rules outside ``desired``."""
    current_keys = set(rule_key(rule) for rule in current)
    desired_keys = set(rule_key(rule) for rule in desired)
    added = [rule for rule in desired if rule_key(rule) not in current_keys]
    removed = [{'type': rule['type'], 'value': rule['value']} for rule in current if rule_key(rule) not in desired_keys]
    return added, removed


def diff_view(rules):
    return {'rules': sorted('%s %s' % rule_key(rule) for rule in rules)}


def resolve_k8s_names(rules, clusters):
    """Rules with k8s cluster names replaced by ids, and messages for names that match no (or several) clusters."""
    errors, resolved = [], []
    for rule in rules:
        if rule['type'] == 'k8s' and not UUID_PATTERN.match(rule['value']):
            ids = [c['id'] for c in clusters if c.get('name') == rule['value']]
            if len(ids) != 1:
                errors.append('rules: k8s value %r is neither a cluster id nor the name of exactly one Kubernetes cluster '
                              '(%d match; clusters: %s)' % (rule['value'], len(ids), ', '.join(sorted(c.get('name', '?') for c in clusters)) or 'none'))
                continue
            rule = dict(rule, value=ids[0])
        resolved.append(rule)
    return resolved, errors


def main():
    argument_spec = cluster_ref_argument_spec()
    argument_spec.update(
        rules=dict(type='list', elements='dict', default=[], options=dict(
            type=dict(type='str', required=True, choices=['k8s', 'droplet', 'tag', 'ip_addr', 'app']),
            value=dict(type='str', required=True),
        )),
        allow_all=dict(type='bool', default=False),
    )
    module = DigitalOceanModule(argument_spec=argument_spec, supports_check_mode=True, **CLUSTER_REF_CONSTRAINTS)
    params = module.params
    desired = unique_rules(params['rules'])
    if params['allow_all'] and desired:
        module.fail_json(msg='allow_all=true removes every trusted source; it cannot be combined with rules (%d given)' % len(desired))
    if not params['allow_all'] and not desired:
        module.fail_json(msg='rules is empty: a database cluster without trusted sources accepts connections from anywhere. '
                             'Give at least one rule, or set allow_all=true to ask for exactly that.')
    errors = rule_errors(desired)
    if errors:
        module.fail_json(msg=' '.join(errors))

    cluster = ClusterRef(module)
    if any(rule['type'] == 'k8s' and not UUID_PATTERN.match(rule['value']) for rule in desired):
        k8s_clusters = module.paginate('list Kubernetes clusters', module.client.kubernetes.list_clusters, 'kubernetes_clusters')
        desired, errors = resolve_k8s_names(desired, k8s_clusters)
        if errors:
            module.fail_json(msg=' '.join(errors))
        desired = unique_rules(desired)

    def read_rules():
        return cluster.call('list trusted sources of %s' % cluster.name, module.client.databases.list_firewall_rules,
                            cluster.id).get('rules') or []

    current = read_rules()
    added, removed = rule_changes(desired, current)
    changed = bool(added or removed)
    rules = current
    if changed:
        if module.check_mode:
            rules = desired
        else:
            module.call('replace trusted sources of %s' % cluster.name, module.client.databases.update_firewall_rules,
                        cluster.id, {'rules': desired})
            rules = read_rules()
    module.exit_json(changed=changed, rules=rules, rules_added=added, rules_removed=removed,
                     diff={'before': diff_view(current), 'after': diff_view(desired if changed else current)})


if __name__ == '__main__':
    main()
