#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_database_pool
short_description: Manage PgBouncer connection pools of DigitalOcean PostgreSQL clusters
version_added: 0.1.0
description:
  - Create, update and delete a connection pool (PgBouncer) of a DigitalOcean managed PostgreSQL cluster,
    found by its name within the cluster.
  - Changes O(size), O(mode), O(db) and O(user) of an existing pool in place.
  - Before any write, checks the cluster's backend connection budget. DigitalOcean gives 25 backend
    connections per GiB of RAM of the cluster's size, 3 of them reserved for maintenance (1 GiB gives 22,
    4 GiB gives 97), shared by all pools of the cluster. The sizes of all pools after the change plus
    O(reserved_connections) must fit; otherwise the module fails, naming every term of the sum, the total,
    the limit and how the limit follows from the size, and changes nothing.
author:
  - fediops.mastodon contributors (@fediops)
options:
  cluster:
    description:
      - Name of the database cluster (a PostgreSQL cluster).
      - One of O(cluster) and O(cluster_id) is required.
    type: str
  cluster_id:
    description:
      - Id of the database cluster, instead of its name (for example the C(cluster.id) returned by
        M(fediops.mastodon.do_database_cluster)). Saves the lookup of the cluster by name.
      - The cluster itself is read only before a pool is created or changed (its engine and its size, for the
        connection budget); an unchanged pool is then not checked against the budget and RV(budget) is not returned.
    type: str
    version_added: 0.1.0
  name:
    description:
      - Name of the pool, unique in the cluster, 3 to 60 characters. Clients connect to it as the database name.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the pool, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  db:
    description:
      - Database the pool connects to. Required to create the pool.
    type: str
  user:
    description:
      - User the pool connects as. When omitted on creation, clients connect as the user they log in with.
      - Omit to leave it as it is.
    type: str
  size:
    description:
      - Number of backend connections the pool may open, at least 1. Required to create the pool.
    type: int
  mode:
    description:
      - PgBouncer pooling mode. Mastodon needs V(transaction) (with E(PREPARED_STATEMENTS=false)).
    type: str
    choices: [session, transaction, statement]
    default: transaction
  reserved_connections:
    description:
      - Backend connections kept free for direct connections (port 25060) such as migrations, backups
        and C(tootctl), counted in the budget check.
    type: int
    default: 5
extends_documentation_fragment:
  - fediops.mastodon.digitalocean
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.DIGITALOCEAN
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
'''

EXAMPLES = r'''
- name: Pool for Mastodon (web, streaming and Sidekiq connect to it on port 25061)
  fediops.mastodon.do_database_pool:
    cluster: mastodon-pg
    name: mastodon
    db: mastodon_production
    user: mastodon
    size: 60
    mode: transaction
    reserved_connections: 10  # migration Jobs, pg_dump backups, tootctl

- name: Read the pool's connection details for the application Secret
  fediops.mastodon.do_database_pool:
    cluster: mastodon-pg
    name: mastodon
    db: mastodon_production
    user: mastodon
    size: 60
  register: pool
  no_log: true  # the result holds the password; only then is it returned in clear

- name: Delete a pool
  fediops.mastodon.do_database_pool:
    cluster: mastodon-pg
    name: old-pool
    state: absent
'''

RETURN = r'''
pool:
  description:
    - The pool as DigitalOcean returns it. With O(state=absent), the pool that was deleted, or V({}).
    - In check mode, the pool as it would be (without connection details for one that would be created).
    - B(Secret-bearing) - RV(pool.connection) and RV(pool.private_connection) hold the password; see the notes.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the pool.
      type: str
      sample: mastodon
    db:
      description: Database of the pool.
      type: str
      sample: mastodon_production
    user:
      description: User of the pool.
      type: str
      sample: mastodon
    size:
      description: Backend connections of the pool.
      type: int
      sample: 60
    mode:
      description: PgBouncer pooling mode.
      type: str
      sample: transaction
    connection:
      description: Public connection details (host, port 25061, database, user, password, ssl, uri). Secret-bearing.
      type: dict
    private_connection:
      description: Connection details inside the VPC (same keys). Secret-bearing.
      type: dict
budget:
  description:
    - The cluster's backend connection budget after the change, when O(state=present).
  returned: when state is present and the cluster's size names its RAM (with O(cluster_id), only when the pool is created or changed)
  type: dict
  contains:
    terms:
      description: Each pool (C(pool <name>)) and the reserve with their connections.
      type: list
      elements: dict
    total:
      description: Sum of the terms.
      type: int
      sample: 70
    limit:
      description: Backend connections the cluster allows.
      type: int
      sample: 97
    derivation:
      description: How the limit follows from the cluster's size.
      type: str
      sample: "db-s-2vcpu-4gb: 4 GiB RAM x 25 per GiB - 3 reserved by DigitalOcean = 97"
    fits:
      description: Whether the total fits the limit.
      type: bool
    message:
      description: The sum written out.
      type: str
