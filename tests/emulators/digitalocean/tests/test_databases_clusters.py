# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Managed database clusters: options, create, status transitions, VPC membership, resize, upgrade."""

import base64

import pytest
from azure.core.exceptions import HttpResponseError
from cryptography import x509

PG = {"name": "pg-main", "engine": "pg", "version": "16", "region": "tor1", "size": "db-s-1vcpu-1gb", "num_nodes": 1}
SETTLE = 3  # seconds past the test provisioning delay (2 s)


def _create(api, **overrides):
    response = api.post("/v2/databases", json=dict(PG, **overrides))
    assert response.status_code == 201, response.text
    return response.json()["database"]


def _refused(response, *words):
    assert response.status_code == 422, response.text
    assert response.json()["id"] == "unprocessable_entity"
    for word in words:
        assert word in response.json()["message"]
    return response.json()["message"]


def _names(control):
    return [cluster["name"] for cluster in control.state()["database_clusters"]]


def test_options_offer_pg_valkey_and_opensearch_in_every_catalogue_region(do_client):
    answer = do_client.databases.list_options()
    options = answer["options"]
    assert sorted(options) == ["opensearch", "pg", "valkey"]
    assert options["pg"]["versions"] == ["14", "15", "16", "17", "18"]
    assert options["valkey"]["versions"] == ["8"] and options["opensearch"]["versions"] == ["2"]
    assert len(options["pg"]["regions"]) == 12 and "tor1" in options["valkey"]["regions"]
    layouts = {engine: {layout["num_nodes"]: layout["sizes"] for layout in options[engine]["layouts"]} for engine in options}
    assert sorted(layouts["pg"]) == [1, 2, 3] and sorted(layouts["opensearch"]) == [1, 3, 6]
    assert "db-s-1vcpu-1gb" in layouts["pg"][1] and "db-s-1vcpu-1gb" not in layouts["pg"][2]
    assert "m-2vcpu-16gb" in layouts["valkey"][3] and "gd-2vcpu-8gb" in layouts["pg"][3]
    assert all("db-s-1vcpu-1gb" not in sizes for sizes in layouts["opensearch"].values())
    pg14 = next(entry for entry in answer["version_availability"]["pg"] if entry["version"] == "14")
    assert pg14["end_of_life"] == "2026-11-12T00:00:00Z"
    assert answer["version_availability"]["valkey"][0]["end_of_life"] is None


def test_new_cluster_is_creating_until_the_provision_delay_passes_then_online(do_client, control):
    created = do_client.databases.create_cluster(body=PG)["database"]
    assert created["status"] == "creating"
    cluster_id = created["id"]
    control.advance_clock(1)
    assert do_client.databases.get_cluster(cluster_id)["database"]["status"] == "creating"
    control.advance_clock(SETTLE)
    assert do_client.databases.get_cluster(cluster_id)["database"]["status"] == "online"


def test_family_provision_delay_override_applies_to_database_clusters(api, control):
    control.configure(family_provision_delay={"databases": 0})
    assert _create(api)["status"] == "online"


def test_pg_cluster_carries_doadmin_connection_details_defaultdb_and_its_vpc(api):
    cluster = _create(api, num_nodes=2, size="db-s-2vcpu-4gb", tags=["mastodon"])
    default_tor1 = next(vpc for vpc in api.get("/v2/vpcs").json()["vpcs"] if vpc["name"] == "default-tor1")
    assert cluster["private_network_uuid"] == default_tor1["id"]
    connection, private = cluster["connection"], cluster["private_connection"]
    assert connection["host"].startswith("pg-main-do-user-") and connection["host"].endswith(".db.ondigitalocean.com")
    assert private["host"] == "private-" + connection["host"]
    password = cluster["users"][0]["password"]
    assert cluster["users"] == [{"name": "doadmin", "role": "primary", "password": password}]
    assert (connection["port"], connection["user"], connection["password"], connection["ssl"]) == (25060, "doadmin", password, True)
    assert connection["uri"] == "postgresql://doadmin:%s@%s:25060/defaultdb?sslmode=require" % (password, connection["host"])
    assert cluster["standby_connection"]["host"] == "replica-" + connection["host"]
    assert cluster["db_names"] == ["defaultdb"] and cluster["tags"] == ["mastodon"]
    assert cluster["storage_size_mib"] == 61440
    assert cluster["maintenance_window"]["day"] in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    assert cluster["project_id"] and cluster["created_at"].endswith("Z")


