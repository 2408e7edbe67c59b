# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Managed databases (``/v2/databases``): PostgreSQL, Valkey and OpenSearch clusters.

The family keeps the clusters and enforces the rules the contract and DigitalOcean's documentation
state in prose; the pieces live next to it: ``database_catalogue`` (engines, versions, sizes,
layouts), ``database_cluster`` (one cluster and its rendering), ``database_contents`` (users,
databases, pools, trusted sources) and ``database_config`` (engine configuration).

Cluster rules:
- name: 3 to 63 lowercase letters, digits and dashes, starting with a letter; unique in the account
  (422 "cluster name is not available", DigitalOcean's words);
- engine, version, region, size and num_nodes must be offered by ``GET /v2/databases/options``;
- storage grows in 10 GiB steps between what the size includes and its maximum, and never shrinks;
  Valkey has no sizable storage;
- ``private_network_uuid`` must be a VPC of the cluster's region; omitted, the region's default VPC
  (created if the region has none, as DigitalOcean does). The cluster is a member of that VPC
  (``do:dbaas:<id>``), so the VPC cannot be deleted until the cluster is;
- a new cluster is ``creating`` (``forking`` when restored from a backup) for the provisioning delay,
  then ``online``; resize is ``resizing`` and a major-version upgrade ``migrating`` until they
  settle, and the new size or version shows only then (as DigitalOcean reports it);
- resize and upgrade need an ``online`` cluster (422 otherwise); nodes never get a smaller size;
  an upgrade goes to a later offered version only (a downgrade or the same version is 422).
Users, databases, pools, trusted sources and configuration can be changed in any status.
"""

import copy
import datetime
import re
import uuid

from ..errors import NotFound, UnprocessableEntity
from ..models import Call, Family, Result, isoformat
from . import database_catalogue as catalogue
from . import database_config
from . import database_contents as contents
from .database_cluster import WEEKDAYS, Cluster, make_ca_certificate

DEFAULT_PROJECT_ID = str(uuid.uuid5(uuid.UUID("1c0a5a4e-7d0f-4c55-9a39-4f1f8c2d6b10"), "default-project"))
_NAME = re.compile(r"^[a-z][a-z0-9\-]{1,61}[a-z0-9]$")
_TAG = re.compile(r"^[a-zA-Z0-9_\-:]{1,255}$")
_HOUR = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])(:([0-5][0-9]))?$")


def _timestamp(text):
    moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


class DatabasesFamily(Family):
    name = "databases"
    operations = {
        "databases_list_options": "list_options",
        "databases_list_clusters": "list_clusters",
        "databases_create_cluster": "create_cluster",
        "databases_get_cluster": "get_cluster",
        "databases_destroy_cluster": "destroy_cluster",
        "databases_update_clusterSize": "resize_cluster",
        "databases_update_major_version": "upgrade_cluster",
        "databases_update_maintenanceWindow": "update_maintenance_window",
        "databases_get_autoscale": "get_autoscale",
        "databases_update_autoscale": "update_autoscale",
        "databases_get_evictionPolicy": "get_eviction_policy",
        "databases_update_evictionPolicy": "update_eviction_policy",
        "databases_get_config": "get_config",
        "databases_patch_config": "patch_config",
        "databases_get_ca": "get_ca",
        "databases_list_backups": "list_backups",
        "databases_list_firewall_rules": "list_firewall_rules",
        "databases_update_firewall_rules": "update_firewall_rules",
        "databases_list_users": "list_users",
        "databases_add_user": "add_user",
        "databases_get_user": "get_user",
        "databases_update_user": "update_user",
        "databases_reset_auth": "reset_auth",
        "databases_delete_user": "delete_user",
        "databases_list": "list_dbs",
        "databases_add": "add_db",
        "databases_get": "get_db",
        "databases_delete": "delete_db",
        "databases_list_connectionPools": "list_pools",
        "databases_add_connectionPool": "add_pool",
        "databases_get_connectionPool": "get_pool",
        "databases_update_connectionPool": "update_pool",
        "databases_delete_connectionPool": "delete_pool",
    }

    def seed(self):
        self.clusters = {}
        self.project_cas = {}
        self.backend.members.add_source(self._vpc_members)

    def _vpc_members(self):
        return [(cluster.vpc_id, {"urn": "do:dbaas:" + cluster.id, "name": cluster.name, "created_at": isoformat(cluster.created_at)})
                for cluster in self.clusters.values()]

    # -- lookups -----------------------------------------------------------------------------

    def find(self, cluster_id):
        cluster = self.clusters.get(str(cluster_id).lower())
        if cluster is None:
            raise NotFound()
        return cluster

    def _cluster(self, call):
        return self.find(call.path_params["database_cluster_uuid"])

    def find_by_name(self, name):
        return next((cluster for cluster in self.clusters.values() if cluster.name == name), None)

    # -- checks shared by create, restore and resize ----------------------------------------

    def _check_name(self, name):
        if not isinstance(name, str) or not _NAME.match(name):
            raise UnprocessableEntity("name %r is invalid: a cluster name has 3 to 63 lowercase letters, digits and dashes, "
                                      "starts with a letter and does not end with a dash" % (name,))
        if self.find_by_name(name) is not None:
            raise UnprocessableEntity("cluster name is not available: a database cluster named %s already exists" % name)

    @staticmethod
    def _check_engine(engine):
        if engine in catalogue.UNOFFERED_ENGINES:
            raise UnprocessableEntity("engine %s: %s" % (engine, catalogue.UNOFFERED_ENGINES[engine]))
        if engine not in catalogue.ENGINES:
            raise UnprocessableEntity("engine %r is not available; available engines: %s" % (engine, ", ".join(catalogue.ENGINES)))

    @staticmethod
    def _check_version(engine, version):
        if version not in catalogue.versions(engine):
            raise UnprocessableEntity("version %r is not available for %s; available versions: %s" % (version, engine, ", ".join(catalogue.versions(engine))))

    def _check_region(self, region):
        slugs = self.backend.family("regions").slugs()
        if region not in slugs:
            raise UnprocessableEntity("region %r is not available for database clusters; available regions: %s" % (region, ", ".join(slugs)))

    @staticmethod
    def _check_layout(engine, size, num_nodes):
        sizes = catalogue.layout_sizes(engine, num_nodes)
        if sizes is None:
            raise UnprocessableEntity("num_nodes %r is invalid for %s clusters; valid values: %s"
                                      % (num_nodes, engine, ", ".join(str(nodes) for nodes in catalogue.node_counts(engine))))
        if size not in sizes:
            raise UnprocessableEntity("size %r is not available for %s clusters of %d node(s); available sizes: %s"
                                      % (size, engine, num_nodes, ", ".join(sizes)))

    @staticmethod
    def _check_storage(engine, size, requested, current=None):
        """The storage (MiB) the cluster gets: ``requested``, or what it has (at least what ``size`` includes)."""
        if engine not in catalogue.STORAGE_ENGINES:
            if requested:
                raise UnprocessableEntity("storage_size_mib is not supported for %s clusters: they keep their data in memory" % engine)
            return 0
        included, maximum = catalogue.included_storage_mib(size), catalogue.maximum_storage_mib(size)
        if requested is None:
            storage = max(current or 0, included)
        else:
            if current is not None and requested < current:
                raise UnprocessableEntity("storage_size_mib %d is smaller than the cluster's %d MiB: storage cannot be decreased" % (requested, current))
            if requested % catalogue.STORAGE_STEP_MIB or requested < included:
                raise UnprocessableEntity("storage_size_mib %d is invalid for size %s: storage starts at the included %d MiB and grows in steps of %d MiB"
                                          % (requested, size, included, catalogue.STORAGE_STEP_MIB))
            storage = requested
        if storage > maximum:
            raise UnprocessableEntity("storage_size_mib %d exceeds the maximum of %d MiB for size %s" % (storage, maximum, size))
        return storage

    def _check_vpc(self, region, vpc_id):
        """The VPC record the cluster joins, or None when the region's default VPC must first be created."""
        vpcs = self.backend.family("vpcs")
        if not vpc_id:
            return vpcs.default_of(region)
        try:
            vpc = vpcs.find(vpc_id)
        except NotFound:
            raise UnprocessableEntity("private_network_uuid %s is not a VPC of this account" % vpc_id) from None
        if vpc["region"] != region:
            raise UnprocessableEntity("private_network_uuid %s is the VPC %s in region %s; a database cluster in %s can only join a VPC of its own region"
                                      % (vpc_id, vpc["name"], vpc["region"], region))
        return vpc

    def _join_vpc(self, region, vpc):
        if vpc is not None:
            return vpc["id"]
        created = self.backend.family("vpcs").create_vpc(Call("vpcs_create", body={"name": "default-" + region, "region": region}))
        return created.body["vpc"]["id"]

    @staticmethod
    def _check_tags(tags):
        for tag in tags or []:
            if not _TAG.match(tag):
                raise UnprocessableEntity("tag %r is invalid: tags have 1 to 255 letters, digits, '_', '-' or ':'" % (tag,))
        return list(tags or [])

    @staticmethod
    def _check_autoscale(engine, autoscale):
        if engine not in catalogue.STORAGE_ENGINES:
            raise UnprocessableEntity("storage autoscaling is not supported for %s clusters: they have no disk storage" % engine)
        storage = (autoscale or {}).get("storage")
        if not isinstance(storage, dict):
            raise UnprocessableEntity("autoscale.storage is required: {enabled, threshold_percent, increment_gib}")
        return {"storage": dict(storage)}

    def _restore_point(self, restore, engine):
        """The source cluster and backup time of ``backup_restore``."""
        source = self.find_by_name(restore.get("database_name"))
        if source is None:
            raise UnprocessableEntity("backup_restore.database_name %r is not a database cluster of this account" % (restore.get("database_name"),))
        if source.engine != engine:
            raise UnprocessableEntity("backup_restore: %s is a %s cluster; a backup restores into a cluster of the same engine, not %s"
                                      % (source.name, source.engine, engine))
        if engine not in catalogue.BACKUP_ENGINES:
            raise UnprocessableEntity("backups are not supported for %s clusters" % engine)
        times = source.backup_times(self.now())
        if not times:
            raise UnprocessableEntity("backup_restore: database cluster %s has no backups yet" % source.name)
        wanted = restore.get("backup_created_at")
        if wanted is None:
            return source, times[-1]
        try:
            moment = _timestamp(wanted)
        except ValueError:
            raise UnprocessableEntity("backup_restore.backup_created_at %r is not an ISO 8601 timestamp" % (wanted,)) from None
        if moment not in times:
            raise UnprocessableEntity("backup_restore: database cluster %s has no backup created at %s; its backups: %s"
                                      % (source.name, wanted, ", ".join(isoformat(time) for time in times)))
        return source, moment

    def _require_online(self, cluster, action):
        status = cluster.status(self.now())
        if status != "online":
            raise UnprocessableEntity("database cluster %s is %s: it can only be %s once it is online" % (cluster.name, status, action))

    # -- clusters ----------------------------------------------------------------------------

    def list_options(self, call):
        del call
        return Result(200, catalogue.options(self.backend.family("regions").slugs()))

    def list_clusters(self, call):
        tag = call.query.get("tag_name")
        now = self.now()
        return Result(200, {"databases": [cluster.render(now) for cluster in self.clusters.values() if not tag or tag in cluster.tags]})

    def get_cluster(self, call):
        return Result(200, {"database": self._cluster(call).render(self.now())})

    def create_cluster(self, call):
        """Validate everything first, then apply: a refused create changes nothing (no VPC, no cluster)."""
        body = call.body or {}
        engine, region = body.get("engine"), body.get("region")
        self._check_name(body.get("name"))
        self._check_engine(engine)
        restore = body.get("backup_restore")
        source, backup_time = self._restore_point(restore, engine) if restore else (None, None)
        version = body.get("version") or (source.version if source else catalogue.DEFAULT_VERSIONS[engine])
        self._check_version(engine, version)
        if source is not None and version != source.version:
            raise UnprocessableEntity("version %s: a backup of %s restores into version %s" % (version, source.name, source.version))
        self._check_region(region)
        self._check_layout(engine, body.get("size"), body.get("num_nodes"))
        storage = self._check_storage(engine, body["size"], body.get("storage_size_mib"))
        vpc = self._check_vpc(region, body.get("private_network_uuid"))
        tags = self._check_tags(body.get("tags"))
        autoscale = self._check_autoscale(engine, body["autoscale"]) if body.get("autoscale") else None
        cluster_id = str(uuid.uuid4())
        transition = self.begin_transition("forking" if source else "creating", "online")
        cluster = Cluster(cluster_id, {
            "name": body["name"], "engine": engine, "version": version, "size": body["size"], "num_nodes": body["num_nodes"],
            "region": region, "vpc_id": None, "tags": tags, "project_id": body.get("project_id") or DEFAULT_PROJECT_ID, "storage_mib": storage,
        }, self.now(), transition)
        if body.get("rules") is not None:
            cluster.rules = contents.check_rules(cluster, body["rules"], self.now())
        cluster.vpc_id = self._join_vpc(region, vpc)
        cluster.config = database_config.defaults(engine, cluster.backup_time[0], cluster.backup_time[1], catalogue.memory_gib(cluster.size))
        if autoscale is not None:
            cluster.autoscale = autoscale
        if source is not None:
            # The backup holds the databases and roles (with their passwords); pools, trusted sources and
            # configuration belong to the cluster and are not restored. The emulator keeps no history:
            # the restored cluster gets the source's users and databases as they are now.
            cluster.users = copy.deepcopy(source.users)
            cluster.dbs = list(source.dbs)
            cluster.restored_from = {"database_name": source.name, "backup_created_at": isoformat(backup_time)}
        self.clusters[cluster_id] = cluster
        return Result(201, {"database": cluster.render(self.now())})

    def destroy_cluster(self, call):
        cluster = self._cluster(call)
        del self.clusters[cluster.id]
        return Result(204)

    def resize_cluster(self, call):
        cluster = self._cluster(call)
        body = call.body or {}
        self._require_online(cluster, "resized")
        size, num_nodes = body.get("size"), body.get("num_nodes")
        self._check_layout(cluster.engine, size, num_nodes)
        if catalogue.memory_gib(size) < catalogue.memory_gib(cluster.size):
            raise UnprocessableEntity("size %s is smaller than the cluster's %s: you cannot resize cluster nodes to smaller sizes" % (size, cluster.size))
        storage = self._check_storage(cluster.engine, size, body.get("storage_size_mib"), current=cluster.storage_mib)

        def apply():
            default_connections = 25 * catalogue.memory_gib(cluster.size)
            if cluster.config.get("max_connections") == default_connections:
                cluster.config["max_connections"] = 25 * catalogue.memory_gib(size)
            cluster.size, cluster.num_nodes, cluster.storage_mib = size, num_nodes, storage

        cluster.transition = self.begin_transition("resizing", "online", on_settle=apply)
        return Result(202)

    def upgrade_cluster(self, call):
        cluster = self._cluster(call)
        version = (call.body or {}).get("version")
        if not version:
            raise UnprocessableEntity("version is required: the major version to upgrade to")
        self._require_online(cluster, "upgraded")
        self._check_version(cluster.engine, version)
        if catalogue.version_key(version) == catalogue.version_key(cluster.version):
            raise UnprocessableEntity("database cluster %s already runs %s %s" % (cluster.name, cluster.engine, version))
        if catalogue.version_key(version) < catalogue.version_key(cluster.version):
            raise UnprocessableEntity("version %s is older than the cluster's %s: a major version can only be upgraded, never downgraded"
                                      % (version, cluster.version))

        def apply():
            cluster.version = version

        cluster.transition = self.begin_transition("migrating", "online", on_settle=apply)
        return Result(204)

    def update_maintenance_window(self, call):
        cluster = self._cluster(call)
        body = call.body or {}
        day, hour = body.get("day"), body.get("hour")
        if day not in WEEKDAYS:
            raise UnprocessableEntity("day %r is invalid; valid days: %s" % (day, ", ".join(WEEKDAYS)))
        match = _HOUR.match(hour or "")
        if match is None:
            raise UnprocessableEntity("hour %r is invalid: the hour in UTC in 24-hour format, HH:MM or HH:MM:SS" % (hour,))
        cluster.maintenance = {"day": day, "hour": "%s:%s:%s" % (match.group(1), match.group(2), match.group(4) or "00")}
        return Result(204)

    def get_autoscale(self, call):
        cluster = self._cluster(call)
        self._check_autoscale(cluster.engine, cluster.autoscale)
        return Result(200, {"autoscale": dict(cluster.autoscale)})

    def update_autoscale(self, call):
        cluster = self._cluster(call)
        cluster.autoscale = self._check_autoscale(cluster.engine, call.body)
        return Result(204)

    def get_eviction_policy(self, call):
        cluster = self._cluster(call)
        contents.require_engine(cluster, ("valkey",), "eviction policies")
        return Result(200, {"eviction_policy": cluster.config["valkey_maxmemory_policy"]})

    def update_eviction_policy(self, call):
        cluster = self._cluster(call)
        contents.require_engine(cluster, ("valkey",), "eviction policies")
        cluster.config["valkey_maxmemory_policy"] = call.body["eviction_policy"]
        return Result(204)

    def get_config(self, call):
        return Result(200, {"config": dict(self._cluster(call).config)})

    def patch_config(self, call):
        cluster = self._cluster(call)
        changes = (call.body or {}).get("config")
        if changes is None:
            raise UnprocessableEntity("config is required: an object of the configuration options to change")
        database_config.validate(cluster.engine, changes)
        cluster.config = database_config.merge(cluster.config, changes)
        return Result(200)

    def get_ca(self, call):
        """DigitalOcean signs database certificates with a CA per project: one is generated on first use."""
        cluster = self._cluster(call)
        if cluster.project_id not in self.project_cas:
            self.project_cas[cluster.project_id] = make_ca_certificate(cluster.project_id, self.now())
        return Result(200, {"ca": {"certificate": self.project_cas[cluster.project_id]}})

    def list_backups(self, call):
        cluster = self._cluster(call)
        contents.require_engine(cluster, catalogue.BACKUP_ENGINES, "backups")
        hour, minute = cluster.backup_schedule()
        return Result(200, {"backups": cluster.backups(self.now()),
                            "scheduled_backup_time": {"backup_hour": hour, "backup_minute": minute, "backup_interval_hours": 24}})

    # -- trusted sources ---------------------------------------------------------------------

    def list_firewall_rules(self, call):
        cluster = self._cluster(call)
        return Result(200, {"rules": [cluster.render_rule(rule) for rule in cluster.rules]})

    def update_firewall_rules(self, call):
        cluster = self._cluster(call)
        cluster.rules = contents.check_rules(cluster, (call.body or {}).get("rules"), self.now())
        return Result(204)

    # -- users -------------------------------------------------------------------------------

    def list_users(self, call):
        cluster = self._cluster(call)
        contents.require_engine(cluster, contents.USER_ENGINES, "users")
        return Result(200, {"users": [cluster.render_user(user) for name, user in sorted(cluster.users.items())]})

    def add_user(self, call):
        cluster = self._cluster(call)
        return Result(201, {"user": cluster.render_user(contents.add_user(cluster, call.body or {}))})

    def get_user(self, call):
        cluster = self._cluster(call)
        contents.require_engine(cluster, contents.USER_ENGINES, "users")
        return Result(200, {"user": cluster.render_user(contents.find_user(cluster, call.path_params["username"]))})

    def update_user(self, call):
        cluster = self._cluster(call)
        return Result(201, {"user": cluster.render_user(contents.update_user(cluster, call.path_params["username"], call.body or {}))})

    def reset_auth(self, call):
        cluster = self._cluster(call)
        return Result(200, {"user": cluster.render_user(contents.reset_auth(cluster, call.path_params["username"], call.body or {}))})

    def delete_user(self, call):
        cluster = self._cluster(call)
        contents.delete_user(cluster, call.path_params["username"])
        return Result(204)

    # -- databases ---------------------------------------------------------------------------

    def list_dbs(self, call):
        cluster = self._cluster(call)
        contents.require_engine(cluster, contents.DB_ENGINES, "databases")
        return Result(200, {"dbs": [{"name": name} for name in sorted(cluster.dbs)]})

    def add_db(self, call):
        cluster = self._cluster(call)
        return Result(201, {"db": contents.add_db(cluster, call.body or {})})

    def get_db(self, call):
        cluster = self._cluster(call)
        contents.require_engine(cluster, contents.DB_ENGINES, "databases")
        return Result(200, {"db": contents.find_db(cluster, call.path_params["database_name"])})

    def delete_db(self, call):
        cluster = self._cluster(call)
        contents.delete_db(cluster, call.path_params["database_name"])
        return Result(204)

    # -- connection pools --------------------------------------------------------------------

    def list_pools(self, call):
        cluster = self._cluster(call)
        contents.require_engine(cluster, contents.POOL_ENGINES, "connection pools")
        return Result(200, {"pools": [cluster.render_pool(pool) for pool in cluster.pools.values()]})

    def add_pool(self, call):
        cluster = self._cluster(call)
        return Result(201, {"pool": cluster.render_pool(contents.add_pool(cluster, call.body or {}))})

    def get_pool(self, call):
        cluster = self._cluster(call)
        contents.require_engine(cluster, contents.POOL_ENGINES, "connection pools")
        return Result(200, {"pool": cluster.render_pool(contents.find_pool(cluster, call.path_params["pool_name"]))})

    def update_pool(self, call):
        cluster = self._cluster(call)
        contents.update_pool(cluster, call.path_params["pool_name"], call.body or {})
        return Result(204)

    def delete_pool(self, call):
        cluster = self._cluster(call)
        contents.delete_pool(cluster, call.path_params["pool_name"])
        return Result(204)

    # -- the emulator's own view -------------------------------------------------------------

    def state(self):
        now = self.now()
        return {"database_clusters": [cluster.state(now) for cluster in self.clusters.values()]}
