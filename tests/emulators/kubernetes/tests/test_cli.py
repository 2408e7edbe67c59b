# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The process contract the sandbox launcher relies on (same as the DigitalOcean emulator's)."""

import base64
import json
import os
import signal
import ssl
import stat
import subprocess
import sys
import time
import urllib.request

import yaml

from tests.emulators.kubernetes import write_kubeconfig

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def test_cli_writes_the_ready_file_serves_state_and_stops_on_sigterm(tls_files, tmp_path):
    ready = tmp_path / "k8s.ready"
    command = [sys.executable, "-m", "tests.emulators.kubernetes", "--host", "127.0.0.1", "--port", "0", "--certfile", tls_files["server"],
               "--keyfile", tls_files["server"], "--ready-file", str(ready), "--token", "cli-token", "--token", "second-token", "--ready-delay", "0",
               "--failing-image", "*:broken", "--kubernetes-version", "1.33"]
    proc = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # pylint: disable=consider-using-with
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        assert info["pid"] == proc.pid and info["url"].startswith("https://127.0.0.1:")
        context = ssl.create_default_context(cafile=tls_files["ca"])
        with urllib.request.urlopen(info["url"] + "/_emulator/state", context=context) as response:
            assert response.status == 200
            assert "namespaces" in json.load(response)["objects"]
        with urllib.request.urlopen(info["url"] + "/_emulator/config", context=context) as response:
            config = json.load(response)["config"]
        assert config["failing_images"] == ["*:broken"] and config["ready_delay"] == 0 and config["tokens_required"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert not ready.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_refuses_a_kubernetes_version_without_schemas(tls_files, tmp_path):
    result = subprocess.run([sys.executable, "-m", "tests.emulators.kubernetes", "--certfile", tls_files["server"], "--keyfile", tls_files["server"],
                             "--ready-file", str(tmp_path / "r"), "--token", "t", "--kubernetes-version", "1.20"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1 and "no schemas for Kubernetes 1.20" in result.stderr
    assert not (tmp_path / "r").exists()


def test_write_kubeconfig_has_the_doks_shape(tls_files, tmp_path):
    path = write_kubeconfig(str(tmp_path / "kubeconfig"), "https://127.0.0.1:6443", tls_files["ca"], "tok", cluster_name="mastodon", region="tor1")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    document = yaml.safe_load(open(path, encoding="utf-8"))  # pylint: disable=consider-using-with
    assert document["current-context"] == "do-tor1-mastodon"
    assert document["clusters"][0]["name"] == "do-tor1-mastodon" and document["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    assert document["contexts"][0]["context"] == {"cluster": "do-tor1-mastodon", "user": "do-tor1-mastodon-admin"}
    assert document["users"] == [{"name": "do-tor1-mastodon-admin", "user": {"token": "tok"}}]
    with open(tls_files["ca"], "rb") as handle:
        assert document["clusters"][0]["cluster"]["certificate-authority-data"] == base64.b64encode(handle.read()).decode()
