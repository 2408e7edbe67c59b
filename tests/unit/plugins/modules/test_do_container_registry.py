# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import base64

import pytest

from ansible_collections.fediops.mastodon.plugins.modules import do_container_registry as registry

CURRENT = {'name': 'fediops', 'region': 'nyc3', 'subscription': {'tier': {'slug': 'basic'}}}


def params(**overrides):
    base = {'name': 'fediops', 'state': 'present', 'region': None, 'subscription_tier': None, 'docker_credentials': False,
            'read_write': False, 'expiry_seconds': 0}
    base.update(overrides)
    return base


@pytest.mark.parametrize('name, ok', [('fediops', True), ('a', True), ('fedi-ops-2', True), ('-x', False), ('x-', False),
                                      ('Upper', False), ('under_score', False), ('x' * 64, False)])
def test_name_rules(name, ok):
    assert (registry.validate(params(name=name)) == []) is ok


def test_negative_expiry_is_refused():
    assert registry.validate(params(expiry_seconds=-1)) == ['expiry_seconds must be 0 (no expiry) or more (got -1)']


def test_name_and_region_cannot_change():
    assert registry.immutable_errors(CURRENT, params()) == []
    assert registry.immutable_errors(CURRENT, params(region='nyc3')) == []
    assert "this account's registry is named fediops" in registry.immutable_errors(CURRENT, params(name='other'))[0]
    assert 'its region cannot change (ams3 was asked)' in registry.immutable_errors(CURRENT, params(region='ams3'))[0]


def test_view_and_tier():
    assert registry.view(CURRENT) == {'name': 'fediops', 'region': 'nyc3', 'subscription_tier': 'basic'}
    assert registry.view(None) == {} and registry.tier_of({}) is None


def test_secrets_of_a_docker_config_are_the_auth_and_the_token_inside():
    token = 'f' * 64
    auth = base64.b64encode(('%s:%s' % (token, token)).encode()).decode()
    assert registry.secrets_of({'auths': {'registry.digitalocean.com': {'auth': auth}}}) == [auth, token, token]
    assert registry.secrets_of({'auths': {'registry.digitalocean.com': {}}}) == []
    assert registry.secrets_of(None) == []