def test_valkey_connects_as_default_over_rediss_on_25061_and_opensearch_over_https(api):
    valkey = _create(api, name="cache", engine="valkey", version="8", size="db-s-1vcpu-1gb")
    connection = valkey["connection"]
    assert (connection["user"], connection["port"]) == ("default", 25061)
    assert connection["uri"].startswith("rediss://default:") and connection["uri"].endswith(":25061")
    assert valkey["db_names"] is None and valkey["storage_size_mib"] == 0
    search = _create(api, name="search", engine="opensearch", version="2", size="db-s-1vcpu-2gb")
    assert (search["connection"]["user"], search["connection"]["port"]) == ("doadmin", 25060)
    assert search["connection"]["uri"].startswith("https://doadmin:")
    assert search["ui_connection"]["port"] == 443


def test_version_defaults_to_the_default_of_the_engine(api):
    created = api.post("/v2/databases", json={key: value for key, value in PG.items() if key != "version"}).json()["database"]
    assert created["version"] == "17"


def test_duplicate_cluster_name_is_refused_and_stores_nothing(api, control):
    _create(api)
    _refused(api.post("/v2/databases", json=dict(PG, region="nyc3")), "cluster name is not available")
    assert _names(control) == ["pg-main"]


@pytest.mark.parametrize("overrides, words", [
    ({"name": "Bad_Name"}, ("name",)),
    ({"engine": "mysql"}, ("engine", "pg, valkey, opensearch")),
    ({"engine": "redis"}, ("no longer supported",)),
    ({"version": "13"}, ("version", "14, 15, 16, 17, 18")),
    ({"region": "mars1"}, ("region", "tor1")),
    ({"num_nodes": 4}, ("num_nodes", "1, 2, 3")),
    ({"num_nodes": 2}, ("db-s-1vcpu-1gb", "2 node(s)")),
    ({"size": "s-1vcpu-1gb"}, ("size",)),
    ({"storage_size_mib": 15000}, ("storage_size_mib", "10240")),
    ({"storage_size_mib": 40960}, ("maximum",)),
    ({"engine": "valkey", "version": "8", "storage_size_mib": 20480}, ("not supported for valkey",)),
    ({"engine": "opensearch", "version": "2", "num_nodes": 2, "size": "gd-2vcpu-8gb"}, ("1, 3, 6",)),
    ({"tags": ["bad tag"]}, ("tag",)),
])
def test_create_outside_the_options_is_refused_naming_the_field(api, control, overrides, words):
    _refused(api.post("/v2/databases", json=dict(PG, **overrides)), *words)
    assert control.state()["database_clusters"] == []


def test_cluster_joins_the_given_vpc_which_then_cannot_be_deleted_until_the_cluster_is(api, control):
    vpc_id = api.post("/v2/vpcs", json={"name": "mastodon-tor1", "region": "tor1"}).json()["vpc"]["id"]
    cluster = _create(api, private_network_uuid=vpc_id)
    assert cluster["private_network_uuid"] == vpc_id
    members = api.get("/v2/vpcs/%s/members" % vpc_id).json()["members"]
    assert [(member["urn"], member["name"]) for member in members] == [("do:dbaas:" + cluster["id"], "pg-main")]
    refused = api.delete("/v2/vpcs/" + vpc_id)
    assert refused.status_code == 403 and "member" in refused.json()["message"]

    assert api.delete("/v2/databases/" + cluster["id"]).status_code == 204
    assert control.state()["vpc_members"] == {}
    assert api.delete("/v2/vpcs/" + vpc_id).status_code == 204


def test_vpc_of_another_region_or_unknown_is_refused(api):
    nyc3 = next(vpc for vpc in api.get("/v2/vpcs").json()["vpcs"] if vpc["region"] == "nyc3")
    _refused(api.post("/v2/databases", json=dict(PG, private_network_uuid=nyc3["id"])), "nyc3", "own region")
    _refused(api.post("/v2/databases", json=dict(PG, private_network_uuid="5a4981aa-9653-4bd1-bef5-d6bff52042e4")), "not a VPC")


def test_cluster_in_a_region_without_vpc_gets_a_new_default_vpc(api):
    cluster = _create(api, region="ams3")
    vpc = api.get("/v2/vpcs/" + cluster["private_network_uuid"]).json()["vpc"]
    assert (vpc["name"], vpc["region"], vpc["default"]) == ("default-ams3", "ams3", True)


