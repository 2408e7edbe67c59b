#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_database_user
short_description: Manage users of DigitalOcean database clusters
version_added: 0.1.0
description:
  - Create and delete a user of a DigitalOcean managed database cluster, found by its name within the cluster.
  - DigitalOcean generates the password. It is returned when the user is created, or when O(reset_password=true)
    makes DigitalOcean generate a new one; a re-run never changes it and does not return it.
  - For PostgreSQL, O(pg_allow_replication) is changed in place.
  - Caching (Redis) and Valkey clusters have no users; asking for one fails before any write.
  - The cluster's admin user C(doadmin) cannot be deleted; asking to fails before any request does.
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
      - The cluster itself is read only when its engine matters - before a user is created, or with O(pg_allow_replication).
    type: str
    version_added: 0.1.0
  name:
    description:
      - Name of the user, unique in the cluster.
    type: str
    required: true
  state:
    description:
      - V(present) creates the user (or updates its settings), V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  reset_password:
    description:
      - Have DigitalOcean generate a new password for an existing user and return it.
      - Every run with V(true) rotates the password again and reports a change. Use it in a task run on
        purpose, not in the play that keeps the platform converged. Clients using the old password stop working.
    type: bool
    default: false
  pg_allow_replication:
    description:
      - PostgreSQL only. Whether the user may open replication connections. Omit to leave it as it is
        (a new user gets V(false)).
    type: bool
extends_documentation_fragment:
  - fediops.mastodon.digitalocean
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.DIGITALOCEAN
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
'''

EXAMPLES = r'''
- name: Create Mastodon's database user, keeping the password for the application Secret
  fediops.mastodon.do_database_user:
    cluster: mastodon-pg
    name: mastodon
  register: db_user
  no_log: true  # the result holds the password; only then is it returned in clear

- name: Rotate its password (a deliberate, separate task)
  fediops.mastodon.do_database_user:
    cluster: mastodon-pg
    name: mastodon
    reset_password: true
  register: rotated
  no_log: true

- name: Delete a user
  fediops.mastodon.do_database_user:
    cluster: mastodon-pg
    name: old-app
    state: absent
'''

RETURN = r'''
user:
  description:
    - The user. With O(state=absent), the user that was deleted (without password), or V({}).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the user.
      type: str
      sample: mastodon
    role:
      description: V(primary) for the admin user C(doadmin), else V(normal).
      type: str
      sample: normal
    password:
      description: The password. B(Secret); see the notes.
      type: str
      returned: when the user was created or its password reset (not in check mode)
    settings:
      description: Engine-specific settings, for example C(pg_allow_replication).
      type: dict
password_changed:
  description: Whether a new password was (or in check mode would be) generated, by the creation or a reset.
  returned: always
  type: bool
'''

from ansible_collections.fediops.mastodon.plugins.module_utils.database import protect_secrets, strip_secrets
from ansible_collections.fediops.mastodon.plugins.module_utils.database_resources import (
    CLUSTER_REF_CONSTRAINTS, USER_ENGINES, USER_NAME, ClusterRef, cluster_ref_argument_spec, find_named, name_error)
from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanModule

ADMIN_USER = 'doadmin'


def replication(user):
    """The user's ``pg_allow_replication`` (False when DigitalOcean does not say)."""
    return bool(((user or {}).get('settings') or {}).get('pg_allow_replication', False))


def diff_view(user, with_replication=False):
    """The managed part of a user for ``--diff``: its name, and ``pg_allow_replication`` when managed. Never the password."""
    if not user:
        return {}
    view = {'name': user['name']}
    if with_replication:
        view['pg_allow_replication'] = replication(user)
    return view


def plan(params, current, engine):
    """What to do: a list among ``create``, ``update_settings``, ``reset_password``, ``delete``; or an error message."""
    if params['state'] == 'absent':
        if params['name'] == ADMIN_USER:
            return None, 'user %r is the admin user of the cluster; DigitalOcean does not delete it' % ADMIN_USER
        return (['delete'] if current else []), None
    if params['pg_allow_replication'] is not None and engine != 'pg':
        return None, 'pg_allow_replication applies to PostgreSQL users only; the cluster is %s' % engine
    if not current:
        return ['create'], None
    actions = []
    if params['pg_allow_replication'] is not None and params['pg_allow_replication'] != replication(current):
        actions.append('update_settings')
    if params['reset_password']:
        actions.append('reset_password')
    return actions, None


def main():
    argument_spec = cluster_ref_argument_spec()
    argument_spec.update(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        reset_password=dict(type='bool', default=False, no_log=False),
        pg_allow_replication=dict(type='bool'),
    )
    module = DigitalOceanModule(argument_spec=argument_spec, supports_check_mode=True, **CLUSTER_REF_CONSTRAINTS)
    params = module.params
    message = name_error('name', params['name'], 1, 63, USER_NAME)
    if params['state'] == 'absent' and params['name'] == ADMIN_USER:
        message = plan(params, None, None)[1]
    if message:
        module.fail_json(msg=message)

    cluster = ClusterRef(module, USER_ENGINES, 'Database users')

    def list_users():
        users = cluster.call('list users of %s' % cluster.name, module.client.databases.list_users, cluster.id).get('users') or []
        protect_secrets(module, users)
        return users

    current = find_named(module, list_users(), params['name'], 'database users')
    if params['pg_allow_replication'] is not None or (params['state'] == 'present' and not current):
        cluster.details()  # by id: the engine matters here, it is read and checked before any write
    actions, message = plan(params, current, (cluster.cluster or {}).get('engine'))
    if message:
        module.fail_json(msg=message)

    user = current
    settings = {'pg_allow_replication': params['pg_allow_replication']} if params['pg_allow_replication'] is not None else None
    if module.check_mode:
        if 'create' in actions:
            user = dict({'name': params['name'], 'role': 'normal'}, **({'settings': settings} if settings else {}))
        elif 'update_settings' in actions:
            user = dict(current, settings=dict(current.get('settings') or {}, **settings))
    elif 'create' in actions:
        body = dict({'name': params['name']}, **({'settings': settings} if settings else {}))
        user = module.create_with_lookup('create user %s' % params['name'], module.client.databases.add_user, cluster.id, body,
                                         lookup=lambda: find_named(module, list_users(), params['name'], 'database users'), key='user')
    elif 'delete' in actions:
        module.delete('delete user %s' % params['name'], module.client.databases.delete_user, cluster.id, params['name'])
    else:
        if 'update_settings' in actions:
            user = module.call('update user %s' % params['name'], module.client.databases.update_user, cluster.id, params['name'],
                               {'settings': dict(current.get('settings') or {}, **settings)}).get('user') or current
            user = dict(current, **user)
        if 'reset_password' in actions:
            user = dict(user, **(module.call('reset the password of user %s' % params['name'], module.client.databases.reset_auth,
                                             cluster.id, params['name'], {}).get('user') or {}))
    protect_secrets(module, user)
    password_changed = bool(set(actions) & set(['create', 'reset_password']))
    if not password_changed or module.check_mode or 'delete' in actions:
        user = strip_secrets(user)
    after = None if params['state'] == 'absent' else user
    managed = params['pg_allow_replication'] is not None
    module.exit_json(changed=bool(actions), user=user or {}, password_changed=password_changed,
                     diff={'before': diff_view(current, managed), 'after': diff_view(after, managed)})


if __name__ == '__main__':
    main()
