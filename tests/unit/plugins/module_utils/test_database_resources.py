# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.fediops.mastodon.plugins.module_utils.database_resources import (
    DB_ENGINES, POOL_ENGINES, USER_ENGINES, UUID_PATTERN, engine_error, name_error)


def test_engine_error_names_the_cluster_its_engine_and_the_engines_that_have_the_thing():
    message = engine_error({'name': 'cache', 'engine': 'valkey'}, POOL_ENGINES, 'Connection pools')
    assert message == "Connection pools exist only on PostgreSQL clusters; cluster 'cache' is Valkey (engine valkey)"
    assert engine_error({'name': 'pg', 'engine': 'pg'}, POOL_ENGINES, 'Connection pools') is None


@pytest.mark.parametrize('engine', ['redis', 'valkey'])
def test_caching_engines_have_no_users_nor_databases(engine):
    assert engine not in USER_ENGINES and engine not in DB_ENGINES


@pytest.mark.parametrize('value, minimum, maximum, ok', [
    ('abc', 3, 60, True), ('ab', 3, 60, False), ('x' * 60, 3, 60, True), ('x' * 61, 3, 60, False), ('', 1, 63, False), (None, 1, 63, False),
])
def test_name_error_names_option_value_and_length(value, minimum, maximum, ok):
    message = name_error('name', value, minimum, maximum)
    assert (message is None) == ok
    if not ok:
        assert message == 'name %r is invalid; allowed: %d to %d characters' % (value, minimum, maximum)


def test_uuid_pattern_accepts_either_case():
    assert UUID_PATTERN.match('BD5F5959-5E1E-4205-A714-A914373942AF')
    assert not UUID_PATTERN.match('mastodon-tor1')
