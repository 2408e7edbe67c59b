#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_database_db
short_description: Manage databases inside DigitalOcean database clusters
version_added: 0.1.0
description:
  - Create and delete a database (for example C(mastodon_production)) inside a DigitalOcean managed database
    cluster, found by its name within the cluster.
  - A database has nothing DigitalOcean can change in place; the module creates it when missing and deletes
    it when asked.
  - Caching (Redis) and Valkey clusters have no databases; asking for one fails before any write.
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
      - The cluster itself is read only before a database is created (to check that its engine has databases).
    type: str
    version_added: 0.1.0
  name:
    description:
      - Name of the database, unique in the cluster, at most 63 characters.
    type: str
    required: true
  state:
    description:
      - V(present) creates the database, V(absent) deletes it B(with all its data).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - fediops.mastodon.digitalocean
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.DIGITALOCEAN
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
'''

EXAMPLES = r'''
- name: Database of the Mastodon instance
  fediops.mastodon.do_database_db:
    cluster: mastodon-pg
    name: mastodon_production

- name: The same, with the cluster's id from an earlier task (no lookup by name)
  fediops.mastodon.do_database_db:
    cluster_id: "{{ pg.cluster.id }}"
    name: mastodon_production

- name: Drop a database (its data is lost)
  fediops.mastodon.do_database_db:
    cluster: mastodon-pg
    name: scratch
    state: absent
'''

RETURN = r'''
db:
  description:
    - The database. With O(state=absent), the database that was deleted, or V({}).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the database.
      type: str
      sample: mastodon_production
'''

from ansible_collections.fediops.mastodon.plugins.module_utils.database_resources import (
    CLUSTER_REF_CONSTRAINTS, DB_ENGINES, DB_NAME, ClusterRef, cluster_ref_argument_spec, find_named, name_error)
from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanModule
from ansible_collections.fediops.mastodon.plugins.module_utils.diff import build_diff


def main():
    argument_spec = cluster_ref_argument_spec()
    argument_spec.update(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    module = DigitalOceanModule(argument_spec=argument_spec, supports_check_mode=True, **CLUSTER_REF_CONSTRAINTS)
    name = module.params['name']
    message = name_error('name', name, 1, 63, DB_NAME)
    if message:
        module.fail_json(msg=message)

    cluster = ClusterRef(module, DB_ENGINES, 'Databases')

    def find():
        dbs = cluster.call('list databases of %s' % cluster.name, module.client.databases.list, cluster.id).get('dbs') or []
        return find_named(module, dbs, name, 'databases')

    current = find()
    changed, db, after = False, current or {}, current
    if module.params['state'] == 'absent':
        after = None
        if current:
            changed = True
            if not module.check_mode:
                module.delete('delete database %s' % name, module.client.databases.delete, cluster.id, name)
    elif not current:
        changed = True
        db = {'name': name}
        cluster.details()  # by id: its engine is checked before the create
        if not module.check_mode:
            db = module.create_with_lookup('create database %s' % name, module.client.databases.add, cluster.id, {'name': name},
                                           lookup=find, key='db')
        after = db
    module.exit_json(changed=changed, db=db, diff=build_diff(current, after, ('name',)))


if __name__ == '__main__':
    main()
