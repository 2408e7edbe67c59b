# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server: keep-alive, concurrency under one state lock, and the standalone CLI."""

import concurrent.futures
import ipaddress
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import requests

REPO_ROOT = pathlib.Path(__file__).resolve().parents[4]


def test_keep_alive_reuses_one_connection_for_many_requests(api, server):
    before = server.connections_accepted
    for dummy in range(5):
        response = api.get("/v2/account")
        assert response.headers.get("Connection", "").lower() != "close"
    assert server.connections_accepted - before == 1


def test_concurrent_creates_all_succeed_with_distinct_non_overlapping_ranges(api, control, server, tls_files):
    def create(index):
        with requests.Session() as session:
            return session.post(server.url + "/v2/vpcs", json={"name": "par-%02d" % index, "region": "tor1"},
                                headers={"Authorization": "Bearer t"}, verify=tls_files["ca"], timeout=10)

    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(create, range(20)))
    assert [response.status_code for response in responses] == [201] * 20
    networks = [ipaddress.ip_network(vpc["ip_range"]) for vpc in control.state()["vpcs"]]
    assert len(networks) == 23
    assert not any(a.overlaps(b) for index, a in enumerate(networks) for b in networks[index + 1:])
    del api


def _run_cli(*args, env=None):
    return subprocess.Popen([sys.executable, "-m", "tests.emulators.digitalocean", *args], cwd=str(REPO_ROOT),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def test_cli_starts_on_a_free_port_writes_the_ready_file_answers_and_stops_on_sigterm(tls_files, tmp_path):
    ready = tmp_path / "ready.json"
    process = _run_cli("--port", "0", "--certfile", tls_files["cert"], "--keyfile", tls_files["key"],
                       "--ready-file", str(ready), "--token", "cli-token", "--provision-delay", "0")
    try:
        deadline = time.time() + 30
        while not ready.exists():
            assert process.poll() is None, process.stderr.read().decode()
            assert time.time() < deadline, "no ready file"
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        assert info["pid"] == process.pid
        assert info["url"].startswith("https://127.0.0.1:")
        response = requests.get(info["url"] + "/v2/account", headers={"Authorization": "Bearer cli-token"}, verify=tls_files["ca"], timeout=10)
        assert response.status_code == 200
        assert requests.get(info["url"] + "/_emulator/config", verify=tls_files["ca"], timeout=10).json()["provision_delay"] == 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert not ready.exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


def test_cli_refuses_a_host_other_than_loopback(tls_files):
    process = _run_cli("--host", "0.0.0.0", "--certfile", tls_files["cert"], "--keyfile", tls_files["key"])
    out, err = process.communicate(timeout=30)
    assert process.returncode != 0, out
    assert b"127.0.0.1" in err


def test_cli_without_the_contract_exits_non_zero_with_a_clear_message(tls_files, tmp_path):
    env = dict(os.environ, FEDIOPS_DO_OPENAPI_SPEC=str(tmp_path / "missing.json"))
    process = _run_cli("--certfile", tls_files["cert"], "--keyfile", tls_files["key"], env=env)
    out, err = process.communicate(timeout=30)
    assert process.returncode != 0, out
    assert b"OpenAPI spec not found" in err
    assert b"missing.json" in err
