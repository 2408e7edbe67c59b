# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: connection_budget
short_description: Check that Mastodon's processes fit the PostgreSQL connection budget of a DigitalOcean cluster
version_added: 0.1.0
author:
  - fediops.mastodon contributors (@fediops)
description:
  - Computes both connection budgets of a Mastodon instance whose processes reach a DigitalOcean managed
    PostgreSQL cluster through a PgBouncer connection pool in transaction mode, and says whether each fits.
  - B(Client connections) of the pool, one per thread that may hold a database connection. Web (Puma)
    opens C(replicas x WEB_CONCURRENCY x MAX_THREADS), streaming C(replicas x DB_POOL), each Sidekiq process
    C(replicas x threads) (its E(DB_POOL) equals its threads). Their sum must fit the pool's client connection
    limit O(client_connection_limit).
  - B(Backend connections) of the cluster. Transaction pooling multiplexes the clients onto the pool's C(size)
    server connections, so what the cluster must hold is the sum of every pool's size plus the connections
    that bypass the pool (port 25060), such as the migration Jobs, C(pg_dump) backups and C(tootctl). The
    limit is DigitalOcean's documented 25 connections per GiB of RAM of the cluster's size, 3 of them
    reserved (1 GiB gives 22, 4 GiB gives 97, 16 GiB gives 397).
  - The result's C(message) names every term of both sums, the totals and the limits with their derivation,
    so a failed check explains itself.
  - The arithmetic is the one the C(fediops.mastodon.do_database_pool) module uses for its own budget check.
