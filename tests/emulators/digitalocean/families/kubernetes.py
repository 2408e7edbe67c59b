# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DigitalOcean Kubernetes (``/v2/kubernetes``): clusters, node pools, upgrades, kubeconfig, registry integration.

Rules (from the contract's descriptions and DigitalOcean's documentation; the catalogue and the pure
checks are in ``kubernetes_rules.py``):
- cluster names are unique in the account; a cluster needs at least one node pool with at least one node;
- ``version`` is ``latest``, a minor version (its newest patch is used) or an offered slug;
- ``vpc_uuid`` must name a VPC of the cluster's region; omitted, the region's default VPC is used (and
  created when the region has none). The cluster and its nodes are members of that VPC;
- ``cluster_subnet`` and ``service_subnet`` given together make a VPC-native cluster: private networks
  that overlap neither each other, any VPC, nor another VPC-native cluster's networks;
- clusters are tagged ``k8s`` and ``k8s:<id>``, node pools also ``k8s-worker``;
- a new cluster is ``provisioning`` and a new node ``provisioning`` for the provision delay, then ``running``;
- an upgrade goes only to a version listed by ``…/upgrades`` (newer, at most one minor ahead), only
  while the cluster is ``running``; the cluster is ``upgrading`` for the provision delay, then runs the
  new version; ``ha`` can be enabled but never disabled; the last node pool cannot be deleted;
