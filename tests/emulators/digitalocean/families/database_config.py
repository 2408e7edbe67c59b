# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine configuration of database clusters (``GET``/``PATCH /v2/databases/{id}/config``).

The contract types the ``config`` object as ``anyOf`` the configuration objects of every engine,
none of them closed (no ``additionalProperties: false``): a PostgreSQL key with a wrong type, or a
key no engine has, passes the contract's validation. DigitalOcean refuses them, so the emulator
checks every key against the schema of the cluster's own engine, copied here from the contract
(``tests/test_databases_config.py`` proves the tables and the contract agree key for key).

A PATCH merges the given keys into the current configuration (nested objects such as
``pgbouncer`` key by key); keys it does not name keep their values.
"""

import re

from ..errors import UnprocessableEntity

_INT64_MAX = 2 ** 63 - 1


def _int(minimum=None, maximum=None):
    return ("integer", minimum, maximum)


def _num(minimum=None, maximum=None):
    return ("number", minimum, maximum)


def _enum(*values):
    return ("enum", values)


def _str(pattern=None, max_length=None):
    return ("string", pattern, max_length)


def _list(item):
    return ("array", item)


def _object(properties):
    return ("object", properties)


_BOOL = ("boolean",)


# From the contract: the PostgreSQL, Valkey and OpenSearch members of the anyOf of `config`.
PG_CONFIG = {
    "autovacuum_freeze_max_age": _int(200000000, 1500000000),
    "autovacuum_max_workers": _int(1, 20),
    "autovacuum_naptime": _int(0, 86400),
    "autovacuum_vacuum_threshold": _int(0, 2147483647),
    "autovacuum_analyze_threshold": _int(0, 2147483647),
    "autovacuum_vacuum_scale_factor": _num(0, 1),
    "autovacuum_analyze_scale_factor": _num(0, 1),
    "autovacuum_vacuum_cost_delay": _int(-1, 100),
    "autovacuum_vacuum_cost_limit": _int(-1, 10000),
    "backup_hour": _int(0, 23),
    "backup_minute": _int(0, 59),
    "bgwriter_delay": _int(10, 10000),
    "bgwriter_flush_after": _int(0, 2048),
    "bgwriter_lru_maxpages": _int(0, 1073741823),
    "bgwriter_lru_multiplier": _num(0, 10),
    "deadlock_timeout": _int(500, 1800000),
    "default_toast_compression": _enum("lz4", "pglz"),
    "idle_in_transaction_session_timeout": _int(0, 604800000),
    "jit": _BOOL,
    "log_autovacuum_min_duration": _int(-1, 2147483647),
    "log_error_verbosity": _enum("TERSE", "DEFAULT", "VERBOSE"),
    "log_line_prefix": _enum("pid=%p,user=%u,db=%d,app=%a,client=%h", "%m [%p] %q[user=%u,db=%d,app=%a]", "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h"),
    "log_min_duration_statement": _int(-1, 86400000),
    "max_files_per_process": _int(1000, 4096),
    "max_prepared_transactions": _int(0, 10000),
    "max_pred_locks_per_transaction": _int(64, 640),
    "max_locks_per_transaction": _int(64, 6400),
    "max_stack_depth": _int(2097152, 6291456),
    "max_standby_archive_delay": _int(1, 43200000),
    "max_standby_streaming_delay": _int(1, 43200000),
    "max_replication_slots": _int(8, 64),
    "max_logical_replication_workers": _int(4, 64),
    "max_parallel_workers": _int(0, 96),
    "max_parallel_workers_per_gather": _int(0, 96),
    "max_worker_processes": _int(8, 96),
    "pg_partman_bgw.role": _str(pattern="^[_A-Za-z0-9][-._A-Za-z0-9]{0,63}$", max_length=64),
    "pg_partman_bgw.interval": _int(3600, 604800),
    "pg_stat_statements.track": _enum("all", "top", "none"),
    "temp_file_limit": _int(-1, 2147483647),
    "timezone": _str(max_length=64),
    "track_activity_query_size": _int(1024, 10240),
    "track_commit_timestamp": _enum("off", "on"),
    "track_functions": _enum("all", "pl", "none"),
    "track_io_timing": _enum("off", "on"),
    "max_wal_senders": _int(20, 64),
    "wal_sender_timeout": _int(0, 10800000),
    "wal_writer_delay": _int(10, 200),
    "shared_buffers_percentage": _num(20.0, 60.0),
    "pgbouncer": _object({
        "server_reset_query_always": _BOOL,
        "ignore_startup_parameters": _list(_enum("extra_float_digits", "search_path")),
        "min_pool_size": _int(0, 10000),
        "server_lifetime": _int(60, 86400),
        "server_idle_timeout": _int(0, 86400),
        "autodb_pool_size": _int(0, 10000),
        "autodb_pool_mode": _enum("session", "transaction", "statement"),
        "autodb_max_db_connections": _int(0, 2147483647),
        "autodb_idle_timeout": _int(0, 86400),
    }),
    "work_mem": _int(1, 1024),
    "timescaledb": _object({
        "max_background_workers": _int(1, 4096),
    }),
    "synchronous_replication": _enum("off", "quorum"),
    "stat_monitor_enable": _BOOL,
    "max_failover_replication_time_lag": _int(10, _INT64_MAX),
    "max_connections": _int(25, None),
    "max_slot_wal_keep_size": _int(-1, 2147483647),
}

VALKEY_CONFIG = {
    "valkey_maxmemory_policy": _enum("noeviction", "allkeys_lru", "allkeys_random", "volatile_lru", "volatile_random", "volatile_ttl"),
    "valkey_pubsub_client_output_buffer_limit": _int(32, 512),
    "valkey_number_of_databases": _int(1, 128),
    "valkey_io_threads": _int(1, 32),
    "valkey_lfu_log_factor": _int(0, 100),
    "valkey_lfu_decay_time": _int(1, 120),
    "valkey_ssl": _BOOL,
    "valkey_timeout": _int(0, 31536000),
    "valkey_notify_keyspace_events": _str(pattern="^[KEg\\$lshzxeA]*$", max_length=32),
    "valkey_persistence": _enum("off", "rdb"),
    "valkey_acl_channels_default": _enum("allchannels", "resetchannels"),
    "frequent_snapshots": _BOOL,
    "valkey_active_expire_effort": _int(1, 10),
}

OPENSEARCH_CONFIG = {
    "http_max_content_length_bytes": _int(1, 2147483647),
    "http_max_header_size_bytes": _int(1024, 262144),
    "http_max_initial_line_length_bytes": _int(1024, 65536),
    "indices_query_bool_max_clause_count": _int(64, 4096),
    "indices_fielddata_cache_size_percentage": _int(3, 100),
    "indices_memory_index_buffer_size_percentage": _int(3, 40),
    "indices_memory_min_index_buffer_size_mb": _int(3, 2048),
    "indices_memory_max_index_buffer_size_mb": _int(3, 2048),
    "indices_queries_cache_size_percentage": _int(3, 40),
    "indices_recovery_max_mb_per_sec": _int(40, 400),
    "indices_recovery_max_concurrent_file_chunks": _int(2, 5),
    "thread_pool_search_size": _int(1, 128),
    "thread_pool_search_throttled_size": _int(1, 128),
    "thread_pool_get_size": _int(1, 128),
    "thread_pool_analyze_size": _int(1, 128),
    "thread_pool_write_size": _int(1, 128),
    "thread_pool_force_merge_size": _int(1, 128),
    "thread_pool_search_queue_size": _int(10, 2000),
    "thread_pool_search_throttled_queue_size": _int(10, 2000),
    "thread_pool_get_queue_size": _int(10, 2000),
    "thread_pool_analyze_queue_size": _int(10, 2000),
    "thread_pool_write_queue_size": _int(10, 2000),
    "ism_enabled": _BOOL,
    "ism_history_enabled": _BOOL,
    "ism_history_max_age_hours": _int(1, 2147483647),
    "ism_history_max_docs": _int(1, _INT64_MAX),
    "ism_history_rollover_check_period_hours": _int(1, 2147483647),
    "ism_history_rollover_retention_period_days": _int(1, 2147483647),
    "search_max_buckets": _int(1, 1000000),
    "action_auto_create_index_enabled": _BOOL,
    "enable_security_audit": _BOOL,
    "action_destructive_requires_name": _BOOL,
    "cluster_max_shards_per_node": _int(100, 10000),
    "override_main_response_version": _BOOL,
    "script_max_compilations_rate": _str(),
    "cluster_routing_allocation_node_concurrent_recoveries": _int(2, 16),
    "reindex_remote_whitelist": _list(_str()),
    "plugins_alerting_filter_by_backend_roles_enabled": _BOOL,
    "knn_memory_circuit_breaker_enabled": _BOOL,
    "knn_memory_circuit_breaker_limit": _int(0, 100),
    "keep_index_refresh_interval": _BOOL,
}

SCHEMAS = {"pg": PG_CONFIG, "valkey": VALKEY_CONFIG, "opensearch": OPENSEARCH_CONFIG}


def _describe(rule):
    kind = rule[0]
    if kind in ("integer", "number"):
        bounds = []
        if rule[1] is not None:
            bounds.append(">= %s" % rule[1])
        if rule[2] is not None:
            bounds.append("<= %s" % rule[2])
        return ("%s %s" % ("an integer" if kind == "integer" else "a number", " and ".join(bounds))).strip()
    if kind == "enum":
        return "one of %s" % ", ".join(repr(value) for value in rule[1])
    if kind == "string":
        return "a string" + (" of at most %d characters" % rule[2] if rule[2] else "") + (" matching %s" % rule[1] if rule[1] else "")
    if kind == "array":
        return "a list whose items are %s" % _describe(rule[1])
    if kind == "object":
        return "an object with the keys %s" % ", ".join(sorted(rule[1]))
    return "a boolean"


def _fits(rule, value):
    kind = rule[0]
    if kind in ("integer", "number"):
        wanted = (int,) if kind == "integer" else (int, float)
        if isinstance(value, bool) or not isinstance(value, wanted):
            return False
        return (rule[1] is None or value >= rule[1]) and (rule[2] is None or value <= rule[2])
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "enum":
        return isinstance(value, str) and value in rule[1]
    if kind == "string":
        return isinstance(value, str) and (rule[2] is None or len(value) <= rule[2]) and (rule[1] is None or re.search(rule[1], value) is not None)
    if kind == "array":
        return isinstance(value, list) and all(_fits(rule[1], item) for item in value)
    return isinstance(value, dict)


def _check(engine, schema, values, prefix):
    for key, value in values.items():
        where = prefix + key
        rule = schema.get(key)
        if rule is None:
            raise UnprocessableEntity("%s is not a valid configuration option for %s clusters; valid options are: %s"
                                      % (where, engine, ", ".join(sorted(schema))))
        if not _fits(rule, value):
            raise UnprocessableEntity("%s: %r is invalid; it must be %s" % (where, value, _describe(rule)))
        if rule[0] == "object":
            _check(engine, rule[1], value, where + ".")


def validate(engine, config):
    """Refuse (422, naming the key) anything outside the configuration schema of ``engine``."""
    if not isinstance(config, dict):
        raise UnprocessableEntity("config must be an object of configuration options")
    _check(engine, SCHEMAS[engine], config, "config.")


def merge(current, changes):
    """``current`` with ``changes`` applied key by key (nested objects merged, not replaced)."""
    merged = dict(current)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def defaults(engine, backup_hour, backup_minute, memory_gib):
    """What a new cluster of ``engine`` reports before anyone changed its configuration."""
    if engine == "pg":
        return {
            "autovacuum_freeze_max_age": 200000000,
            "autovacuum_max_workers": 3,
            "autovacuum_naptime": 60,
            "autovacuum_vacuum_threshold": 50,
            "autovacuum_analyze_threshold": 50,
            "autovacuum_vacuum_scale_factor": 0.2,
            "autovacuum_analyze_scale_factor": 0.1,
            "autovacuum_vacuum_cost_delay": 2,
            "autovacuum_vacuum_cost_limit": -1,
            "backup_hour": backup_hour,
            "backup_minute": backup_minute,
            "bgwriter_delay": 200,
            "deadlock_timeout": 1000,
            "idle_in_transaction_session_timeout": 0,
            "jit": True,
            "log_min_duration_statement": -1,
            "max_connections": 25 * memory_gib,
            "max_prepared_transactions": 0,
            "max_wal_senders": 20,
            "max_worker_processes": 8,
            "shared_buffers_percentage": 20.0,
            "synchronous_replication": "off",
            "temp_file_limit": -1,
            "track_activity_query_size": 1024,
            "work_mem": 4,
            "pgbouncer": {
                "server_reset_query_always": False,
                "ignore_startup_parameters": [],
                "min_pool_size": 0,
                "server_lifetime": 3600,
                "server_idle_timeout": 600,
                "autodb_pool_size": 0,
                "autodb_pool_mode": "transaction",
                "autodb_max_db_connections": 0,
                "autodb_idle_timeout": 3600,
            },
        }
    if engine == "valkey":
        return {
            "valkey_maxmemory_policy": "noeviction",
            "valkey_pubsub_client_output_buffer_limit": 64,
            "valkey_number_of_databases": 16,
            "valkey_io_threads": 1,
            "valkey_lfu_log_factor": 10,
            "valkey_lfu_decay_time": 1,
            "valkey_ssl": True,
            "valkey_timeout": 300,
            "valkey_notify_keyspace_events": "",
            "valkey_persistence": "rdb",
            "valkey_acl_channels_default": "allchannels",
            "frequent_snapshots": True,
            "valkey_active_expire_effort": 1,
        }
    return {
        "http_max_content_length_bytes": 100000000,
        "http_max_header_size_bytes": 8192,
        "http_max_initial_line_length_bytes": 4096,
        "indices_query_bool_max_clause_count": 1024,
        "indices_memory_index_buffer_size_percentage": 10,
        "indices_queries_cache_size_percentage": 10,
        "indices_recovery_max_mb_per_sec": 40,
        "ism_enabled": True,
        "ism_history_enabled": True,
        "ism_history_max_age_hours": 24,
        "ism_history_max_docs": 2500000,
        "ism_history_rollover_check_period_hours": 8,
        "ism_history_rollover_retention_period_days": 30,
        "search_max_buckets": 10000,
        "action_auto_create_index_enabled": True,
        "enable_security_audit": False,
        "override_main_response_version": False,
        "plugins_alerting_filter_by_backend_roles_enabled": False,
        "knn_memory_circuit_breaker_enabled": True,
        "knn_memory_circuit_breaker_limit": 50,
        "keep_index_refresh_interval": False,
    }
