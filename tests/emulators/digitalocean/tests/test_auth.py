# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bearer auth, as DigitalOcean answers it."""

import pytest
import requests

from tests.emulators.digitalocean import EmulatorServer


def test_request_without_token_is_401_unauthorized_and_applies_nothing(api, control):
    response = api.request("POST", "/v2/vpcs", token="", json={"name": "sneaky", "region": "tor1"})
    assert response.status_code == 401
    assert response.json()["id"] == "unauthorized"
    assert response.json()["message"] == "Unable to authenticate you"
    assert "sneaky" not in [vpc["name"] for vpc in control.state()["vpcs"]]
    assert control.requests()[-1]["status"] == 401


def test_non_bearer_authorization_is_401(api):
    response = api.get("/v2/account", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401


def test_any_non_empty_token_is_accepted_when_none_is_configured(api):
    assert api.get("/v2/account", token="whatever-token").status_code == 200


@pytest.fixture(scope="module")
def strict_server(tls_files):
    with EmulatorServer("127.0.0.1", 0, tls_files["cert"], tls_files["key"], tokens=("only-this-one",)) as running:
        yield running


def test_configured_tokens_are_the_only_ones_accepted(strict_server, tls_files):
    def status(token):
        return requests.get(strict_server.url + "/v2/account", headers={"Authorization": "Bearer " + token},
                            verify=tls_files["ca"], timeout=10).status_code

    assert status("only-this-one") == 200
    assert status("another-token") == 401


def test_emulator_refuses_to_listen_beyond_loopback(tls_files):
    with pytest.raises(ValueError, match="127.0.0.1"):
        EmulatorServer("0.0.0.0", 0, tls_files["cert"], tls_files["key"])
