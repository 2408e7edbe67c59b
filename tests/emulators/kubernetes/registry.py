# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kinds the stand-in serves and the discovery documents that describe them.

Built-in kinds come from :data:`BUILTIN_KINDS`; custom kinds from the CustomResourceDefinitions
stored in the cluster (the Gateway API and cert-manager ones are there from the start). A
:class:`ResourceType` is one (group, version, resource); the same stored object is served through
every version of its kind (the CRDs here all use ``conversion: None``).
"""

import dataclasses
import hashlib
import re

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclasses.dataclass
class ResourceType:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple = ()
    subresources: tuple = ()
    categories: tuple = ()
    # metadata.generation is kept (bumped on spec changes) for this kind
    generation: bool = False
    # DELETE answers the deleted object (instead of a Status) when it is removed at once
    return_deleted_object: bool = False
    custom: bool = False
    preferred: bool = True
    schema: object = None

    @property
    def api_version(self):
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    @property
    def group_kind(self):
        return (self.group, self.kind)

    @property
    def singular(self):
        return self.kind.lower()

    @property
    def list_kind(self):
        return self.kind + "List"

    def discovery_entry(self):
        entry = {
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(VERBS),
            "storageVersionHash": _hash(self.group, self.version, self.kind),
        }
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        if self.categories:
            entry["categories"] = list(self.categories)
        return entry

    def subresource_entries(self):
        entries = []
        for name in self.subresources:
            entry = {"name": "%s/%s" % (self.plural, name), "singularName": "", "namespaced": self.namespaced,
                     "kind": self.kind, "verbs": ["get", "patch", "update"]}
            if name == "scale":
                entry.update(group="autoscaling", version="v1", kind="Scale")
            elif name == "log":
                entry.update(kind="Pod", verbs=["get"])
            elif name == "finalize":
                entry["verbs"] = ["update"]
            entries.append(entry)
        return entries


def _hash(group, version, kind):
    return hashlib.sha256(("%s/%s/%s" % (group, version, kind)).encode()).digest()[:8].hex()[:11]


def _b(group, version, kind, plural, namespaced=True, short_names=(), subresources=("status",), generation=False,
       categories=(), return_deleted_object=False):
    return ResourceType(group, version, kind, plural, namespaced, tuple(short_names), tuple(subresources), tuple(categories),
                        generation, return_deleted_object)


# Kinds served without a CRD. Controllers exist for some of them (see controller.py); the others are
# stored and validated only (a StatefulSet never becomes ready, for example).
BUILTIN_KINDS = (
    _b("", "v1", "Namespace", "namespaces", False, ["ns"], ["status", "finalize"], return_deleted_object=True),
    _b("", "v1", "ConfigMap", "configmaps", short_names=["cm"], subresources=()),
    _b("", "v1", "Secret", "secrets", subresources=()),
    _b("", "v1", "Service", "services", short_names=["svc"], categories=["all"], return_deleted_object=True),
    _b("", "v1", "ServiceAccount", "serviceaccounts", short_names=["sa"], subresources=()),
    _b("", "v1", "Pod", "pods", short_names=["po"], subresources=("status", "log"), categories=["all"], return_deleted_object=True),
    _b("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", short_names=["pvc"]),
    _b("", "v1", "Endpoints", "endpoints", short_names=["ep"], subresources=()),
    _b("", "v1", "Event", "events", short_names=["ev"], subresources=()),
    _b("", "v1", "Node", "nodes", False, ["no"]),
    _b("apps", "v1", "Deployment", "deployments", short_names=["deploy"], subresources=("status", "scale"), generation=True, categories=["all"]),
    _b("apps", "v1", "ReplicaSet", "replicasets", short_names=["rs"], subresources=("status", "scale"), generation=True, categories=["all"]),
    _b("apps", "v1", "StatefulSet", "statefulsets", short_names=["sts"], subresources=("status", "scale"), generation=True, categories=["all"]),
    _b("apps", "v1", "DaemonSet", "daemonsets", short_names=["ds"], generation=True, categories=["all"]),
    _b("batch", "v1", "Job", "jobs", generation=True, categories=["all"]),
    _b("batch", "v1", "CronJob", "cronjobs", short_names=["cj"], generation=True, categories=["all"]),
    _b("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", short_names=["pdb"], generation=True),
    _b("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", short_names=["netpol"], subresources=(), generation=True),
    _b("networking.k8s.io", "v1", "Ingress", "ingresses", short_names=["ing"], generation=True),
    _b("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False, subresources=(), generation=True),
    _b("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", short_names=["hpa"], generation=True, categories=["all"]),
    _b("rbac.authorization.k8s.io", "v1", "Role", "roles", subresources=()),
    _b("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", subresources=()),
    _b("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False, subresources=()),
    _b("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False, subresources=()),
    _b("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", False, subresources=(), generation=True),
    _b("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", False, subresources=(),
       generation=True),
    _b("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False, ["crd", "crds"], generation=True,
       categories=["api-extensions"]),
)

_VERSION_RE = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version):
    """Sort key of the API server's version ordering: GA > beta > alpha, higher numbers first."""
    match = _VERSION_RE.match(version)
    if not match:
        return (3, 0, 0, version)
    major, stage, minor = int(match.group(1)), match.group(2), int(match.group(3) or 0)
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -major, -minor, version)


