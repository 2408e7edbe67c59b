# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One in-process emulator per test session, behind a trustme CA, reset before every test.

Every test also proves the emulator honoured the contract: after it, the request log must hold
no ``contract_violation`` (tests that provoke one on purpose clear the log).
"""

import pydo
import pytest
import requests
import trustme

from tests.emulators.digitalocean import EmulatorServer
from tests.emulators.digitalocean.control import EmulatorControl

TOKEN = "dop_v1_emulator_test_token"
DEFAULTS = {"provision_delay": 2.0, "rate_limit_per_minute": 250, "rate_limit_per_hour": 5000}


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    files = {"ca": directory / "ca.pem", "cert": directory / "server.pem", "key": directory / "server-key.pem"}
    authority.cert_pem.write_to_path(str(files["ca"]))
    certificate.cert_chain_pems[0].write_to_path(str(files["cert"]))
    for blob in certificate.cert_chain_pems[1:]:
        blob.write_to_path(str(files["cert"]), append=True)
    certificate.private_key_pem.write_to_path(str(files["key"]))
    return {name: str(path) for name, path in files.items()}


@pytest.fixture(scope="session")
def server(tls_files):
    with EmulatorServer("127.0.0.1", 0, tls_files["cert"], tls_files["key"], **DEFAULTS) as running:
        yield running


@pytest.fixture(scope="session")
def control_session(server, tls_files):
    with EmulatorControl(server.url, tls_files["ca"]) as client:
        yield client


@pytest.fixture
def control(control_session):
    current = control_session.config()
    control_session.configure(family_provision_delay={name: None for name in current["family_provision_delay"]} or None, **DEFAULTS)
    control_session.reset()
    yield control_session
    violations = control_session.contract_violations()
    assert not violations, "the emulator broke the OpenAPI contract: %r" % violations


class Api:
    """Plain ``requests`` against the emulator, with the CA passed per call (REQUESTS_CA_BUNDLE cannot override it)."""

    def __init__(self, url, ca, token=TOKEN):
        self.url = url
        self.ca = ca
        self.token = token
        self.session = requests.Session()

    def request(self, method, path, token=None, headers=None, **kwargs):
        """``token=None`` sends the test token, ``token=""`` sends no Authorization header."""
        token = self.token if token is None else token
        merged = {"Authorization": "Bearer " + token} if token else {}
        merged.update(headers or {})
        url = path if path.startswith("https://") else self.url + path
        return self.session.request(method, url, headers=merged, verify=self.ca, timeout=10, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def api(server, tls_files, control):
    del control  # reset first
    client = Api(server.url, tls_files["ca"])
    yield client
    client.session.close()


@pytest.fixture
def do_client(server, tls_files, control):
    del control  # reset first
    return pydo.Client(token=TOKEN, endpoint=server.url, retry_total=0, connection_verify=tls_files["ca"])
