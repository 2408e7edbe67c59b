# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""execution-environment.yml: an ansible-builder v3 definition that installs what the collection uses."""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EE_FILE = os.path.join(REPO_ROOT, 'execution-environment.yml')
# ansible-builder's v3 schema (ansible_builder/ee_schema.py): the keys it accepts.
V3_TOP = {'version', 'build_arg_defaults', 'dependencies', 'images', 'additional_build_files', 'additional_build_steps', 'options'}
V3_DEPENDENCIES = {'python', 'galaxy', 'system', 'python_interpreter', 'ansible_core', 'ansible_runner', 'exclude'}
V3_STEPS = {'prepend_base', 'append_base', 'prepend_galaxy', 'append_galaxy', 'prepend_builder', 'append_builder', 'prepend_final', 'append_final'}
V3_OPTIONS = {'container_init', 'package_manager_path', 'skip_ansible_check', 'skip_pip_install', 'relax_passwd_permissions',
              'workdir', 'user', 'tags'}
BINDEP_LINE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9.+_-]*( \[[a-z0-9: !-]+\])?$')
FQCN = re.compile(r'^\s*-?\s*([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+:\s*$')


@pytest.fixture(name='ee', scope='module')
def ee_fixture():
    with open(EE_FILE, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def test_it_is_a_version_3_definition_with_only_known_keys(ee):
    assert ee['version'] == 3
    assert set(ee) <= V3_TOP, set(ee) - V3_TOP
    assert set(ee['dependencies']) <= V3_DEPENDENCIES
    assert set(ee.get('additional_build_steps', {})) <= V3_STEPS
    assert set(ee.get('options', {})) <= V3_OPTIONS
    assert set(ee['images']) == {'base_image'} and ee['images']['base_image']['name']


def test_ansible_core_is_the_series_the_collection_is_tested_with(ee):
    assert '>=2.19,<2.20' in ee['dependencies']['ansible_core']['package_pip']
    assert ee['dependencies']['ansible_runner']['package_pip'].startswith('ansible-runner')
    assert ee['dependencies']['python_interpreter']['python_path'].endswith('python3.11')


def test_python_requirements_are_the_collections_requirements_file(ee):
    assert ee['dependencies']['python'] == 'requirements.txt'
    assert os.path.isfile(os.path.join(REPO_ROOT, 'requirements.txt'))


def test_system_packages_are_bindep_lines_with_the_backup_tools(ee):
    system = ee['dependencies']['system']
    assert all(BINDEP_LINE.match(line) for line in system), system
    names = {line.split()[0] for line in system}
    assert {'git', 'rclone'} <= names
    assert {'postgresql', 'postgresql-client'} & names


def test_galaxy_collections_are_the_dependencies_of_galaxy_yml(ee):
    with open(os.path.join(REPO_ROOT, 'galaxy.yml'), encoding='utf-8') as handle:
        galaxy = yaml.safe_load(handle)
    declared = {item['name']: item.get('version') for item in ee['dependencies']['galaxy']['collections']}
    assert declared == galaxy['dependencies']


def test_every_collection_the_roles_and_playbooks_use_is_installed(ee):
    declared = {item['name'] for item in ee['dependencies']['galaxy']['collections']}
    used = set()
    for path in glob.glob(os.path.join(REPO_ROOT, 'roles', '*', '**', '*.yml'), recursive=True) + \
            glob.glob(os.path.join(REPO_ROOT, 'playbooks', '*.yml')):
        with open(path, encoding='utf-8') as handle:
            for line in handle:
                match = FQCN.match(line)
                if match:
                    used.add(match.group(1))
    used -= {'ansible.builtin', 'fediops.mastodon'}
    assert used <= declared, 'used but not in the execution environment: %s' % sorted(used - declared)


def test_the_collection_itself_comes_from_the_built_tarball(ee):
    sources = [entry['src'] for entry in ee['additional_build_files']]
    assert 'build/fediops-mastodon-*.tar.gz' in sources
    steps = ' '.join(ee['additional_build_steps']['append_galaxy'])
    assert 'ansible-galaxy collection install --offline --no-deps' in steps
    assert '/build/collections/fediops-mastodon-*.tar.gz' in steps


@pytest.mark.skipif(importlib.util.find_spec('ansible_builder') is None,
                    reason='ansible-builder is not installed (not pinned in constraints.txt); the schema tests above still run')
def test_ansible_builder_create_writes_the_build_context_offline(tmp_path):
    shutil.copy(EE_FILE, tmp_path / 'execution-environment.yml')
    shutil.copy(os.path.join(REPO_ROOT, 'requirements.txt'), tmp_path / 'requirements.txt')
    build = tmp_path / 'build'
    galaxy = os.path.join(os.path.dirname(sys.executable), 'ansible-galaxy')
    subprocess.run([galaxy, 'collection', 'build', '--force', '--output-path', str(build), REPO_ROOT], check=True, capture_output=True)
    context = tmp_path / 'context'
    run = subprocess.run([sys.executable, '-m', 'ansible_builder', 'create', '-f', str(tmp_path / 'execution-environment.yml'),
                          '--context', str(context), '--output-filename', 'Containerfile'],
                         capture_output=True, text=True, check=False, env=dict(os.environ, no_proxy='*', NO_PROXY='*'))
    assert run.returncode == 0, run.stdout + run.stderr
    containerfile = (context / 'Containerfile').read_text(encoding='utf-8')
    assert 'quay.io/fedora/python-311' in containerfile
    assert '/build/collections/fediops-mastodon-*.tar.gz' in containerfile
    assert glob.glob(str(context / '_build' / 'collections' / 'fediops-mastodon-*.tar.gz'))
    assert 'rclone' in (context / '_build' / 'bindep.txt').read_text(encoding='utf-8')
