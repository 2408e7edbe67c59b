# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time

import pytest
import requests

from tests.emulators.sandbox.launcher import Sandbox, SandboxError, pid_alive
from tests.emulators.sandbox.services import Service

from .conftest import FAKE_MODULE, fake_service, processes_using

ENV_KEYS = {
    'DIGITALOCEAN_API_URL', 'DIGITALOCEAN_ACCESS_TOKEN', 'REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE', 'CURL_CA_BUNDLE',
    'AWS_CA_BUNDLE', 'FEDIOPS_SANDBOX_DIR', 'FEDIOPS_SANDBOX_DO_CONTROL_URL',
}


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _sourced_env(env_file):
    """The variables a bash that sources ``env_file`` ends up with."""
    script = 'set -e; source "$1"; for k in %s; do printf "%%s=%%s\\0" "$k" "${!k}"; done' % ' '.join(sorted(ENV_KEYS))
    out = subprocess.run(['bash', '-c', script, 'bash', env_file], capture_output=True, check=True, env={}).stdout
    return dict(item.split('=', 1) for item in out.decode().split('\0') if item)


def test_up_writes_sourceable_env_and_sandbox_json(make_sandbox):
    sandbox = make_sandbox()
    info = sandbox.up()

    assert set(info['env']) == ENV_KEYS
    assert _sourced_env(sandbox.env_file) == info['env']
    assert _mode(sandbox.env_file) == 0o600
    assert _mode(sandbox.info_file) == 0o600
    env = info['env']
    assert re.fullmatch(r'https://127\.0\.0\.1:\d+', env['DIGITALOCEAN_API_URL'])
    assert env['FEDIOPS_SANDBOX_DO_CONTROL_URL'] == env['DIGITALOCEAN_API_URL']
    assert re.fullmatch(r'dop_v1_sandbox_[0-9a-f]{64}', env['DIGITALOCEAN_ACCESS_TOKEN'])
    assert env['FEDIOPS_SANDBOX_DIR'] == sandbox.state_dir
    for key in ('REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE', 'CURL_CA_BUNDLE', 'AWS_CA_BUNDLE'):
        assert env[key] == os.path.join(sandbox.state_dir, 'ca', 'ca.pem')

    with open(sandbox.info_file, encoding='utf-8') as handle:
        on_disk = json.load(handle)
    assert on_disk == info
    service = on_disk['services']['digitalocean']
    assert service['name'] == 'digitalocean'
    assert service['url'] == env['DIGITALOCEAN_API_URL']
    assert service['log'] == os.path.join(sandbox.state_dir, 'logs', 'digitalocean.log')
    assert os.path.exists(service['log'])
    with open(sandbox.pid_file('digitalocean'), encoding='utf-8') as handle:
        assert int(handle.read()) == service['pid']
    assert pid_alive(service['pid'])


def test_private_keys_in_state_dir_are_0600(make_sandbox):
    sandbox = make_sandbox()
    sandbox.up()
    assert _mode(os.path.join(sandbox.ca_dir, 'ca-key.pem')) == 0o600
    assert _mode(os.path.join(sandbox.ca_dir, 'server-key.pem')) == 0o600


def test_service_certificate_fails_default_trust_and_verifies_with_sandbox_ca(make_sandbox):
    sandbox = make_sandbox()
    info = sandbox.up()
    url = info['services']['digitalocean']['health_url']
    session = requests.Session()
    session.trust_env = False  # ignore a REQUESTS_CA_BUNDLE the developer may have sourced
    with pytest.raises(requests.exceptions.SSLError):
        session.get(url, timeout=5)
    assert session.get(url, timeout=5, verify=info['ca_bundle']).status_code == 200


def test_service_gets_the_token_so_a_wrong_token_is_refused(make_sandbox):
    info = make_sandbox().up()
    env = info['env']
    url = env['DIGITALOCEAN_API_URL'] + '/v2/account'
    good = requests.get(url, headers={'Authorization': 'Bearer ' + env['DIGITALOCEAN_ACCESS_TOKEN']},
                        verify=info['ca_bundle'], timeout=5)
    bad = requests.get(url, headers={'Authorization': 'Bearer dop_v1_wrong'}, verify=info['ca_bundle'], timeout=5)
    assert (good.status_code, bad.status_code) == (200, 401)


