# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The entry-points benchmark reads the wall time of `make test` from the log a run left behind."""

from __future__ import annotations

import pytest

from tests.benchmarks.entry_points import read_make_test_log


@pytest.mark.parametrize('log, seconds, how', [
    ('...\n1451 passed in 90.12s\n\nreal\t36m12.5s\nuser\t1m\n', 36 * 60 + 12.5, '`real` line'),
    ('collection built\nCI finished in 2152 s\n', 2152.0, '.ci/run'),
    ('1451 passed in 90.5s (0:01:30)\n405 passed in 1404.0s (0:23:24)\n', 1494.5, 'lower bound'),
])
def test_the_wall_time_of_make_test_is_read_from_its_log(tmp_path, log, seconds, how):
    path = tmp_path / 'make-test.log'
    path.write_text(log)
    found, described = read_make_test_log(str(path))
    assert found == pytest.approx(seconds)
    assert how in described


def test_a_log_without_a_time_says_so(tmp_path):
    path = tmp_path / 'make-test.log'
    path.write_text('make: *** [Makefile:90: test] Error 2\n')
    assert read_make_test_log(str(path)) == (None, 'no time found in the log')
