# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/variable_reference.py renders docs/variables.md from the roles' argument specs; CI runs --check."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TOOL = os.path.join(REPO_ROOT, 'tools', 'variable_reference.py')

_SPEC = importlib.util.spec_from_file_location('variable_reference', TOOL)
variable_reference = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(variable_reference)

SPEC = {
    'argument_specs': {
        'main': {
            'short_description': 'A demo role',
            'options': {
                'demo_size': {'type': 'str', 'required': True, 'choices': ['small', 'large'],
                              'description': ['Size of O(demo_pools[].name), see V(small).', 'A second | line.']},
                'demo_pools': {'type': 'list', 'elements': 'dict', 'default': [{'name': 'web'}], 'description': 'Pools.',
                               'options': {'name': {'type': 'str', 'required': True, 'description': 'I(Name) of the B(pool).'}}},
                'demo_token': {'type': 'str', 'default': '', 'description': 'See L(the docs,https://example.org) or U(https://example.net).'},
            },
        },
        'extra': {'short_description': 'Another entry point', 'options': {}},
    },
}


def make_roles(tmp_path, spec=None):
    meta = tmp_path / 'roles' / 'demo' / 'meta'
    meta.mkdir(parents=True)
    (meta / 'argument_specs.yml').write_text(yaml.safe_dump(spec or SPEC, sort_keys=False), encoding='utf-8')
    (tmp_path / 'roles' / 'bare' / 'tasks').mkdir(parents=True)
    return str(tmp_path / 'roles')


def test_each_variable_is_a_row_with_type_default_required_description_and_choices(tmp_path):
    text = variable_reference.render(make_roles(tmp_path))
    assert '## Role demo\n' in text
    assert '`fediops.mastodon.demo` - A demo role' in text
    assert ('| `demo_size` | str |  | yes | Size of `demo_pools[].name`, see `small`.<br>A second \\| line. | `small`, `large` |'
            in text)
    assert '| `demo_pools` | list of dict | `[{"name": "web"}]` | no | Pools. |  |' in text
    assert '| `demo_pools[].name` | str |  | yes | *Name* of the **pool**. |  |' in text
    assert '| `demo_token` | str | `""` | no | See [the docs](https://example.org) or <https://example.net>. |  |' in text


def test_other_entry_points_and_roles_without_spec_are_listed(tmp_path):
    text = variable_reference.render(make_roles(tmp_path))
    assert '## Role demo, entry point extra\n' in text
    assert '`fediops.mastodon.demo` (`tasks_from: extra`) - Another entry point' in text
    assert 'This entry point takes no variables.' in text
    assert '## Roles without an argument spec' in text and '`bare`' in text


def test_check_fails_on_a_stale_file_and_passes_once_rendered(tmp_path):
    roles = make_roles(tmp_path)
    output = str(tmp_path / 'variables.md')
    assert variable_reference.main(['--check', '--roles-dir', roles, '--output', output]) == 1
    assert not os.path.exists(output), '--check writes nothing'
    assert variable_reference.main(['--roles-dir', roles, '--output', output]) == 0
    assert variable_reference.main(['--check', '--roles-dir', roles, '--output', output]) == 0
    spec = yaml.safe_load((tmp_path / 'roles' / 'demo' / 'meta' / 'argument_specs.yml').read_text(encoding='utf-8'))
    spec['argument_specs']['main']['options']['demo_new'] = {'type': 'bool', 'default': False, 'description': 'New.'}
    (tmp_path / 'roles' / 'demo' / 'meta' / 'argument_specs.yml').write_text(yaml.safe_dump(spec, sort_keys=False), encoding='utf-8')
    assert variable_reference.main(['--check', '--roles-dir', roles, '--output', output]) == 1


def test_docs_variables_md_is_up_to_date_with_the_roles():
    run = subprocess.run([sys.executable, TOOL, '--check'], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
