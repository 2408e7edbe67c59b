# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DigitalOcean Kubernetes (DOKS) in the emulator: clusters, node pools, upgrades, kubeconfig, registry."""

import base64

import pytest
import yaml

from tests.emulators.digitalocean.control import EmulatorControlError
from tests.emulators.digitalocean.families import kubernetes_rules as rules

POOL = {"name": "workers", "size": "s-2vcpu-4gb", "count": 2}


def _cluster_body(**overrides):
    body = {"name": "mastodon", "region": "tor1", "version": "1.35", "node_pools": [dict(POOL)]}
    body.update(overrides)
    return body


def _create(api, **overrides):
    return api.post("/v2/kubernetes/clusters", json=_cluster_body(**overrides))


def _created(api, **overrides):
    response = _create(api, **overrides)
    assert response.status_code == 201, response.text
    return response.json()["kubernetes_cluster"]


def _get(api, cluster_id):
    return api.get("/v2/kubernetes/clusters/" + cluster_id).json()["kubernetes_cluster"]


def _default_vpc(api, region):
    return next(vpc for vpc in api.get("/v2/vpcs?per_page=200").json()["vpcs"] if vpc["region"] == region and vpc["default"])


@pytest.fixture
def k8s_settings(control):
    """Kubernetes settings of the emulator, reset to DigitalOcean's shape afterwards (the shared fixture does not know them)."""
    yield control
    control.configure(kubernetes_api_url="", kubernetes_ca_pem="", kubernetes_token="")


def test_pydo_round_trip_of_every_kubernetes_operation_honours_the_contract(do_client, api, control):
    control.configure(provision_delay=0)
    options = do_client.kubernetes.list_options()["options"]
    assert "tor1" in [region["slug"] for region in options["regions"]]
    cluster = do_client.kubernetes.create_cluster(body=_cluster_body())["kubernetes_cluster"]
    cluster_id = cluster["id"]
    assert do_client.kubernetes.get_cluster(cluster_id=cluster_id)["kubernetes_cluster"]["status"]["state"] == "running"
    assert [c["id"] for c in do_client.kubernetes.list_clusters(per_page=200)["kubernetes_clusters"]] == [cluster_id]
    updated = do_client.kubernetes.update_cluster(cluster_id=cluster_id, body={"name": "mastodon", "auto_upgrade": True})
    assert updated["kubernetes_cluster"]["auto_upgrade"] is True
    added = do_client.kubernetes.add_node_pool(cluster_id=cluster_id, body={"name": "extra", "size": "s-2vcpu-4gb", "count": 1})["node_pool"]
    assert do_client.kubernetes.get_node_pool(cluster_id=cluster_id, node_pool_id=added["id"])["node_pool"]["name"] == "extra"
    resized = do_client.kubernetes.update_node_pool(cluster_id=cluster_id, node_pool_id=added["id"], body={"name": "extra", "count": 3})
    assert len(resized["node_pool"]["nodes"]) == 3
    assert len(do_client.kubernetes.list_node_pools(cluster_id=cluster_id)["node_pools"]) == 2
    do_client.kubernetes.delete_node_pool(cluster_id=cluster_id, node_pool_id=added["id"])
    upgrades = do_client.kubernetes.get_available_upgrades(cluster_id=cluster_id)["available_upgrade_versions"]
    do_client.kubernetes.upgrade_cluster(cluster_id=cluster_id, body={"version": upgrades[-1]["slug"]})
    assert do_client.kubernetes.get_credentials(cluster_id=cluster_id)["token"]
    assert api.get("/v2/kubernetes/clusters/%s/kubeconfig" % cluster_id).status_code == 200
    do_client.kubernetes.add_registry(body={"cluster_uuids": [cluster_id]})
    do_client.kubernetes.remove_registry(body={"cluster_uuids": [cluster_id]})
    do_client.kubernetes.delete_cluster(cluster_id=cluster_id)

    log = control.requests()
    assert [entry["operation_id"] for entry in log] == [
        "kubernetes_list_options", "kubernetes_create_cluster", "kubernetes_get_cluster", "kubernetes_list_clusters",
        "kubernetes_update_cluster", "kubernetes_add_nodePool", "kubernetes_get_nodePool", "kubernetes_update_nodePool",
        "kubernetes_list_nodePools", "kubernetes_delete_nodePool", "kubernetes_get_availableUpgrades", "kubernetes_upgrade_cluster",
        "kubernetes_get_credentials", "kubernetes_get_kubeconfig", "kubernetes_add_registry", "kubernetes_remove_registry",
        "kubernetes_delete_cluster"]
    assert [entry["status"] for entry in log] == [200, 201, 200, 200, 202, 201, 200, 202, 200, 204, 200, 202, 200, 200, 204, 204, 204]