- every kubeconfig or credentials request issues a new token (7 days unless ``expiry_seconds``).
A deleted cluster disappears from the API at once, but its nodes stay VPC members for the provision
delay while DigitalOcean tears them down.
"""

import base64
import ipaddress
import secrets
import uuid

from ..errors import NotFound, UnprocessableEntity
from ..models import Call, Family, Page, Result, isoformat
from . import kubernetes_rules as rules

CLUSTER_AUTO_TAGS = ("k8s",)
WORKER_TAG = "k8s-worker"
_MESSAGES = {
    "provisioning": "The cluster is being provisioned.",
    "upgrading": "The cluster is being upgraded.",
    "running": "",
}


class KubernetesFamily(Family):
    name = "kubernetes"
    operations = {
        "kubernetes_list_options": "list_options",
        "kubernetes_list_clusters": "list_clusters",
        "kubernetes_create_cluster": "create_cluster",
        "kubernetes_get_cluster": "get_cluster",
        "kubernetes_update_cluster": "update_cluster",
        "kubernetes_delete_cluster": "delete_cluster",
        "kubernetes_get_availableUpgrades": "available_upgrades",
        "kubernetes_upgrade_cluster": "upgrade_cluster",
        "kubernetes_get_kubeconfig": "get_kubeconfig",
        "kubernetes_get_credentials": "get_credentials",
        "kubernetes_list_nodePools": "list_node_pools",
        "kubernetes_add_nodePool": "add_node_pool",
        "kubernetes_get_nodePool": "get_node_pool",
        "kubernetes_update_nodePool": "update_node_pool",
        "kubernetes_delete_nodePool": "delete_node_pool",
        "kubernetes_add_registry": "add_registry",
        "kubernetes_remove_registry": "remove_registry",
    }

    def seed(self):
        self.clusters = {}
        self.released = []  # (record, transition): deleted clusters whose nodes are still being torn down
        self.credentials = []
        self._droplet_ids = 400000000
        self.backend.members.add_source(self._vpc_members)

    # -- settings ------------------------------------------------------------------------------

    def _setting(self, key):
        return getattr(self.backend.config, key, None) or None

    def endpoint(self, record):
        template = self._setting("kubernetes_api_url") or rules.DEFAULT_API_URL_TEMPLATE
        return template.replace("{cluster_id}", record["id"])

    def ca_pem(self):
        return self._setting("kubernetes_ca_pem") or rules.default_ca_pem()

    # -- lookups and rendering -------------------------------------------------------------------

    def find(self, cluster_id):
        record = self.clusters.get(str(cluster_id).lower())
        if record is None:
            raise NotFound()
        return record

    @staticmethod
    def find_pool(record, pool_id):
        pool = next((pool for pool in record["node_pools"] if pool["id"] == str(pool_id).lower()), None)
        if pool is None:
            raise NotFound()
        return pool

    def state_of(self, record):
        """The cluster's status now (settling a finished provisioning or upgrade on the way)."""
        return record["transition"].status(self.now())

    def render_node(self, node):
        return {
            "id": node["id"],
            "name": node["name"],
            "status": {"state": node["transition"].status(self.now())},
            "droplet_id": node["droplet_id"],
            "created_at": isoformat(node["created_at"]),
            "updated_at": isoformat(node["updated_at"]),
        }

    def render_pool(self, record, pool):
        return {
            "id": pool["id"],
            "name": pool["name"],
            "size": pool["size"],
            "count": pool["count"],
            "tags": rules.with_auto_tags(pool["tags"], self._pool_auto_tags(record)),
            "labels": dict(pool["labels"]) if pool["labels"] is not None else None,
            "taints": [dict(taint) for taint in pool["taints"]],
            "auto_scale": pool["auto_scale"],
            "min_nodes": pool["min_nodes"] if pool["auto_scale"] else 0,
            "max_nodes": pool["max_nodes"] if pool["auto_scale"] else 0,
            "nodes": [self.render_node(node) for node in pool["nodes"]],
        }

    def render(self, record):
        state = self.state_of(record)  # first: settling an upgrade changes the version
        return {
            "id": record["id"],
            "name": record["name"],
            "region": record["region"],
            "version": record["version"],
            "cluster_subnet": record["cluster_subnet"],
            "service_subnet": record["service_subnet"],
            "vpc_uuid": record["vpc_uuid"],
            "ipv4": "" if record["ha"] else record["ipv4"],
            "endpoint": self.endpoint(record),
            "tags": rules.with_auto_tags(record["tags"], self._cluster_auto_tags(record)),
            "node_pools": [self.render_pool(record, pool) for pool in record["node_pools"]],
            "maintenance_policy": rules.render_policy(record["maintenance_policy"]),
            "auto_upgrade": record["auto_upgrade"],
            "surge_upgrade": record["surge_upgrade"],
            "ha": record["ha"],
            "registry_enabled": record["registry_enabled"],
            "status": {"state": state, "message": _MESSAGES.get(state, "")},
            "created_at": isoformat(record["created_at"]),
            "updated_at": isoformat(record["updated_at"]),
        }

    @staticmethod
    def _cluster_auto_tags(record):
        return CLUSTER_AUTO_TAGS + ("k8s:" + record["id"],)

    @staticmethod
    def _pool_auto_tags(record):
        return CLUSTER_AUTO_TAGS + ("k8s:" + record["id"], WORKER_TAG)

    def _vpc_members(self):
        now = self.now()
        self.released = [(record, transition) for record, transition in self.released if not transition.settled(now)]
        for record in list(self.clusters.values()) + [record for record, dummy in self.released]:
            created = isoformat(record["created_at"])
            yield record["vpc_uuid"], {"urn": "do:kubernetes:" + record["id"], "name": record["name"], "created_at": created}
            for pool in record["node_pools"]:
                for node in pool["nodes"]:
                    yield record["vpc_uuid"], {"urn": "do:droplet:" + node["droplet_id"], "name": node["name"],
                                               "created_at": isoformat(node["created_at"])}

    # -- building blocks ---------------------------------------------------------------------------

    def _new_node(self, pool_name):
        self._droplet_ids += 1
        node_id = str(uuid.uuid4())
        return {
            "id": node_id,
            "name": "%s-%s" % (pool_name, node_id[:5]),
            "droplet_id": str(self._droplet_ids),
            "created_at": self.now(),
            "updated_at": self.now(),
            "transition": self.begin_transition("provisioning", "running"),
        }

    @staticmethod
    def _check_unique_pool_name(record, name, own_id=None):
        if any(pool["name"] == name and pool["id"] != own_id for pool in record["node_pools"]):
            raise UnprocessableEntity("node pool name %r is already used in cluster %r; node pool names must be unique in a cluster"
                                      % (name, record["name"]))

    def _pool_from_body(self, body, field):
        """A validated node pool record (without nodes) from a create body."""
        rules.check_name(field + ".name", body.get("name"))
        rules.check_size(field + ".size", body.get("size"))
        auto_scale = bool(body.get("auto_scale", False))
        min_nodes, max_nodes = body.get("min_nodes", 0), body.get("max_nodes", 0)
        rules.check_scaling(field, body.get("count"), auto_scale, min_nodes, max_nodes)
        return {
            "id": str(uuid.uuid4()),
            "name": body["name"],
            "size": body["size"],
            "count": body["count"],
            "tags": rules.check_tags(field + ".tags", body.get("tags")),
            "labels": rules.check_labels(field, body.get("labels")),
            "taints": rules.check_taints(field, body.get("taints")),
            "auto_scale": auto_scale,
            "min_nodes": min_nodes if auto_scale else 0,
            "max_nodes": max_nodes if auto_scale else 0,
            "nodes": [],
        }

    def _fill_nodes(self, pool):
        while len(pool["nodes"]) < pool["count"]:
            pool["nodes"].append(self._new_node(pool["name"]))
        del pool["nodes"][pool["count"]:]

    def _resolve_vpc(self, region, vpc_uuid):
        vpcs = self.backend.family("vpcs")
        if vpc_uuid is not None:
            vpc = vpcs.vpcs.get(str(vpc_uuid).lower())
            if vpc is None:
                raise UnprocessableEntity("vpc_uuid %s does not name a VPC of this account" % vpc_uuid)
            if vpc["region"] != region:
                raise UnprocessableEntity("vpc_uuid %s is VPC %r in region %s; a cluster in %s needs a VPC of that region"
                                          % (vpc_uuid, vpc["name"], vpc["region"], region))
            return vpc["id"]
        default = vpcs.default_of(region)
        if default is None:
            # As DigitalOcean does: the first resource of a region gets the region a default VPC.
            body = {"name": "default-" + region, "region": region, "ip_range": self.backend.family("regions").default_vpc_range(region)}
            return vpcs.create_vpc(Call("vpcs_create", body=body)).body["vpc"]["id"]
        return default["id"]

    def _check_subnets(self, body):
        given = [key for key in ("cluster_subnet", "service_subnet") if body.get(key) is not None]
        if not given:
            return rules.LEGACY_CLUSTER_SUBNET, rules.LEGACY_SERVICE_SUBNET, False
        if len(given) == 1:
            raise UnprocessableEntity("cluster_subnet and service_subnet must be given together (a VPC-native cluster); only %s was given"
                                      % given[0])
        networks = {key: rules.check_subnet(key, body[key]) for key in given}
        if networks["cluster_subnet"].overlaps(networks["service_subnet"]):
            raise UnprocessableEntity("cluster_subnet %s overlaps service_subnet %s" % (networks["cluster_subnet"], networks["service_subnet"]))
        taken = [("VPC %r" % vpc["name"], vpc["ip_range"]) for vpc in self.backend.family("vpcs").vpcs.values()]
        for other in self.clusters.values():
            if other["vpc_native"]:
                taken += [("the %s of cluster %r" % (key, other["name"]), other[key]) for key in ("cluster_subnet", "service_subnet")]
        for key, network in networks.items():
            for owner, ip_range in taken:
                if network.overlaps(ipaddress.ip_network(ip_range)):
                    raise UnprocessableEntity("%s %s overlaps %s (%s); the networks of a VPC-native cluster must not overlap any VPC "
                                              "or another VPC-native cluster" % (key, network, owner, ip_range))
        return str(networks["cluster_subnet"]), str(networks["service_subnet"]), True

    # -- options -----------------------------------------------------------------------------------

    def list_options(self, call):
        del call
        regions = self.backend.family("regions").regions
        return Result(200, {"options": {
            "regions": [{"name": region["name"], "slug": region["slug"]} for region in regions],
            "versions": [rules.version_entry(slug) for slug, dummy in rules.VERSIONS],
            "sizes": [{"name": slug, "slug": slug} for slug in rules.NODE_SIZES],
        }})

    # -- clusters ----------------------------------------------------------------------------------

    def list_clusters(self, call):
        del call
        return Page("kubernetes_clusters", [self.render(record) for record in self.clusters.values()])

    def get_cluster(self, call):
        return Result(200, {"kubernetes_cluster": self.render(self.find(call.path_params["cluster_id"]))})

    def create_cluster(self, call):
        """Validate everything, then store: a rejected create leaves nothing behind."""
        body = call.body or {}
        rules.check_name("name", body.get("name"))
        if any(record["name"] == body["name"] for record in self.clusters.values()):
            raise UnprocessableEntity("a Kubernetes cluster named %r already exists in this account; cluster names must be unique" % body["name"])
        region = body.get("region")
        regions = self.backend.family("regions")
        if not regions.exists(region):
            raise UnprocessableEntity("region %r is not available for Kubernetes; valid regions are: %s" % (region, ", ".join(regions.slugs())))
        version = rules.resolve_version(body.get("version"))
        specs = body.get("node_pools") or []
        if not specs:
            raise UnprocessableEntity("node_pools: a cluster needs at least one node pool")
        pools = [self._pool_from_body(spec, "node_pools[%d]" % index) for index, spec in enumerate(specs)]
        names = [pool["name"] for pool in pools]
        duplicate = next((name for name in names if names.count(name) > 1), None)
        if duplicate:
            raise UnprocessableEntity("node pool name %r is used twice; node pool names must be unique in a cluster" % duplicate)
        if sum(pool["count"] for pool in pools) < 1:
            raise UnprocessableEntity("node_pools: a cluster needs at least one node pool with at least one node")
        tags = rules.check_tags("tags", body.get("tags"))
        policy = rules.maintenance_policy(body.get("maintenance_policy"))
        cluster_subnet, service_subnet, vpc_native = self._check_subnets(body)
        vpc_uuid = self._resolve_vpc(region, body.get("vpc_uuid"))  # last: it may create the region's default VPC
        cluster_id = str(uuid.uuid4())
        record = {
            "id": cluster_id,
            "name": body["name"],
            "region": region,
            "version": version,
            "cluster_subnet": cluster_subnet,
            "service_subnet": service_subnet,
            "vpc_native": vpc_native,
            "vpc_uuid": vpc_uuid,
            "ipv4": "203.0.113.%d" % (len(self.clusters) % 250 + 1),
            "tags": rules.user_tags(tags, self._cluster_auto_tags({"id": cluster_id})),
            "maintenance_policy": policy,
            "auto_upgrade": bool(body.get("auto_upgrade", False)),
            "surge_upgrade": bool(body.get("surge_upgrade", False)),
            "ha": bool(body.get("ha", False)),
            "registry_enabled": False,
            "created_at": self.now(),
            "updated_at": self.now(),
            "transition": self.begin_transition("provisioning", "running"),
            "node_pools": pools,
        }
        for pool in pools:
            pool["tags"] = rules.user_tags(pool["tags"], self._pool_auto_tags(record))
            self._fill_nodes(pool)
        self.clusters[cluster_id] = record
        return Result(201, {"kubernetes_cluster": self.render(record)})

    def update_cluster(self, call):
        record = self.find(call.path_params["cluster_id"])
        body = call.body or {}
        rules.check_name("name", body.get("name"))
        if any(other["name"] == body["name"] and other["id"] != record["id"] for other in self.clusters.values()):
            raise UnprocessableEntity("a Kubernetes cluster named %r already exists in this account; cluster names must be unique" % body["name"])
        tags = rules.check_tags("tags", body["tags"]) if "tags" in body else None
        policy = rules.maintenance_policy(body.get("maintenance_policy"), record["maintenance_policy"])
        if body.get("ha") is False and record["ha"]:
            raise UnprocessableEntity("ha cannot be disabled: the control plane of cluster %r is highly available, which is permanent" % record["name"])
        record["name"] = body["name"]
        if tags is not None:
            record["tags"] = rules.user_tags(tags, self._cluster_auto_tags(record))
        record["maintenance_policy"] = policy
        for key in ("auto_upgrade", "surge_upgrade", "ha"):
            if body.get(key) is not None:
                record[key] = bool(body[key])
        record["updated_at"] = self.now()
        return Result(202, {"kubernetes_cluster": self.render(record)})

    def delete_cluster(self, call):
        record = self.find(call.path_params["cluster_id"])
        del self.clusters[record["id"]]
        self.released.append((record, self.begin_transition("deleting", "deleted")))
        return Result(204)

    # -- upgrades ------------------------------------------------------------------------------------

    def available_upgrades(self, call):
        record = self.find(call.path_params["cluster_id"])
        self.state_of(record)
        return Result(200, {"available_upgrade_versions": [rules.version_entry(slug) for slug in rules.upgrades_from(record["version"])]})

    def upgrade_cluster(self, call):
        record = self.find(call.path_params["cluster_id"])
        version = (call.body or {}).get("version")
        state = self.state_of(record)
        if not version:
            raise UnprocessableEntity("version is required")
        allowed = rules.upgrades_from(record["version"])
        if version not in allowed:
            raise UnprocessableEntity("cluster %r (version %s) cannot be upgraded to %r; available upgrades: %s"
                                      % (record["name"], record["version"], version, ", ".join(allowed) or "none"))
        if state != "running":
            raise UnprocessableEntity("cluster %r is %s; it can be upgraded once it is running" % (record["name"], state))

        def settle():
            record["version"] = version
            record["updated_at"] = self.now()

        record["transition"] = self.begin_transition("upgrading", "running", on_settle=settle)
        record["updated_at"] = self.now()
        return Result(202)

    # -- credentials ---------------------------------------------------------------------------------

    def _issue_token(self, record, query):
        expiry = int(query.get("expiry_seconds") or 0) or rules.DEFAULT_KUBECONFIG_EXPIRY
        # Every download mints a new token, as DOKS does; wired to the sandbox's Kubernetes stand-in,
        # each one extends the token that stand-in trusts (it accepts "<token>.<suffix>").
        base = self._setting("kubernetes_token")
        token = "%s.%s" % (base, secrets.token_hex(16)) if base else secrets.token_hex(32)
        expires_at = isoformat(self.now() + expiry)
        self.credentials.append({"cluster_id": record["id"], "token": token, "expires_at": expires_at})
        return token, expires_at

    def get_kubeconfig(self, call):
        record = self.find(call.path_params["cluster_id"])
        token, dummy = self._issue_token(record, call.query)
        text = rules.kubeconfig_yaml(record["region"], record["name"], self.endpoint(record), self.ca_pem(), token)
        return Result(200, text, content_type="application/yaml")

    def get_credentials(self, call):
        record = self.find(call.path_params["cluster_id"])
        token, expires_at = self._issue_token(record, call.query)
        return Result(200, {
            "server": self.endpoint(record),
            "certificate_authority_data": base64.b64encode(self.ca_pem().encode("ascii")).decode("ascii"),
            "client_certificate_data": None,
            "client_key_data": None,
            "token": token,
            "expires_at": expires_at,
        })

    # -- node pools ------------------------------------------------------------------------------------

    def list_node_pools(self, call):
        record = self.find(call.path_params["cluster_id"])
        return Result(200, {"node_pools": [self.render_pool(record, pool) for pool in record["node_pools"]]})

    def get_node_pool(self, call):
        record = self.find(call.path_params["cluster_id"])
        return Result(200, {"node_pool": self.render_pool(record, self.find_pool(record, call.path_params["node_pool_id"]))})

    def add_node_pool(self, call):
        record = self.find(call.path_params["cluster_id"])
        pool = self._pool_from_body(call.body or {}, "node_pool")
        self._check_unique_pool_name(record, pool["name"])
        pool["tags"] = rules.user_tags(pool["tags"], self._pool_auto_tags(record))
        self._fill_nodes(pool)
        record["node_pools"].append(pool)
        return Result(201, {"node_pool": self.render_pool(record, pool)})

    def update_node_pool(self, call):
        """PUT: ``name`` and ``count`` are required; other fields replace what they name and keep what they omit."""
        record = self.find(call.path_params["cluster_id"])
        pool = self.find_pool(record, call.path_params["node_pool_id"])
        body = call.body or {}
        rules.check_name("name", body.get("name"))
        self._check_unique_pool_name(record, body["name"], own_id=pool["id"])
        auto_scale = bool(body["auto_scale"]) if body.get("auto_scale") is not None else pool["auto_scale"]
        min_nodes = body["min_nodes"] if body.get("min_nodes") is not None else pool["min_nodes"]
        max_nodes = body["max_nodes"] if body.get("max_nodes") is not None else pool["max_nodes"]
        rules.check_scaling("node_pool", body.get("count"), auto_scale, min_nodes, max_nodes)
        changes = {
            "name": body["name"],
            "count": body["count"],
            "auto_scale": auto_scale,
            "min_nodes": min_nodes if auto_scale else 0,
            "max_nodes": max_nodes if auto_scale else 0,
        }
        if "tags" in body:
            changes["tags"] = rules.user_tags(rules.check_tags("tags", body["tags"]), self._pool_auto_tags(record))
        if "labels" in body:
            changes["labels"] = rules.check_labels("node_pool", body["labels"])
        if "taints" in body:
            changes["taints"] = rules.check_taints("node_pool", body["taints"])
        pool.update(changes)
        self._fill_nodes(pool)
        return Result(202, {"node_pool": self.render_pool(record, pool)})

    def delete_node_pool(self, call):
        record = self.find(call.path_params["cluster_id"])
        pool = self.find_pool(record, call.path_params["node_pool_id"])
        if len(record["node_pools"]) == 1:
            raise UnprocessableEntity("node pool %r is the last node pool of cluster %r; a cluster needs at least one node pool "
                                      "(add another one first, or delete the cluster)" % (pool["name"], record["name"]))
        record["node_pools"].remove(pool)
        return Result(204)

    # -- container registry integration -------------------------------------------------------------

    def _registry_targets(self, call):
        cluster_ids = (call.body or {}).get("cluster_uuids") or []
        if not cluster_ids:
            raise UnprocessableEntity("cluster_uuids is required: the ids of the Kubernetes clusters")
        unknown = [cluster_id for cluster_id in cluster_ids if str(cluster_id).lower() not in self.clusters]
        if unknown:
            raise UnprocessableEntity("cluster_uuids: %s is not a Kubernetes cluster of this account" % ", ".join(unknown))
        return [self.clusters[str(cluster_id).lower()] for cluster_id in cluster_ids]

    def add_registry(self, call):
        for record in self._registry_targets(call):
            record["registry_enabled"] = True
        return Result(204)

    def remove_registry(self, call):
        for record in self._registry_targets(call):
            record["registry_enabled"] = False
        return Result(204)

    def state(self):
        return {
            "kubernetes_clusters": [self.render(record) for record in self.clusters.values()],
            "kubernetes_credentials": [dict(credential) for credential in self.credentials],
        }
