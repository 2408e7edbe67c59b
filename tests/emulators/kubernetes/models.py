# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster's state and the API server's rules: storage, resourceVersion and generation,
admission (schema, defaults, validation), patches, server-side apply, deletion and garbage collection.

:class:`Backend` is not thread-safe by itself: the HTTP layer holds ``backend.lock`` around every
call (watchers wait on ``backend.changed``, a Condition on that lock). Status changes are the
controller's (controller.py), run by :meth:`Backend.tick` before and after every request.
"""

import base64
import copy
import datetime
import itertools
import json
import random
import threading
import time
import uuid

import yaml

from . import defaults, errors, validation
from .apply import Ownership
from .config import EmulatorConfig
from .crds import load_preinstalled_crds
from .errors import ApiError, FieldError
from .patch import PatchError, json_patch, merge_patch, strategic_merge_patch
from .registry import BUILTIN_KINDS, Registry, types_from_crd
from .schema import BuiltinSchemas, CrdSchema, field_path, prune_nulls
from .selectors import parse_field_selector, parse_label_selector

SYSTEM_METADATA = ("uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields",
                   "selfLink")
SEED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
CERT_MANAGER_NAMESPACE = "cert-manager"
CERT_MANAGER_IMAGES = {"cert-manager": "cert-manager-controller", "cert-manager-cainjector": "cert-manager-cainjector",
                       "cert-manager-webhook": "cert-manager-webhook"}
CERT_MANAGER_DEPLOYMENTS = tuple(CERT_MANAGER_IMAGES)
EVENT_HISTORY = 20000
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+cbor": "apply",
}
CUSTOM_PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]
BUILTIN_PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml",
                       "application/strategic-merge-patch+json"]


class SystemClock:
    def __init__(self):
        self._offset = 0.0

    def now(self):
        return time.time() + self._offset

    def advance(self, seconds):
        self._offset += float(seconds)


def rfc3339(timestamp):
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Stored:
    """One object as kept: its body (in the preferred version), field owners and controller bookkeeping."""

    __slots__ = ("group", "kind", "body", "ownership", "internal")

    def __init__(self, group, kind, body, ownership=None, internal=None):
        self.group = group
        self.kind = kind
        self.body = body
        self.ownership = ownership or Ownership()
        self.internal = internal if internal is not None else {}

    @property
    def meta(self):
        return self.body["metadata"]

    @property
    def key(self):
        return (self.group, self.kind, self.meta.get("namespace", ""), self.meta["name"])


class Backend:  # pylint: disable=too-many-public-methods
    """The state of one emulated cluster."""

    def __init__(self, config=None, clock=None, crd_documents=None):
        self.config = config if config is not None else EmulatorConfig()
        self.clock = clock if clock is not None else SystemClock()
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.schemas = BuiltinSchemas(self.config.kubernetes_version)
        self.preinstalled_crds = crd_documents if crd_documents is not None else load_preinstalled_crds()
        self.registry = Registry(BUILTIN_KINDS)
        self.objects = {}
        self.by_kind = {}
        self.events = []
        self._rv = itertools.count(1)
        self.resource_version = 0
        self.rng = random.Random(0)
        self._ip_counters = {}
        self.stopping = False
        self._seed = None
        from .controller import Controller  # pylint: disable=import-outside-toplevel
        self.controller = Controller(self)
        with self.lock:
            self.reset()

    # -- lifecycle -------------------------------------------------------------------------------------

    def reset(self):
        """Back to a fresh cluster: seed namespaces, the preinstalled CRDs and the ``cilium`` GatewayClass."""
        self.events = []
        if self._seed is not None:
            objects, resource_version, rng_state, counters = self._seed
            self.objects, self.by_kind = {}, {}
            for key, stored in objects.items():
                body = dict(stored.body, metadata=copy.deepcopy(stored.body["metadata"]))
                if "status" in body:
                    body["status"] = copy.deepcopy(body["status"])
                copied = Stored(stored.group, stored.kind, body, stored.ownership.copy(), dict(stored.internal))
                self.objects[key] = copied
                self.by_kind.setdefault((stored.group, stored.kind), {})[key] = copied
            self._rv = itertools.count(resource_version + 1)
            self.resource_version = resource_version
            self.rng.setstate(rng_state)
            self._ip_counters = dict(counters)
            self._rebuild_custom_types()
            return
        self.objects, self.by_kind = {}, {}
        self.rng = random.Random(0)
        self._ip_counters = {}
        self.registry.set_custom([])
        crd_type = self.registry.by_kind("apiextensions.k8s.io", "CustomResourceDefinition")
        for document in self.preinstalled_crds:
            self.system_create(crd_type, copy.deepcopy(document))
        ns_type = self.registry.by_kind("", "Namespace")
        for name in SEED_NAMESPACES:
            self.system_create(ns_type, {"metadata": {"name": name}})
        self.system_create(self.registry.by_kind("", "Service"), {
            "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"clusterIP": "10.245.0.1", "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}]}})
        # cert-manager's CRDs are preinstalled, as on a cluster whose operator installed cert-manager:
        # so are its namespace and Deployments.
        self.system_create(ns_type, {"metadata": {"name": CERT_MANAGER_NAMESPACE}})
        deployment_type = self.registry.by_kind("apps", "Deployment")
        for name in CERT_MANAGER_DEPLOYMENTS:
            labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": "cert-manager"}
            self.system_create(deployment_type, {
                "metadata": {"name": name, "namespace": CERT_MANAGER_NAMESPACE, "labels": labels},
                "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": name, "image": "quay.io/jetstack/%s:v1.21.1" % CERT_MANAGER_IMAGES[name]}]}}}})
        self.system_create(self.registry.by_kind("gateway.networking.k8s.io", "GatewayClass"), {
            "metadata": {"name": "cilium"},
            "spec": {"controllerName": "io.cilium/gateway-controller", "description": "The default Cilium GatewayClass"}})
        self.tick()
        self.events = []
        self._seed = (dict(self.objects), self.resource_version, self.rng.getstate(), dict(self._ip_counters))
        self.reset()

    def now(self):
        return self.clock.now()

    def timestamp(self, offset=0.0):
        return rfc3339(self.now() + offset)

    def new_uid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def random_suffix(self, length=5):
        return "".join(self.rng.choice(NAME_ALPHABET) for _index in range(length))

    def allocate(self, what):
        """Cluster IPs (10.245.0.0/16, as DOKS), node ports, pod IPs and load balancer addresses (TEST-NET-3)."""
        count = self._ip_counters.get(what, 0) + 1
        self._ip_counters[what] = count
        if what == "clusterIP":
            count += 9
            return "10.245.%d.%d" % (count // 250, count % 250 + 1)
        if what == "nodePort":
            return 30000 + count
        if what == "podIP":
            return "10.244.%d.%d" % (count // 250, count % 250 + 2)
        return "203.0.113.%d" % (count % 250 + 1)

    # -- helpers -----------------------------------------------------------------------------------------

    def node(self, rtype):
        return rtype.schema.root() if rtype.custom else self.schemas.root(rtype)

    def render(self, stored, rtype=None, with_type=True):
        body = copy.deepcopy(stored.body)
        rtype = rtype or self.registry.by_kind(stored.group, stored.kind)
        if with_type:
            ordered = {"apiVersion": rtype.api_version if rtype else body.get("apiVersion"), "kind": stored.kind}
            ordered.update((key, value) for key, value in body.items() if key not in ("apiVersion", "kind"))
            return ordered
        body.pop("apiVersion", None)
        body.pop("kind", None)
        return body

    def find(self, group, kind, namespace, name):
        return self.objects.get((group, kind, namespace or "", name))

    def get_stored(self, rtype, namespace, name):
        stored = self.find(rtype.group, rtype.kind, namespace if rtype.namespaced else "", name)
        if stored is None:
            raise errors.not_found(rtype, name)
        return stored

    def objects_of(self, group, kind, namespace=None):
        index = self.by_kind.get((group, kind)) or {}
        return [index[key] for key in sorted(index) if namespace is None or key[2] == namespace]

    def _next_rv(self):
        self.resource_version = next(self._rv)
        return str(self.resource_version)

    def _event(self, event_type, stored):
        rtype = self.registry.by_kind(stored.group, stored.kind)
        self.events.append((self.resource_version, event_type, stored.group, stored.kind, stored.meta.get("namespace", ""), self.render(stored, rtype)))
        if len(self.events) > EVENT_HISTORY:
            del self.events[:len(self.events) - EVENT_HISTORY]
        self.changed.notify_all()

    def _put(self, stored, event_type):
        stored.meta["resourceVersion"] = self._next_rv()
        self.objects[stored.key] = stored
        self.by_kind.setdefault((stored.group, stored.kind), {})[stored.key] = stored
        self._event(event_type, stored)
        if stored.kind == "CustomResourceDefinition" and stored.group == "apiextensions.k8s.io":
            self._rebuild_custom_types()

    def _drop(self, stored):
        if self.objects.pop(stored.key, None) is None:
            return
        self.by_kind.get((stored.group, stored.kind), {}).pop(stored.key, None)
        self._next_rv()
        stored.meta["resourceVersion"] = str(self.resource_version)
        self._event("DELETED", stored)
        if stored.kind == "CustomResourceDefinition" and stored.group == "apiextensions.k8s.io":
            group, kind = stored.body["spec"]["group"], stored.body["spec"]["names"]["kind"]
            for dependent in [item for item in self.objects.values() if item.group == group and item.kind == kind]:
                self._drop(dependent)
            self._rebuild_custom_types()

    def _rebuild_custom_types(self):
        types = []
        for stored in self.objects_of("apiextensions.k8s.io", "CustomResourceDefinition"):
            types.extend(types_from_crd(stored.body, CrdSchema))
        self.registry.set_custom(types)

    # -- admission ---------------------------------------------------------------------------------------

    def _check_type_meta(self, rtype, body):
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be a JSON object")
        kind = body.get("kind")
        api_version = body.get("apiVersion")
        if kind is not None and kind != rtype.kind:
            raise errors.bad_request('%s in version "%s" cannot be handled as a %s: the kind "%s" does not match the expected kind "%s"'
                                     % (kind, rtype.version, rtype.kind, kind, rtype.kind))
        if api_version is not None and api_version != rtype.api_version:
            raise errors.bad_request("the API version in the data (%s) does not match the expected API version (%s)" % (api_version, rtype.api_version))
        if not isinstance(body.get("metadata", {}), dict):
            raise errors.bad_request("metadata must be an object")

    def _admit(self, rtype, body, old, field_validation):
        """Prune, check the schema, default and validate; returns (object, warnings) or raises."""
        obj = prune_nulls(body)
        obj["apiVersion"] = rtype.api_version
        obj["kind"] = rtype.kind
        checked = rtype.schema.check(obj) if rtype.custom else self.schemas.check(rtype, obj)
        unknown = [field_path(path) for path in checked.unknown]
        if unknown and field_validation == "Strict":
            raise errors.bad_request('%s in version "%s" cannot be handled as a %s: strict decoding error: %s'
                                     % (rtype.kind, rtype.version, rtype.kind, ", ".join('unknown field "%s"' % path for path in unknown)))
        warnings = [] if field_validation == "Ignore" else ['unknown field "%s"' % path for path in unknown]
        if checked.decode_errors:
            raise errors.bad_request(checked.decode_errors[0][1])
        obj = checked.obj
        name = obj["metadata"].get("name", "")
        if not rtype.custom:
            if old is not None:
                _carry_over(rtype.kind, obj, old)
            defaults.apply_defaults(rtype.kind, obj, self.allocate)
            field_errors = checked.field_errors + validation.validate(rtype.kind, obj, old)
        else:
            field_errors = checked.field_errors + validation.check_metadata(rtype.kind, obj["metadata"])
        if rtype.kind == "Job" and old is None:
            field_errors.extend(self._job_selector(obj))
        if field_errors:
            raise errors.invalid(rtype, name, field_errors)
        return obj, warnings

    @staticmethod
    def _job_selector(obj):
        spec = obj.get("spec") or {}
        if spec.get("manualSelector"):
            return []
        if spec.get("selector"):
            return [FieldError("invalid", "spec.selector", "object", "`selector` not auto-generated")]
        uid = obj["metadata"]["uid"]
        labels = ((spec.setdefault("template", {})).setdefault("metadata", {})).setdefault("labels", {})
        labels.update({"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": obj["metadata"]["name"],
                       "controller-uid": uid, "job-name": obj["metadata"]["name"]})
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        return []

    def _require_namespace(self, rtype, namespace, name):
        ns = self.find("", "Namespace", "", namespace)
        if ns is None:
            raise errors.namespace_not_found(namespace)
        if ns.meta.get("deletionTimestamp"):
            raise errors.forbidden(rtype, name, '%s "%s" is forbidden: unable to create new content in namespace %s because it is being terminated'
                                   % (errors.qualified(rtype.plural, rtype.group), name, namespace))

    # -- reads -------------------------------------------------------------------------------------------

    def get(self, rtype, namespace, name):
        return self.render(self.get_stored(rtype, namespace, name), rtype)

    def list(self, rtype, namespace, label_selector=None, field_selector=None, limit=None, continue_token=None):
        label_match = parse_label_selector(label_selector)
        field_match = parse_field_selector(field_selector, rtype.kind)
        items = []
        for stored in self.objects_of(rtype.group, rtype.kind, namespace if rtype.namespaced and namespace else None):
            rendered = self.render(stored, rtype, with_type=rtype.custom)
            if label_match(stored.meta.get("labels")) and field_match(rendered):
                items.append(rendered)
        metadata = {"resourceVersion": str(self.resource_version)}
        if continue_token:
            try:
                start = json.loads(base64.b64decode(continue_token))["start"]
            except (ValueError, KeyError, TypeError):
                raise errors.ApiError(410, "Expired", "The provided continue parameter is too old to display a consistent list result. "
                                      "You can start a new list without the continue parameter.", {}) from None
            items = [item for item in items if [item["metadata"].get("namespace", ""), item["metadata"]["name"]] > start]
        if limit and len(items) > limit:
            items = items[:limit]
            last = items[-1]["metadata"]
            metadata["continue"] = base64.b64encode(json.dumps({"start": [last.get("namespace", ""), last["name"]]}).encode()).decode()
            metadata["remainingItemCount"] = None
            metadata.pop("remainingItemCount")
        return {"kind": rtype.list_kind, "apiVersion": rtype.api_version, "metadata": metadata, "items": items}

    def events_since(self, cursor, rtype, namespace, label_selector=None, field_selector=None):
        """Watch events after resourceVersion ``cursor`` for ``rtype``: (events, new cursor)."""
        if self.events and cursor < self.events[0][0] - 1:
            raise errors.ApiError(410, "Expired", "too old resource version: %d (%d)" % (cursor, self.events[0][0]), {})
        label_match = parse_label_selector(label_selector)
        field_match = parse_field_selector(field_selector, rtype.kind)
        out = []
        for rv, event_type, group, kind, ns, body in self.events:
            if rv <= cursor or group != rtype.group or kind != rtype.kind or (namespace and ns != namespace):
                continue
            body = dict(body, apiVersion=rtype.api_version)
            if label_match((body.get("metadata") or {}).get("labels")) and field_match(body):
                out.append({"type": event_type, "object": body})
        return out, self.resource_version

    # -- writes ------------------------------------------------------------------------------------------

    def create(self, rtype, namespace, body, dry_run=False, manager="unknown", field_validation="Warn", ownership=None):
        self._check_type_meta(rtype, body)
        body = copy.deepcopy(body)
        meta = body.setdefault("metadata", {})
        if rtype.namespaced:
            if meta.get("namespace") and namespace and meta["namespace"] != namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the request")
            namespace = namespace or meta.get("namespace")
            if not namespace:
                raise errors.bad_request("the namespace of the object must be set")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = meta["generateName"] + self.random_suffix()
            else:
                raise errors.invalid(rtype, "", [FieldError("required", "metadata.name", detail="name or generateName is required")])
        if rtype.namespaced:
            self._require_namespace(rtype, namespace, meta["name"])
        if self.find(rtype.group, rtype.kind, namespace if rtype.namespaced else "", meta["name"]) is not None:
            raise errors.already_exists(rtype, meta["name"])
        if meta.get("resourceVersion"):
            raise errors.bad_request("resourceVersion should not be set on objects to be created")
        for key in SYSTEM_METADATA:
            meta.pop(key, None)
        if "status" in rtype.subresources:
            body.pop("status", None)
        meta["uid"] = self.new_uid()
        meta["creationTimestamp"] = self.timestamp()
        obj, warnings = self._admit(rtype, body, None, field_validation)
        if rtype.generation:
            obj["metadata"]["generation"] = 1
        obj["metadata"] = _ordered_metadata(obj["metadata"])
        stored = Stored(rtype.group, rtype.kind, obj, ownership)
        if ownership is None:
            stored.ownership.record_update(manager, None, obj, self.node(rtype))
        if rtype.kind == "Namespace":
            obj["status"] = {"phase": "Active"}
        if dry_run:
            return self.render(stored, rtype), warnings, False
        self._put(stored, "ADDED")
        return self.render(stored, rtype), warnings, True

    def system_create(self, rtype, body):
        """Create as the cluster itself does (seeding, controllers): no admission beyond defaults."""
        rendered, _warnings, _mutated = self.create(rtype, body.get("metadata", {}).get("namespace"), body, manager="kube-controller-manager")
        return self.find(rtype.group, rtype.kind, rendered["metadata"].get("namespace", ""), rendered["metadata"]["name"])

    def update(self, rtype, namespace, name, body, subresource=None, dry_run=False, manager="unknown", field_validation="Warn"):
        self._check_type_meta(rtype, body)
        stored = self.get_stored(rtype, namespace, name)
        meta = body.get("metadata") or {}
        if meta.get("name") and meta["name"] != name:
            raise errors.bad_request("the name of the object (%s) does not match the name on the URL (%s)" % (meta["name"], name))
        if rtype.namespaced and meta.get("namespace") and meta["namespace"] != namespace:
            raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the request")
        if meta.get("resourceVersion") and meta["resourceVersion"] != stored.meta["resourceVersion"]:
            raise errors.conflict(rtype, name)
        if subresource == "scale":
            return self._write_scale(rtype, stored, body, dry_run, manager)
        new = self._subresource_view(rtype, stored.body, copy.deepcopy(body), subresource)
        return self._write(rtype, stored, new, dry_run, manager, field_validation)

    def patch(self, rtype, namespace, name, patch_type, patch, subresource=None, dry_run=False, manager="unknown",
              field_validation="Warn", force=False):
        if patch_type == "strategic" and rtype.custom:
            raise errors.unsupported_media_type(CUSTOM_PATCH_TYPES)
        if patch_type == "apply":
            return self.apply(rtype, namespace, name, patch, subresource, dry_run, manager, field_validation, force)
        stored = self.get_stored(rtype, namespace, name)
        current = self.render(stored, rtype)
        if subresource == "scale":
            current = self.scale_of(stored)
        try:
            if patch_type == "json":
                new = json_patch(current, patch)
            elif patch_type == "merge":
                if not isinstance(patch, dict):
                    raise PatchError("merge patch must be a JSON object")
                new = merge_patch(current, patch)
            else:
                new = strategic_merge_patch(current, patch, self.node(rtype) if subresource != "scale" else _NoSchema())
        except PatchError as exc:
            raise errors.ApiError(422, "Invalid", "the server rejected our request due to an error in our request",
                                  {"causes": [{"reason": "FieldValueInvalid", "message": str(exc)}]}) from None
        if not isinstance(new, dict):
            raise errors.bad_request("the patched object must be a JSON object")
        patched_rv = (new.get("metadata") or {}).get("resourceVersion")
        if patched_rv and patched_rv != stored.meta["resourceVersion"]:
            raise errors.conflict(rtype, name)
        if subresource == "scale":
            return self._write_scale(rtype, stored, new, dry_run, manager)
        self._check_type_meta(rtype, new)
        new = self._subresource_view(rtype, stored.body, new, subresource)
        return self._write(rtype, stored, new, dry_run, manager, field_validation)

    def apply(self, rtype, namespace, name, text, subresource=None, dry_run=False, manager=None, field_validation="Strict", force=False):
        if not manager:
            raise errors.bad_request("PATCH %s: fieldManager is required for apply requests" % rtype.plural)
        if isinstance(text, (bytes, str)):
            try:
                applied = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise errors.bad_request("error decoding YAML: %s" % exc) from None
        else:
            applied = text
        self._check_type_meta(rtype, applied)
        if not applied.get("apiVersion") or not applied.get("kind"):
            raise errors.bad_request("apiVersion and kind must be set in an apply configuration")
        meta = applied.setdefault("metadata", {})
        if meta.get("name") and meta["name"] != name:
            raise errors.bad_request("the name of the object (%s) does not match the name on the URL (%s)" % (meta["name"], name))
        meta["name"] = name
        applied = prune_nulls(applied)
        stored = self.find(rtype.group, rtype.kind, namespace if rtype.namespaced else "", name)
        node = self.node(rtype)
        if stored is None:
            if subresource:
                raise errors.not_found(rtype, name)
            ownership = Ownership()
            result, _conflicts = ownership.apply(manager, {}, applied, node, True)
            return self.create(rtype, namespace, result, dry_run=dry_run, manager=manager, field_validation=field_validation, ownership=ownership)
        live = self.render(stored, rtype)
        ownership = stored.ownership.copy()
        result, conflicts = ownership.apply(manager, live, applied, node, force)
        if conflicts:
            raise errors.apply_conflict(rtype, name, conflicts)
        result = self._subresource_view(rtype, stored.body, result, subresource)
        return self._write(rtype, stored, result, dry_run, manager, field_validation, ownership=ownership)

    def _subresource_view(self, rtype, old, new, subresource):
        """What a write to the main resource or to /status may change."""
        if subresource == "status":
            merged = copy.deepcopy(old)
            if "status" in new:
                merged["status"] = new["status"]
            else:
                merged.pop("status", None)
            return merged
        if subresource:
            raise errors.method_not_allowed()
        if "status" in rtype.subresources:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        return new

    def _write(self, rtype, stored, new, dry_run, manager, field_validation, ownership=None):
        old = stored.body
        meta = new.setdefault("metadata", {})
        for key in SYSTEM_METADATA:
            meta.pop(key, None)
            if key in old["metadata"] and key != "managedFields":
                meta[key] = old["metadata"][key]
        meta["name"] = old["metadata"]["name"]
        if rtype.namespaced:
            meta["namespace"] = old["metadata"]["namespace"]
        else:
            meta.pop("namespace", None)
        if rtype.kind == "Namespace":
            new["status"] = copy.deepcopy(old.get("status"))
        obj, warnings = self._admit(rtype, new, old, field_validation)
        obj["metadata"] = _ordered_metadata(obj["metadata"])
        if rtype.generation and _spec_of(obj) != _spec_of(old):
            obj["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
        if same_object(obj, old):
            if ownership is not None and not dry_run:
                stored.ownership = ownership
            return self.render(stored, rtype), warnings, False
        if ownership is None:
            ownership = stored.ownership.copy()
            ownership.record_update(manager, old, obj, self.node(rtype))
        candidate = Stored(stored.group, stored.kind, obj, ownership, stored.internal)
        if dry_run:
            return self.render(candidate, rtype), warnings, False
        self._put(candidate, "MODIFIED")
        rendered = self.render(candidate, rtype)
        if obj["metadata"].get("deletionTimestamp") and not obj["metadata"].get("finalizers"):
            self._drop(candidate)
        return rendered, warnings, True

    # -- scale subresource ---------------------------------------------------------------------------------

    def scale_of(self, stored):
        spec = stored.body.get("spec") or {}
        status = stored.body.get("status") or {}
        selector = ",".join("%s=%s" % item for item in sorted(((spec.get("selector") or {}).get("matchLabels") or {}).items()))
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {key: stored.meta[key] for key in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if key in stored.meta},
                "spec": {"replicas": spec.get("replicas", 0)}, "status": {"replicas": status.get("replicas", 0), "selector": selector}}

    def _write_scale(self, rtype, stored, body, dry_run, manager):
        replicas = (body.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise errors.invalid(rtype, stored.meta["name"], [FieldError("invalid", "spec.replicas", replicas, "must be greater than or equal to 0")])
        new = copy.deepcopy(stored.body)
        new["spec"]["replicas"] = replicas
        _rendered, _warnings, mutated = self._write(rtype, stored, new, dry_run, manager, "Ignore")
        current = self.find(stored.group, stored.kind, stored.meta.get("namespace", ""), stored.meta["name"])
        scale = self.scale_of(current)
        if dry_run:
            scale["spec"]["replicas"] = replicas
        return scale, [], mutated

    # -- deletion ------------------------------------------------------------------------------------------

    def delete(self, rtype, namespace, name, options=None, dry_run=False):
        options = options or {}
        stored = self.get_stored(rtype, namespace, name)
        preconditions = options.get("preconditions") or {}
        if preconditions.get("uid") and preconditions["uid"] != stored.meta["uid"]:
            raise errors.conflict(rtype, name, "Precondition failed: UID in precondition: %s, UID in object meta: %s"
                                  % (preconditions["uid"], stored.meta["uid"]))
        if preconditions.get("resourceVersion") and preconditions["resourceVersion"] != stored.meta["resourceVersion"]:
            raise errors.conflict(rtype, name, "Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object meta: %s"
                                  % (preconditions["resourceVersion"], stored.meta["resourceVersion"]))
        policy = options.get("propagationPolicy")
        if policy is None and options.get("orphanDependents") is not None:
            policy = "Orphan" if options["orphanDependents"] else "Background"
        if policy is None:
            policy = "Orphan" if rtype.kind == "Job" else "Background"
        if policy not in ("Orphan", "Background", "Foreground"):
            raise errors.invalid(rtype, name, [FieldError("notsupported", "propagationPolicy", policy, supported=["Foreground", "Background", "Orphan"])])
        if dry_run:
            if stored.meta.get("finalizers") or policy == "Foreground" or rtype.kind == "Namespace" or rtype.return_deleted_object:
                preview = self.render(stored, rtype)
                preview["metadata"].setdefault("deletionTimestamp", self.timestamp())
                return preview, False
            return errors.success_status(name, rtype.group, rtype.plural, stored.meta["uid"]), False
        if rtype.kind == "Namespace":
            return self._delete_namespace(rtype, stored), True
        if stored.meta.get("finalizers") or policy == "Foreground":
            marked = Stored(stored.group, stored.kind, copy.deepcopy(stored.body), stored.ownership, stored.internal)
            marked.meta.setdefault("deletionTimestamp", self.timestamp())
            marked.meta.setdefault("deletionGracePeriodSeconds", 0)
            if policy == "Foreground" and "foregroundDeletion" not in (marked.meta.get("finalizers") or []):
                marked.meta.setdefault("finalizers", []).append("foregroundDeletion")
            self._put(marked, "MODIFIED")
            response = self.render(marked, rtype)
            if policy == "Foreground":
                self._collect_dependents(marked.meta["uid"], "Background")
                marked.meta["finalizers"] = [item for item in marked.meta["finalizers"] if item != "foregroundDeletion"]
                if not marked.meta["finalizers"]:
                    self._drop(marked)
                else:
                    self._put(marked, "MODIFIED")
            return response, True
        response = self.render(stored, rtype)
        self._drop(stored)
        self._collect_dependents(stored.meta["uid"], policy)
        if rtype.return_deleted_object:
            return response, True
        return errors.success_status(name, rtype.group, rtype.plural, stored.meta["uid"]), True

    def delete_collection(self, rtype, namespace, label_selector=None, field_selector=None, options=None, dry_run=False):
        listed = self.list(rtype, namespace, label_selector, field_selector)
        deleted = []
        mutated = False
        for item in listed["items"]:
            self.delete(rtype, item["metadata"].get("namespace"), item["metadata"]["name"], options, dry_run)
            deleted.append(item)
            mutated = mutated or not dry_run
        listed["items"] = deleted
        return listed, mutated

    def _delete_namespace(self, rtype, stored):
        marked = Stored(stored.group, stored.kind, copy.deepcopy(stored.body), stored.ownership, stored.internal)
        marked.meta["deletionTimestamp"] = self.timestamp()
        marked.body["status"] = {"phase": "Terminating"}
        self._put(marked, "MODIFIED")
        response = self.render(marked, rtype)
        namespace = marked.meta["name"]
        for key in sorted(self.objects):
            if key[2] == namespace and key in self.objects:
                self._drop(self.objects[key])
        self._drop(marked)
        return response

    def _collect_dependents(self, owner_uid, policy):
        for stored in list(self.objects.values()):
            if stored.key not in self.objects:
                continue
            refs = stored.meta.get("ownerReferences") or []
            if not any(ref.get("uid") == owner_uid for ref in refs):
                continue
            if policy == "Orphan":
                updated = Stored(stored.group, stored.kind, copy.deepcopy(stored.body), stored.ownership, stored.internal)
                updated.meta["ownerReferences"] = [ref for ref in refs if ref.get("uid") != owner_uid]
                if not updated.meta["ownerReferences"]:
                    del updated.meta["ownerReferences"]
                self._put(updated, "MODIFIED")
            else:
                self.system_delete(stored)

    def system_delete(self, stored):
        """Delete as the garbage collector does (background propagation, finalizers respected)."""
        if stored.key not in self.objects:
            return
        if stored.meta.get("finalizers"):
            if not stored.meta.get("deletionTimestamp"):
                marked = Stored(stored.group, stored.kind, copy.deepcopy(stored.body), stored.ownership, stored.internal)
                marked.meta["deletionTimestamp"] = self.timestamp()
                self._put(marked, "MODIFIED")
            return
        self._drop(stored)
        self._collect_dependents(stored.meta["uid"], "Background")

    # -- controller interface ---------------------------------------------------------------------------------

    def system_write(self, stored, body):
        """Replace an object's body as a controller (status and owned objects): bumps resourceVersion only on change."""
        if stored.key not in self.objects or same_object(body, stored.body):
            return stored
        updated = Stored(stored.group, stored.kind, body, stored.ownership, stored.internal)
        updated.meta["resourceVersion"] = stored.meta["resourceVersion"]
        self._put(updated, "MODIFIED")
        return updated

    def tick(self):
        """Let the controller act on what time and the last writes changed."""
        self.controller.reconcile()

    def next_deadline(self):
        return self.controller.next_deadline

    # -- control API -------------------------------------------------------------------------------------------

    def state(self):
        snapshot = {}
        for stored in sorted(self.objects.values(), key=lambda item: item.key):
            rtype = self.registry.by_kind(stored.group, stored.kind)
            key = "%s.%s" % (rtype.plural, rtype.group) if rtype.group else rtype.plural
            snapshot.setdefault(key, []).append(self.render(stored, rtype))
        return snapshot


