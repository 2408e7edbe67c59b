#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_database_cluster
short_description: Manage DigitalOcean managed database clusters (PostgreSQL, Valkey, OpenSearch)
version_added: 0.1.0
description:
  - Create, update in place and delete a DigitalOcean managed database cluster, found by its name.
  - In place, the module resizes the cluster (node size, node count, storage), upgrades PostgreSQL to a
    higher major version, sets the maintenance window, storage autoscaling and the Valkey eviction policy,
    and moves the cluster to another project.
  - What DigitalOcean cannot change in place (engine, region, VPC, tags) and version downgrades fail with a
    message before any write. The module never deletes and re-creates a cluster.
  - Region, version, node count and node size are checked against C(GET /v2/databases/options) before any
    write; a value DigitalOcean does not offer fails naming the option, the value and the allowed values.
  - Can create a new cluster from a backup of another one (O(backup_restore)).
author:
  - fediops.mastodon contributors (@fediops)
options:
  name:
    description:
      - Name of the cluster, unique in the account.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the cluster, V(absent) deletes it (only O(name) is needed).
      - Deleting a cluster that does not exist changes nothing.
    type: str
    choices: [present, absent]
    default: present
  engine:
    description:
      - Database engine. Required to create a cluster (except from a backup, which uses the source's engine).
      - Cannot change once the cluster exists.
    type: str
    choices: [pg, valkey, opensearch]
  region:
    description:
      - Slug of the region, for example V(tor1). Required to create a cluster (from a backup, defaults to the
        source's region). Cannot change once the cluster exists.
    type: str
  size:
    description:
      - Slug of the node size, for example V(db-s-2vcpu-4gb). Required to create a cluster (from a backup,
        defaults to the source's size).
      - Changing it resizes the cluster in place. DigitalOcean cannot resize nodes to a smaller size; asking for one
        (by the RAM in the slug) fails before any write.
    type: str
  num_nodes:
    description:
      - Number of nodes (the primary plus standby nodes). Changing it resizes the cluster in place.
      - When omitted, V(1) on creation (from a backup, the source's count) and unchanged afterwards.
    type: int
  version:
    description:
      - Major version of the engine, for example V('17'). When omitted on creation DigitalOcean picks its default.
      - A higher version upgrades a PostgreSQL cluster in place. A lower version fails before any write, and so
        does any version change of a Valkey or OpenSearch cluster.
    type: str
  storage_size_mib:
    description:
      - Storage of the cluster in MiB. Changing it resizes the cluster in place.
      - Not for Valkey clusters, which keep their data in memory.
    type: int
  vpc:
    description:
      - VPC of the cluster, by id or by name (looked up in the account's VPCs). Must be in the cluster's region.
      - The id of an existing cluster's own VPC is not looked up (no request); a name always is.
      - When omitted on creation, DigitalOcean uses the region's default VPC. Cannot change once the cluster exists.
    type: str
    aliases: [private_network_uuid]
  tags:
    description:
      - Tags of the cluster, as a set (order and duplicates do not matter).
      - Set on creation. DigitalOcean's API has no call that changes the tags of an existing database cluster
        (its tag-assignment call does not take database clusters), so a different set on an existing cluster
        fails before any write. Omit the option to leave the tags as they are.
    type: list
    elements: str
  project:
    description:
      - Id of the project the cluster belongs to. When omitted on creation, the default project.
      - A different project moves the cluster there.
    type: str
    aliases: [project_id]
  maintenance_window:
    description:
      - When DigitalOcean may apply maintenance updates.
    type: dict
    suboptions:
      day:
        description: Day of the week.
        type: str
        required: true
        choices: [monday, tuesday, wednesday, thursday, friday, saturday, sunday]
      hour:
        description:
          - Start hour in UTC, V('HH:MM') (24-hour clock). Quote it in YAML; unquoted V(14:00) is read as a
            base-60 number.
        type: str
        required: true
  storage_autoscale:
    description:
      - Storage autoscaling. Only the given suboptions are compared and changed. Not for Valkey clusters.
    type: dict
    suboptions:
      enabled:
        description: Whether storage grows automatically.
        type: bool
        required: true
      threshold_percent:
        description: Storage usage (percent, 15 to 95) that triggers growth.
        type: int
      increment_gib:
        description: GiB added each time (10 to 500).
        type: int
  eviction_policy:
    description:
      - Eviction policy of a Valkey cluster. Fails for other engines.
    type: str
    choices: [noeviction, allkeys_lru, allkeys_random, volatile_lru, volatile_random, volatile_ttl]
  backup_restore:
    description:
      - Create the cluster from a backup of another (PostgreSQL) cluster. Used only when the cluster O(name)
        does not exist; options omitted here default to the source cluster's engine, region, size, node count
        and version.
      - The source and, when given, its backup are checked before anything is created.
      - The module never restores over an existing cluster. DigitalOcean does not record which backup a cluster
        came from, so an existing cluster named O(name) counts as this restore (and is then managed like any
        other) only when it runs the source's engine and was created after the backup (after the source cluster
        when O(backup_restore.backup_created_at) is omitted); otherwise the module fails and changes nothing.
    type: dict
    suboptions:
      database_name:
        description: Name of the existing cluster whose backup is restored.
        type: str
        required: true
      backup_created_at:
        description:
          - Time of the backup (ISO 8601, as listed by M(fediops.mastodon.do_database_info) with V(backups)).
          - When omitted, DigitalOcean restores the most recent backup.
        type: str
  wait:
    description:
      - Wait until the cluster is V(online) after a creation, a resize or an upgrade (and when it is found in
        another status), polling with backoff up to O(wait_timeout).
      - With V(false) the module returns at once with the transitional status (V(creating), V(resizing), ...).
        When one run both resizes and upgrades, it still waits between the two, since DigitalOcean changes a
        busy cluster one operation at a time.
    type: bool
    default: true
extends_documentation_fragment:
  - fediops.mastodon.digitalocean
  - fediops.mastodon.digitalocean_wait
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.DIGITALOCEAN
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
attributes:
  diff_mode:
    support: full
    details: The diff shows the managed fields only, never a password.
'''

EXAMPLES = r'''
- name: Databases of a Mastodon platform
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/fediops.mastodon.digitalocean:
      oauth_token: "{{ vault_digitalocean_token }}"
  tasks:
    - name: PostgreSQL in the platform's VPC
      fediops.mastodon.do_database_cluster:
        name: mastodon-pg
        engine: pg
        version: "17"
        region: tor1
        size: db-s-2vcpu-4gb
        num_nodes: 2
        vpc: mastodon-tor1
        tags: [mastodon, production]
        maintenance_window:
          day: sunday
          hour: "04:00"
        storage_autoscale:
          enabled: true
          threshold_percent: 80
          increment_gib: 10
      register: pg
      no_log: true  # the result holds the doadmin password; roles read it from pg.connection

    - name: Valkey for Sidekiq and the cache
      fediops.mastodon.do_database_cluster:
        name: mastodon-valkey
        engine: valkey
        region: tor1
        size: db-s-1vcpu-2gb
        vpc: mastodon-tor1
        eviction_policy: noeviction

    - name: Start OpenSearch without waiting for it
      fediops.mastodon.do_database_cluster:
        name: mastodon-search
        engine: opensearch
        region: tor1
        size: db-s-2vcpu-4gb
        wait: false

    - name: Restore yesterday's PostgreSQL backup into a new cluster
      fediops.mastodon.do_database_cluster:
        name: mastodon-pg-restored
        backup_restore:
          database_name: mastodon-pg
          backup_created_at: "2026-03-01T04:12:00Z"

    - name: Delete a cluster
      fediops.mastodon.do_database_cluster:
        name: mastodon-search
        state: absent
'''

RETURN = r'''
cluster:
  description:
    - The cluster as DigitalOcean returns it (see the C(database) object of the API). With O(state=absent),
      the deleted cluster, or V({}). In check mode, what would be created (without C(id)).
    - Contains passwords (C(connection), C(private_connection), C(standby_*connection), C(users)); see the notes.
  returned: always
  type: dict
  sample: {"id": "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30", "name": "mastodon-pg", "engine": "pg", "version": "17",
           "region": "tor1", "size": "db-s-2vcpu-4gb", "num_nodes": 2, "status": "online", "tags": ["mastodon"],
           "maintenance_window": {"day": "sunday", "hour": "04:00:00", "pending": false}}
connection:
  description:
    - Public connection details of the cluster (C(uri), C(database), C(host), C(port), C(user), C(password), C(ssl)).
    - B(Secret-bearing) - C(password) and the password inside C(uri) are the admin user's. Masked unless the
      task sets C(no_log), see the notes.
  returned: when O(state=present)
  type: dict
  sample: {"uri": "postgresql://doadmin:********@mastodon-pg-do-user-1-0.db.ondigitalocean.com:25060/defaultdb?sslmode=require",
           "database": "defaultdb", "host": "mastodon-pg-do-user-1-0.db.ondigitalocean.com", "port": 25060,
           "user": "doadmin", "password": "********", "ssl": true}
private_connection:
  description:
    - Connection details inside the VPC, same keys as RV(connection).
    - B(Secret-bearing) like RV(connection).
  returned: when O(state=present)
  type: dict
  sample: {"host": "private-mastodon-pg-do-user-1-0.db.ondigitalocean.com", "port": 25060, "user": "doadmin",
           "password": "********", "ssl": true}
'''

from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanModule
from ansible_collections.fediops.mastodon.plugins.module_utils.diff import build_diff
from ansible_collections.fediops.mastodon.plugins.module_utils.database import (
    BACKUP_ENGINES, ENGINES, EVICTION_POLICIES, MANAGED_FIELDS, WEEKDAYS, database_options, desired_cluster, engine_errors, find_cluster,
    get_cluster, immutable_errors, list_clusters, managed_view, option_errors, param_errors, pick_backup, plan_changes,
    plan_option_checks, predicted_view, protect_secrets, require_cluster, restore_errors, wait_for_cluster)

CREATE_FIELDS = ('name', 'engine', 'region', 'size', 'num_nodes', 'version', 'storage_size_mib', 'private_network_uuid', 'tags',
                 'project_id', 'autoscale')
TRANSITIONS = ('resize', 'upgrade')


def fail_on(module, errors, prefix=''):
    if errors:
        module.fail_json(msg=prefix + '; '.join(errors) + '. Nothing was changed.')


def resolve_vpc_option(module, current=None):
    """The VPC named by the ``vpc`` option (by id or name), or None.

    The id of the existing cluster's own VPC needs no lookup: it is that VPC, in the cluster's region.
    """
    wanted = module.params['vpc']
    if not wanted:
        return None
    if current and wanted == current.get('private_network_uuid'):
        return {'id': wanted, 'region': current.get('region')}
    return module.resolve_vpc(wanted)


def check_vpc_region(module, vpc, region, exists):
    if vpc and region and vpc.get('region') != region:
        fail_on(module, ['vpc %r is in region %s, the cluster %s in %s' % (
            module.params['vpc'], vpc.get('region'), 'is' if exists else 'would be', region)])


# step -> (what the call does, the pydo operation of module.client.databases)
STEP_CALLS = {
    'resize': ('resize', 'update_cluster_size'),
    'upgrade': ('upgrade the major version of', 'update_major_version'),
    'maintenance': ('set the maintenance window of', 'update_maintenance_window'),
    'autoscale': ('set storage autoscaling of', 'update_autoscale'),
    'eviction_policy': ('set the eviction policy of', 'update_eviction_policy'),
}


def apply_step(module, cluster, step, body):
    if step == 'project':
        module.call('move database cluster %s to project %s' % (cluster['name'], module.params['project']),
                    module.client.projects.assign_resources, module.params['project'], body)
        return
    what, operation = STEP_CALLS[step]
    module.call('%s database cluster %s' % (what, cluster['name']), getattr(module.client.databases, operation), cluster['id'], body)


def reached(step, body):
    """When a resize or an upgrade shows in the cluster object."""
    if step == 'resize':
        return lambda c: all(c.get(k) == v for k, v in body.items())
    return lambda c: str(c.get('version')) == body['version']


def apply_steps(module, cluster, steps):
    """Quick settings first (while the cluster is not busy), then resize, then upgrade, waiting between them."""
    settings = [s for s in steps if s[0] not in TRANSITIONS]
    transitions = [s for s in steps if s[0] in TRANSITIONS]
    for step, body in settings:
        apply_step(module, cluster, step, body)
    for index, (step, body) in enumerate(transitions):
        if cluster.get('status') != 'online':
            cluster = wait_for_cluster(module, cluster, 'before the %s' % step)
        apply_step(module, cluster, step, body)
        if module.params['wait'] or index < len(transitions) - 1:
            cluster = wait_for_cluster(module, cluster, 'after the %s' % step, reached(step, body))
    if module.params['wait'] and transitions:
        return cluster
    return get_cluster(module, cluster)


def update(module, current, desired, vpc):
    fail_on(module, immutable_errors(current, desired), 'Cannot update database cluster %r in place: ' % current['name'])
    check_vpc_region(module, vpc, current.get('region'), True)
    fail_on(module, engine_errors(current.get('engine'), desired))
    databases = module.client.databases
    autoscale = eviction_policy = None
    if desired['eviction_policy']:
        eviction_policy = module.call('get eviction policy', databases.get_eviction_policy, current['id']).get('eviction_policy')
    if desired['autoscale']:
        autoscale = (module.call('get storage autoscaling', databases.get_autoscale, current['id']) or {}).get('autoscale') or {}
    steps = plan_changes(current, desired, autoscale, eviction_policy)
    checks = plan_option_checks(current, desired, steps)
    if checks:
        fail_on(module, option_errors(database_options(module), current['engine'], **checks))
    before = managed_view(current, autoscale, eviction_policy)
    after = predicted_view(before, desired)
    if not steps or module.check_mode:
        cluster = current
        if not steps and module.params['wait'] and current.get('status') != 'online' and not module.check_mode:
            cluster = wait_for_cluster(module, current, '')
        return bool(steps), cluster, before, after
    cluster = apply_steps(module, current, steps)
    if module.params['wait'] and cluster.get('status') != 'online':
        cluster = wait_for_cluster(module, cluster, '')
    return True, cluster, before, after


def restore_source(module, desired, clusters):
    """The source cluster of ``backup_restore``, checked; fills desired fields from it."""
    restore = module.params['backup_restore']
    source = require_cluster(module, restore['database_name'], option='backup_restore.database_name', clusters=clusters)
    if source.get('engine') not in BACKUP_ENGINES:
        fail_on(module, ['backup_restore: cluster %r is %s, which DigitalOcean does not back up' % (source['name'], source.get('engine'))])
    if desired['engine'] and desired['engine'] != source.get('engine'):
        fail_on(module, ['engine %s differs from the %s of backup_restore source %r' % (desired['engine'], source.get('engine'), source['name'])])
    backups = module.call('list backups of %s' % source['name'], module.client.databases.list_backups, source['id']).get('backups')
    error = pick_backup(backups or [], restore.get('backup_created_at'))[1]
    fail_on(module, ['backup_restore: cannot restore cluster %r: %s' % (source['name'], error)] if error else [])
    for key in ('engine', 'region', 'size', 'num_nodes', 'version'):
        if desired[key] is None and source.get(key) is not None:
            desired[key] = str(source[key]) if key == 'version' else source[key]
    return dict((k, v) for k, v in restore.items() if v is not None)


def create(module, desired, vpc, clusters, options=None):
    params = module.params
    restore = restore_source(module, desired, clusters) if params['backup_restore'] else None
    check_vpc_region(module, vpc, desired['region'], False)
    missing = [key for key in ('engine', 'region', 'size') if not desired[key]]
    if missing:
        verb = 'are' if len(missing) > 1 else 'is'
        fail_on(module, ['%s %s required to create database cluster %r' % (' and '.join(missing), verb, params['name'])])
    desired['num_nodes'] = desired['num_nodes'] or 1
    fail_on(module, option_errors(options or database_options(module), desired['engine'], region=desired['region'], version=desired['version'],
                                  num_nodes=desired['num_nodes'], size=desired['size']))
    fail_on(module, engine_errors(desired['engine'], desired))
    body = dict((key, desired[key]) for key in CREATE_FIELDS if desired.get(key) is not None)
    if restore:
        body['backup_restore'] = restore
    after = predicted_view({}, desired)
    if module.check_mode:
        return True, body, {}, after
    cluster = module.create_with_lookup('create database cluster %s' % params['name'], module.client.databases.create_cluster, body,
                                        lookup=lambda: find_cluster(module, params['name']), key='database')
    if params['wait']:
        cluster = wait_for_cluster(module, cluster, 'after its creation')
    # The maintenance window and the eviction policy are not part of the create call.
    later = dict((key, desired[key] if key in ('maintenance_window', 'eviction_policy') else None) for key in MANAGED_FIELDS)
    settings = plan_changes(cluster, later)
    for step, step_body in settings:
        apply_step(module, cluster, step, step_body)
    if settings:
        cluster = get_cluster(module, cluster)
    return True, cluster, {}, predicted_view(managed_view(cluster), desired)


def main():
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        engine=dict(type='str', choices=list(ENGINES)),
        region=dict(type='str'),
        size=dict(type='str'),
        num_nodes=dict(type='int'),
        version=dict(type='str'),
        storage_size_mib=dict(type='int'),
        vpc=dict(type='str', aliases=['private_network_uuid']),
        tags=dict(type='list', elements='str'),
        project=dict(type='str', aliases=['project_id']),
        maintenance_window=dict(type='dict', options=dict(day=dict(type='str', required=True, choices=list(WEEKDAYS)),
                                                          hour=dict(type='str', required=True))),
        storage_autoscale=dict(type='dict', options=dict(enabled=dict(type='bool', required=True), threshold_percent=dict(type='int'),
                                                         increment_gib=dict(type='int'))),
        eviction_policy=dict(type='str', choices=list(EVICTION_POLICIES)),
        backup_restore=dict(type='dict', options=dict(database_name=dict(type='str', required=True), backup_created_at=dict(type='str'))),
        wait=dict(type='bool', default=True),
    )
    module = DigitalOceanModule(argument_spec=argument_spec, supports_check_mode=True, wait=True)
    params = module.params
    if params['state'] == 'present':
        fail_on(module, param_errors(params))
    clusters = list_clusters(module)
    current = find_cluster(module, params['name'], clusters)

    if params['state'] == 'absent':
        changed = current is not None
        if changed and not module.check_mode:
            changed = module.delete('delete database cluster %s' % params['name'], module.client.databases.destroy_cluster, current['id'])
        protect_secrets(module, current)
        module.exit_json(changed=changed, cluster=current or {}, diff=build_diff(managed_view(current), None, MANAGED_FIELDS))

    options = None
    if current is None and not params['backup_restore'] and params['engine'] and params['region'] and params['size']:
        # Before the VPC lookup: a size, version or region DigitalOcean does not offer fails even in check mode
        # while the VPC does not exist yet (the platform role's preflight relies on it).
        options = database_options(module)
        fail_on(module, option_errors(options, params['engine'], region=params['region'],
                                      version=None if params['version'] is None else str(params['version']),
                                      num_nodes=params['num_nodes'] or 1, size=params['size']))
    vpc = resolve_vpc_option(module, current)
    desired = desired_cluster(params, vpc['id'] if vpc else None)
    if current is None:
        changed, cluster, before, after = create(module, desired, vpc, clusters, options)
    else:
        if params['backup_restore']:
            restore = params['backup_restore']
            source = find_cluster(module, restore['database_name'], clusters)
            fail_on(module, restore_errors(current, source, restore.get('backup_created_at')),
                    'backup_restore: refusing to treat the existing cluster as the restore: ')
        changed, cluster, before, after = update(module, current, desired, vpc)
    protect_secrets(module, cluster)
    module.exit_json(changed=changed, cluster=cluster, connection=cluster.get('connection') or {},
                     private_connection=cluster.get('private_connection') or {}, diff=build_diff(before, after, MANAGED_FIELDS))


if __name__ == '__main__':
    main()