def test_options_offer_versions_1_33_to_1_36_regions_and_node_sizes_of_at_least_2_gib(api):
    options = api.get("/v2/kubernetes/options").json()["options"]
    minors = sorted({rules.minor_of(version["slug"]) for version in options["versions"]})
    assert minors == ["1.33", "1.34", "1.35", "1.36"]
    assert all(version["slug"].startswith(version["kubernetes_version"] + "-do.") for version in options["versions"])
    assert {"tor1", "nyc3", "sfo3"} <= {region["slug"] for region in options["regions"]}
    sizes = [size["slug"] for size in options["sizes"]]
    assert "s-2vcpu-4gb" in sizes and "s-1vcpu-1gb" not in sizes


def test_new_cluster_provisions_then_runs_with_its_nodes(api, control):
    control.configure(provision_delay=30)
    cluster = _created(api)
    assert cluster["status"]["state"] == "provisioning"
    assert [node["status"]["state"] for node in cluster["node_pools"][0]["nodes"]] == ["provisioning", "provisioning"]
    control.advance_clock(31)
    cluster = _get(api, cluster["id"])
    assert cluster["status"]["state"] == "running"
    assert [node["status"]["state"] for node in cluster["node_pools"][0]["nodes"]] == ["running", "running"]


def test_kubernetes_family_delay_overrides_the_global_one(api, control):
    control.configure(provision_delay=600, family_provision_delay={"kubernetes": 0})
    assert _created(api)["status"]["state"] == "running"


def test_clusters_and_pools_carry_digitaloceans_automatic_tags(api):
    cluster = _created(api, tags=["production"], node_pools=[dict(POOL, tags=["web"])])
    assert cluster["tags"] == ["k8s", "k8s:" + cluster["id"], "production"]
    assert cluster["node_pools"][0]["tags"] == ["k8s", "k8s:" + cluster["id"], "k8s-worker", "web"]


@pytest.mark.parametrize("requested, resolved", [("latest", "1.36.2-do.0"), ("1.33", "1.33.8-do.0"), ("1.34.5-do.0", "1.34.5-do.0")])
def test_version_latest_minor_or_slug_resolves_to_an_offered_slug(api, requested, resolved):
    assert _created(api, version=requested)["version"] == resolved


@pytest.mark.parametrize("version", ["1.32", "1.35.3-do.0", "1.35.4", "stable"])
def test_version_not_offered_is_refused_listing_the_valid_ones(api, control, version):
    response = _create(api, version=version)
    assert response.status_code == 422
    assert version in response.json()["message"] and "1.36.2-do.0" in response.json()["message"]
    assert control.state()["kubernetes_clusters"] == []


def test_duplicate_cluster_name_is_refused_and_only_one_exists(api, control):
    _created(api)
    response = _create(api)
    assert response.status_code == 422
    assert "mastodon" in response.json()["message"] and "already exists" in response.json()["message"]
    assert len(control.state()["kubernetes_clusters"]) == 1


def test_cluster_without_vpc_joins_the_regions_default_vpc_as_a_member_with_its_nodes(api):
    cluster = _created(api)
    vpc = _default_vpc(api, "tor1")
    assert cluster["vpc_uuid"] == vpc["id"]
    members = api.get("/v2/vpcs/%s/members?per_page=200" % vpc["id"]).json()["members"]
    urns = {member["urn"] for member in members}
    assert "do:kubernetes:" + cluster["id"] in urns
    assert {"do:droplet:" + node["droplet_id"] for node in cluster["node_pools"][0]["nodes"]} <= urns
    kubernetes_only = api.get("/v2/vpcs/%s/members?resource_type=kubernetes" % vpc["id"]).json()["members"]
    assert [member["name"] for member in kubernetes_only] == ["mastodon"]


