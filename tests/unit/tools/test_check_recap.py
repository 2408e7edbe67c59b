# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo` trusts tests/tools/check_recap.py to prove that the re-run changed nothing."""

from __future__ import annotations

import pytest

from tests.tools.check_recap import main, parse_recap

FIRST_THEN_RERUN = """
PLAY RECAP *********************************************************************
sandbox.fediops.test       : ok=2    changed=1    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0

PLAY [again] *******************************************************************
PLAY RECAP *********************************************************************
sandbox.fediops.test       : ok=2    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0
"""


def test_parse_recap_reads_the_last_recap_block():
    assert parse_recap(FIRST_THEN_RERUN) == {'sandbox.fediops.test': {
        'ok': 2, 'changed': 0, 'unreachable': 0, 'failed': 0, 'skipped': 0, 'rescued': 0, 'ignored': 0}}


def test_a_log_without_recap_is_an_error():
    with pytest.raises(ValueError, match='no PLAY RECAP'):
        parse_recap('fatal: [localhost]: FAILED!')


def test_main_fails_when_the_rerun_changed_something(tmp_path):
    log = tmp_path / 'run.log'
    log.write_text(FIRST_THEN_RERUN.replace('changed=0', 'changed=3'))
    assert main(['--changed', '0', '--failed', '0', str(log)]) == 1


def test_main_passes_on_a_converged_rerun(tmp_path):
    log = tmp_path / 'run.log'
    log.write_text(FIRST_THEN_RERUN)
    assert main(['--changed', '0', '--failed', '0', str(log)]) == 0