def types_from_crd(crd, validator_factory):
    """The ResourceTypes a CustomResourceDefinition serves (one per served version)."""
    spec = crd["spec"]
    names = spec["names"]
    served = [version for version in spec.get("versions", []) if version.get("served", True)]
    ordered = sorted((version["name"] for version in served), key=version_priority)
    types = []
    for version in served:
        subresources = tuple(name for name in ("status", "scale") if name in (version.get("subresources") or {}))
        schema = (version.get("schema") or {}).get("openAPIV3Schema") or {}
        types.append(ResourceType(
            group=spec["group"], version=version["name"], kind=names["kind"], plural=names["plural"],
            namespaced=spec.get("scope", "Namespaced") == "Namespaced", short_names=tuple(names.get("shortNames") or ()),
            subresources=subresources, categories=tuple(names.get("categories") or ()), generation=True,
            return_deleted_object=True, custom=True, preferred=version["name"] == ordered[0],
            schema=validator_factory(schema, status_subresource="status" in subresources)))
    return types


class Registry:
    """Every ResourceType currently served, with lookups by path and by kind."""

    def __init__(self, builtin_types):
        self.builtin = list(builtin_types)
        self.custom = []

    def set_custom(self, types):
        self.custom = list(types)

    @property
    def all(self):
        return self.builtin + self.custom

    def by_path(self, group, version, plural):
        for rtype in self.all:
            if rtype.group == group and rtype.version == version and rtype.plural == plural:
                return rtype
        return None

    def by_kind(self, group, kind, version=None):
        """The type of ``kind`` in ``group``: the given version, else the preferred one."""
        candidates = [rtype for rtype in self.all if rtype.group == group and rtype.kind == kind]
        if version is not None:
            candidates = [rtype for rtype in candidates if rtype.version == version]
        else:
            candidates = [rtype for rtype in candidates if rtype.preferred] or candidates
        return candidates[0] if candidates else None

    def by_api_version(self, api_version, kind):
        group, _sep, version = api_version.rpartition("/")
        return self.by_kind(group, kind, version)

    def group_versions(self, group):
        versions = sorted({rtype.version for rtype in self.all if rtype.group == group}, key=version_priority)
        return versions

    def groups(self):
        """Groups other than core, in the order the server lists them (built-ins first)."""
        seen = []
        for rtype in self.all:
            if rtype.group and rtype.group not in seen:
                seen.append(rtype.group)
        return seen

    # -- discovery documents ----------------------------------------------------------------------

    def api_versions(self):
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}

    def resource_list(self, group, version):
        types = [rtype for rtype in self.all if rtype.group == group and rtype.version == version]
        if not types:
            return None
        resources = []
        for rtype in types:
            resources.append(rtype.discovery_entry())
            resources.extend(rtype.subresource_entries())
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "%s/%s" % (group, version) if group else version,
                "resources": resources}

    def api_group(self, group):
        versions = self.group_versions(group)
        if not versions:
            return None
        entries = [{"groupVersion": "%s/%s" % (group, version), "version": version} for version in versions]
        return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": entries, "preferredVersion": entries[0]}

    def api_group_list(self):
        groups = []
        for group in self.groups():
            document = self.api_group(group)
            del document["kind"]
            del document["apiVersion"]
            groups.append(document)
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def aggregated(self, legacy):
        """The aggregated discovery document (apidiscovery.k8s.io/v2) for /api (legacy) or /apis."""
        items = []
        groups = [""] if legacy else self.groups()
        for group in groups:
            versions = ["v1"] if legacy else self.group_versions(group)
            version_entries = []
            for version in versions:
                resources = []
                for rtype in self.all:
                    if rtype.group != group or rtype.version != version:
                        continue
                    entry = {"resource": rtype.plural, "responseKind": {"group": group, "version": version, "kind": rtype.kind},
                             "scope": "Namespaced" if rtype.namespaced else "Cluster", "singularResource": rtype.singular,
                             "verbs": list(VERBS)}
                    if rtype.short_names:
                        entry["shortNames"] = list(rtype.short_names)
                    if rtype.categories:
                        entry["categories"] = list(rtype.categories)
                    subresources = []
                    for sub in rtype.subresource_entries():
                        kind = {"group": sub.get("group", group), "version": sub.get("version", version), "kind": sub["kind"]}
                        subresources.append({"subresource": sub["name"].split("/", 1)[1], "responseKind": kind, "verbs": sub["verbs"]})
                    if subresources:
                        entry["subresources"] = subresources
                    resources.append(entry)
                version_entries.append({"version": version, "resources": resources, "freshness": "Current"})
            items.append({"metadata": {"name": group, "creationTimestamp": None}, "versions": version_entries})
        return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}
