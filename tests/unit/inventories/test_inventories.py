# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shipped inventories pass the roles' argument_specs, and a bad value in one is caught by name."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
PLAYBOOK = os.path.join(HERE, 'validate-inventory.yml')
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
EXAMPLE_VAULT = os.path.join(REPO_ROOT, 'inventories', 'example', 'vault.example.yml')


def validate(inventory, *extra):
    env = dict(os.environ)
    env.update({'ANSIBLE_CONFIG': os.path.join(REPO_ROOT, 'ansible.cfg'),
                'ANSIBLE_COLLECTIONS_PATH': os.path.join(REPO_ROOT, '.venv', 'collections'),
                'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_LOCALHOST_WARNING': 'false'})
    command = [ANSIBLE_PLAYBOOK, '-i', os.path.join(REPO_ROOT, 'inventories', inventory), PLAYBOOK] + list(extra)
    return subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize('inventory, extra', [('sandbox', []), ('example', ['-e', '@' + EXAMPLE_VAULT])])
def test_shipped_inventory_passes_the_roles_argument_specs(inventory, extra):
    run = validate(inventory, *extra)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert 'failed=0' in run.stdout


def test_example_inventory_keeps_every_secret_in_the_vault():
    with open(os.path.join(REPO_ROOT, 'inventories', 'example', 'host_vars', 'vmst.io.yml'), encoding='utf-8') as handle:
        host_vars = yaml.safe_load(handle)
    secret_paths = [('rclone_backup_crypt_password',), ('provision_backup_extra_remotes', 0, 'options', 'key'),
                    ('provision_backup_extra_remotes', 0, 'options', 'account')]
    for path in secret_paths:
        value = host_vars
        for key in path:
            value = value[key]
        assert value.startswith('{{ vault_'), '%s is not a vault variable: %r' % ('.'.join(map(str, path)), value)
    with open(EXAMPLE_VAULT, encoding='utf-8') as handle:
        vault = yaml.safe_load(handle)
    assert all(name.startswith('vault_') for name in vault)


def test_a_bad_value_in_the_inventory_is_named():
    run = validate('sandbox', '-e', 'rclone_backup_retention_count=many')
    assert run.returncode != 0
    assert 'rclone_backup_retention_count' in run.stdout
