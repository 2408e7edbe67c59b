# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.fediops.mastodon.plugins.module_utils.connection_budget import (
    backend_connection_limit, check_budget, limit_derivation, memory_gib_from_size, pool_budget, pools_after)


@pytest.mark.parametrize('slug, memory', [
    ('db-s-1vcpu-1gb', 1),
    ('db-s-1vcpu-2gb', 2),
    ('db-s-2vcpu-4gb', 4),
    ('db-s-4vcpu-8gb', 8),
    ('db-s-6vcpu-16gb', 16),
    ('db-s-8vcpu-32gb', 32),
    ('db-s-16vcpu-64gb', 64),
    ('m-2vcpu-16gb', 16),
    ('gd-4vcpu-16gb', 16),
    ('so1_5-4vcpu-32gb', 32),
    ('db-amd-1vcpu-1gb', 1),
    ('db-intel-2vcpu-4gb', 4),
    ('DB-S-2VCPU-4GB', 4),
    ('db-s-1vcpu-512mb', 0.5),
])
def test_memory_comes_from_the_ram_segment_of_the_size_slug(slug, memory):
    assert memory_gib_from_size(slug) == memory


def test_whole_memory_is_an_int_for_clean_messages():
    assert isinstance(memory_gib_from_size('db-s-2vcpu-4gb'), int)


@pytest.mark.parametrize('slug', ['', None, 'db-s-2vcpu', 'custom', '4gb'])
def test_slug_without_ram_is_refused_naming_it(slug):
    with pytest.raises(ValueError) as error:
        memory_gib_from_size(slug)
    assert repr(slug) in str(error.value) and 'db-s-2vcpu-4gb' in str(error.value)


@pytest.mark.parametrize('memory, limit', [
    # DigitalOcean: 25 backend connections per GiB of RAM, 3 reserved for maintenance.
    (1, 22),    # the API reference's own example
    (2, 47),
    (4, 97),    # the API reference's own example
    (8, 197),
    (16, 397),
    (32, 797),
    (64, 1597),
])
def test_backend_connection_limit_matches_digitaloceans_numbers(memory, limit):
    assert backend_connection_limit(memory) == limit


@pytest.mark.parametrize('memory', [0, -1, None])
def test_limit_needs_positive_memory(memory):
    with pytest.raises(ValueError):
        backend_connection_limit(memory)


def test_limit_derivation_explains_the_formula():
    assert limit_derivation(1, 'db-s-1vcpu-1gb') == 'db-s-1vcpu-1gb: 1 GiB RAM x 25 per GiB - 3 reserved by DigitalOcean = 22'
    assert limit_derivation(4) == '4 GiB RAM x 25 per GiB - 3 reserved by DigitalOcean = 97'


def test_budget_that_fits_reports_the_headroom():
    result = check_budget([('pool web', 10), ('reserve', 5)], 22, 'the derivation')
    assert result['fits'] is True and result['total'] == 15 and result['headroom'] == 7
    assert result['terms'] == [{'name': 'pool web', 'connections': 10}, {'name': 'reserve', 'connections': 5}]
    assert result['message'] == 'backend connections fit: pool web (10) + reserve (5) = 15 <= limit 22 (the derivation); 7 to spare'


def test_budget_exactly_at_the_limit_fits():
    assert check_budget([('pool a', 17), ('reserve', 5)], 22)['fits'] is True


def test_over_budget_message_shows_every_term_the_total_and_the_limit():
    result = check_budget([('pool web', 15), ('pool sidekiq', 10), ('reserve', 5)], 22, 'db-s-1vcpu-1gb: derivation')
    assert result['fits'] is False and result['headroom'] == -8
    assert result['message'] == ('backend connections over budget by 8: pool web (15) + pool sidekiq (10) + reserve (5) = 30 '
                                 '> limit 22 (db-s-1vcpu-1gb: derivation)')


def test_pool_budget_sums_every_pool_and_the_reserve_against_the_size():
    result = pool_budget([{'name': 'web', 'size': 60}, {'name': 'backup', 'size': 20}], 10, 'db-s-2vcpu-4gb')
    assert [t['name'] for t in result['terms']] == ['pool backup', 'pool web', 'reserve for direct connections']
    assert (result['total'], result['limit'], result['fits'], result['memory_gib']) == (90, 97, True, 4)
    assert '4 GiB RAM x 25 per GiB - 3 reserved by DigitalOcean = 97' in result['message']


def test_pool_budget_over_the_smallest_cluster():
    result = pool_budget([{'name': 'mastodon', 'size': 20}], 5, 'db-s-1vcpu-1gb')
    assert result['fits'] is False
    assert 'pool mastodon (20) + reserve for direct connections (5) = 25 > limit 22' in result['message']


def test_pools_after_replaces_adds_and_removes_one_pool():
    pools = [{'name': 'a', 'size': 5, 'mode': 'session'}, {'name': 'b', 'size': 7}]
    assert pools_after(pools, 'a', 9) == [{'name': 'b', 'size': 7}, {'name': 'a', 'size': 9}]
    assert pools_after(pools, 'c', 1)[-1] == {'name': 'c', 'size': 1} and len(pools_after(pools, 'c', 1)) == 3
    assert pools_after(pools, 'a', None) == [{'name': 'b', 'size': 7}]
    assert pools[0]['size'] == 5
