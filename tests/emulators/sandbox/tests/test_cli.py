# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.emulators.sandbox.__main__ import main
from tests.emulators.sandbox.launcher import REPO_ROOT

from .conftest import fake_service


@pytest.fixture
def run(tmp_path, capsys):
    state_dir = str(tmp_path / 'state')

    def invoke(*args, mode='ok'):
        code = main(list(args) + ['--state-dir', state_dir], services=[fake_service(mode)])
        out, err = capsys.readouterr()
        return code, out, err

    yield invoke
    invoke('down')


def test_up_prints_urls_but_never_the_token(run, tmp_path):
    code, out, err = run('up')
    assert code == 0, err
    with open(tmp_path / 'state' / 'env', encoding='utf-8') as handle:
        env_text = handle.read()
    token = env_text.split('DIGITALOCEAN_ACCESS_TOKEN=')[1].split()[0]
    assert token.startswith('dop_v1_sandbox_')
    assert token not in out and 'dop_v1' not in out
    assert 'digitalocean' in out and 'https://127.0.0.1:' in out


def test_env_prints_the_env_file_path_only_while_up(run, tmp_path):
    assert run('env')[0] == 1
    run('up')
    code, out, _err = run('env')
    assert (code, out.strip()) == (0, str(tmp_path / 'state' / 'env'))


def test_status_exit_code_follows_health(run):
    assert run('status')[0] == 1
    run('up')
    code, out, _err = run('status')
    assert code == 0 and 'healthy' in out
    assert run('down')[0] == 0
    assert run('status')[0] == 1


def test_failed_up_exits_1_with_the_log_tail_on_stderr(run):
    code, out, err = run('up', '--timeout', '1', mode='never-ready')
    assert code == 1
    assert 'refusing to become ready' in err and out == ''


def test_module_runs_as_a_command_from_the_repository_root():
    result = subprocess.run([sys.executable, '-m', 'tests.emulators.sandbox', '--help'], cwd=REPO_ROOT,
                            capture_output=True, text=True, check=False, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    for command in ('up', 'down', 'status', 'env'):
        assert command in result.stdout
