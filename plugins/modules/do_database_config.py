#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_database_config
short_description: Manage the engine configuration of DigitalOcean database clusters
version_added: 0.1.0
description:
  - Sets engine settings (for example PostgreSQL's C(work_mem) or C(pgbouncer), Valkey's C(valkey_timeout),
    OpenSearch's C(search_max_buckets)) of a DigitalOcean managed database cluster.
  - Only the keys given in O(config) are managed; every other setting is left as it is. One C(PATCH)
    request sends the keys whose value differs; none is sent when all match.
  - Keys and values are checked before any write against the settings DigitalOcean documents for the
    cluster's engine (embedded in the collection); an unknown key fails listing the valid ones.
  - The Valkey eviction policy is also an option of M(fediops.mastodon.do_database_cluster); manage it in one place.
author:
  - fediops.mastodon contributors (@fediops)
options:
  cluster:
    description:
      - Name of the database cluster.
    type: str
    required: true
  config:
    description:
      - Settings to apply, as DigitalOcean names them for the cluster's engine.
      - A nested setting (for example C(pgbouncer)) is managed key by key too.
      - Numbers and booleans given as strings (for example from templates) are converted to the documented type.
    type: dict
    required: true
extends_documentation_fragment:
  - fediops.mastodon.digitalocean
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.DIGITALOCEAN
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
'''

EXAMPLES = r'''
- name: PostgreSQL settings for Mastodon
  fediops.mastodon.do_database_config:
    cluster: mastodon-pg
    config:
      work_mem: 16
      idle_in_transaction_session_timeout: 600000
      pgbouncer:
        server_idle_timeout: 600

- name: Valkey keeps idle connections for 10 minutes
  fediops.mastodon.do_database_config:
    cluster: mastodon-valkey
    config:
      valkey_timeout: 600
'''

RETURN = r'''
config:
  description: The cluster's whole engine configuration after the change (in check mode, as it would be).
  returned: always
  type: dict
  sample: {"work_mem": 16, "pgbouncer": {"server_idle_timeout": 600}}
changed_keys:
  description: The keys of O(config) whose value differed and were (or in check mode would be) sent.
  returned: always
  type: list
  elements: str
  sample: [work_mem]
'''

import re

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.fediops.mastodon.plugins.module_utils.database_config_schema import CONFIG_SCHEMAS
from ansible_collections.fediops.mastodon.plugins.module_utils.database_resources import cluster_argument_spec, engine_name, resolve_cluster
from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanModule
from ansible_collections.fediops.mastodon.plugins.module_utils.diff import desired_state, is_different

_INTEGER = re.compile(r'^[+-]?\d+$')


def _coerce(value, kind):
    """``value`` converted to the JSON type ``kind`` when it is an unambiguous spelling of it; else unchanged."""
    if isinstance(value, str):
        text = value.strip()
        if kind == 'integer' and _INTEGER.match(text):
            return int(text)
        if kind == 'number':
            try:
                return int(text) if _INTEGER.match(text) else float(text)
            except ValueError:
                return value
        if kind == 'boolean':
            try:
                return boolean(text, strict=True)
            except TypeError:
                return value
    return value


def _type_ok(value, kind):
    if kind == 'integer':
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == 'number':
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    checks = {'boolean': bool, 'string': str, 'object': dict, 'array': list}
    return kind not in checks or isinstance(value, checks[kind])


def check_value(path, value, schema):
    """``(value converted to the documented type, [errors])``; each error names the key, the value and what is allowed."""
    kind = schema.get('type')
    if value is None:
        return value, ([] if schema.get('nullable') else ['%s: null is not allowed; allowed: %s' % (path, kind)])
    value = _coerce(value, kind)
    if kind and not _type_ok(value, kind):
        return value, ['%s: %r is not allowed; allowed: %s' % (path, value, 'an ' + kind if kind[0] in 'aeiou' else 'a ' + kind)]
    errors = []
    if 'enum' in schema and value not in schema['enum']:
        errors.append('%s: %r is not allowed; allowed: %s' % (path, value, ', '.join(str(v) for v in schema['enum'])))
    if 'minimum' in schema and value < schema['minimum'] or 'maximum' in schema and value > schema['maximum']:
        errors.append('%s: %r is out of range; allowed: %s to %s' % (path, value, schema.get('minimum', '-inf'), schema.get('maximum', 'inf')))
    if kind == 'string':
        if len(value) > schema.get('maxLength', len(value)) or len(value) < schema.get('minLength', 0):
            allowed = '%s to %s' % (schema.get('minLength', 0), schema.get('maxLength', 'any'))
            errors.append('%s: %r has %d characters; allowed: %s' % (path, value, len(value), allowed))
        elif 'pattern' in schema and not re.search(schema['pattern'], value):
            errors.append('%s: %r is not allowed; allowed: a string matching %s' % (path, value, schema['pattern']))
    if kind == 'array':
        if len(value) > schema.get('maxItems', len(value)):
            errors.append('%s: %d items; allowed: at most %d' % (path, len(value), schema['maxItems']))
        items = [check_value('%s[%d]' % (path, index), item, schema.get('items', {})) for index, item in enumerate(value)]
        value = [item[0] for item in items]
        errors.extend(error for item in items for error in item[1])
    if kind == 'object' and 'properties' in schema:
        value, nested = check_config(value, schema['properties'], path + '.')
        errors.extend(nested)
    return value, errors


def check_config(config, schemas, prefix=''):
    """``(config converted, [errors])``; an unknown key's error lists the valid keys."""
    converted, errors = {}, []
    for key in sorted(config):
        if key not in schemas:
            errors.append('%s%s is not a valid key; valid keys: %s' % (prefix, key, ', '.join(sorted(schemas))))
            continue
        converted[key], key_errors = check_value(prefix + key, config[key], schemas[key])
        errors.extend(key_errors)
    return converted, errors


def project(desired, current):
    """``current`` limited to what ``desired`` specifies, nested dicts key by key (for the diff)."""
    if isinstance(desired, dict):
        current = current if isinstance(current, dict) else {}
        return dict((key, project(value, current.get(key))) for key, value in desired.items() if key in current)
    return current


def main():
    argument_spec = cluster_argument_spec()
    argument_spec.update(config=dict(type='dict', required=True))
    module = DigitalOceanModule(argument_spec=argument_spec, supports_check_mode=True)
    if not module.params['config']:
        module.fail_json(msg='config is empty; give at least one setting to manage')

    cluster = resolve_cluster(module)
    engine = cluster.get('engine')
    if engine not in CONFIG_SCHEMAS:
        module.fail_json(msg='cluster %r is %s (engine %s), whose configuration this collection does not know; known engines: %s' % (
            cluster['name'], engine_name(engine), engine, ', '.join(sorted(CONFIG_SCHEMAS))))
    desired, errors = check_config(module.params['config'], CONFIG_SCHEMAS[engine])
    if errors:
        module.fail_json(msg='Invalid config for %s cluster %r: %s' % (engine_name(engine), cluster['name'], '; '.join(errors)))

    current = module.call('read the configuration of %s' % cluster['name'], module.client.databases.get_config, cluster['id']).get('config') or {}
    changed_keys = sorted(key for key, value in desired.items() if is_different(value, current.get(key)))
    changes = desired_state(current, desired, changed_keys)
    config = dict(current, **changes)
    if changes and not module.check_mode:
        module.call('update the configuration of %s' % cluster['name'], module.client.databases.patch_config, cluster['id'], {'config': changes})
        config = module.call('read the configuration of %s' % cluster['name'], module.client.databases.get_config,
                             cluster['id']).get('config') or config
    module.exit_json(changed=bool(changes), config=config, changed_keys=changed_keys,
                     diff={'before': project(desired, current), 'after': project(desired, dict(current, **changes))})


if __name__ == '__main__':
    main()
