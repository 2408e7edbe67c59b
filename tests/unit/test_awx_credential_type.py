# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""extensions/awx/credential_type.yml: every injector uses a declared input, every secret is secret."""

from __future__ import annotations

import os
import re

import pytest
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CREDENTIAL_TYPE = os.path.join(REPO_ROOT, 'extensions', 'awx', 'credential_type.yml')
REFERENCE = re.compile(r'{{\s*([a-z_][a-z0-9_]*)(?:\.[a-z0-9_]+)*\s*}}')
SECRET_WORDS = ('token', 'secret', 'password', 'private')
# AWX's own template variables, usable in injectors besides the inputs (tower.filename for file injectors).
AWX_NAMESPACES = {'tower', 'awx'}


@pytest.fixture(name='credential_type', scope='module')
def credential_type_fixture():
    with open(CREDENTIAL_TYPE, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def test_it_is_a_cloud_credential_type_named_for_the_collection(credential_type):
    assert credential_type['name'] == 'fediops Mastodon (DigitalOcean + AWS)'
    assert credential_type['kind'] == 'cloud'
    assert set(credential_type['injectors']) <= {'env', 'extra_vars', 'file'}


def test_every_injector_references_a_declared_input(credential_type):
    declared = {field['id'] for field in credential_type['inputs']['fields']}
    injected = []
    for values in credential_type['injectors'].values():
        for value in values.values():
            names = REFERENCE.findall(str(value))
            assert names, 'injector value %r references no input' % value
            injected.extend(names)
    unknown = set(injected) - declared - AWX_NAMESPACES
    assert not unknown, 'injectors reference undeclared inputs: %s' % sorted(unknown)
    assert declared <= set(injected), 'inputs never injected: %s' % sorted(declared - set(injected))


def test_every_secret_input_is_marked_secret(credential_type):
    for field in credential_type['inputs']['fields']:
        if any(word in field['id'] for word in SECRET_WORDS):
            assert field.get('secret') is True, field['id']
        else:
            assert not field.get('secret'), '%s is not a secret; secret inputs are hidden from the operator' % field['id']


def test_required_inputs_are_declared_and_the_token_is_required(credential_type):
    declared = {field['id'] for field in credential_type['inputs']['fields']}
    assert set(credential_type['inputs']['required']) <= declared
    assert 'do_token' in credential_type['inputs']['required']


def test_the_environment_carries_what_the_modules_read(credential_type):
    env = credential_type['injectors']['env']
    assert {'DIGITALOCEAN_ACCESS_TOKEN', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION',
            'SPACES_ACCESS_KEY_ID', 'SPACES_SECRET_ACCESS_KEY'} <= set(env)
    assert 'extra_vars' not in credential_type['injectors'], 'extra vars show up in the job details; secrets go in env'
