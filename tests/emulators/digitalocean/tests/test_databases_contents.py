# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What lives inside a database cluster: users, databases, PgBouncer pools and trusted sources."""

import pytest

PG = {"name": "pg-main", "engine": "pg", "version": "17", "region": "tor1", "size": "db-s-1vcpu-1gb", "num_nodes": 1}
K8S_ID = "bd5f5959-5e1e-4205-a714-a914373942af"


@pytest.fixture
def cluster(api):
    response = api.post("/v2/databases", json=PG)
    assert response.status_code == 201, response.text
    return response.json()["database"]


@pytest.fixture
def base(cluster):
    return "/v2/databases/" + cluster["id"]


def _create(api, **overrides):
    response = api.post("/v2/databases", json=dict(PG, **overrides))
    assert response.status_code == 201, response.text
    return response.json()["database"]


def _refused(response, *words):
    assert response.status_code == 422, response.text
    assert response.json()["id"] == "unprocessable_entity"
    for word in words:
        assert word in response.json()["message"]


def _pools(control):
    return control.state()["database_clusters"][0]["pools"]


# -- users -----------------------------------------------------------------------------------

def test_user_gets_a_generated_password_and_role_normal(do_client, cluster):
    user = do_client.databases.add_user(cluster["id"], {"name": "mastodon"})["user"]
    assert (user["name"], user["role"]) == ("mastodon", "normal")
    assert user["password"].startswith("AVNS_") and len(user["password"]) == 24
    assert do_client.databases.get_user(cluster["id"], "mastodon")["user"] == user
    listed = do_client.databases.list_users(cluster["id"])["users"]
    assert [(entry["name"], entry["role"]) for entry in listed] == [("doadmin", "primary"), ("mastodon", "normal")]
    assert "mastodon" in [entry["name"] for entry in do_client.databases.get_cluster(cluster["id"])["database"]["users"]]


def test_duplicate_or_reserved_user_name_is_refused(api, base):
    assert api.post(base + "/users", json={"name": "mastodon"}).status_code == 201
    _refused(api.post(base + "/users", json={"name": "mastodon"}), "already exists")
    _refused(api.post(base + "/users", json={"name": "doadmin"}), "already exists")
    _refused(api.post(base + "/users", json={"name": "pg_monitor"}), "reserved")


def test_reset_auth_changes_the_password_and_doadmin_reset_changes_the_cluster_connection(do_client, cluster):
    first = do_client.databases.add_user(cluster["id"], {"name": "mastodon"})["user"]["password"]
    assert do_client.databases.reset_auth(cluster["id"], "mastodon", {})["user"]["password"] != first
    admin = do_client.databases.reset_auth(cluster["id"], "doadmin", {})["user"]["password"]
    assert admin != cluster["connection"]["password"]
    connection = do_client.databases.get_cluster(cluster["id"])["database"]["connection"]
    assert connection["password"] == admin and admin in connection["uri"]


def test_update_user_replaces_settings_and_replication_defaults_to_false(do_client, cluster):
    do_client.databases.add_user(cluster["id"], {"name": "replicator", "settings": {"pg_allow_replication": True}})
    assert do_client.databases.get_user(cluster["id"], "replicator")["user"]["settings"] == {"pg_allow_replication": True}
    updated = do_client.databases.update_user(cluster["id"], "replicator", {"settings": {}})["user"]
    assert "settings" not in updated


def test_settings_of_other_engines_are_refused_for_pg(api, base):
    _refused(api.post(base + "/users", json={"name": "app", "mysql_settings": {"auth_plugin": "mysql_native_password"}}), "MySQL")
    _refused(api.post(base + "/users", json={"name": "app", "settings": {"opensearch_acl": []}}), "settings.opensearch_acl")


def test_default_user_cannot_be_deleted_and_others_can(api, base, control):
    _refused(api.delete(base + "/users/doadmin"), "doadmin")
    api.post(base + "/users", json={"name": "mastodon"})
    assert api.delete(base + "/users/mastodon").status_code == 204
    assert api.get(base + "/users/mastodon").status_code == 404
    assert [user["name"] for user in control.state()["database_clusters"][0]["users"]] == ["doadmin"]


def test_users_and_databases_are_not_supported_on_valkey(api):
    valkey = _create(api, name="cache", engine="valkey", version="8")
    base = "/v2/databases/" + valkey["id"]
    _refused(api.get(base + "/users"), "operation is not supported for this cluster type")
    _refused(api.post(base + "/users", json={"name": "app"}), "not supported")
    _refused(api.get(base + "/dbs"), "not supported")
    _refused(api.get(base + "/pools"), "not supported")