class _NoSchema:  # pylint: disable=too-few-public-methods
    """Schema position for the Scale object (no merge keys)."""

    def child(self, _key):
        return self

    def items(self):
        return self

    patch_strategy = ""
    merge_key = None
    list_type = None
    map_type = None


def _spec_of(obj):
    return {key: value for key, value in obj.items() if key not in ("metadata", "status", "apiVersion", "kind")}


def same_object(left, right):
    """Equal apart from apiVersion/kind and the resourceVersion (no copies: bodies can be large)."""
    keys = (set(left) | set(right)) - {"apiVersion", "kind", "metadata"}
    if any(left.get(key) != right.get(key) for key in keys):
        return False
    left_meta, right_meta = left.get("metadata") or {}, right.get("metadata") or {}
    meta_keys = (set(left_meta) | set(right_meta)) - {"resourceVersion", "managedFields"}
    return all(left_meta.get(key) == right_meta.get(key) for key in meta_keys)


_METADATA_ORDER = ("name", "generateName", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
                   "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers")


def _ordered_metadata(meta):
    ordered = {key: meta[key] for key in _METADATA_ORDER if key in meta}
    ordered.update((key, value) for key, value in meta.items() if key not in ordered)
    return ordered


def _carry_over(kind, obj, old):
    """Fields an update may leave out and the server keeps (a Service's cluster IP and node ports)."""
    if kind != "Service":
        return
    spec, old_spec = obj.setdefault("spec", {}), old.get("spec") or {}
    for key in ("clusterIP", "clusterIPs"):
        if key not in spec and key in old_spec:
            spec[key] = copy.deepcopy(old_spec[key])
    old_ports = {(port.get("port"), port.get("protocol", "TCP")): port for port in old_spec.get("ports") or []}
    for port in spec.get("ports") or []:
        previous = old_ports.get((port.get("port"), port.get("protocol", "TCP")))
        if previous and "nodePort" in previous and "nodePort" not in port and spec.get("type") in ("NodePort", "LoadBalancer"):
            port["nodePort"] = previous["nodePort"]


def patch_type_of(content_type):
    return PATCH_TYPES.get((content_type or "").split(";", 1)[0].strip().lower())


def accepted_patch_types(rtype):
    return CUSTOM_PATCH_TYPES if rtype.custom else BUILTIN_PATCH_TYPES


__all__ = ["ApiError", "Backend", "Stored", "patch_type_of", "rfc3339"]
