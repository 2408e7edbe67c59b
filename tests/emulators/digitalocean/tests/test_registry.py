# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The container registry: one per account, subscription tiers, Docker credentials."""

import base64

import pytest


def _create(api, **body):
    return api.post("/v2/registry", json=dict({"name": "fediops", "subscription_tier_slug": "basic", "region": "nyc3"}, **body))


def test_create_get_and_delete(do_client, api):
    created = do_client.registry.create(body={"name": "fediops", "subscription_tier_slug": "basic", "region": "sfo3"})["registry"]
    assert created["name"] == "fediops" and created["region"] == "sfo3"
    assert created["subscription"]["tier"]["slug"] == "basic"
    assert created["subscription"]["tier"]["included_repositories"] == 5
    assert do_client.registry.get()["registry"] == created
    assert api.delete("/v2/registry").status_code == 204
    assert api.get("/v2/registry").status_code == 404
    assert api.delete("/v2/registry").status_code == 404


def test_region_defaults_and_is_limited_to_registry_regions(api):
    response = _create(api, region="tor1")
    assert response.status_code == 422 and "region" in response.json()["message"]
    response = api.post("/v2/registry", json={"name": "fediops", "subscription_tier_slug": "starter"})
    assert response.status_code == 201 and response.json()["registry"]["region"] == "nyc3"


def test_one_registry_per_account_and_globally_unique_names(api, control):
    assert _create(api).status_code == 201
    response = _create(api, name="another")
    assert response.status_code == 409 and "one registry" in response.json()["message"]
    assert control.state()["registry"]["name"] == "fediops"
    assert api.delete("/v2/registry").status_code == 204
    response = _create(api, name="registry")
    assert response.status_code == 409 and "already in use" in response.json()["message"]
    response = _create(api, name="-dash")
    assert response.status_code == 422


def test_validate_name(api):
    assert api.post("/v2/registry/validate-name", json={"name": "fediops"}).status_code == 204
    assert api.post("/v2/registry/validate-name", json={"name": "docker"}).status_code == 409
    assert _create(api).status_code == 201
    assert api.post("/v2/registry/validate-name", json={"name": "fediops"}).status_code == 409


def test_subscription_tier_changes(do_client, api):
    assert api.get("/v2/registry/subscription").status_code == 404
    _create(api, subscription_tier_slug="starter")
    assert do_client.registry.get_subscription()["subscription"]["tier"]["slug"] == "starter"
    updated = do_client.registry.update_subscription(body={"tier_slug": "professional"})["subscription"]
    assert updated["tier"]["slug"] == "professional" and updated["tier"]["included_repositories"] == 0
    assert do_client.registry.get()["registry"]["subscription"]["tier"]["slug"] == "professional"
    response = api.post("/v2/registry/subscription", json={"tier_slug": "gold"})
    assert response.status_code == 422


@pytest.mark.parametrize("read_write, expiry", [(False, 0), (True, 3600)])
def test_docker_credentials_are_a_docker_config_with_a_new_token_each_time(do_client, api, control, read_write, expiry):
    assert api.get("/v2/registry/docker-credentials").status_code == 404
    _create(api)
    first = do_client.registry.get_docker_credentials(read_write=read_write, expiry_seconds=expiry)
    second = do_client.registry.get_docker_credentials(read_write=read_write, expiry_seconds=expiry)
    auth = first["auths"]["registry.digitalocean.com"]["auth"]
    user, password = base64.b64decode(auth).decode().split(":")
    assert user == password and len(password) == 64
    assert second["auths"]["registry.digitalocean.com"]["auth"] != auth
    issued = control.state()["registry_credentials"]
    assert [(entry["read_write"], entry["expiry_seconds"]) for entry in issued] == [(read_write, expiry)] * 2
    assert (issued[0]["expires_at"] is None) == (expiry == 0)


def test_options_list_regions_and_tiers(do_client):
    options = do_client.registry.get_options()["options"]
    assert options["available_regions"] == ["nyc3", "sfo3", "ams3", "sgp1", "fra1"]
    assert [(tier["slug"], tier["monthly_price_in_cents"], tier["eligible"]) for tier in options["subscription_tiers"]] == [
        ("starter", 0, True), ("basic", 500, True), ("professional", 2000, True)]
