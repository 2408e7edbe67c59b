#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_database_info
short_description: Read DigitalOcean managed database clusters with their pools, trusted sources, users and backups
version_added: 0.1.0
description:
  - Lists the account's managed database clusters (all, one or several by name, or those with a tag), each with what
    O(gather) asks for - connection pools, trusted sources (firewall rules), users, databases, the CA
    certificate and the available backups.
  - Read-only; never changes anything.
  - Passwords (of users, in connection details, inside connection URIs) are removed unless
    O(include_secrets=true).
author:
  - fediops.mastodon contributors (@fediops)
options:
  name:
    description:
      - Only the cluster with this name. No match returns an empty RV(clusters) list.
      - Mutually exclusive with O(names) and O(tag).
    type: str
  names:
    description:
      - Only the clusters with these names, read with one list request. Names that match no cluster are left out.
      - Mutually exclusive with O(name) and O(tag).
    type: list
    elements: str
    version_added: 0.1.0
  tag:
    description:
      - Only the clusters with this tag.
    type: str
    aliases: [tag_name]
  gather:
    description:
      - What to read for each cluster besides the cluster itself, one API call each.
      - V(pools) - PgBouncer connection pools (PostgreSQL only), as RV(clusters[].pools).
      - V(firewall) - trusted sources, as RV(clusters[].firewall_rules).
      - V(users) - database users (not for Valkey), as RV(clusters[].users).
      - V(dbs) - databases (PostgreSQL only), as RV(clusters[].dbs).
      - V(ca) - the CA certificate that signs the cluster's TLS certificate, as RV(clusters[].ca_certificate).
      - V(backups) - available backups (PostgreSQL only), as RV(clusters[].backups).
      - An item that does not apply to a cluster's engine is skipped and its key left out.
    type: list
    elements: str
    choices: [pools, firewall, users, dbs, ca, backups]
    default: [pools, firewall, users, dbs, ca, backups]
  gather_by_engine:
    description:
      - What to read for the clusters of an engine instead of O(gather), as a mapping of engine slug (V(pg),
        V(valkey), V(opensearch), ...) to a list of the items O(gather) takes. Clusters of the engines not
        listed get O(gather).
      - "For example V({pg: [pools, ca]}) with O(gather=[]) reads the pools and the CA certificate of the
        PostgreSQL clusters and nothing more of the others."
    type: dict
    version_added: 0.1.0
  include_secrets:
    description:
      - Return the passwords too (users' passwords, C(password) of connection details and the passwords inside
        C(uri) values).
      - Requires C(no_log=true) on the task, so that they never reach Ansible's output; the module fails
        otherwise. With V(false) they are removed from the result.
    type: bool
    default: false
extends_documentation_fragment:
  - fediops.mastodon.digitalocean
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.DIGITALOCEAN
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
attributes:
  check_mode:
    support: full
    details: The module is read-only.
  diff_mode:
    support: "N/A"
'''

EXAMPLES = r'''
- name: Everything about the PostgreSQL cluster, without passwords
  fediops.mastodon.do_database_info:
    name: mastodon-pg
  register: pg_info

- name: Write the cluster's CA certificate for DB_SSLMODE=verify-full
  ansible.builtin.copy:
    content: "{{ pg_info.clusters[0].ca_certificate }}"
    dest: /etc/mastodon/do-ca.crt
    mode: "0644"

- name: The instance's PostgreSQL, Valkey and OpenSearch clusters in one listing, the PostgreSQL pools and CA certificate

  fediops.mastodon.do_database_info:
    names: [mastodon-pg, mastodon-valkey, mastodon-search]
    gather: []
    gather_by_engine:
      pg: [pools, ca]
    include_secrets: true
  register: instance_databases
  no_log: true

- name: Only the clusters tagged mastodon, just their trusted sources
  fediops.mastodon.do_database_info:
    tag: mastodon
    gather: [firewall]

- name: Users with their passwords (the task must not log)
  fediops.mastodon.do_database_info:
    name: mastodon-pg
    gather: [users, pools]
    include_secrets: true
  register: pg_secrets
  no_log: true