def test_first_cluster_in_a_region_without_vpc_gets_a_default_vpc(api):
    cluster = _created(api, region="ams3")
    vpc = _default_vpc(api, "ams3")
    assert cluster["vpc_uuid"] == vpc["id"] and vpc["name"] == "default-ams3"


def test_rejected_create_leaves_no_default_vpc_behind(api, control):
    response = _create(api, region="ams3", node_pools=[dict(POOL, size="s-1vcpu-1gb")])
    assert response.status_code == 422
    assert "ams3" not in [vpc["region"] for vpc in control.state()["vpcs"]]


def test_vpc_of_another_region_or_unknown_is_refused(api, control):
    nyc3 = _default_vpc(api, "nyc3")
    response = _create(api, vpc_uuid=nyc3["id"])
    assert response.status_code == 422 and "nyc3" in response.json()["message"]
    response = _create(api, vpc_uuid="0b6fe3c4-6a3c-4a5e-9d1d-6a1d3f0e1234")
    assert response.status_code == 422 and "vpc_uuid" in response.json()["message"]
    assert control.state()["kubernetes_clusters"] == []


def test_vpc_with_a_cluster_cannot_be_deleted_and_is_released_after_teardown(api, control):
    control.configure(provision_delay=20)
    vpc = api.post("/v2/vpcs", json={"name": "k8s-net", "region": "tor1", "ip_range": "10.200.0.0/20"}).json()["vpc"]
    cluster = _created(api, vpc_uuid=vpc["id"])
    assert api.delete("/v2/vpcs/" + vpc["id"]).status_code == 403
    assert api.delete("/v2/kubernetes/clusters/" + cluster["id"]).status_code == 204
    assert api.get("/v2/kubernetes/clusters/" + cluster["id"]).status_code == 404
    assert api.get("/v2/vpcs/%s/members" % vpc["id"]).json()["members"] != []
    assert api.delete("/v2/vpcs/" + vpc["id"]).status_code == 403
    control.advance_clock(21)
    assert api.get("/v2/vpcs/%s/members" % vpc["id"]).json()["members"] == []
    assert api.delete("/v2/vpcs/" + vpc["id"]).status_code == 204


def test_vpc_native_subnets_are_kept_and_must_not_overlap_a_vpc(api, control):
    cluster = _created(api, cluster_subnet="10.32.0.0/16", service_subnet="10.33.0.0/20")
    assert (cluster["cluster_subnet"], cluster["service_subnet"]) == ("10.32.0.0/16", "10.33.0.0/20")
    tor1 = _default_vpc(api, "tor1")
    response = _create(api, name="clash", cluster_subnet=tor1["ip_range"].replace("/20", "/16"), service_subnet="10.40.0.0/20")
    assert response.status_code == 422 and "default-tor1" in response.json()["message"]
    response = _create(api, name="clash", cluster_subnet="10.32.0.0/16", service_subnet="10.41.0.0/20")
    assert response.status_code == 422 and "'mastodon'" in response.json()["message"]
    response = _create(api, name="half", cluster_subnet="10.50.0.0/16")
    assert response.status_code == 422 and "together" in response.json()["message"]
    assert [c["name"] for c in control.state()["kubernetes_clusters"]] == ["mastodon"]


def test_cluster_without_subnets_reports_the_overlay_defaults(api):
    cluster = _created(api)
    assert (cluster["cluster_subnet"], cluster["service_subnet"]) == ("10.244.0.0/16", "10.245.0.0/16")


