# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backend connection budget of a DigitalOcean managed PostgreSQL cluster, as pure functions.

DigitalOcean documents it: a cluster gives 25 backend connections per GiB of RAM of its nodes, 3 of
them reserved for maintenance (1 GiB -> 22, 4 GiB -> 97), and every connection pool of the cluster
takes its ``size`` from that shared budget. Whatever connects directly (port 25060: migrations,
backups, ``tootctl``) needs its share too. The pool module, the ``connection_budget`` filter and the
sidekiq role's check all use these functions, so they agree on the numbers and on the message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re

CONNECTIONS_PER_GIB = 25
RESERVED_BY_DIGITALOCEAN = 3

# A size slug names the node's class, CPU and RAM in that order: db-s-2vcpu-4gb, m-2vcpu-16gb,
# so1_5-4vcpu-32gb, gd-8vcpu-32gb, db-amd-1vcpu-1gb. The RAM is the first segment that is a number
# followed by a unit.
_MEMORY_SEGMENT = re.compile(r'^(\d+(?:\.\d+)?)(gb|gib|mb|mib)$')


def memory_gib_from_size(slug):
    """GiB of RAM of a node of this size slug (an int when whole, e.g. ``db-s-2vcpu-4gb`` -> 4).

    Raises ValueError naming the slug when it carries no RAM segment.
    """
    if not isinstance(slug, str) or not slug.strip():
        raise ValueError('size slug %r names no RAM; expected a slug such as db-s-2vcpu-4gb' % (slug,))
    for segment in slug.strip().lower().split('-')[1:]:
        match = _MEMORY_SEGMENT.match(segment)
        if match:
            amount = float(match.group(1))
            if match.group(2) in ('mb', 'mib'):
                amount = amount / 1024
            return int(amount) if amount == int(amount) else amount
    raise ValueError('size slug %r names no RAM; expected a slug such as db-s-2vcpu-4gb (node class, CPUs, RAM)' % slug)


def backend_connection_limit(memory_gib):
    """Backend connections available to pools and direct clients: 25 per GiB of RAM minus the 3 DigitalOcean keeps."""
    if memory_gib is None or memory_gib <= 0:
        raise ValueError('memory_gib must be a positive number of GiB (got %r)' % (memory_gib,))
    return max(0, int(math.floor(CONNECTIONS_PER_GIB * memory_gib)) - RESERVED_BY_DIGITALOCEAN)


def _number(value):
    return '%g' % value


def limit_derivation(memory_gib, size_slug=None):
    """How the limit follows from the size, e.g. ``db-s-1vcpu-1gb: 1 GiB RAM x 25 per GiB - 3 reserved by DigitalOcean = 22``."""
    text = '%s GiB RAM x %d per GiB - %d reserved by DigitalOcean = %d' % (
        _number(memory_gib), CONNECTIONS_PER_GIB, RESERVED_BY_DIGITALOCEAN, backend_connection_limit(memory_gib))
    return '%s: %s' % (size_slug, text) if size_slug else text


def check_budget(terms, limit, derivation=None, subject='backend connections'):
    """Whether the terms fit the limit, with every number needed to explain it.

    ``terms``: (label, connections) pairs, e.g. ``[('pool mastodon', 20), ('reserve for direct connections', 5)]``.
    Returns ``dict(terms=[{'name', 'connections'}], total, limit, derivation, fits, headroom, message)``; the
    message lists each term, the total and the limit with its derivation.
    """
    terms = [{'name': name, 'connections': int(connections)} for name, connections in terms]
    total = sum(term['connections'] for term in terms)
    fits = total <= limit
    sum_text = ' + '.join('%s (%d)' % (term['name'], term['connections']) for term in terms) or 'nothing'
    limit_text = '%d (%s)' % (limit, derivation) if derivation else '%d' % limit
    if fits:
        message = '%s fit: %s = %d <= limit %s; %d to spare' % (subject, sum_text, total, limit_text, limit - total)
    else:
        message = '%s over budget by %d: %s = %d > limit %s' % (subject, total - limit, sum_text, total, limit_text)
    return dict(terms=terms, total=total, limit=limit, derivation=derivation, fits=fits, headroom=limit - total,
                message=message)


def pool_budget(pools, reserved_connections, size_slug):
    """The budget of a cluster of size ``size_slug`` holding ``pools`` (dicts with ``name`` and ``size``)
    plus ``reserved_connections`` for direct connections (migrations, backups, tootctl).

    Raises ValueError when the slug names no RAM.
    """
    memory = memory_gib_from_size(size_slug)
    terms = [('pool %s' % pool['name'], pool.get('size') or 0) for pool in sorted(pools, key=lambda p: p['name'])]
    terms.append(('reserve for direct connections', reserved_connections))
    result = check_budget(terms, backend_connection_limit(memory), limit_derivation(memory, size_slug))
    result['memory_gib'] = memory
    return result


def pools_after(pools, name, size):
    """The pools of the cluster after pool ``name`` gets ``size`` (added when new, None removes it)."""
    others = [dict(pool) for pool in pools if pool.get('name') != name]
    if size is None:
        return others
    return others + [{'name': name, 'size': size}]