def test_up_passes_provision_delay_and_rate_limit_to_the_service(make_sandbox):
    info = make_sandbox(provision_delay=2.5, rate_limit_per_minute=120).up()
    state = requests.get(info['services']['digitalocean']['health_url'], verify=info['ca_bundle'], timeout=5).json()
    assert state == {'provision_delay': 2.5, 'rate_limit_per_minute': 120}
    assert info['options'] == {'provision_delay': 2.5, 'rate_limit_per_minute': 120}


def test_up_twice_reuses_the_running_service(make_sandbox):
    sandbox = make_sandbox()
    first = sandbox.up()
    second = make_sandbox(state_dir=sandbox.state_dir).up()
    assert second == first
    assert len(processes_using(sandbox.state_dir)) == 1
    os.unlink(sandbox.env_file)
    assert sandbox.up() == first
    assert _sourced_env(sandbox.env_file) == first['env']


def test_up_with_other_options_restarts_the_service(make_sandbox):
    sandbox = make_sandbox()
    first = sandbox.up()
    second = make_sandbox(state_dir=sandbox.state_dir, provision_delay=1.0).up()
    assert second['services']['digitalocean']['pid'] != first['services']['digitalocean']['pid']
    assert not pid_alive(first['services']['digitalocean']['pid'])
    assert second['options']['provision_delay'] == 1.0


def test_up_replaces_a_sandbox_whose_service_died(make_sandbox):
    sandbox = make_sandbox()
    first = sandbox.up()
    pid = first['services']['digitalocean']['pid']
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    second = sandbox.up()
    assert second['services']['digitalocean']['pid'] != pid
    assert sandbox.status()['healthy']


def test_down_stops_the_process_and_removes_runtime_files(make_sandbox):
    sandbox = make_sandbox()
    pid = sandbox.up()['services']['digitalocean']['pid']
    sandbox.down()
    assert not pid_alive(pid)
    assert processes_using(sandbox.state_dir) == []
    for path in (sandbox.pid_file('digitalocean'), sandbox.ready_file('digitalocean'), sandbox.env_file, sandbox.info_file):
        assert not os.path.exists(path)
    assert os.path.exists(sandbox.log_file('digitalocean'))


def test_down_from_another_launcher_stops_the_service(make_sandbox):
    sandbox = make_sandbox()
    pid = sandbox.up()['services']['digitalocean']['pid']
    Sandbox(sandbox.state_dir, services=[fake_service()]).down()
    assert not pid_alive(pid)
    assert not sandbox.status()['healthy']


def test_down_is_idempotent_and_fine_when_nothing_ever_ran(make_sandbox, tmp_path):
    Sandbox(tmp_path / 'never-created', services=[fake_service()]).down()
    assert not os.path.exists(tmp_path / 'never-created')
    sandbox = make_sandbox()
    sandbox.down()
    sandbox.up()
    sandbox.down()
    sandbox.down()
    assert processes_using(sandbox.state_dir) == []


def test_service_ignoring_sigterm_is_killed_after_the_grace_period(make_sandbox):
    sandbox = make_sandbox(services=[fake_service('ignore-term')], stop_timeout=0.5)
    pid = sandbox.up()['services']['digitalocean']['pid']
    started = time.monotonic()
    sandbox.down()
    assert not pid_alive(pid)
    assert 0.5 <= time.monotonic() - started < 5


def test_service_that_never_becomes_ready_fails_up_with_log_tail_and_leaves_nothing_running(make_sandbox):
    sandbox = make_sandbox(services=[fake_service('never-ready')], startup_timeout=1.5)
    with pytest.raises(SandboxError) as caught:
        sandbox.up()
    message = str(caught.value)
    assert "'digitalocean'" in message and 'not ready after 1.5 s' in message
    assert 'fake service: refusing to become ready' in message
    assert 'refusing to become ready' in caught.value.log_tail
    assert processes_using(sandbox.state_dir) == []
    assert not os.path.exists(sandbox.pid_file('digitalocean'))
    assert not os.path.exists(sandbox.info_file) and not os.path.exists(sandbox.env_file)


