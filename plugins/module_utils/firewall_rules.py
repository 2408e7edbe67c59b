# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Cloud Firewall rules as sets: normalisation, validation and the plan of a change, as pure functions.

A rule is ``{protocol, ports, sources}`` (inbound) or ``{protocol, ports, destinations}`` (outbound).
DigitalOcean answers ``"0"`` for "all ports" (and for every ICMP rule) and keeps the addresses it was
given, so both the desired and the current rules go through the same canonical form before they are
compared: ports ``all``/``0``/``1-65535`` spelled one way, addresses in ``ipaddress`` notation (a
single-host CIDR as the bare address), every target list sorted and without duplicates, empty lists
dropped. Rules are compared as sets; their order never matters.
"""

import ipaddress
import json
import re

PROTOCOLS = ('tcp', 'udp', 'icmp')
DIRECTIONS = (('inbound_rules', 'sources'), ('outbound_rules', 'destinations'))
TARGET_KEYS = ('addresses', 'droplet_ids', 'load_balancer_uids', 'kubernetes_ids', 'tags')
NAME_PATTERN = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9.-]+$')
TAG_PATTERN = re.compile(r'^[a-zA-Z0-9_\-:]{1,255}$')
UUID_PATTERN = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
PORTS_PATTERN = re.compile(r'^(\d{1,5})(?:-(\d{1,5}))?$')
ALL_PORTS = '0'
MAX_RULES = 50
MAX_DROPLETS = 10
MAX_TAGS = 5
MAX_TARGETS = 1000
PORTS_ALLOWED = 'a port (1-65535), a range such as 8000-9000, or "all" (also written "0") for every port'


# --------------------------------------------------------------------------------------------
# Canonical forms
# --------------------------------------------------------------------------------------------

def normalize_ports(protocol, ports):
    """The canonical ports of a rule; raises ValueError for ports DigitalOcean does not accept."""
    if protocol == 'icmp':
        return ALL_PORTS
    text = '' if ports is None else str(ports).strip().lower()
    if text in ('all', '0', '1-65535'):
        return ALL_PORTS
    match = PORTS_PATTERN.match(text)
    if not match:
        raise ValueError('%r is not %s' % (ports, PORTS_ALLOWED))
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if not 1 <= low <= high <= 65535:
        raise ValueError('%r is not %s (ports are 1-65535 and a range starts at its lower end)' % (ports, PORTS_ALLOWED))
    return str(low) if low == high else '%d-%d' % (low, high)


def normalize_address(address):
    """An IPv4/IPv6 address or network in canonical notation; a single-host network as the bare address."""
    text = str(address).strip()
    if '/' in text:
        network = ipaddress.ip_network(text, strict=False)
        if network.num_addresses == 1:
            return str(network.network_address)
        return str(network)
    return str(ipaddress.ip_address(text))


def normalize_targets(targets):
    """Sources or destinations: known keys only, canonical values, sorted, no empty lists."""
    result = {}
    for key in TARGET_KEYS:
        values = (targets or {}).get(key)
        if not values:
            continue
        if key == 'addresses':
            values = [normalize_address(value) for value in values]
        elif key == 'droplet_ids':
            values = [int(value) for value in values]
        elif key == 'kubernetes_ids':
            values = [str(value).lower() for value in values]
        else:
            values = [str(value) for value in values]
        result[key] = sorted(set(values))
    return result


def normalize_rule(rule, side):
    """A rule in canonical form; raises ValueError (ports, addresses) when it cannot be one."""
    protocol = (rule.get('protocol') or 'tcp').lower()
    return {'protocol': protocol, 'ports': normalize_ports(protocol, rule.get('ports')), side: normalize_targets(rule.get(side))}


def rule_key(rule):
    return json.dumps(rule, sort_keys=True)


def normalize_rules(rules, side):
    """A list of rules as a sorted set of canonical rules."""
    unique = {}
    for rule in rules or []:
        canonical = normalize_rule(rule, side)
        unique[rule_key(canonical)] = canonical
    return [unique[key] for key in sorted(unique)]


def current_state(firewall):
    """The managed part of a firewall as DigitalOcean returns it, in canonical form."""
    firewall = firewall or {}
    state = {'name': firewall.get('name')}
    for direction, side in DIRECTIONS:
        state[direction] = normalize_rules(firewall.get(direction), side)
    state['droplet_ids'] = sorted(set(int(value) for value in firewall.get('droplet_ids') or []))
    state['tags'] = sorted(set(firewall.get('tags') or []))
    return state


def desired_state(params, current=None):
    """What the firewall must look like: the options given, and for omitted ones (None) what it has now."""
    current = current or current_state(None)
    state = {'name': params['name']}
    for direction, side in DIRECTIONS:
        given = params.get(direction)
        state[direction] = current[direction] if given is None else normalize_rules(given, side)
    given = params.get('droplet_ids')
    state['droplet_ids'] = current['droplet_ids'] if given is None else sorted(set(int(value) for value in given))
    given = params.get('tags')
    state['tags'] = current['tags'] if given is None else sorted(set(given))
    return state


def api_body(state):
    """The full firewall representation a PUT (or POST) sends."""
    body = {'name': state['name'], 'droplet_ids': list(state['droplet_ids']), 'tags': list(state['tags'])}
    for direction, side in DIRECTIONS:
        body[direction] = [{'protocol': rule['protocol'], 'ports': rule['ports'], side: dict(rule[side])} for rule in state[direction]]
    return body


# --------------------------------------------------------------------------------------------
# Validation (before any call)
# --------------------------------------------------------------------------------------------

def _target_errors(targets, where):
    errors = []
    present = [key for key in TARGET_KEYS if (targets or {}).get(key)]
    if not present:
        return ['%s must name at least one of %s' % (where, ', '.join(TARGET_KEYS))]
    for address in targets.get('addresses') or []:
        try:
            normalize_address(address)
        except ValueError:
            errors.append('%s.addresses: %r is not an IPv4 or IPv6 address or CIDR network' % (where, address))
    for tag in targets.get('tags') or []:
        if not TAG_PATTERN.match(str(tag)):
            errors.append('%s.tags: %r is not a valid tag; allowed: 1-255 letters, digits, colons, dashes and underscores' % (where, tag))
    for cluster_id in targets.get('kubernetes_ids') or []:
        if not UUID_PATTERN.match(str(cluster_id)):
            errors.append('%s.kubernetes_ids: %r is not a Kubernetes cluster id (a UUID)' % (where, cluster_id))
    for value in targets.get('load_balancer_uids') or []:
        if not str(value).strip():
            errors.append('%s.load_balancer_uids: an empty id is not a load balancer' % where)
    count = sum(len(targets.get(key) or []) for key in TARGET_KEYS)
    if count > MAX_TARGETS:
        errors.append('%s has %d entries; allowed: at most %d (use tags or network ranges instead)' % (where, count, MAX_TARGETS))
    return errors


def rule_errors(rules, direction, side):
    """Messages for every invalid rule of one direction, naming the rule, the field and what is allowed."""
    errors = []
    for index, rule in enumerate(rules or []):
        where = '%s[%d]' % (direction, index)
        protocol = (rule.get('protocol') or 'tcp').lower()
        if protocol not in PROTOCOLS:
            errors.append('%s.protocol %r is not allowed; allowed: %s' % (where, rule.get('protocol'), ', '.join(PROTOCOLS)))
            continue
        if protocol != 'icmp':
            if rule.get('ports') in (None, ''):
                errors.append('%s.ports is required for %s rules; allowed: %s' % (where, protocol, PORTS_ALLOWED))
            else:
                try:
                    normalize_ports(protocol, rule.get('ports'))
                except ValueError as exc:
                    errors.append('%s.ports: %s' % (where, exc))
        errors.extend(_target_errors(rule.get(side), '%s.%s' % (where, side)))
    return errors


def validate(params):
    """Every problem with the firewall options, checked before any API call."""
    errors = []
    if not NAME_PATTERN.match(params.get('name') or ''):
        errors.append('name %r is invalid; allowed: at least 2 characters, letters, digits, periods and dashes, '
                      'starting with a letter or digit' % params.get('name'))
    for direction, side in DIRECTIONS:
        errors.extend(rule_errors(params.get(direction), direction, side))
    for tag in params.get('tags') or []:
        if not TAG_PATTERN.match(str(tag)):
            errors.append('tags: %r is not a valid tag; allowed: 1-255 letters, digits, colons, dashes and underscores' % tag)
    if errors:
        return errors
    state = desired_state(params)
    rules = len(state['inbound_rules']) + len(state['outbound_rules'])
    if rules > MAX_RULES:
        errors.append('%d rules given; allowed: at most %d inbound and outbound rules together' % (rules, MAX_RULES))
    if len(state['droplet_ids']) > MAX_DROPLETS:
        errors.append('droplet_ids lists %d Droplets; allowed: at most %d (tag the Droplets and target the tag instead)'
                      % (len(state['droplet_ids']), MAX_DROPLETS))
    if len(state['tags']) > MAX_TAGS:
        errors.append('tags lists %d tags; allowed: at most %d' % (len(state['tags']), MAX_TAGS))
    return errors


# --------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------

def _set_change(desired, current, key=rule_key):
    wanted = dict((key(item), item) for item in desired)
    have = dict((key(item), item) for item in current)
    return {
        'added': [wanted[k] for k in sorted(wanted) if k not in have],
        'removed': [have[k] for k in sorted(have) if k not in wanted],
    }


def plan(desired, current):
    """What changes from ``current`` to ``desired`` (both canonical states): per field, what is added and removed.

    ``current`` None means the firewall does not exist (everything is added). Returns
    ``(changed, changes)``; ``changes`` has ``inbound_rules``, ``outbound_rules``, ``droplet_ids`` and
    ``tags``, each ``{added, removed}``.
    """
    base = current or current_state(None)
    changes = {}
    for direction, dummy in DIRECTIONS:
        changes[direction] = _set_change(desired[direction], base[direction])
    for field in ('droplet_ids', 'tags'):
        changes[field] = _set_change(desired[field], base[field], key=str)
    changed = current is None or any(change['added'] or change['removed'] for change in changes.values())
    return changed, changes


def diff_view(state):
    """A firewall state for ``--diff``: rules as sorted one-line strings, easy to read in a text diff."""
    if not state:
        return {}
    view = {'name': state['name'], 'droplet_ids': list(state['droplet_ids']), 'tags': list(state['tags'])}
    for direction, side in DIRECTIONS:
        view[direction] = [describe_rule(rule, side) for rule in state[direction]]
    return view


def describe_rule(rule, side):
    """``tcp 443 from addresses=0.0.0.0/0,::/0`` (inbound) or ``udp 53 to ...`` (outbound)."""
    ports = 'all' if rule['ports'] == ALL_PORTS else rule['ports']
    targets = ' '.join('%s=%s' % (key, ','.join(str(value) for value in values)) for key, values in sorted(rule[side].items()))
    return '%s %s %s %s' % (rule['protocol'], ports if rule['protocol'] != 'icmp' else '-', 'from' if side == 'sources' else 'to', targets)