positional: _input
options:
  _input:
    description:
      - The Sidekiq processes, as in the C(sidekiq) role's C(sidekiq_processes) (each a dictionary with
        C(name), C(threads) and C(replicas); other keys are ignored). C(threads) defaults to 5 and C(replicas)
        to 1 as in the role.
    type: list
    elements: dict
    required: true
  web:
    description:
      - The web (Puma) processes.
      - C(replicas) (default 1), C(concurrency) (E(WEB_CONCURRENCY), default 2) and C(max_threads)
        (E(MAX_THREADS), default 5).
    type: dict
    default: {}
  streaming:
    description:
      - The streaming processes. C(replicas) (default 1) and C(db_pool) (its E(DB_POOL), default 10).
    type: dict
    default: {}
  pools:
    description:
      - Every PgBouncer pool of the cluster, each with C(name) and C(size). All of them take their size from
        the cluster's backend budget, the app's pool and any other.
    type: list
    elements: dict
    required: true
  app_pool:
    description:
      - Name of the pool the app processes connect to, whose client connection limit they share.
      - Defaults to the first of O(pools).
    type: str
  direct:
    description:
      - "Connections that bypass the pool (port 25060), as a list of dictionaries with C(name) and
        C(connections) or a dictionary from name to connections, for example
        C({'migration Job': 2, 'pg_dump backup': 1, 'tootctl': 5})."
    type: raw
    default: []
  cluster_size:
    description:
      - Size slug of the database cluster's nodes, for example C(db-s-2vcpu-4gb); its RAM sets the backend limit.
      - One of O(cluster_size) and O(memory_gib) is required.
    type: str
  memory_gib:
    description:
      - GiB of RAM of the database cluster's nodes, instead of O(cluster_size).
    type: float
  client_connection_limit:
    description:
      - How many client connections the app's pool accepts.
      - DigitalOcean's connection pool page and API reference document the backend limit but, as read for this
        collection, state no number for PgBouncer's client connections. The default, 5000, is the per-pool
        client connection limit documented by managed PostgreSQL services with the same PgBouncer
        configuration (for example Aiven's "each pool can handle up to 5000 database client connections").
        Set it when your provider documents another figure.
    type: int
    default: 5000
'''

EXAMPLES = r'''
- name: Fail before anything is applied when the plan cannot fit
  vars:
    budget: >-
      {{ sidekiq_processes | fediops.mastodon.connection_budget(
           web={'replicas': 2, 'concurrency': 2, 'max_threads': 5},
           streaming={'replicas': 2, 'db_pool': 10},
           pools=[{'name': 'mastodon', 'size': 40}],
           direct={'migration Job': 2, 'pg_dump backup': 1, 'tootctl': 5},
           cluster_size='db-s-2vcpu-4gb') }}
  ansible.builtin.assert:
    that: budget.fits
    fail_msg: "{{ budget.message }}"
    quiet: true

# budget.message, for example:
#   PgBouncer client connections fit: web (2 replicas x 2 WEB_CONCURRENCY x 5 MAX_THREADS) (20) + streaming
#   (2 replicas x 10 DB_POOL) (20) + sidekiq default (2 replicas x 15 threads) (30) + ... = 110 <= limit 5000
#   (client connections of pool mastodon); backend connections fit: pool mastodon (40) + migration Job (2)
#   + pg_dump backup (1) + tootctl (5) = 48 <= limit 97 (db-s-2vcpu-4gb: 4 GiB RAM x 25 per GiB - 3 reserved
#   by DigitalOcean = 97); 49 to spare
'''

RETURN = r'''
_value:
  description: Both budgets, the terms of each sum and whether the plan fits.
  type: dict
  contains:
    fits:
      description: Whether both the client and the backend connections fit their limits.
      type: bool
    message:
      description: The client budget's message and the backend budget's message, every term of both sums included.
      type: str
    clients:
      description: PgBouncer client connections of the app's pool.
      type: dict
      contains:
        terms:
          description: One C({name, connections}) per web, streaming and Sidekiq process; the name shows the product.
          type: list
          elements: dict
        total:
          description: Sum of the terms.
          type: int
        limit:
          description: O(client_connection_limit).
          type: int
        derivation:
          description: Where the limit comes from.
          type: str
        fits:
          description: Whether C(total <= limit).
          type: bool
        headroom:
          description: C(limit - total), negative when over budget.
          type: int
        message:
          description: Every term, the total and the limit.
          type: str
    backend:
      description: Backend connections of the cluster.
      type: dict
      contains:
        terms:
          description: One C({name, connections}) per pool (its size) and per direct connection.
          type: list
          elements: dict
        total:
          description: Sum of the terms.
          type: int
        limit:
          description: 25 per GiB of RAM minus 3.
          type: int
        derivation:
          description: How the limit follows from the cluster size.
          type: str
        memory_gib:
          description: GiB of RAM the limit was computed from.
          type: float
        fits:
          description: Whether C(total <= limit).
          type: bool
        headroom:
          description: C(limit - total), negative when over budget.
          type: int
        message:
          description: Every term, the total and the limit with its derivation.
          type: str
    app:
      description: Client connections by kind of process, C({web, streaming, sidekiq}).
      type: dict
'''

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.fediops.mastodon.plugins.module_utils.connection_budget import (
    backend_connection_limit, check_budget, limit_derivation, memory_gib_from_size)

DEFAULT_CLIENT_CONNECTION_LIMIT = 5000
WEB_DEFAULTS = {'replicas': 1, 'concurrency': 2, 'max_threads': 5}
STREAMING_DEFAULTS = {'replicas': 1, 'db_pool': 10}
SIDEKIQ_DEFAULTS = {'replicas': 1, 'threads': 5}


def _count(value, what, minimum=0):
    """A whole number >= minimum; booleans and text that is not a number are refused naming ``what``."""
    if isinstance(value, bool):
        raise AnsibleFilterError('connection_budget: %s must be a whole number, got %r' % (what, value))
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise AnsibleFilterError('connection_budget: %s must be a whole number, got %r' % (what, value)) from None
    if isinstance(value, float) and value == int(value):
        value = int(value)
    if not isinstance(value, int) or value < minimum:
        raise AnsibleFilterError('connection_budget: %s must be a whole number >= %d, got %r' % (what, minimum, value))
    return value


def _plural(count, singular, plural=None):
    """``1 replica``, ``2 replicas``."""
    return '%d %s' % (count, singular if count == 1 else (plural or singular + 's'))


def _settings(given, defaults, what):
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise AnsibleFilterError('connection_budget: %s must be a dictionary, got %r' % (what, given))
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise AnsibleFilterError('connection_budget: unknown %s keys %s; allowed: %s' % (what, ', '.join(unknown), ', '.join(sorted(defaults))))
    merged = dict(defaults)
    merged.update(given)
    return dict((key, _count(value, '%s.%s' % (what, key))) for key, value in merged.items())


def _direct_terms(direct):
    if direct is None:
        return []
    if isinstance(direct, dict):
        items = list(direct.items())
    elif isinstance(direct, (list, tuple)):
        items = []
        for entry in direct:
            if not isinstance(entry, dict) or 'name' not in entry or 'connections' not in entry:
                raise AnsibleFilterError('connection_budget: each direct connection needs name and connections, got %r' % (entry,))
            items.append((entry['name'], entry['connections']))
    else:
        raise AnsibleFilterError('connection_budget: direct must be a list of {name, connections} or a dictionary, got %r' % (direct,))
    return [(to_native(name), _count(value, 'direct connections of %s' % name)) for name, value in items]


def _sidekiq_terms(processes):
    if not isinstance(processes, (list, tuple)):
        raise AnsibleFilterError('connection_budget: the input must be the list of Sidekiq processes, got %r' % (processes,))
    terms = []
    for index, process in enumerate(processes):
        if not isinstance(process, dict):
            raise AnsibleFilterError('connection_budget: Sidekiq process #%d must be a dictionary, got %r' % (index + 1, process))
        name = process.get('name') or '#%d' % (index + 1)
        replicas = _count(process.get('replicas', SIDEKIQ_DEFAULTS['replicas']), 'replicas of Sidekiq process %s' % name)
        threads = _count(process.get('threads', SIDEKIQ_DEFAULTS['threads']), 'threads of Sidekiq process %s' % name)
        terms.append(('sidekiq %s (%s x %s)' % (name, _plural(replicas, 'replica'), _plural(threads, 'thread')), replicas * threads))
    return terms


def _pool_terms(pools):
    if not isinstance(pools, (list, tuple)) or not pools:
        raise AnsibleFilterError('connection_budget: pools must list every PgBouncer pool of the cluster as {name, size}, got %r' % (pools,))
    terms = []
    for entry in pools:
        if not isinstance(entry, dict) or not entry.get('name') or 'size' not in entry:
            raise AnsibleFilterError('connection_budget: each pool needs name and size, got %r' % (entry,))
        terms.append((to_native(entry['name']), _count(entry['size'], 'size of pool %s' % entry['name'], minimum=1)))
    return terms


def connection_budget(processes, web=None, streaming=None, pools=None, app_pool=None, direct=None, cluster_size=None, memory_gib=None,
                      client_connection_limit=DEFAULT_CLIENT_CONNECTION_LIMIT):
    """Client and backend connection budgets of a Mastodon plan (see DOCUMENTATION)."""
    web = _settings(web, WEB_DEFAULTS, 'web')
    streaming = _settings(streaming, STREAMING_DEFAULTS, 'streaming')
    sidekiq = _sidekiq_terms(processes)
    pool_terms = _pool_terms(pools)
    direct_terms = _direct_terms(direct)
    client_limit = _count(client_connection_limit, 'client_connection_limit', minimum=1)

    if app_pool is None:
        app_pool = pool_terms[0][0]
    elif app_pool not in [name for name, _size in pool_terms]:
        raise AnsibleFilterError('connection_budget: app_pool %r is not one of the pools (%s)' % (app_pool, ', '.join(name for name, _size in pool_terms)))

    if (cluster_size is None) == (memory_gib is None):
        raise AnsibleFilterError('connection_budget: give exactly one of cluster_size (a size slug such as db-s-2vcpu-4gb) and memory_gib')
    try:
        memory = memory_gib_from_size(cluster_size) if cluster_size is not None else memory_gib
        if isinstance(memory, str):
            memory = float(memory)
        backend_limit = backend_connection_limit(memory)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError('connection_budget: %s' % to_native(exc)) from exc
    if isinstance(memory, float) and memory == int(memory):
        memory = int(memory)

    web_term = ('web (%s x %d WEB_CONCURRENCY x %d MAX_THREADS)' % (_plural(web['replicas'], 'replica'), web['concurrency'], web['max_threads']),
                web['replicas'] * web['concurrency'] * web['max_threads'])
    streaming_term = ('streaming (%s x %d DB_POOL)' % (_plural(streaming['replicas'], 'replica'), streaming['db_pool']),
                      streaming['replicas'] * streaming['db_pool'])
    clients = check_budget([web_term, streaming_term] + sidekiq, client_limit,
                           'client connections of pool %s' % app_pool, subject='PgBouncer client connections')
    backend = check_budget([('pool %s' % name, size) for name, size in pool_terms] + direct_terms, backend_limit,
                           limit_derivation(memory, cluster_size), subject='backend connections')
    backend['memory_gib'] = memory
    return {
        'fits': clients['fits'] and backend['fits'],
        'message': '%s; %s' % (clients['message'], backend['message']),
        'clients': clients,
        'backend': backend,
        'app': {'web': web_term[1], 'streaming': streaming_term[1], 'sidekiq': sum(connections for _name, connections in sidekiq)},
    }


class FilterModule(object):
    """fediops.mastodon.connection_budget"""

    def filters(self):
        return {'connection_budget': connection_budget}