'''

RETURN = r'''
clusters:
  description:
    - The matching clusters as DigitalOcean returns them, sorted by name, each with the items of O(gather) (or of
      O(gather_by_engine) for its engine).
    - Without O(include_secrets), no C(password) or C(access_key) key and no password inside a URI.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Unique id of the cluster.
      type: str
      sample: 9cc10173-e9ea-4176-9dbc-a4cee4c4ff30
    name:
      description: Name of the cluster.
      type: str
      sample: mastodon-pg
    engine:
      description: Engine slug (V(pg), V(valkey), V(opensearch), ...).
      type: str
      sample: pg
    version:
      description: Major version of the engine.
      type: str
      sample: "17"
    region:
      description: Region slug.
      type: str
      sample: tor1
    size:
      description: Node size slug.
      type: str
      sample: db-s-2vcpu-4gb
    num_nodes:
      description: Number of nodes.
      type: int
      sample: 2
    status:
      description: Status (V(creating), V(online), V(resizing), V(migrating), V(forking)).
      type: str
      sample: online
    tags:
      description: Tags of the cluster.
      type: list
      elements: str
      sample: [mastodon]
    connection:
      description:
        - Public connection details (C(uri), C(database), C(host), C(port), C(user), C(ssl); C(password) only with
          O(include_secrets)).
      type: dict
      sample: {"uri": "postgresql://doadmin@db.example:25060/defaultdb?sslmode=require", "host": "db.example", "port": 25060,
               "user": "doadmin", "database": "defaultdb", "ssl": true}
    private_connection:
      description: Connection details inside the VPC, same keys as RV(clusters[].connection).
      type: dict
    pools:
      description: Connection pools (C(name), C(mode), C(size), C(db), C(user), C(connection), ...).
      returned: when O(gather) has V(pools) and the cluster is PostgreSQL
      type: list
      elements: dict
      sample: [{"name": "mastodon", "mode": "transaction", "size": 20, "db": "mastodon", "user": "mastodon"}]
    firewall_rules:
      description: Trusted sources (C(uuid), C(type), C(value), C(created_at)); none means reachable from anywhere.
      returned: when O(gather) has V(firewall)
      type: list
      elements: dict
      sample: [{"type": "k8s", "value": "bd5f5959-5e1e-4205-a714-a914373942af"}]
    users:
      description: Database users (C(name), C(role), C(settings); C(password) only with O(include_secrets)).
      returned: when O(gather) has V(users) and the engine has users
      type: list
      elements: dict
      sample: [{"name": "doadmin", "role": "primary"}]
    dbs:
      description: Databases of the cluster (C(name)).
      returned: when O(gather) has V(dbs) and the cluster is PostgreSQL
      type: list
      elements: dict
      sample: [{"name": "defaultdb"}, {"name": "mastodon"}]
    ca_certificate:
      description: The CA certificate in PEM (DigitalOcean returns it base64-encoded; the module decodes it).
      returned: when O(gather) has V(ca)
      type: str
      sample: "-----BEGIN CERTIFICATE-----\nMIIEQTCCAqmgAwIBAgIUEJ...\n-----END CERTIFICATE-----\n"
    backups:
      description: Available backups (C(created_at), C(size_gigabytes)), oldest first.
      returned: when O(gather) has V(backups) and the cluster is PostgreSQL
      type: list
      elements: dict
      sample: [{"created_at": "2026-03-01T04:12:00Z", "size_gigabytes": 0.03}]
'''

from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanModule
from ansible_collections.fediops.mastodon.plugins.module_utils.database import (
    GATHER_ITEMS, decode_certificate, gather_applies, list_clusters, strip_secrets)


def gather(module, cluster, items):
    """Read the ``items`` that apply to the cluster's engine; a 404 (cluster just deleted) skips the item."""
    databases = module.client.databases
    calls = {
        'pools': ('list connection pools', databases.list_connection_pools, 'pools', 'pools'),
        'firewall': ('list trusted sources', databases.list_firewall_rules, 'rules', 'firewall_rules'),
        'users': ('list users', databases.list_users, 'users', 'users'),
        'dbs': ('list databases', databases.list, 'dbs', 'dbs'),
        'ca': ('get CA certificate', databases.get_ca, 'ca', 'ca_certificate'),
        'backups': ('list backups', databases.list_backups, 'backups', 'backups'),
    }
    result = dict(cluster)
    for item in GATHER_ITEMS:
        if item not in items or not gather_applies(item, cluster.get('engine')):
            continue
        operation, fn, key, result_key = calls[item]
        body = module.get_or_none('%s of database cluster %s' % (operation, cluster['name']), fn, cluster['id'])
        if body is None:
            continue
        value = body.get(key)
        if item == 'ca':
            value = decode_certificate((value or {}).get('certificate'))
        elif item == 'backups':
            value = sorted(value or [], key=lambda backup: backup.get('created_at') or '')
        result[result_key] = value if value is not None else []
    return result


def gather_by_engine_errors(by_engine):
    """Messages for every entry of ``gather_by_engine`` that is not a list of gather items."""
    errors = []
    for engine, items in sorted(by_engine.items()):
        if not isinstance(items, list):
            errors.append('gather_by_engine.%s must be a list of items, got %r; allowed items: %s' % (engine, items, ', '.join(GATHER_ITEMS)))
            continue
        bad = [item for item in items if item not in GATHER_ITEMS]
        if bad:
            errors.append('gather_by_engine.%s: %s %s not a gather item; allowed: %s' % (
                engine, ', '.join(repr(item) for item in bad), 'is' if len(bad) == 1 else 'are', ', '.join(GATHER_ITEMS)))
    return errors


def main():
    argument_spec = dict(
        name=dict(type='str'),
        names=dict(type='list', elements='str'),
        tag=dict(type='str', aliases=['tag_name']),
        gather=dict(type='list', elements='str', choices=list(GATHER_ITEMS), default=list(GATHER_ITEMS)),
        gather_by_engine=dict(type='dict'),
        include_secrets=dict(type='bool', default=False),
    )
    module = DigitalOceanModule(argument_spec=argument_spec, supports_check_mode=True, mutually_exclusive=[('name', 'names', 'tag')])
    params = module.params
    if params['include_secrets'] and not module.no_log:
        module.fail_json(msg='include_secrets=true returns passwords: set no_log: true on the task, so that they never reach '
                             'Ansible\'s output. Nothing was read.')
    by_engine = params['gather_by_engine'] or {}
    errors = gather_by_engine_errors(by_engine)
    if errors:
        module.fail_json(msg='; '.join(errors) + '. Nothing was read.')
    clusters = list_clusters(module, tag_name=params['tag'])
    if params['name'] is not None:
        clusters = [cluster for cluster in clusters if cluster.get('name') == params['name']]
    if params['names'] is not None:
        clusters = [cluster for cluster in clusters if cluster.get('name') in params['names']]
    clusters = [gather(module, cluster, set(by_engine.get(cluster.get('engine'), params['gather'])))
                for cluster in sorted(clusters, key=lambda c: c.get('name') or '')]
    if not params['include_secrets']:
        clusters = strip_secrets(clusters)
    module.exit_json(changed=False, clusters=clusters)


if __name__ == '__main__':
    main()
