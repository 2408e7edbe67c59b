# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backups, restoring a backup into a new cluster, and the emulator's view of database clusters."""

import pytest

PG = {"name": "pg-main", "engine": "pg", "version": "17", "region": "tor1", "size": "db-s-1vcpu-1gb", "num_nodes": 1}
SETTLE = 3
DAY = 86400


def _create(api, **overrides):
    response = api.post("/v2/databases", json=dict(PG, **overrides))
    assert response.status_code == 201, response.text
    return response.json()["database"]


def _refused(response, *words):
    assert response.status_code == 422, response.text
    for word in words:
        assert word in response.json()["message"]


@pytest.fixture
def source(api, control):
    """An online PostgreSQL cluster two days old, with a user, a database and a pool."""
    cluster = _create(api)
    base = "/v2/databases/" + cluster["id"]
    api.post(base + "/users", json={"name": "mastodon"})
    api.post(base + "/dbs", json={"name": "mastodon_production"})
    api.post(base + "/pools", json={"name": "web", "mode": "transaction", "size": 5, "db": "mastodon_production", "user": "mastodon"})
    control.advance_clock(2 * DAY)
    return cluster


def test_no_backups_while_creating_then_one_at_first_online_and_one_a_day(do_client, api, control):
    cluster_id = _create(api)["id"]
    assert do_client.databases.list_backups(cluster_id)["backups"] == []
    control.advance_clock(SETTLE)
    backups = do_client.databases.list_backups(cluster_id)
    assert len(backups["backups"]) == 1
    assert backups["backups"][0]["size_gigabytes"] > 0
    assert backups["scheduled_backup_time"]["backup_interval_hours"] == 24
    control.advance_clock(3 * DAY)
    assert len(do_client.databases.list_backups(cluster_id)["backups"]) == 4


def test_backups_follow_the_configured_backup_hour_and_keep_seven_days(api, control):
    base = "/v2/databases/" + _create(api)["id"]
    assert api.patch(base + "/config", json={"config": {"backup_hour": 4, "backup_minute": 15}}).status_code == 200
    control.advance_clock(10 * DAY)
    answer = api.get(base + "/backups").json()
    assert answer["scheduled_backup_time"]["backup_hour"] == 4
    assert len(answer["backups"]) == 7
    assert all(backup["created_at"][11:19] == "04:15:00" for backup in answer["backups"])


def test_backups_are_not_supported_for_valkey(api):
    valkey = _create(api, name="cache", engine="valkey", version="8")
    _refused(api.get("/v2/databases/%s/backups" % valkey["id"]), "not supported")


def test_restore_creates_a_forking_cluster_with_the_sources_users_and_databases(do_client, api, control, source):
    backups = do_client.databases.list_backups(source["id"])["backups"]
    chosen = backups[0]["created_at"]
    restored = do_client.databases.create_cluster(body=dict(PG, name="pg-restored", backup_restore={
        "database_name": "pg-main", "backup_created_at": chosen}))["database"]
    assert restored["status"] == "forking"
    assert restored["db_names"] == ["defaultdb", "mastodon_production"]
    assert sorted(user["name"] for user in restored["users"]) == ["doadmin", "mastodon"]
    assert restored["version"] == "17" and restored["id"] != source["id"]
    control.advance_clock(SETTLE)
    assert api.get("/v2/databases/" + restored["id"]).json()["database"]["status"] == "online"
    assert api.get("/v2/databases/%s/pools" % restored["id"]).json()["pools"] == []
    state = next(cluster for cluster in control.state()["database_clusters"] if cluster["name"] == "pg-restored")
    assert state["restored_from"] == {"database_name": "pg-main", "backup_created_at": chosen}


def test_restore_without_a_time_takes_the_latest_backup(api, control, source):
    latest = api.get("/v2/databases/%s/backups" % source["id"]).json()["backups"][-1]["created_at"]
    _create(api, name="pg-latest", backup_restore={"database_name": "pg-main"})
    state = next(cluster for cluster in control.state()["database_clusters"] if cluster["name"] == "pg-latest")
    assert state["restored_from"]["backup_created_at"] == latest


@pytest.mark.parametrize("restore, overrides, words", [
    ({"database_name": "pg-nowhere"}, {}, ("pg-nowhere",)),
    ({"database_name": "pg-main", "backup_created_at": "2020-01-01T00:00:00Z"}, {}, ("no backup created at", "its backups")),
    ({"database_name": "pg-main"}, {"version": "18"}, ("restores into version 17",)),
    ({"database_name": "pg-main"}, {"engine": "valkey", "version": "8"}, ("same engine",)),
])
def test_restore_from_a_missing_cluster_or_backup_is_refused(api, control, source, restore, overrides, words):
    del source
    _refused(api.post("/v2/databases", json=dict(PG, name="pg-restored", backup_restore=restore, **overrides)), *words)
    assert [cluster["name"] for cluster in control.state()["database_clusters"]] == ["pg-main"]


def test_restore_from_a_cluster_without_backups_yet_is_refused(api):
    _create(api)
    _refused(api.post("/v2/databases", json=dict(PG, name="pg-restored", backup_restore={"database_name": "pg-main"})), "no backups yet")


def test_state_shows_clusters_with_everything_inside_and_reset_clears_them(api, control, source):
    state = control.state()["database_clusters"]
    assert len(state) == 1
    cluster = state[0]
    assert cluster["status"] == "online"
    assert [user["name"] for user in cluster["users"]] == ["doadmin", "mastodon"]
    assert all(user["password"].startswith("AVNS_") for user in cluster["users"])
    assert cluster["dbs"] == ["defaultdb", "mastodon_production"]
    assert [pool["name"] for pool in cluster["pools"]] == ["web"]
    assert cluster["firewall_rules"] == [] and cluster["config"]["backup_hour"] in range(24)
    assert len(cluster["backups"]) == 3
    assert control.state()["vpc_members"][source["private_network_uuid"]][0]["urn"] == "do:dbaas:" + source["id"]

    control.reset()
    assert control.state()["database_clusters"] == []
    assert api.get("/v2/databases").json() == {"databases": []}
    assert control.state()["vpc_members"] == {}