'''

from ansible_collections.fediops.mastodon.plugins.module_utils.connection_budget import pool_budget, pools_after
from ansible_collections.fediops.mastodon.plugins.module_utils.database import protect_secrets
from ansible_collections.fediops.mastodon.plugins.module_utils.database_resources import (
    CLUSTER_REF_CONSTRAINTS, POOL_ENGINES, ClusterRef, cluster_ref_argument_spec, find_named, name_error)
from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanModule
from ansible_collections.fediops.mastodon.plugins.module_utils.diff import build_diff, changed_fields

MANAGED_FIELDS = ('name', 'db', 'user', 'size', 'mode')


def validate_params(params):
    """Messages for every invalid input; checked before any API call."""
    errors = [name_error('name', params['name'], 3, 60)]
    if params.get('size') is not None and params['size'] < 1:
        errors.append('size %r is invalid; allowed: a whole number of at least 1' % params['size'])
    if params['reserved_connections'] < 0:
        errors.append('reserved_connections %r is invalid; allowed: 0 or more' % params['reserved_connections'])
    return [e for e in errors if e]


def desired_pool(params, current):
    """The pool after the change: what is asked, the rest as it is."""
    pool = dict((key, (current or {}).get(key)) for key in MANAGED_FIELDS)
    pool.update((key, params[key]) for key in MANAGED_FIELDS if params.get(key) is not None)
    return dict((key, value) for key, value in pool.items() if value not in (None, ''))


def budget_for(cluster, pools, name, size, reserved):
    """``pool_budget`` of the cluster after pool ``name`` gets ``size``; None when the size slug names no RAM."""
    try:
        return pool_budget(pools_after(pools, name, size), reserved, cluster.get('size'))
    except ValueError:
        return None


def list_pools(module, cluster):
    return cluster.call('list connection pools of %s' % cluster.name, module.client.databases.list_connection_pools,
                        cluster.id).get('pools') or []


def ensure_present(module, ref, pools, current):
    params = module.params
    if not current:
        missing = [key for key in ('db', 'size') if params.get(key) is None]
        if missing:
            verb = 'is' if len(missing) == 1 else 'are'
            module.fail_json(msg='%s %s required to create pool %r' % (' and '.join(missing), verb, params['name']))
    changes = changed_fields(params, current, keys=('db', 'user', 'size', 'mode'))
    pool = desired_pool(params, current)
    if current and not changes and ref.by_id:
        return False, current, None  # by id, an unchanged pool needs nothing of the cluster: it is not read
    cluster = ref.details()
    budget = budget_for(cluster, pools, params['name'], pool['size'], params['reserved_connections'])
    if current and not changes:
        if budget and not budget['fits']:
            module.warn('Pool %r is unchanged, but the pools of cluster %r no longer fit: %s' % (params['name'], cluster['name'], budget['message']))
        return False, current, budget
    if budget is None:
        module.fail_json(msg='cannot check the backend connection budget: the size %r of cluster %r names no RAM' % (
            cluster.get('size'), cluster['name']))
    if not budget['fits']:
        module.fail_json(msg='Pool %r does not fit cluster %r: %s. Nothing was changed; lower the pool sizes or '
                             'reserved_connections, or resize the cluster.' % (params['name'], cluster['name'], budget['message']),
                         budget=budget)
    if module.check_mode:
        return True, dict(current or {}, **pool), budget
    if current:
        body = dict((key, pool[key]) for key in ('mode', 'size', 'db', 'user') if key in pool)
        module.call('update pool %s' % params['name'], module.client.databases.update_connection_pool, cluster['id'], params['name'], body)
        found = module.get_or_none('read pool %s' % params['name'], module.client.databases.get_connection_pool, cluster['id'], params['name'])
        return True, (found or {}).get('pool') or dict(current, **pool), budget
    created = module.create_with_lookup(
        'create pool %s' % params['name'], module.client.databases.add_connection_pool, cluster['id'], pool,
        lookup=lambda: find_named(module, list_pools(module, ref), params['name'], 'connection pools'), key='pool')
    return True, created, budget


def ensure_absent(module, cluster, current):
    if not current:
        return False, {}
    if not module.check_mode:
        module.delete('delete pool %s' % current['name'], module.client.databases.delete_connection_pool, cluster.id, current['name'])
    return True, current


def main():
    argument_spec = cluster_ref_argument_spec()
    argument_spec.update(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        db=dict(type='str'),
        user=dict(type='str'),
        size=dict(type='int'),
        mode=dict(type='str', default='transaction', choices=['session', 'transaction', 'statement']),
        reserved_connections=dict(type='int', default=5),
    )
    module = DigitalOceanModule(argument_spec=argument_spec, supports_check_mode=True, **CLUSTER_REF_CONSTRAINTS)
    errors = validate_params(module.params)
    if errors:
        module.fail_json(msg=' '.join(errors))

    cluster = ClusterRef(module, POOL_ENGINES, 'Connection pools')
    pools = list_pools(module, cluster)
    protect_secrets(module, pools)
    current = find_named(module, pools, module.params['name'], 'connection pools')

    result = {}
    if module.params['state'] == 'absent':
        changed, pool = ensure_absent(module, cluster, current)
        after = None
    else:
        changed, pool, result['budget'] = ensure_present(module, cluster, pools, current)
        after = pool
        if result['budget'] is None:
            del result['budget']
    protect_secrets(module, pool)
    module.exit_json(changed=changed, pool=pool, diff=build_diff(current, after, MANAGED_FIELDS), **result)


if __name__ == '__main__':
    main()