def test_opensearch_users_carry_index_acls(api):
    search = _create(api, name="search", engine="opensearch", version="2", size="db-s-1vcpu-2gb")
    acl = [{"index": "mastodon-*", "permission": "readwrite"}]
    user = api.post("/v2/databases/%s/users" % search["id"], json={"name": "mastodon", "settings": {"opensearch_acl": acl}}).json()["user"]
    assert user["settings"] == {"opensearch_acl": acl}
    _refused(api.get("/v2/databases/%s/dbs" % search["id"]), "not supported")


# -- databases -------------------------------------------------------------------------------

def test_databases_are_added_listed_and_deleted_but_defaultdb_stays(do_client, cluster):
    assert do_client.databases.add(cluster["id"], {"name": "mastodon_production"}) == {"db": {"name": "mastodon_production"}}
    assert do_client.databases.list(cluster["id"]) == {"dbs": [{"name": "defaultdb"}, {"name": "mastodon_production"}]}
    assert do_client.databases.get(cluster["id"], "mastodon_production") == {"db": {"name": "mastodon_production"}}
    assert do_client.databases.get_cluster(cluster["id"])["database"]["db_names"] == ["defaultdb", "mastodon_production"]
    assert do_client.databases.delete(cluster["id"], "mastodon_production") is None
    assert do_client.databases.get(cluster["id"], "mastodon_production")["id"] == "not_found"


def test_defaultdb_cannot_be_deleted_and_duplicates_are_refused(api, base):
    _refused(api.delete(base + "/dbs/defaultdb"), "defaultdb")
    _refused(api.post(base + "/dbs", json={"name": "defaultdb"}), "already exists")


# -- connection pools ------------------------------------------------------------------------

def test_pool_connects_to_25061_with_its_users_password_and_its_own_name_as_database(do_client, cluster):
    user = do_client.databases.add_user(cluster["id"], {"name": "mastodon"})["user"]
    do_client.databases.add(cluster["id"], {"name": "mastodon_production"})
    pool = do_client.databases.add_connection_pool(cluster["id"], {
        "name": "mastodon-web", "mode": "transaction", "size": 15, "db": "mastodon_production", "user": "mastodon"})["pool"]
    assert (pool["name"], pool["mode"], pool["size"], pool["db"], pool["user"]) == ("mastodon-web", "transaction", 15, "mastodon_production", "mastodon")
    connection = pool["connection"]
    assert (connection["host"], connection["port"], connection["database"]) == (cluster["connection"]["host"], 25061, "mastodon-web")
    assert (connection["user"], connection["password"]) == ("mastodon", user["password"])
    assert connection["uri"] == "postgresql://mastodon:%s@%s:25061/mastodon-web?sslmode=require" % (user["password"], connection["host"])
    assert pool["private_connection"]["host"] == "private-" + connection["host"]
    assert do_client.databases.get_connection_pool(cluster["id"], "mastodon-web")["pool"] == pool
    assert do_client.databases.list_connection_pools(cluster["id"]) == {"pools": [pool]}


def test_pool_with_an_unknown_user_or_database_is_refused(api, base, control):
    _refused(api.post(base + "/pools", json={"name": "web", "mode": "transaction", "size": 5, "db": "defaultdb", "user": "ghost"}), "ghost")
    _refused(api.post(base + "/pools", json={"name": "web", "mode": "transaction", "size": 5, "db": "nowhere"}), "nowhere")
    assert _pools(control) == []


@pytest.mark.parametrize("body, words", [
    ({"name": "web", "mode": "batch", "size": 5, "db": "defaultdb"}, ("mode", "session, transaction, statement")),
    ({"name": "web", "mode": "session", "size": 0, "db": "defaultdb"}, ("size",)),
    ({"name": "w", "mode": "session", "size": 5, "db": "defaultdb"}, ("3 to 60",)),
])
def test_pool_outside_pgbouncers_rules_is_refused(api, base, body, words):
    _refused(api.post(base + "/pools", json=body), *words)


def test_pool_sizes_share_25_connections_per_gib_minus_3_reserved(api, base, control):
    assert api.post(base + "/pools", json={"name": "web", "mode": "transaction", "size": 15, "db": "defaultdb"}).status_code == 201
    assert api.post(base + "/pools", json={"name": "sidekiq", "mode": "transaction", "size": 7, "db": "defaultdb"}).status_code == 201
    message = api.post(base + "/pools", json={"name": "streaming", "mode": "transaction", "size": 1, "db": "defaultdb"})
    _refused(message, "22", "db-s-1vcpu-1gb", "at most 0")
    assert [pool["name"] for pool in _pools(control)] == ["web", "sidekiq"]