@pytest.mark.parametrize("pool, words", [
    (dict(POOL, size="s-1vcpu-1gb"), ["size", "s-1vcpu-1gb", "s-2vcpu-4gb"]),
    (dict(POOL, count=0), ["count", "at least 1"]),
    (dict(POOL, auto_scale=True, min_nodes=3, max_nodes=5, count=2), ["count 2", "min_nodes 3", "max_nodes 5"]),
    (dict(POOL, auto_scale=True, min_nodes=4, max_nodes=2, count=3), ["min_nodes 4", "max_nodes 2"]),
    (dict(POOL, name="Workers_1"), ["name", "Workers_1"]),
    (dict(POOL, taints=[{"key": "dedicated", "value": "db", "effect": "Sometimes"}]), ["effect", "Sometimes", "NoSchedule"]),
])
def test_invalid_node_pool_is_refused_naming_field_and_value(api, control, pool, words):
    response = _create(api, node_pools=[pool])
    assert response.status_code == 422
    for word in words:
        assert word in response.json()["message"]
    assert control.state()["kubernetes_clusters"] == []


def test_autoscaling_pool_may_scale_to_zero(api):
    pools = [dict(POOL), {"name": "burst", "size": "c-2", "count": 0, "auto_scale": True, "min_nodes": 0, "max_nodes": 4}]
    cluster = _created(api, node_pools=pools)
    burst = cluster["node_pools"][1]
    assert (burst["count"], burst["min_nodes"], burst["max_nodes"], burst["nodes"]) == (0, 0, 4, [])


def test_node_pool_update_resizes_keeps_omitted_fields_and_checks_limits(api):
    cluster = _created(api, node_pools=[dict(POOL, labels={"role": "web"}, taints=[{"key": "a", "value": "b", "effect": "NoSchedule"}])])
    pool = cluster["node_pools"][0]
    path = "/v2/kubernetes/clusters/%s/node_pools/%s" % (cluster["id"], pool["id"])
    response = api.put(path, json={"name": "workers", "count": 4, "auto_scale": True, "min_nodes": 2, "max_nodes": 6})
    assert response.status_code == 202
    updated = response.json()["node_pool"]
    assert (updated["count"], updated["auto_scale"], updated["min_nodes"], updated["max_nodes"]) == (4, True, 2, 6)
    assert len(updated["nodes"]) == 4 and updated["labels"] == {"role": "web"} and updated["taints"][0]["key"] == "a"
    refused = api.put(path, json={"name": "workers", "count": 7})
    assert refused.status_code == 422 and "max_nodes 6" in refused.json()["message"]
    assert api.put(path, json={"name": "workers", "count": 1, "auto_scale": False}).json()["node_pool"]["nodes"][0]["name"].startswith("workers-")


def test_duplicate_pool_name_and_deleting_the_last_pool_are_refused(api):
    cluster = _created(api)
    base = "/v2/kubernetes/clusters/%s/node_pools" % cluster["id"]
    assert api.post(base, json=dict(POOL)).status_code == 422
    only = cluster["node_pools"][0]["id"]
    response = api.delete("%s/%s" % (base, only))
    assert response.status_code == 422 and "last node pool" in response.json()["message"]
    second = api.post(base, json=dict(POOL, name="second")).json()["node_pool"]
    assert api.delete("%s/%s" % (base, only)).status_code == 204
    assert [p["id"] for p in api.get(base).json()["node_pools"]] == [second["id"]]
    assert api.get("%s/%s" % (base, only)).status_code == 404


def test_update_renames_replaces_tags_and_keeps_what_it_omits(api):
    cluster = _created(api, tags=["old"], surge_upgrade=True, maintenance_policy={"start_time": "3:00", "day": "sunday"})
    assert cluster["maintenance_policy"] == {"start_time": "03:00", "duration": "4h0m0s", "day": "sunday"}
    response = api.put("/v2/kubernetes/clusters/" + cluster["id"], json={"name": "renamed", "tags": ["new", "k8s"]})
    assert response.status_code == 202
    updated = response.json()["kubernetes_cluster"]
    assert updated["name"] == "renamed" and updated["tags"] == ["k8s", "k8s:" + cluster["id"], "new"]
    assert updated["surge_upgrade"] is True and updated["maintenance_policy"]["day"] == "sunday"


def test_bad_maintenance_window_is_refused(api):
    response = _create(api, maintenance_policy={"start_time": "25:00", "day": "any"})
    assert response.status_code == 422 and "start_time" in response.json()["message"] and "25:00" in response.json()["message"]


