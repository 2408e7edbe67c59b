# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.fediops.mastodon.plugins.modules import do_spaces_key as keys

MEDIA = {'bucket': 'media', 'permission': 'readwrite'}
BACKUPS = {'bucket': 'backups', 'permission': 'read'}


def test_grants_compare_as_a_set_and_full_access_has_the_empty_bucket():
    assert keys.normalize_grants([MEDIA, BACKUPS, MEDIA]) == [BACKUPS, MEDIA]
    assert keys.normalize_grants([{'bucket': None, 'permission': 'fullaccess'}]) == [{'bucket': '', 'permission': 'fullaccess'}]
    assert keys.normalize_grants(None) == []


@pytest.mark.parametrize('grants, words', [
    ([{'bucket': 'media', 'permission': 'fullaccess'}], "grants[0]: a fullaccess grant covers every bucket; omit bucket (got 'media')"),
    ([{'bucket': None, 'permission': 'fullaccess'}, MEDIA], 'fullaccess cannot be mixed with per-bucket grants'),
    ([{'bucket': 'ab', 'permission': 'read'}], "grants[0].bucket 'ab' is not a valid Spaces bucket name"),
    ([{'bucket': None, 'permission': 'read'}], "grants[0].bucket None is not a valid Spaces bucket name"),
    ([MEDIA, {'bucket': 'media', 'permission': 'read'}], 'bucket media has more than one permission'),
    ([{'bucket': 'media', 'permission': 'write'}], "grants[0].permission 'write' is not allowed; allowed: read, readwrite, fullaccess"),
])
def test_grant_errors(grants, words):
    errors = keys.grant_errors(grants)
    assert any(words in error for error in errors), errors


def test_valid_grants_have_no_errors():
    assert keys.grant_errors([MEDIA, BACKUPS]) == []
    assert keys.grant_errors([{'permission': 'fullaccess'}]) == []
    assert keys.grant_errors(None) == []


def test_grant_changes_and_their_description():
    wanted = [MEDIA, {'bucket': 'backups', 'permission': 'readwrite'}]
    assert keys.grant_changes(wanted, [MEDIA, BACKUPS]) == {'added': [{'bucket': 'backups', 'permission': 'readwrite'}], 'removed': [BACKUPS]}
    assert keys.describe_grants([MEDIA, BACKUPS]) == 'backups:read, media:readwrite'
    assert keys.describe_grants([{'permission': 'fullaccess'}]) == '*:fullaccess'
    assert keys.describe_grants([]) == 'none'
