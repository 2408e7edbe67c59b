# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Requests and responses are checked against DigitalOcean's OpenAPI contract, both ways."""

from tests.emulators.digitalocean.models import Result


def test_pydo_round_trip_of_every_vpc_operation_honours_the_contract(do_client, control):
    assert do_client.account.get()["account"]["status"] == "active"
    assert do_client.regions.list(per_page=200)["meta"]["total"] == 12
    assert do_client.sizes.list(per_page=200)["meta"]["total"] >= 10
    created = do_client.vpcs.create(body={"name": "prod-tor1", "region": "tor1", "ip_range": "10.200.0.0/24", "description": "mastodon"})["vpc"]
    vpc_id = created["id"]
    assert do_client.vpcs.get(vpc_id=vpc_id)["vpc"] == created
    assert do_client.vpcs.patch(vpc_id=vpc_id, body={"description": "patched"})["vpc"]["description"] == "patched"
    assert do_client.vpcs.update(vpc_id=vpc_id, body={"name": "prod-tor1-renamed"})["vpc"]["name"] == "prod-tor1-renamed"
    assert do_client.vpcs.list_members(vpc_id=vpc_id)["members"] == []
    assert "prod-tor1-renamed" in [vpc["name"] for vpc in do_client.vpcs.list(per_page=200)["vpcs"]]
    do_client.vpcs.delete(vpc_id=vpc_id)

    log = control.requests()
    assert [entry["operation_id"] for entry in log] == [
        "account_get", "regions_list", "sizes_list", "vpcs_create", "vpcs_get", "vpcs_patch", "vpcs_update",
        "vpcs_list_members", "vpcs_list", "vpcs_delete"]
    assert [entry["status"] for entry in log] == [200, 200, 200, 201, 200, 200, 200, 200, 200, 204]
    assert all(entry["contract_violation"] is None for entry in log)


def test_vpc_create_with_impossible_ip_range_is_refused_with_422_and_stores_nothing(api, control):
    response = api.post("/v2/vpcs", json={"name": "bad", "region": "tor1", "ip_range": "300.1.1.1/99"})
    assert response.status_code == 422
    error = response.json()
    assert error["id"] == "unprocessable_entity"
    assert "ip_range" in error["message"]
    assert error["request_id"]
    assert "bad" not in [vpc["name"] for vpc in control.state()["vpcs"]]


def test_vpc_create_without_name_is_refused_by_the_contract_naming_the_field(api, control):
    before = control.state()["vpcs"]
    response = api.post("/v2/vpcs", json={"region": "tor1"})
    assert response.status_code == 422
    assert response.json()["id"] == "unprocessable_entity"
    assert "name is required" in response.json()["message"]
    assert control.state()["vpcs"] == before


def test_vpc_create_with_wrongly_typed_name_is_refused_naming_the_field(api, control):
    before = control.state()["vpcs"]
    response = api.post("/v2/vpcs", json={"name": 5, "region": "tor1"})
    assert response.status_code == 422
    assert response.json()["message"].startswith("invalid request body: name:")
    assert "string" in response.json()["message"]
    assert control.state()["vpcs"] == before


def test_vpc_name_outside_the_contract_pattern_is_refused(api, control):
    response = api.post("/v2/vpcs", json={"name": "has space", "region": "tor1"})
    assert response.status_code == 422
    assert "name" in response.json()["message"]
    assert "has space" not in [vpc["name"] for vpc in control.state()["vpcs"]]


def test_body_that_is_not_json_is_a_400_bad_request(api):
    response = api.post("/v2/vpcs", data=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["id"] == "bad_request"


def test_invalid_query_parameter_is_a_400_naming_it(api):
    response = api.get("/v2/vpcs?page=0")
    assert response.status_code == 400
    assert "page" in response.json()["message"]


def test_unknown_path_and_unknown_vpc_are_404_not_found(api):
    for path in ("/v2/nothing-here", "/v2/vpcs/5a4981aa-9653-4bd1-bef5-d6bff52042e4", "/v2/vpcs/not-a-uuid"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["id"] == "not_found"
        assert response.json()["message"]
        assert response.json()["request_id"]


def test_operation_of_the_contract_no_family_serves_yet_is_a_clear_501(api, control):
    response = api.get("/v2/databases/metrics/credentials")
    assert response.status_code == 501
    assert "databases_get_cluster_metrics_credentials" in response.json()["message"]
    assert control.requests()[-1]["operation_id"] == "databases_get_cluster_metrics_credentials"


def test_response_that_breaks_the_contract_becomes_a_500_and_is_flagged_in_the_log(api, control, server, monkeypatch):
    account = server.app.backend.family("account")
    monkeypatch.setattr(account, "get_account", lambda call: Result(200, {"account": {"email": 5}}))
    response = api.get("/v2/account")
    assert response.status_code == 500
    assert response.json()["id"] == "emulator_contract_violation"
    assert "account_get" in response.json()["message"]
    violation = control.requests()[-1]["contract_violation"]
    assert violation.startswith("account_get 200:")
    assert "email" in violation
    control.clear_requests()  # provoked on purpose