def test_ha_can_be_enabled_but_never_disabled(api):
    cluster = _created(api)
    path = "/v2/kubernetes/clusters/" + cluster["id"]
    assert api.put(path, json={"name": "mastodon", "ha": True}).json()["kubernetes_cluster"]["ha"] is True
    response = api.put(path, json={"name": "mastodon", "ha": False})
    assert response.status_code == 422 and "ha cannot be disabled" in response.json()["message"]
    assert _get(api, cluster["id"])["ha"] is True


def test_upgrades_list_newer_versions_at_most_one_minor_ahead(api):
    cluster = _created(api, version="1.34.5-do.0")
    upgrades = api.get("/v2/kubernetes/clusters/%s/upgrades" % cluster["id"]).json()["available_upgrade_versions"]
    assert [version["slug"] for version in upgrades] == ["1.34.6-do.1", "1.35.2-do.0", "1.35.4-do.0"]
    newest = _created(api, name="newest", version="latest")
    assert api.get("/v2/kubernetes/clusters/%s/upgrades" % newest["id"]).json()["available_upgrade_versions"] == []


def test_upgrade_goes_through_upgrading_to_the_new_version(api, control):
    control.configure(provision_delay=10)
    cluster = _created(api, version="1.35.2-do.0")
    path = "/v2/kubernetes/clusters/%s/upgrade" % cluster["id"]
    refused = api.post(path, json={"version": "1.36.2-do.0"})
    assert refused.status_code == 422 and "provisioning" in refused.json()["message"]
    control.advance_clock(11)
    assert api.post(path, json={"version": "1.36.2-do.0"}).status_code == 202
    during = _get(api, cluster["id"])
    assert (during["status"]["state"], during["version"]) == ("upgrading", "1.35.2-do.0")
    control.advance_clock(11)
    after = _get(api, cluster["id"])
    assert (after["status"]["state"], after["version"]) == ("running", "1.36.2-do.0")


@pytest.mark.parametrize("version", ["1.34.6-do.1", "1.35.2-do.0", "1.36.9-do.0"])
def test_upgrade_to_a_version_not_listed_is_refused(api, control, version):
    control.configure(provision_delay=0)
    cluster = _created(api, version="1.35.2-do.0")
    response = api.post("/v2/kubernetes/clusters/%s/upgrade" % cluster["id"], json={"version": version})
    assert response.status_code == 422
    assert version in response.json()["message"] and "1.35.4-do.0" in response.json()["message"]
    assert _get(api, cluster["id"])["version"] == "1.35.2-do.0"


def test_kubeconfig_is_yaml_in_digitaloceans_shape_with_a_new_token_each_time(api, control):
    cluster = _created(api)
    response = api.get("/v2/kubernetes/clusters/%s/kubeconfig" % cluster["id"])
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/yaml")
    config = yaml.safe_load(response.text)
    assert config["current-context"] == "do-tor1-mastodon"
    assert config["clusters"][0]["name"] == "do-tor1-mastodon"
    assert config["clusters"][0]["cluster"]["server"] == "https://%s.k8s.ondigitalocean.com" % cluster["id"]
    assert cluster["endpoint"] == config["clusters"][0]["cluster"]["server"]
    ca = base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
    assert ca.startswith("-----BEGIN CERTIFICATE-----")
    assert config["contexts"][0]["context"] == {"cluster": "do-tor1-mastodon", "user": "do-tor1-mastodon-admin"}
    token = config["users"][0]["user"]["token"]
    assert config["users"][0]["name"] == "do-tor1-mastodon-admin" and len(token) == 64
    again = yaml.safe_load(api.get("/v2/kubernetes/clusters/%s/kubeconfig" % cluster["id"]).text)
    assert again["users"][0]["user"]["token"] != token
    assert [credential["token"] for credential in control.state()["kubernetes_credentials"]] == [token, again["users"][0]["user"]["token"]]


