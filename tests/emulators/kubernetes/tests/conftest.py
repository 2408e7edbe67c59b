# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures: one in-process stand-in per test session (trustme CA), reset before every test."""

import os

import pytest
import trustme

from tests.emulators.kubernetes import KubernetesEmulator, write_kubeconfig
from tests.emulators.kubernetes.control import KubernetesControl

TOKEN = "sandbox-token-for-tests"


@pytest.fixture(scope="session", name="tls_files")
def tls_files_fixture(tmp_path_factory):
    directory = tmp_path_factory.mktemp("k8s-tls")
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    server.private_key_and_cert_chain_pem.write_to_path(str(directory / "server.pem"))
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    return {"server": str(directory / "server.pem"), "ca": str(directory / "ca.pem"), "dir": directory}


@pytest.fixture(scope="session", name="emulator")
def emulator_fixture(tls_files):
    with KubernetesEmulator(tls_files["server"], tls_files["server"], token=TOKEN, ready_delay=0.2) as running:
        yield running


@pytest.fixture(scope="session", name="kubeconfig")
def kubeconfig_fixture(emulator, tls_files):
    return write_kubeconfig(str(tls_files["dir"] / "kubeconfig"), emulator.url, tls_files["ca"], TOKEN)


@pytest.fixture(name="control")
def control_fixture(emulator, tls_files):
    client = KubernetesControl(emulator.url, tls_files["ca"])
    client.reset()
    client.set_config(ready_delay=0.2, failing_images=[], pod_logs={}, progress_deadline=None)
    return client


@pytest.fixture(name="dyn")
def dyn_fixture(kubeconfig, control, tmp_path, monkeypatch):  # pylint: disable=unused-argument
    """A kubernetes DynamicClient on the stand-in (discovery cache in the test's tmp dir)."""
    from kubernetes import config, dynamic  # pylint: disable=import-outside-toplevel
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    api_client = config.new_client_from_config(kubeconfig)
    client = dynamic.DynamicClient(api_client, cache_file=os.path.join(str(tmp_path), "discovery.json"))
    yield client
    api_client.close()