def test_refused_create_in_a_region_without_vpc_creates_no_vpc(api):
    before = api.get("/v2/vpcs").json()["meta"]["total"]
    _refused(api.post("/v2/databases", json=dict(PG, region="ams3", storage_size_mib=1)), "storage_size_mib")
    assert api.get("/v2/vpcs").json()["meta"]["total"] == before


def test_list_is_not_paginated_and_filters_by_tag(do_client):
    assert do_client.databases.list_clusters() == {"databases": []}
    do_client.databases.create_cluster(body=dict(PG, tags=["prod"]))
    do_client.databases.create_cluster(body=dict(PG, name="cache", engine="valkey", version="8"))
    assert sorted(db["name"] for db in do_client.databases.list_clusters()["databases"]) == ["cache", "pg-main"]
    assert [db["name"] for db in do_client.databases.list_clusters(tag_name="prod")["databases"]] == ["pg-main"]


def test_destroy_removes_the_cluster_and_everything_in_it(api, control):
    cluster = _create(api)
    base = "/v2/databases/" + cluster["id"]
    api.post(base + "/users", json={"name": "mastodon"})
    api.post(base + "/pools", json={"name": "web", "mode": "transaction", "size": 10, "db": "defaultdb", "user": "mastodon"})
    assert api.delete(base).status_code == 204
    assert api.get(base).status_code == 404
    assert api.get(base + "/pools").status_code == 404
    assert control.state()["database_clusters"] == []


def test_resize_is_resizing_then_online_with_the_new_size_and_storage(do_client, api, control):
    cluster_id = _create(api)["id"]
    control.advance_clock(SETTLE)
    assert do_client.databases.update_cluster_size(cluster_id, {"size": "db-s-2vcpu-4gb", "num_nodes": 2, "storage_size_mib": 81920}) is None
    during = api.get("/v2/databases/" + cluster_id).json()["database"]
    assert (during["status"], during["size"], during["num_nodes"]) == ("resizing", "db-s-1vcpu-1gb", 1)
    control.advance_clock(SETTLE)
    after = api.get("/v2/databases/" + cluster_id).json()["database"]
    assert (after["status"], after["size"], after["num_nodes"], after["storage_size_mib"]) == ("online", "db-s-2vcpu-4gb", 2, 81920)
    assert "standby_connection" in after
    assert api.get("/v2/databases/%s/config" % cluster_id).json()["config"]["max_connections"] == 100


def test_resize_without_storage_grows_it_to_what_the_new_size_includes(api, control):
    cluster_id = _create(api)["id"]
    control.advance_clock(SETTLE)
    assert api.put("/v2/databases/%s/resize" % cluster_id, json={"size": "db-s-4vcpu-8gb", "num_nodes": 1}).status_code == 202
    control.advance_clock(SETTLE)
    assert api.get("/v2/databases/" + cluster_id).json()["database"]["storage_size_mib"] == 140 * 1024


def test_resize_or_upgrade_while_not_online_is_refused(api, control):
    cluster_id = _create(api)["id"]
    _refused(api.put("/v2/databases/%s/resize" % cluster_id, json={"size": "db-s-2vcpu-4gb", "num_nodes": 1}), "creating", "online")
    _refused(api.put("/v2/databases/%s/upgrade" % cluster_id, json={"version": "17"}), "creating")
    control.advance_clock(SETTLE)
    assert api.put("/v2/databases/%s/resize" % cluster_id, json={"size": "db-s-2vcpu-4gb", "num_nodes": 1}).status_code == 202
    _refused(api.put("/v2/databases/%s/resize" % cluster_id, json={"size": "db-s-4vcpu-8gb", "num_nodes": 1}), "resizing")


@pytest.mark.parametrize("body, words", [
    ({"size": "db-s-4vcpu-8gb", "num_nodes": 1, "storage_size_mib": 143360}, ("cannot be decreased",)),
    ({"size": "db-s-1vcpu-2gb", "num_nodes": 1}, ("smaller sizes",)),
    ({"size": "db-s-6vcpu-16gb", "num_nodes": 4}, ("num_nodes",)),
    ({"size": "m-2vcpu-16gb", "num_nodes": 1}, ("size",)),
])
def test_resize_that_shrinks_or_leaves_the_layouts_is_refused(api, control, body, words):
    cluster_id = _create(api, size="db-s-4vcpu-8gb", storage_size_mib=153600)["id"]
    control.advance_clock(SETTLE)
    _refused(api.put("/v2/databases/%s/resize" % cluster_id, json=body), *words)
    cluster = api.get("/v2/databases/" + cluster_id).json()["database"]
    assert (cluster["status"], cluster["size"], cluster["storage_size_mib"]) == ("online", "db-s-4vcpu-8gb", 153600)