def test_pool_update_is_checked_against_the_budget_without_its_own_size(do_client, api, base, control):
    api.post(base + "/users", json={"name": "mastodon"})
    api.post(base + "/pools", json={"name": "web", "mode": "transaction", "size": 20, "db": "defaultdb"})
    cluster_id = base.rsplit("/", 1)[1]
    assert do_client.databases.update_connection_pool(cluster_id, "web", {"mode": "session", "size": 22, "db": "defaultdb", "user": "mastodon"}) is None
    pool = _pools(control)[0]
    assert (pool["mode"], pool["size"], pool["user"]) == ("session", 22, "mastodon")
    _refused(api.put(base + "/pools/web", json={"mode": "session", "size": 23, "db": "defaultdb"}), "size 23")
    assert api.put(base + "/pools/ghost", json={"mode": "session", "size": 1, "db": "defaultdb"}).status_code == 404


def test_pool_budget_grows_with_the_cluster_size(api):
    cluster = _create(api, size="db-s-2vcpu-4gb")
    base = "/v2/databases/" + cluster["id"]
    assert api.post(base + "/pools", json={"name": "web", "mode": "transaction", "size": 97, "db": "defaultdb"}).status_code == 201
    _refused(api.post(base + "/pools", json={"name": "more", "mode": "transaction", "size": 1, "db": "defaultdb"}), "97")


def test_user_or_database_used_by_a_pool_cannot_be_deleted_until_the_pool_is(api, base):
    api.post(base + "/users", json={"name": "mastodon"})
    api.post(base + "/dbs", json={"name": "mastodon_production"})
    api.post(base + "/pools", json={"name": "web", "mode": "transaction", "size": 5, "db": "mastodon_production", "user": "mastodon"})
    _refused(api.delete(base + "/users/mastodon"), "web")
    _refused(api.delete(base + "/dbs/mastodon_production"), "web")
    assert api.delete(base + "/pools/web").status_code == 204
    assert api.delete(base + "/users/mastodon").status_code == 204
    assert api.delete(base + "/dbs/mastodon_production").status_code == 204


def test_pool_without_user_connects_as_the_inbound_user(api, base):
    pool = api.post(base + "/pools", json={"name": "web", "mode": "transaction", "size": 5, "db": "defaultdb"}).json()["pool"]
    assert "user" not in pool
    assert pool["connection"]["user"] == "doadmin"


# -- trusted sources -------------------------------------------------------------------------

def test_firewall_put_replaces_the_whole_set_and_keeps_unchanged_rules(do_client, cluster):
    cluster_id = cluster["id"]
    assert do_client.databases.list_firewall_rules(cluster_id) == {"rules": []}
    do_client.databases.update_firewall_rules(cluster_id, {"rules": [
        {"type": "k8s", "value": K8S_ID}, {"type": "ip_addr", "value": "192.0.2.10", "description": "office"}]})
    first = do_client.databases.list_firewall_rules(cluster_id)["rules"]
    assert [(rule["type"], rule["value"]) for rule in first] == [("k8s", K8S_ID), ("ip_addr", "192.0.2.10")]
    assert all(rule["cluster_uuid"] == cluster_id and rule["uuid"] and rule["created_at"] for rule in first)
    assert first[1]["description"] == "office"

    do_client.databases.update_firewall_rules(cluster_id, {"rules": [{"type": "k8s", "value": K8S_ID}, {"type": "tag", "value": "k8s-worker"}]})
    second = do_client.databases.list_firewall_rules(cluster_id)["rules"]
    assert [(rule["type"], rule["value"]) for rule in second] == [("k8s", K8S_ID), ("tag", "k8s-worker")]
    assert second[0]["uuid"] == first[0]["uuid"]

    do_client.databases.update_firewall_rules(cluster_id, {"rules": []})
    assert do_client.databases.list_firewall_rules(cluster_id) == {"rules": []}


@pytest.mark.parametrize("rule, words", [
    ({"type": "ip_addr", "value": "2001:db8::1"}, ("IPv6",)),
    ({"type": "ip_addr", "value": "not-an-ip"}, ("rules[0].value",)),
    ({"type": "droplet", "value": "web-1"}, ("Droplet",)),
    ({"type": "k8s", "value": "doks-tor1"}, ("Kubernetes",)),
    ({"type": "app", "value": "x"}, ("App",)),
    ({"type": "tag", "value": "a tag"}, ("tag",)),
])
def test_firewall_rule_values_are_checked_per_type(api, base, rule, words):
    _refused(api.put(base + "/firewall", json={"rules": [rule]}), *words)


def test_firewall_is_limited_to_100_rules_and_a_refused_put_changes_nothing(api, base):
    rules = [{"type": "ip_addr", "value": "192.0.2.%d" % index} for index in range(1, 101)]
    assert api.put(base + "/firewall", json={"rules": rules}).status_code == 204
    _refused(api.put(base + "/firewall", json={"rules": rules + [{"type": "ip_addr", "value": "198.51.100.1"}]}), "100")
    assert len(api.get(base + "/firewall").json()["rules"]) == 100
    _refused(api.put(base + "/firewall", json={}), "rules is required")