def test_credentials_expire_after_7_days_or_expiry_seconds(api, control):
    cluster = _created(api)
    path = "/v2/kubernetes/clusters/%s/credentials" % cluster["id"]
    default = api.get(path).json()
    short = api.get(path + "?expiry_seconds=3600").json()
    issued = control.state()["kubernetes_credentials"]
    assert [credential["expires_at"] for credential in issued] == [default["expires_at"], short["expires_at"]]
    assert default["expires_at"] > short["expires_at"]
    assert default["server"] == cluster["endpoint"] and default["client_key_data"] is None
    assert api.get(path + "?expiry_seconds=-1").status_code == 400


def test_kubeconfig_server_ca_and_token_are_configurable_for_a_kubernetes_stand_in(api, k8s_settings):
    pem = rules.default_ca_pem()
    config = k8s_settings.configure(kubernetes_api_url="https://127.0.0.1:6443", kubernetes_ca_pem=pem, kubernetes_token="sandbox-k8s-token")
    assert config["kubernetes_api_url"] == "https://127.0.0.1:6443" and config["kubernetes_token_fixed"] is True
    cluster = _created(api)
    assert cluster["endpoint"] == "https://127.0.0.1:6443"
    kubeconfig = yaml.safe_load(api.get("/v2/kubernetes/clusters/%s/kubeconfig" % cluster["id"]).text)
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    assert base64.b64decode(kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"]).decode() == pem
    token = kubeconfig["users"][0]["user"]["token"]
    assert token.startswith("sandbox-k8s-token.") and len(token) > len("sandbox-k8s-token.")  # a fresh token minted from the trusted one
    k8s_settings.configure(kubernetes_api_url="https://127.0.0.1:7443/{cluster_id}")
    assert _get(api, cluster["id"])["endpoint"] == "https://127.0.0.1:7443/" + cluster["id"]
    reset = k8s_settings.configure(kubernetes_api_url="", kubernetes_token="")
    assert reset["kubernetes_api_url"] is None and reset["kubernetes_token_fixed"] is False


@pytest.mark.parametrize("changes", [{"kubernetes_api_url": "http://127.0.0.1:6443"}, {"kubernetes_ca_pem": "not a pem"},
                                     {"kubernetes_token": "a b"}, {"kubernetes_api_url": 5}])
def test_bad_kubernetes_settings_are_refused_by_the_control_api(k8s_settings, changes):
    with pytest.raises(EmulatorControlError) as raised:
        k8s_settings.configure(**changes)
    assert raised.value.status == 400
    assert list(changes)[0] in raised.value.payload["message"]


def test_registry_integration_toggles_registry_enabled(api, control):
    cluster = _created(api)
    assert cluster["registry_enabled"] is False
    assert api.post("/v2/kubernetes/registry", json={"cluster_uuids": [cluster["id"]]}).status_code == 204
    assert _get(api, cluster["id"])["registry_enabled"] is True
    assert api.delete("/v2/kubernetes/registry", json={"cluster_uuids": [cluster["id"]]}).status_code == 204
    assert _get(api, cluster["id"])["registry_enabled"] is False
    unknown = api.post("/v2/kubernetes/registry", json={"cluster_uuids": ["0b6fe3c4-6a3c-4a5e-9d1d-6a1d3f0e1234"]})
    assert unknown.status_code == 422 and "0b6fe3c4" in unknown.json()["message"]
    assert control.contract_violations() == []


def test_unknown_cluster_is_404(api):
    assert api.get("/v2/kubernetes/clusters/0b6fe3c4-6a3c-4a5e-9d1d-6a1d3f0e1234").status_code == 404
    assert api.get("/v2/kubernetes/clusters/0b6fe3c4-6a3c-4a5e-9d1d-6a1d3f0e1234/kubeconfig").status_code == 404
    assert api.delete("/v2/kubernetes/clusters/0b6fe3c4-6a3c-4a5e-9d1d-6a1d3f0e1234").status_code == 404


def test_cluster_list_paginates(api):
    for index in range(3):
        _created(api, name="c%d" % index)
    page = api.get("/v2/kubernetes/clusters?per_page=2").json()
    assert page["meta"]["total"] == 3 and len(page["kubernetes_clusters"]) == 2 and "next" in page["links"]["pages"]


def test_reset_removes_clusters(api, control):
    _created(api)
    control.reset()
    assert control.state()["kubernetes_clusters"] == []
