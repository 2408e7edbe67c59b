# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.emulators.sandbox.launcher import REPO_ROOT, Sandbox, pid_alive
from tests.emulators.sandbox.pytest_plugin import provide_sandbox
from tests.emulators.sandbox.services import default_services

from .conftest import fake_service, processes_using


def test_shared_sandbox_named_by_env_is_used_and_left_running(tmp_path):
    shared = Sandbox(tmp_path / 'shared', services=[fake_service()])
    info = shared.up()
    try:
        environ = {'FEDIOPS_SANDBOX_DIR': shared.state_dir}
        with provide_sandbox(lambda: str(tmp_path / 'own'), services=[fake_service()], environ=environ) as handle:
            assert handle.owned is False
            assert handle.state_dir == shared.state_dir
            assert handle.env == info['env']
            assert handle.do_url == info['env']['DIGITALOCEAN_API_URL']
            assert handle.ca_bundle == info['ca_bundle']
        assert not os.path.exists(tmp_path / 'own')
        assert shared.status()['healthy']
    finally:
        shared.down()


def test_own_sandbox_is_started_when_the_named_one_is_down_and_stopped_afterwards(tmp_path):
    environ = {'FEDIOPS_SANDBOX_DIR': str(tmp_path / 'stopped')}
    with provide_sandbox(lambda: str(tmp_path / 'own'), services=[fake_service()], environ=environ) as handle:
        assert handle.owned is True
        assert handle.state_dir == str(tmp_path / 'own')
        assert handle.do_control_url == handle.do_url
        pid = handle.services['digitalocean']['pid']
        assert pid_alive(pid)
    assert not pid_alive(pid)
    assert processes_using(tmp_path / 'own') == []


def test_fixture_works_as_a_registered_plugin(tmp_path):
    # The plugin judges a shared sandbox against the whole registry: stand in for every entry.
    shared = Sandbox(tmp_path / 'shared', services=[fake_service(name=service.name) for service in default_services()])
    info = shared.up()
    try:
        (tmp_path / 'project').mkdir()
        (tmp_path / 'project' / 'test_uses_sandbox.py').write_text(textwrap.dedent('''
            import requests

            def test_account(sandbox):
                response = requests.get(sandbox.do_url + '/v2/account', verify=sandbox.ca_bundle, timeout=5,
                                        headers={'Authorization': 'Bearer ' + sandbox.env['DIGITALOCEAN_ACCESS_TOKEN']})
                assert response.status_code == 200
                assert sandbox.state_dir == %r
        ''' % info['state_dir']), encoding='utf-8')
        env = dict(os.environ, FEDIOPS_SANDBOX_DIR=shared.state_dir, PYTHONPATH=REPO_ROOT)
        result = subprocess.run(
            [sys.executable, '-m', 'pytest', '-q', '-p', 'tests.emulators.sandbox.pytest_plugin', '-p', 'no:cacheprovider',
             'test_uses_sandbox.py'],
            cwd=tmp_path / 'project', env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert '1 passed' in result.stdout
    finally:
        shared.down()
