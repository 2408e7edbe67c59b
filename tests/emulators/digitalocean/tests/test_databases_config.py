# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine configuration and the Valkey eviction policy of database clusters."""

import functools
import json

import pytest

from tests.emulators.digitalocean.families import database_config
from tests.emulators.digitalocean.spec import default_spec_path

PG = {"name": "pg-main", "engine": "pg", "version": "17", "region": "tor1", "size": "db-s-1vcpu-1gb", "num_nodes": 1}
VALKEY = dict(PG, name="cache", engine="valkey", version="8")
OPENSEARCH = dict(PG, name="search", engine="opensearch", version="2", size="db-s-1vcpu-2gb")


def _create(api, body):
    response = api.post("/v2/databases", json=body)
    assert response.status_code == 201, response.text
    return "/v2/databases/" + response.json()["database"]["id"]


def _refused(response, *words):
    assert response.status_code == 422, response.text
    assert response.json()["id"] == "unprocessable_entity"
    for word in words:
        assert word in response.json()["message"]


@functools.lru_cache(maxsize=1)
def _contract_config_schemas():
    with open(default_spec_path(), encoding="utf-8") as handle:
        document = json.load(handle)
    patch = document["paths"]["/v2/databases/{database_cluster_uuid}/config"]["patch"]
    return patch["requestBody"]["content"]["application/json"]["schema"]["properties"]["config"]["anyOf"]


@pytest.mark.parametrize("engine, marker", [("pg", "autovacuum_naptime"), ("valkey", "valkey_maxmemory_policy"), ("opensearch", "ism_enabled")])
def test_config_tables_match_the_contract_key_for_key(engine, marker):
    member = next(schema for schema in _contract_config_schemas() if marker in schema["properties"])
    assert sorted(database_config.SCHEMAS[engine]) == sorted(member["properties"])
    for key, rule in database_config.SCHEMAS[engine].items():
        contract = member["properties"][key]
        if rule[0] in ("integer", "number"):
            assert (rule[0], rule[1], rule[2]) == (contract["type"], contract.get("minimum"), contract.get("maximum")) or key.endswith(
                ("time_lag", "max_docs")), key
        elif rule[0] == "enum":
            assert list(rule[1]) == contract["enum"], key
        else:
            assert rule[0] == contract["type"], key


@pytest.mark.parametrize("body", [PG, VALKEY, OPENSEARCH])
def test_defaults_of_every_engine_honour_its_own_schema(api, body):
    base = _create(api, body)
    config = api.get(base + "/config").json()["config"]
    database_config.validate(body["engine"], config)
    assert config


def test_patch_merges_only_the_given_keys(do_client, api):
    base = _create(api, PG)
    cluster_id = base.rsplit("/", 1)[1]
    before = do_client.databases.get_config(cluster_id)["config"]
    assert do_client.databases.patch_config(cluster_id, {"config": {"work_mem": 16, "pgbouncer": {"server_idle_timeout": 300}}}) is None
    after = do_client.databases.get_config(cluster_id)["config"]
    assert after["work_mem"] == 16 and after["pgbouncer"]["server_idle_timeout"] == 300
    assert after["pgbouncer"]["server_lifetime"] == before["pgbouncer"]["server_lifetime"]
    assert {key: value for key, value in after.items() if key not in ("work_mem", "pgbouncer")} == \
        {key: value for key, value in before.items() if key not in ("work_mem", "pgbouncer")}


@pytest.mark.parametrize("body, changes, words", [
    (PG, {"valkey_timeout": 10}, ("config.valkey_timeout", "not a valid configuration option for pg")),
    (PG, {"no_such_option": 1}, ("config.no_such_option",)),
    (PG, {"work_mem": "16MB"}, ("config.work_mem", "integer")),
    (PG, {"work_mem": 4096}, ("config.work_mem", "<= 1024")),
    (PG, {"jit": "yes"}, ("config.jit", "boolean")),
    (PG, {"pgbouncer": {"autodb_pool_mode": "batch"}}, ("config.pgbouncer.autodb_pool_mode", "'transaction'")),
    (PG, {"pgbouncer": {"bogus": 1}}, ("config.pgbouncer.bogus",)),
    (VALKEY, {"work_mem": 16}, ("config.work_mem", "valkey")),
    (VALKEY, {"valkey_notify_keyspace_events": "Q"}, ("config.valkey_notify_keyspace_events",)),
    (OPENSEARCH, {"knn_memory_circuit_breaker_limit": 101}, ("config.knn_memory_circuit_breaker_limit",)),
])
def test_config_keys_outside_the_engines_schema_are_refused_naming_the_key(api, body, changes, words):
    base = _create(api, body)
    before = api.get(base + "/config").json()["config"]
    _refused(api.patch(base + "/config", json={"config": changes}), *words)
    assert api.get(base + "/config").json()["config"] == before


def test_patch_without_config_is_refused(api):
    _refused(api.patch(_create(api, PG) + "/config", json={}), "config is required")


def test_eviction_policy_defaults_to_noeviction_and_follows_the_valkey_config(do_client, api):
    base = _create(api, VALKEY)
    cluster_id = base.rsplit("/", 1)[1]
    assert do_client.databases.get_eviction_policy(cluster_id) == {"eviction_policy": "noeviction"}
    assert do_client.databases.update_eviction_policy(cluster_id, {"eviction_policy": "allkeys_lru"}) is None
    assert do_client.databases.get_eviction_policy(cluster_id) == {"eviction_policy": "allkeys_lru"}
    assert api.get(base + "/config").json()["config"]["valkey_maxmemory_policy"] == "allkeys_lru"
    api.patch(base + "/config", json={"config": {"valkey_maxmemory_policy": "volatile_ttl"}})
    assert do_client.databases.get_eviction_policy(cluster_id) == {"eviction_policy": "volatile_ttl"}


def test_eviction_policy_is_refused_for_pg_and_unknown_policies_by_the_contract(api, control):
    base = _create(api, PG)
    _refused(api.get(base + "/eviction_policy"), "not supported")
    _refused(api.put(base + "/eviction_policy", json={"eviction_policy": "allkeys_lru"}), "not supported")
    valkey = _create(api, VALKEY)
    _refused(api.put(valkey + "/eviction_policy", json={"eviction_policy": "allkeys_lfu"}), "eviction_policy")
    assert control.state()["database_clusters"][1]["eviction_policy"] == "noeviction"
