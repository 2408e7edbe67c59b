# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from ansible_collections.fediops.mastodon.plugins.module_utils.diff import (
    build_diff,
    changed_fields,
    desired_state,
    is_different,
    project,
)

CURRENT = {'id': 'v1', 'name': 'web', 'description': 'old', 'default': False, 'tags': ['a', 'b'],
           'window': {'day': 'monday', 'hour': '02:00'}}


def test_unspecified_values_are_never_changes():
    assert changed_fields({'name': 'web', 'description': None, 'default': None}, CURRENT) == {}


def test_only_differing_fields_are_changes():
    desired = {'name': 'web', 'description': 'new', 'default': False}
    assert changed_fields(desired, CURRENT) == {'description': 'new'}


def test_keys_limit_the_comparison():
    assert changed_fields({'name': 'other', 'description': 'new'}, CURRENT, keys=('description',)) == {'description': 'new'}


def test_a_missing_resource_makes_every_specified_field_a_change():
    assert changed_fields({'name': 'web', 'description': None}, None) == {'name': 'web'}


def test_empty_string_is_a_value_not_unspecified():
    assert changed_fields({'description': ''}, CURRENT) == {'description': ''}


def test_booleans_do_not_equal_numbers():
    assert is_different(True, 1)
    assert not is_different(False, False)


def test_nested_dicts_compare_only_specified_keys():
    assert not is_different({'day': 'monday', 'hour': None}, CURRENT['window'])
    assert changed_fields({'window': {'hour': '03:00'}}, CURRENT) == {'window': {'hour': '03:00'}}


def test_lists_are_ordered_unless_declared_unordered():
    assert changed_fields({'tags': ['b', 'a']}, CURRENT) == {'tags': ['b', 'a']}
    assert changed_fields({'tags': ['b', 'a']}, CURRENT, unordered_keys=('tags',)) == {}
    assert changed_fields({'tags': ['a']}, CURRENT, unordered_keys=('tags',)) == {'tags': ['a']}


def test_unordered_lists_of_dicts_compare_as_sets_of_rules():
    current = [{'type': 'k8s', 'value': 'c1'}, {'type': 'ip_addr', 'value': '10.0.0.1'}]
    assert not is_different([{'value': '10.0.0.1', 'type': 'ip_addr'}, {'type': 'k8s', 'value': 'c1'}], current, unordered=True)


def test_desired_state_overlays_specified_values_on_the_current_ones():
    after = desired_state(CURRENT, {'description': 'new', 'default': None, 'window': {'hour': '03:00'}},
                          ('name', 'description', 'default', 'window'))
    assert after == {'name': 'web', 'description': 'new', 'default': False, 'window': {'day': 'monday', 'hour': '03:00'}}


def test_diff_contains_only_managed_fields():
    diff = build_diff(CURRENT, dict(CURRENT, description='new'), ('name', 'description'))
    assert diff == {'before': {'name': 'web', 'description': 'old'}, 'after': {'name': 'web', 'description': 'new'}}


def test_diff_of_a_creation_and_of_a_deletion():
    assert build_diff(None, {'name': 'web', 'id': 'v1'}, ('name',)) == {'before': {}, 'after': {'name': 'web'}}
    assert build_diff(CURRENT, None, ('name',)) == {'before': {'name': 'web'}, 'after': {}}


def test_project_skips_absent_keys():
    assert project({'name': 'web'}, ('name', 'region')) == {'name': 'web'}
