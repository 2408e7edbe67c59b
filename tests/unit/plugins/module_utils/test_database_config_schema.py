# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/module_utils/database_config_schema.py is generated from DigitalOcean's OpenAPI contract.

The modules never read the contract at runtime; this test proves the embedded copy matches it. After a
contract update, regenerate it from the repository root with:

    python tests/unit/plugins/module_utils/test_database_config_schema.py > plugins/module_utils/database_config_schema.py
"""

import json
import os
import pprint
import sys

CONFIG_PATH = '/v2/databases/{database_cluster_uuid}/config'
# Each engine's branch of the request body's `config` anyOf, recognised by a key only it has.
ENGINE_MARKERS = {
    'mysql': 'sql_mode',
    'pg': 'autovacuum_freeze_max_age',
    'redis': 'redis_maxmemory_policy',
    'valkey': 'valkey_maxmemory_policy',
    'mongodb': 'default_read_concern',
    'kafka': 'log_retention_hours',
    'opensearch': 'ism_enabled',
}
KEPT_KEYWORDS = ('type', 'enum', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'maxItems', 'nullable')
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
HEADER = '''# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine configuration keys DigitalOcean accepts (``PATCH /v2/databases/{id}/config``), per engine.

GENERATED from DigitalOcean's OpenAPI contract (the request body's ``config`` schema) by
tests/unit/plugins/module_utils/test_database_config_schema.py, which also checks that this copy matches
the contract. Do not edit by hand. Each key maps to its value schema (type, enum, bounds, nested properties).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

'''


def spec_path():
    default = os.path.join(os.path.dirname(REPO_ROOT), 'shared', 'digitalocean', 'openapi-subset.json')
    return os.environ.get('FEDIOPS_DO_OPENAPI_SPEC') or default


def compact(schema):
    """The parts of a value schema the module validates with."""
    result = dict((key, schema[key]) for key in KEPT_KEYWORDS if key in schema)
    if 'items' in schema:
        result['items'] = compact(schema['items'])
    if 'properties' in schema:
        result['properties'] = dict((key, compact(value)) for key, value in schema['properties'].items())
    return result


def schemas_from_spec(path):
    with open(path, encoding='utf-8') as handle:
        spec = json.load(handle)
    body = spec['paths'][CONFIG_PATH]['patch']['requestBody']['content']['application/json']['schema']
    branches = body['properties']['config']['anyOf']
    result = {}
    for engine, marker in sorted(ENGINE_MARKERS.items()):
        matching = [branch for branch in branches if marker in branch.get('properties', {})]
        assert len(matching) == 1, 'marker %s of %s is in %d branches' % (marker, engine, len(matching))
        result[engine] = dict((key, compact(value)) for key, value in matching[0]['properties'].items())
    assert len(result) == len(branches), 'the contract has config branches for engines this generator does not know'
    return result


def render(schemas):
    lines = [HEADER.rstrip('\n'), '', 'CONFIG_SCHEMAS = {']
    for engine in sorted(schemas):
        lines.append('    %r: {' % engine)
        for key in sorted(schemas[engine]):
            prefix = '        %r: ' % key
            text = pprint.pformat(schemas[engine][key], width=150 - len(prefix), sort_dicts=True)
            lines.append(prefix + text.replace('\n', '\n' + ' ' * len(prefix)) + ',')
        lines.append('    },')
    lines.append('}')
    return '\n'.join(lines) + '\n'


def test_embedded_config_schemas_match_the_openapi_contract():
    from ansible_collections.fediops.mastodon.plugins.module_utils import database_config_schema
    path = spec_path()
    assert os.path.isfile(path), 'DigitalOcean OpenAPI spec not found at %s; set FEDIOPS_DO_OPENAPI_SPEC' % path
    expected = schemas_from_spec(path)
    assert database_config_schema.CONFIG_SCHEMAS == expected, 'regenerate it: see this file\'s docstring'
    with open(database_config_schema.__file__, encoding='utf-8') as handle:
        assert handle.read() == render(expected), 'the generated file was edited by hand: regenerate it'


def test_every_engine_of_the_collection_has_its_keys():
    from ansible_collections.fediops.mastodon.plugins.module_utils.database_config_schema import CONFIG_SCHEMAS
    assert {'pg', 'valkey', 'opensearch'} <= set(CONFIG_SCHEMAS)
    assert CONFIG_SCHEMAS['pg']['work_mem'] == {'type': 'integer', 'minimum': 1, 'maximum': 1024}
    assert 'server_idle_timeout' in CONFIG_SCHEMAS['pg']['pgbouncer']['properties']
    assert 'noeviction' in CONFIG_SCHEMAS['valkey']['valkey_maxmemory_policy']['enum']


if __name__ == '__main__':
    sys.stdout.write(render(schemas_from_spec(spec_path())))