def test_major_upgrade_is_migrating_then_online_with_the_new_version(do_client, api, control):
    cluster_id = _create(api, version="15")["id"]
    control.advance_clock(SETTLE)
    assert do_client.databases.update_major_version(cluster_id, {"version": "17"}) is None
    during = api.get("/v2/databases/" + cluster_id).json()["database"]
    assert (during["status"], during["version"]) == ("migrating", "15")
    control.advance_clock(SETTLE)
    after = api.get("/v2/databases/" + cluster_id).json()["database"]
    assert (after["status"], after["version"], after["semantic_version"]) == ("online", "17", "17.6")


@pytest.mark.parametrize("version, words", [("14", ("downgraded",)), ("16", ("already runs",)), ("19", ("available versions",))])
def test_downgrade_same_or_unknown_version_is_refused(api, control, version, words):
    cluster_id = _create(api)["id"]
    control.advance_clock(SETTLE)
    _refused(api.put("/v2/databases/%s/upgrade" % cluster_id, json={"version": version}), *words)
    assert api.get("/v2/databases/" + cluster_id).json()["database"]["version"] == "16"


def test_maintenance_window_is_stored_with_seconds_and_validated(do_client, api):
    cluster_id = _create(api)["id"]
    assert do_client.databases.update_maintenance_window(cluster_id, {"day": "sunday", "hour": "03:30"}) is None
    window = api.get("/v2/databases/" + cluster_id).json()["database"]["maintenance_window"]
    assert (window["day"], window["hour"], window["pending"]) == ("sunday", "03:30:00", False)
    _refused(api.put("/v2/databases/%s/maintenance" % cluster_id, json={"day": "funday", "hour": "03:30"}), "day")
    _refused(api.put("/v2/databases/%s/maintenance" % cluster_id, json={"day": "monday", "hour": "25:00"}), "hour")


def test_storage_autoscale_round_trips_and_is_refused_for_valkey(do_client, api):
    cluster_id = _create(api)["id"]
    assert do_client.databases.get_autoscale(cluster_id) == {"autoscale": {"storage": {"enabled": False}}}
    setting = {"storage": {"enabled": True, "threshold_percent": 80, "increment_gib": 10}}
    assert do_client.databases.update_autoscale(cluster_id, setting) is None
    assert do_client.databases.get_autoscale(cluster_id) == {"autoscale": setting}
    valkey_id = _create(api, name="cache", engine="valkey", version="8")["id"]
    _refused(api.put("/v2/databases/%s/autoscale" % valkey_id, json=setting), "valkey")


def test_ca_is_a_base64_pem_ca_certificate_stable_per_project(do_client, api):
    first = _create(api)["id"]
    second = _create(api, name="pg-other")["id"]
    certificate = do_client.databases.get_ca(first)["ca"]["certificate"]
    parsed = x509.load_pem_x509_certificate(base64.b64decode(certificate))
    assert parsed.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert "Project CA" in parsed.subject.rfc4514_string()
    assert do_client.databases.get_ca(first)["ca"]["certificate"] == certificate
    assert do_client.databases.get_ca(second)["ca"]["certificate"] == certificate


def test_unknown_cluster_is_404_and_pydo_raises_on_other_errors(do_client, api):
    assert api.get("/v2/databases/5a4981aa-9653-4bd1-bef5-d6bff52042e4").status_code == 404
    with pytest.raises(HttpResponseError) as refused:
        do_client.databases.create_cluster(body=dict(PG, engine="mysql"))
    assert refused.value.status_code == 422


def test_every_call_of_a_cluster_lifecycle_honours_the_contract(do_client, control):
    cluster_id = do_client.databases.create_cluster(body=dict(PG, rules=[{"type": "ip_addr", "value": "192.0.2.1"}]))["database"]["id"]
    control.advance_clock(SETTLE)
    do_client.databases.get_cluster(cluster_id)
    do_client.databases.list_clusters()
    do_client.databases.update_cluster_size(cluster_id, {"size": "db-s-1vcpu-2gb", "num_nodes": 1})
    control.advance_clock(SETTLE)
    do_client.databases.update_major_version(cluster_id, {"version": "18"})
    control.advance_clock(SETTLE)
    do_client.databases.destroy_cluster(cluster_id)
    log = control.requests()
    assert [entry["status"] for entry in log] == [201, 200, 200, 202, 204, 204]
    assert all(entry["contract_violation"] is None for entry in log)
