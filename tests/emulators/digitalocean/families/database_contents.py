# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What lives inside a database cluster: users, databases, PgBouncer pools and trusted sources.

The rules, from the contract's descriptions and DigitalOcean's documentation:
- users exist on PostgreSQL and OpenSearch clusters (not Valkey), databases and pools on PostgreSQL
  only; elsewhere DigitalOcean answers 422 "operation is not supported for this cluster type";
- the default user (``doadmin``) and database (``defaultdb``) cannot be deleted;
- a pool names a database and, optionally, a user that must exist; modes are session, transaction
  and statement; the sizes of all pools share 25 backend connections per GiB of RAM of the node
  size minus 3 reserved (1 GiB -> 22);
- trusted sources are replaced as a whole set; at most 100; types droplet, k8s, ip_addr, tag, app;
  no IPv6.
Chosen here (DigitalOcean does not document them): a user or database that a pool uses cannot be
deleted while the pool exists (422 naming the pool); duplicate names are 422.
"""

import ipaddress
import re
import uuid

from ..errors import NotFound, UnprocessableEntity
from . import database_catalogue as catalogue
from .database_cluster import admin_user, new_password

USER_ENGINES = ("pg", "opensearch")
DB_ENGINES = ("pg",)
POOL_ENGINES = ("pg",)
POOL_MODES = ("session", "transaction", "statement")
MAX_RULES = 100
USER_SETTINGS = {"pg": ("pg_allow_replication",), "opensearch": ("opensearch_acl",)}
_USER_NAME = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9_.\-]{0,62}$")
_DB_NAME = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9_\-]{0,62}$")
_POOL_NAME = re.compile(r"^[a-zA-Z0-9_\-]{3,60}$")
_TAG = re.compile(r"^[a-zA-Z0-9_\-:]{1,255}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def require_engine(cluster, engines, what):
    if cluster.engine not in engines:
        raise UnprocessableEntity("operation is not supported for this cluster type: %s exist only on %s clusters, and %s is a %s cluster"
                                  % (what, " and ".join(engines), cluster.name, cluster.engine))


# -- users -----------------------------------------------------------------------------------

def find_user(cluster, name):
    user = cluster.users.get(name)
    if user is None:
        raise NotFound("user %s does not exist in database cluster %s" % (name, cluster.name))
    return user


def _check_settings(cluster, body):
    if body.get("mysql_settings") is not None:
        raise UnprocessableEntity("mysql_settings is only supported for MySQL clusters; %s is a %s cluster" % (cluster.name, cluster.engine))
    if body.get("readonly") is not None:
        raise UnprocessableEntity("readonly is only supported for MongoDB clusters; %s is a %s cluster" % (cluster.name, cluster.engine))
    settings = body.get("settings") or {}
    allowed = USER_SETTINGS[cluster.engine]
    for key in settings:
        if key not in allowed:
            raise UnprocessableEntity("settings.%s is not supported for %s clusters; supported settings: %s" % (key, cluster.engine, ", ".join(allowed)))
    if cluster.engine == "pg":
        return {"pg_allow_replication": bool(settings.get("pg_allow_replication", False))}
    return {"opensearch_acl": [dict(acl) for acl in settings.get("opensearch_acl") or []]}


def add_user(cluster, body):
    require_engine(cluster, USER_ENGINES, "users")
    name = body.get("name")
    if not isinstance(name, str) or not _USER_NAME.match(name):
        raise UnprocessableEntity("name %r is invalid: a user name has 1 to 63 letters, digits, '_', '.' or '-' and does not start with '.' or '-'" % (name,))
    if cluster.engine == "pg" and name.lower().startswith("pg_"):
        raise UnprocessableEntity("name %r is invalid: role names starting with pg_ are reserved by PostgreSQL" % name)
    if name in cluster.users:
        raise UnprocessableEntity("user %s already exists in database cluster %s" % (name, cluster.name))
    user = {"name": name, "role": "normal", "password": new_password(), "settings": _check_settings(cluster, body)}
    cluster.users[name] = user
    return user


def update_user(cluster, name, body):
    require_engine(cluster, USER_ENGINES, "users")
    user = find_user(cluster, name)
    user["settings"] = _check_settings(cluster, body)
    return user


def reset_auth(cluster, name, body):
    require_engine(cluster, USER_ENGINES, "users")
    user = find_user(cluster, name)
    if body.get("mysql_settings") is not None:
        raise UnprocessableEntity("mysql_settings is only supported for MySQL clusters; %s is a %s cluster" % (cluster.name, cluster.engine))
    user["password"] = new_password()
    return user


def _pools_using(cluster, key, value):
    return sorted(pool["name"] for pool in cluster.pools.values() if pool.get(key) == value)


def delete_user(cluster, name):
    require_engine(cluster, USER_ENGINES, "users")
    find_user(cluster, name)
    if name == admin_user(cluster.engine):
        raise UnprocessableEntity("the default user %s cannot be deleted" % name)
    pools = _pools_using(cluster, "user", name)
    if pools:
        raise UnprocessableEntity("user %s is used by connection pool(s) %s; delete or update them first" % (name, ", ".join(pools)))
    del cluster.users[name]


# -- databases -------------------------------------------------------------------------------

def find_db(cluster, name):
    if name not in cluster.dbs:
        raise NotFound("database %s does not exist in database cluster %s" % (name, cluster.name))
    return {"name": name}


def add_db(cluster, body):
    require_engine(cluster, DB_ENGINES, "databases")
    name = body.get("name")
    if not isinstance(name, str) or not _DB_NAME.match(name):
        raise UnprocessableEntity("name %r is invalid: a database name has 1 to 63 letters, digits, '_' or '-' and does not start with '-'" % (name,))
    if name in cluster.dbs:
        raise UnprocessableEntity("database %s already exists in database cluster %s" % (name, cluster.name))
    cluster.dbs.append(name)
    return {"name": name}


def delete_db(cluster, name):
    require_engine(cluster, DB_ENGINES, "databases")
    find_db(cluster, name)
    if name == "defaultdb":
        raise UnprocessableEntity("the default database defaultdb cannot be deleted")
    pools = _pools_using(cluster, "db", name)
    if pools:
        raise UnprocessableEntity("database %s is used by connection pool(s) %s; delete or update them first" % (name, ", ".join(pools)))
    cluster.dbs.remove(name)


# -- connection pools ------------------------------------------------------------------------

def find_pool(cluster, name):
    pool = cluster.pools.get(name)
    if pool is None:
        raise NotFound("connection pool %s does not exist in database cluster %s" % (name, cluster.name))
    return pool


def check_pool(cluster, body, name):
    """The pool ``body`` describes, validated against the cluster (``name``: of the pool being created or replaced)."""
    require_engine(cluster, POOL_ENGINES, "connection pools")
    mode, size, db, user = body.get("mode"), body.get("size"), body.get("db"), body.get("user")
    if mode not in POOL_MODES:
        raise UnprocessableEntity("mode %r is invalid; the allowed values are %s" % (mode, ", ".join(POOL_MODES)))
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise UnprocessableEntity("size %r is invalid: a pool needs at least 1 connection" % (size,))
    if db not in cluster.dbs:
        raise UnprocessableEntity("db %r does not exist in database cluster %s; existing databases: %s" % (db, cluster.name, ", ".join(sorted(cluster.dbs))))
    if user and user not in cluster.users:
        raise UnprocessableEntity("user %r does not exist in database cluster %s; existing users: %s" % (user, cluster.name, ", ".join(sorted(cluster.users))))
    limit = catalogue.pool_connection_limit(cluster.size)
    taken = sum(pool["size"] for other, pool in cluster.pools.items() if other != name)
    if taken + size > limit:
        raise UnprocessableEntity(
            "pool %s: size %d exceeds the available connections: a %s cluster has %d backend connections for pools "
            "(%d GiB RAM x %d per GiB - %d reserved), %d are allocated to other pools, so at most %d remain"
            % (name, size, cluster.size, limit, catalogue.memory_gib(cluster.size), catalogue.CONNECTIONS_PER_GIB,
               catalogue.RESERVED_CONNECTIONS, taken, max(0, limit - taken)))
    pool = {"name": name, "mode": mode, "size": size, "db": db}
    if user:
        pool["user"] = user
    return pool


def add_pool(cluster, body):
    require_engine(cluster, POOL_ENGINES, "connection pools")
    name = body.get("name")
    if not isinstance(name, str) or not _POOL_NAME.match(name):
        raise UnprocessableEntity("name %r is invalid: a pool name has 3 to 60 letters, digits, '_' or '-'" % (name,))
    if name in cluster.pools:
        raise UnprocessableEntity("connection pool %s already exists in database cluster %s" % (name, cluster.name))
    pool = check_pool(cluster, body, name)
    cluster.pools[name] = pool
    return pool


def update_pool(cluster, name, body):
    require_engine(cluster, POOL_ENGINES, "connection pools")
    find_pool(cluster, name)
    cluster.pools[name] = check_pool(cluster, body, name)


def delete_pool(cluster, name):
    require_engine(cluster, POOL_ENGINES, "connection pools")
    find_pool(cluster, name)
    del cluster.pools[name]


# -- trusted sources -------------------------------------------------------------------------

def _check_rule_value(kind, value, index):
    where = "rules[%d].value" % index
    if kind == "ip_addr":
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise UnprocessableEntity("%s %r is not an IP address or a CIDR range" % (where, value)) from None
        if network.version != 4:
            raise UnprocessableEntity("%s %r: IPv6 addresses cannot be added as trusted sources" % (where, value))
    elif kind == "droplet" and not value.isdigit():
        raise UnprocessableEntity("%s %r is not a Droplet ID" % (where, value))
    elif kind in ("k8s", "app") and not _UUID.match(value.lower()):
        raise UnprocessableEntity("%s %r is not the UUID of a %s" % (where, value, "Kubernetes cluster" if kind == "k8s" else "App"))
    elif kind == "tag" and not _TAG.match(value):
        raise UnprocessableEntity("%s %r is not a valid tag name" % (where, value))


def check_rules(cluster, rules, now):
    """The stored form of a full set of trusted sources; a rule that was already there keeps its uuid and created_at."""
    if not isinstance(rules, list):
        raise UnprocessableEntity("rules is required: the full list of trusted sources (an empty list opens the cluster)")
    if len(rules) > MAX_RULES:
        raise UnprocessableEntity("rules: %d given, but the firewall is limited to %d rules (trusted sources)" % (len(rules), MAX_RULES))
    existing = {(rule["type"], rule["value"]): rule for rule in cluster.rules}
    by_uuid = {rule["uuid"]: rule for rule in cluster.rules}
    stored = []
    for index, rule in enumerate(rules):
        kind, value = rule.get("type"), rule.get("value")
        _check_rule_value(kind, value, index)
        previous = by_uuid.get(rule.get("uuid") or "") or existing.get((kind, value))
        if previous is not None and (previous["type"], previous["value"]) != (kind, value):
            previous = None
        record = {"uuid": previous["uuid"] if previous else str(uuid.uuid4()), "type": kind, "value": value,
                  "created_at": previous["created_at"] if previous else now}
        if rule.get("description"):
            record["description"] = rule["description"]
        stored.append(record)
    return stored