def test_service_that_exits_fails_up_without_waiting_for_the_timeout(make_sandbox):
    sandbox = make_sandbox(services=[fake_service('exit')], startup_timeout=30)
    started = time.monotonic()
    with pytest.raises(SandboxError, match=r'exited with status 3[\s\S]*giving up on purpose'):
        sandbox.up()
    assert time.monotonic() - started < 10


def test_unhealthy_service_fails_up_with_the_health_answer(make_sandbox):
    sandbox = make_sandbox(services=[fake_service('unhealthy')], startup_timeout=1)
    with pytest.raises(SandboxError, match=r'/_emulator/state answered 503'):
        sandbox.up()
    assert processes_using(sandbox.state_dir) == []


def test_failing_service_stops_the_services_already_started(make_sandbox):
    services = [fake_service('ok', name='first'), fake_service('exit', name='second')]
    sandbox = make_sandbox(services=services)
    with pytest.raises(SandboxError, match="'second'"):
        sandbox.up()
    assert processes_using(sandbox.state_dir) == []
    assert not os.path.exists(sandbox.pid_file('first'))


def test_services_start_concurrently(make_sandbox):
    delay = ['--startup-delay', '2']
    services = [fake_service(name='one', extra_args=delay), fake_service(name='two', extra_args=delay)]
    started = time.monotonic()
    info = make_sandbox(services=services).up()
    assert time.monotonic() - started < 3.6  # one after the other would take 4 s or more
    assert set(info['services']) == {'one', 'two'}


def test_service_without_ready_file_gets_a_port_from_the_launcher(make_sandbox):
    def build_argv(ctx):
        return [ctx.python, '-m', FAKE_MODULE, '--host', ctx.host, '--port', str(ctx.port), '--certfile', ctx.certs.server_cert,
                '--keyfile', ctx.certs.server_key, '--ready-file', os.path.join(ctx.state_dir, 'ignored.json')]

    service = Service(name='portless', build_argv=build_argv, build_env=lambda ctx, url: {'PORTLESS_URL': url},
                      health_path='/_emulator/state', ready_file=False)
    info = make_sandbox(services=[service]).up()
    assert info['services']['portless']['url'] == info['env']['PORTLESS_URL']
    assert info['env']['PORTLESS_URL'].startswith('https://127.0.0.1:')


def test_ready_file_naming_a_non_local_address_is_refused(make_sandbox):
    def build_argv(ctx):
        script = 'import json, time; json.dump({"url": "https://192.0.2.1:443", "pid": 1}, open(%r, "w")); time.sleep(60)' % ctx.ready_file
        return [ctx.python, '-c', script, ctx.state_dir]

    service = dataclasses.replace(fake_service(), build_argv=build_argv)
    with pytest.raises(SandboxError, match='not an https URL on 127.0.0.1'):
        make_sandbox(services=[service]).up()


def test_stale_pid_file_of_an_unrelated_process_is_not_killed(make_sandbox):
    unrelated = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    try:
        sandbox = make_sandbox()
        os.makedirs(sandbox.state_dir)
        with open(sandbox.pid_file('digitalocean'), 'w', encoding='utf-8') as handle:
            handle.write('%d\n' % unrelated.pid)
        sandbox.down()
        assert unrelated.poll() is None
        assert not os.path.exists(sandbox.pid_file('digitalocean'))

        with open(sandbox.pid_file('digitalocean'), 'w', encoding='utf-8') as handle:
            handle.write('%d\n' % unrelated.pid)
        info = sandbox.up()
        assert info['services']['digitalocean']['pid'] != unrelated.pid
        sandbox.down()
        assert unrelated.poll() is None
    finally:
        unrelated.kill()
        unrelated.wait()


def test_status_reports_healthy_while_up_and_stopped_after_down(make_sandbox):
    sandbox = make_sandbox()
    assert sandbox.status()['healthy'] is False
    sandbox.up()
    report = sandbox.status()
    assert report['healthy'] is True
    assert [(e['name'], e['running'], e['healthy']) for e in report['services']] == [('digitalocean', True, True)]
    sandbox.down()
    report = sandbox.status()
    assert report['healthy'] is False
    assert report['services'][0]['running'] is False


def test_context_manager_brings_the_sandbox_up_and_down(make_sandbox):
    with make_sandbox() as sandbox:
        pid = sandbox.load_info()['services']['digitalocean']['pid']
        assert sandbox.status()['healthy']
    assert not pid_alive(pid)
