# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster's controllers, reduced to the status rules our roles wait on.

Nothing runs in the background: :meth:`Controller.reconcile` is called (under the backend lock)
before and after every API request and by watchers when a deadline passes; it compares the clock
with the objects and writes what the cluster would have written by now. Rules (see the README):

- Deployments own ReplicaSets (one per pod template, ``<name>-<hash>``), ReplicaSets own Pods.
  A Pod is Pending for ``ready_delay`` seconds, then Running and ready, unless one of its images
  is in ``failing_images``: then it crash-loops (never ready). Old ReplicaSets are scaled to zero
  only once the new one is fully available, so a failed rollout keeps the old Pods serving.
  Deployment status follows its Pods; Progressing turns False (ProgressDeadlineExceeded) after
  ``progressDeadlineSeconds`` (or ``progress_deadline`` from the config).
- Jobs run Pods (``parallelism`` at a time) that succeed after ``ready_delay`` (or fail, failing
  image); Complete when ``completions`` succeeded, Failed past ``backoffLimit``; ``activeDeadlineSeconds``
  and ``ttlSecondsAfterFinished`` are honoured.
- LoadBalancer Services get an ingress IP after ``ready_delay``.
- GatewayClass ``cilium`` is Accepted; its Gateways get a ``cilium-gateway-<name>`` LoadBalancer
  Service, then Programmed with that address; HTTPRoutes get parent status (Accepted, ResolvedRefs).
- cert-manager: Issuers/ClusterIssuers are Ready; Certificates are issued after ``ready_delay``
  into their Secret (kubernetes.io/tls), with a CertificateRequest; Gateways annotated with
  ``cert-manager.io/cluster-issuer``/``issuer`` get a Certificate per TLS Secret they reference.
- Namespaces get their ``default`` ServiceAccount; objects whose owners are all gone are deleted.
"""

import base64
import copy
import hashlib
import json
import re

from .certs import Signer, account_key_pem
from .errors import ApiError

GATEWAY_GROUP = "gateway.networking.k8s.io"
CILIUM_CONTROLLER = "io.cilium/gateway-controller"
CERT_GROUP = "cert-manager.io"
NODE_NAME = "pool-sandbox-k8s-worker-1"
DEFAULT_CERT_DURATION = 90 * 24 * 3600
# A change of any of these Certificate fields makes cert-manager issue again.
ISSUANCE_FIELDS = ("dnsNames", "commonName", "secretName", "issuerRef", "privateKey", "duration", "ipAddresses", "uris", "isCA", "usages", "subject")


def template_hash(template):
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    number = int(digest[:16], 16)
    out = ""
    for _index in range(10):
        out += alphabet[number % len(alphabet)]
        number //= len(alphabet)
    return out


def set_condition(conditions, ctype, status, reason, message, now, extra=None):
    """Conditions with ``ctype`` set; times are kept when nothing about it changed."""
    conditions = [dict(item) for item in conditions or []]
    current = next((item for item in conditions if item.get("type") == ctype), None)
    entry = {"type": ctype, "status": status, "reason": reason, "message": message}
    entry.update(extra or {})
    if current is not None and all(current.get(key) == value for key, value in entry.items()):
        return conditions
    stamp = {"lastTransitionTime": now}
    if current is not None and current.get("status") == status:
        stamp["lastTransitionTime"] = current.get("lastTransitionTime", now)
    if "lastUpdateTime" in (extra or {}) or ctype in ("Available", "Progressing"):
        entry.setdefault("lastUpdateTime", now)
    entry.update(stamp)
    if current is None:
        conditions.append(entry)
    else:
        conditions[conditions.index(current)] = entry
    return conditions


def condition_true(obj, ctype):
    return any(item.get("type") == ctype and item.get("status") == "True" for item in ((obj.get("status") or {}).get("conditions") or []))


def _owned_by(stored, uid):
    return any(ref.get("uid") == uid for ref in stored.meta.get("ownerReferences") or [])


def _owner_ref(stored, api_version, block=True):
    ref = {"apiVersion": api_version, "kind": stored.kind, "name": stored.meta["name"], "uid": stored.meta["uid"], "controller": True}
    if block:
        ref["blockOwnerDeletion"] = True
    return ref


class Controller:  # pylint: disable=too-many-public-methods
    def __init__(self, backend):
        self.backend = backend
        self.signer = Signer()
        self.next_deadline = None
        self._deadlines = []

    # -- plumbing ------------------------------------------------------------------------------------------

    @property
    def config(self):
        return self.backend.config

    def now(self):
        return self.backend.now()

    def stamp(self, moment=None):
        from .models import rfc3339  # pylint: disable=import-outside-toplevel
        return rfc3339(self.now() if moment is None else moment)

    def wake(self, moment):
        self._deadlines.append(moment)

    def rtype(self, group, kind):
        return self.backend.registry.by_kind(group, kind)

    def items(self, group, kind, namespace=None):
        return [stored for stored in self.backend.objects_of(group, kind, namespace) if not stored.meta.get("deletionTimestamp")]

    def write_status(self, stored, status):
        if stored.body.get("status") == status:
            return stored
        body = dict(stored.body)
        body["status"] = status
        return self.backend.system_write(stored, body)

    def create(self, group, kind, body):
        rtype = self.rtype(group, kind)
        if rtype is None:
            return None
        try:
            return self.backend.system_create(rtype, body)
        except ApiError:
            return None

    def reconcile(self):
        self._deadlines = []
        for _round in range(20):
            before = self.backend.resource_version
            self._crds()
            self._namespaces()
            self._garbage()
            self._pods()
            self._deployments()
            self._replicasets()
            self._jobs()
            self._services()
            self._gateway_classes()
            self._gateways()
            self._httproutes()
            self._issuers()
            self._gateway_shim()
            self._certificates()
            if self.backend.resource_version == before:
                break
        now = self.now()
        future = [moment for moment in self._deadlines if moment > now]
        self.next_deadline = min(future) if future else None

    # -- cluster housekeeping --------------------------------------------------------------------------------

    def _crds(self):
        for stored in self.items("apiextensions.k8s.io", "CustomResourceDefinition"):
            spec = stored.body["spec"]
            storage = [version["name"] for version in spec.get("versions", []) if version.get("storage")]
            now = stored.meta["creationTimestamp"]
            status = {
                "conditions": [
                    {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": now},
                    {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted",
                     "lastTransitionTime": now}],
                "acceptedNames": copy.deepcopy(spec.get("names")),
                "storedVersions": storage}
            self.write_status(stored, status)

    def _namespaces(self):
        for ns in self.items("", "Namespace"):
            name = ns.meta["name"]
            if self.backend.find("", "ServiceAccount", name, "default") is None:
                self.create("", "ServiceAccount", {"metadata": {"name": "default", "namespace": name}})

    def _garbage(self):
        uids = {stored.meta.get("uid") for stored in self.backend.objects.values()}
        for stored in list(self.backend.objects.values()):
            refs = stored.meta.get("ownerReferences") or []
            if refs and not any(ref.get("uid") in uids for ref in refs):
                self.backend.system_delete(stored)

    # -- pods ----------------------------------------------------------------------------------------------

    def pod_fails(self, pod):
        spec = pod.body.get("spec") or {}
        return any(self.config.image_fails(container.get("image")) for key in ("initContainers", "containers") for container in spec.get(key) or [])

    def _pods(self):
        delay = self.config.ready_delay
        now = self.now()
        for pod in self.items("", "Pod"):
            status = pod.body.get("status") or {}
            if status.get("phase") in ("Succeeded", "Failed"):
                continue
            started = pod.internal.setdefault("started", now)
            if "podIP" not in pod.internal:
                pod.internal["podIP"] = self.backend.allocate("podIP")
            ready_at = started + delay
            if now < ready_at:
                self.wake(ready_at)
                self.write_status(pod, self._pod_status(pod, "Pending", started, ready_at))
                continue
            restart = (pod.body.get("spec") or {}).get("restartPolicy", "Always")
            fails = self.pod_fails(pod)
            if restart == "Always":
                phase = "Running"
            else:
                phase = "Failed" if fails else "Succeeded"
            self.write_status(pod, self._pod_status(pod, phase, started, ready_at, fails))

    def _pod_status(self, pod, phase, started, ready_at, fails=False):
        spec = pod.body.get("spec") or {}
        start = self.stamp(started)
        done = self.stamp(ready_at)
        ready = phase == "Running" and not fails
        statuses = []
        for container in spec.get("containers") or []:
            entry = {"name": container.get("name"), "image": container.get("image"), "imageID": "", "ready": ready, "restartCount": 0,
                     "started": ready, "containerID": ""}
            if phase == "Pending":
                entry["state"] = {"waiting": {"reason": "ContainerCreating"}}
                entry["lastState"] = {}
            elif phase == "Running" and fails:
                back_off = "back-off 10s restarting failed container=%s pod=%s" % (container.get("name"), pod.meta["name"])
                entry.update(restartCount=1, state={"waiting": {"reason": "CrashLoopBackOff", "message": back_off}},
                             lastState={"terminated": {"exitCode": 1, "reason": "Error", "startedAt": start, "finishedAt": done}})
                entry["started"] = False
            elif phase == "Running":
                container_id = "containerd://" + template_hash(pod.meta["uid"] + container.get("name", ""))
                entry.update(state={"running": {"startedAt": done}}, lastState={}, containerID=container_id)
            else:
                code = 1 if phase == "Failed" else 0
                entry.update(state={"terminated": {"exitCode": code, "reason": "Error" if code else "Completed", "startedAt": start, "finishedAt": done}},
                             lastState={}, started=False)
            statuses.append(entry)
        conditions = [
            {"type": "PodReadyToStartContainers", "status": "False" if phase == "Pending" else "True",
             "lastTransitionTime": start if phase == "Pending" else done},
            {"type": "Initialized", "status": "True", "lastTransitionTime": start},
            {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": done if ready else start},
            {"type": "ContainersReady", "status": "True" if ready else "False", "lastTransitionTime": done if ready else start},
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": start},
        ]
        for condition in conditions:
            if condition["status"] == "False" and condition["type"] in ("Ready", "ContainersReady"):
                condition["reason"] = "ContainersNotReady" if phase != "Succeeded" else "PodCompleted"
                condition["message"] = "containers with unready status: [%s]" % " ".join(entry["name"] for entry in statuses if not entry["ready"])
        status = {"phase": phase, "conditions": conditions, "hostIP": "10.118.0.2", "hostIPs": [{"ip": "10.118.0.2"}], "startTime": start,
                  "containerStatuses": statuses, "qosClass": _qos_class(spec)}
        if phase != "Pending":
            status["podIP"] = pod.internal["podIP"]
            status["podIPs"] = [{"ip": pod.internal["podIP"]}]
        return status

    def pod_from_template(self, owner, api_version, template, name, extra_labels=None):
        metadata = copy.deepcopy(template.get("metadata") or {})
        labels = dict(metadata.get("labels") or {})
        labels.update(extra_labels or {})
        body = {"metadata": {"name": name, "namespace": owner.meta["namespace"], "labels": labels,
                             "ownerReferences": [_owner_ref(owner, api_version)]},
                "spec": copy.deepcopy(template.get("spec") or {})}
        if metadata.get("annotations"):
            body["metadata"]["annotations"] = metadata["annotations"]
        body["spec"]["nodeName"] = NODE_NAME
        return self.create("", "Pod", body)

    def pods_of(self, owner):
        return [pod for pod in self.items("", "Pod", owner.meta.get("namespace")) if _owned_by(pod, owner.meta["uid"])]

    @staticmethod
    def pod_ready(pod):
        return (pod.body.get("status") or {}).get("phase") == "Running" and condition_true(pod.body, "Ready")

    # -- Deployments and ReplicaSets -------------------------------------------------------------------------

    def _deployments(self):  # pylint: disable=too-many-locals
        now = self.now()
        for deploy in self.items("apps", "Deployment"):
            spec = deploy.body.get("spec") or {}
            namespace = deploy.meta["namespace"]
            desired = spec.get("replicas", 1)
            template = spec.get("template") or {}
            pod_hash = template_hash(template)
            owned = [rs for rs in self.items("apps", "ReplicaSet", namespace) if _owned_by(rs, deploy.meta["uid"])]
            new_rs = next((rs for rs in owned if (rs.meta.get("labels") or {}).get("pod-template-hash") == pod_hash), None)
            if new_rs is None and not spec.get("paused"):
                revision = 1 + max([int((rs.meta.get("annotations") or {}).get("deployment.kubernetes.io/revision", "0")) for rs in owned] or [0])
                new_rs = self._create_replicaset(deploy, template, pod_hash, desired, revision)
                deploy.internal["progress_since"] = now
                owned = [rs for rs in self.items("apps", "ReplicaSet", namespace) if _owned_by(rs, deploy.meta["uid"])]
            if new_rs is None:
                continue
            if (new_rs.body["spec"].get("replicas") != desired) and not spec.get("paused"):
                body = copy.deepcopy(new_rs.body)
                body["spec"]["replicas"] = desired
                body["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/desired-replicas"] = str(desired)
                new_rs = self.backend.system_write(new_rs, body)
                deploy.internal["progress_since"] = now
            new_pods = self.pods_of(new_rs)
            new_ready = sum(1 for pod in new_pods if self.pod_ready(pod))
            complete_rollout = new_ready >= desired and len(new_pods) == desired
            for old in owned:
                if old is new_rs or old.body["spec"].get("replicas", 0) == 0 or not complete_rollout:
                    continue
                body = copy.deepcopy(old.body)
                body["spec"]["replicas"] = 0
                self.backend.system_write(old, body)
            self._trim_history(deploy, owned, new_rs)
            self._deployment_status(deploy, new_rs, desired, now)

    def _create_replicaset(self, deploy, template, pod_hash, desired, revision):
        template = copy.deepcopy(template)
        template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = pod_hash
        selector = copy.deepcopy((deploy.body.get("spec") or {}).get("selector") or {})
        selector.setdefault("matchLabels", {})["pod-template-hash"] = pod_hash
        body = {"metadata": {"name": "%s-%s" % (deploy.meta["name"], pod_hash), "namespace": deploy.meta["namespace"],
                             "labels": dict(template["metadata"]["labels"]),
                             "annotations": {"deployment.kubernetes.io/desired-replicas": str(desired),
                                             "deployment.kubernetes.io/max-replicas": str(desired + 1),
                                             "deployment.kubernetes.io/revision": str(revision)},
                             "ownerReferences": [_owner_ref(deploy, "apps/v1")]},
                "spec": {"replicas": desired, "selector": selector, "template": template}}
        return self.create("apps", "ReplicaSet", body)

    def _trim_history(self, deploy, owned, new_rs):
        limit = (deploy.body.get("spec") or {}).get("revisionHistoryLimit", 10)
        idle = [rs for rs in owned if rs is not new_rs and rs.body["spec"].get("replicas", 0) == 0 and not self.pods_of(rs)]
        idle.sort(key=lambda rs: int((rs.meta.get("annotations") or {}).get("deployment.kubernetes.io/revision", "0")))
        for rs in idle[:max(0, len(idle) - limit)]:
            self.backend.system_delete(rs)

    def _deployment_status(self, deploy, new_rs, desired, now):  # pylint: disable=too-many-locals
        spec = deploy.body.get("spec") or {}
        owned = [rs for rs in self.items("apps", "ReplicaSet", deploy.meta["namespace"]) if _owned_by(rs, deploy.meta["uid"])]
        pods = [pod for rs in owned for pod in self.pods_of(rs)]
        updated = len(self.pods_of(new_rs))
        ready = sum(1 for pod in pods if self.pod_ready(pod))
        total = sum(rs.body["spec"].get("replicas", 0) for rs in owned)
        unavailable = max(0, total - ready)
        max_unavailable = _scaled((spec.get("strategy") or {}).get("rollingUpdate", {}).get("maxUnavailable", "25%"), desired)
        stamp = self.stamp(now)
        conditions = (deploy.body.get("status") or {}).get("conditions") or []
        if ready >= desired - max_unavailable:
            conditions = set_condition(conditions, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", stamp)
        else:
            conditions = set_condition(conditions, "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", stamp)
        rs_name = new_rs.meta["name"]
        deadline_seconds = self.config.progress_deadline if self.config.progress_deadline is not None else spec.get("progressDeadlineSeconds", 600)
        since = deploy.internal.setdefault("progress_since", now)
        if updated == desired and len(pods) == desired and ready == desired:
            conditions = set_condition(conditions, "Progressing", "True", "NewReplicaSetAvailable",
                                       'ReplicaSet "%s" has successfully progressed.' % rs_name, stamp)
        elif now >= since + deadline_seconds:
            conditions = set_condition(conditions, "Progressing", "False", "ProgressDeadlineExceeded",
                                       'ReplicaSet "%s" has timed out progressing.' % rs_name, stamp)
        else:
            self.wake(since + deadline_seconds)
            current = next((item for item in conditions if item.get("type") == "Progressing"), None)
            if current is None:
                conditions = set_condition(conditions, "Progressing", "True", "NewReplicaSetCreated", 'Created new replica set "%s"' % rs_name, stamp)
            elif current.get("reason") not in ("NewReplicaSetCreated", "ReplicaSetUpdated") or rs_name not in current.get("message", ""):
                conditions = set_condition(conditions, "Progressing", "True", "ReplicaSetUpdated", 'ReplicaSet "%s" is progressing.' % rs_name, stamp)
        conditions.sort(key=lambda item: 0 if item["type"] == "Available" else 1)
        status = {"observedGeneration": deploy.meta.get("generation", 1)}
        for key, value in (("replicas", len(pods)), ("updatedReplicas", updated), ("readyReplicas", ready), ("availableReplicas", ready),
                           ("unavailableReplicas", unavailable)):
            if value:
                status[key] = value
        status["conditions"] = conditions
        self.write_status(deploy, status)

    def _replicasets(self):
        for rs in self.items("apps", "ReplicaSet"):
            desired = rs.body["spec"].get("replicas", 1)
            pods = self.pods_of(rs)
            template = rs.body["spec"].get("template") or {}
            for _index in range(desired - len(pods)):
                pod = self.pod_from_template(rs, "apps/v1", template, "%s-%s" % (rs.meta["name"], self.backend.random_suffix()))
                if pod is not None:
                    pods.append(pod)
            if len(pods) > desired:
                for pod in sorted(pods, key=lambda item: item.meta["creationTimestamp"], reverse=True)[:len(pods) - desired]:
                    self.backend.system_delete(pod)
                pods = self.pods_of(rs)
            ready = sum(1 for pod in pods if self.pod_ready(pod))
            status = {"replicas": len(pods), "observedGeneration": rs.meta.get("generation", 1)}
            if pods:
                status["fullyLabeledReplicas"] = len(pods)
            if ready:
                status.update(readyReplicas=ready, availableReplicas=ready)
            self.write_status(rs, status)

    # -- Jobs ------------------------------------------------------------------------------------------------

    def _jobs(self):  # pylint: disable=too-many-locals,too-many-branches
        now = self.now()
        for job in self.items("batch", "Job"):
            spec = job.body.get("spec") or {}
            status = copy.deepcopy(job.body.get("status") or {})
            if condition_true(job.body, "Complete") or condition_true(job.body, "Failed"):
                self._job_ttl(job, now)
                continue
            if spec.get("suspend"):
                continue
            status.setdefault("startTime", self.stamp(now))
            pods = self.pods_of(job)
            phases = [(pod.body.get("status") or {}).get("phase") for pod in pods]
            succeeded = phases.count("Succeeded")
            failed = phases.count("Failed")
            active = [pod for pod, phase in zip(pods, phases) if phase not in ("Succeeded", "Failed")]
            completions = spec.get("completions", 1)
            stamp = self.stamp(now)
            conditions = status.get("conditions") or []
            started_at = job.internal.setdefault("started", now)
            deadline = spec.get("activeDeadlineSeconds")
            if succeeded >= completions:
                for pod in active:
                    self.backend.system_delete(pod)
                active = []
                conditions = set_condition(conditions, "SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods", stamp)
                conditions = set_condition(conditions, "Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods", stamp)
                status["completionTime"] = stamp
                job.internal["finished"] = now
            elif failed > spec.get("backoffLimit", 6):
                conditions = set_condition(conditions, "FailureTarget", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit", stamp)
                conditions = set_condition(conditions, "Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit", stamp)
                job.internal["finished"] = now
            elif deadline is not None and now >= started_at + deadline:
                for pod in active:
                    self.backend.system_delete(pod)
                active = []
                conditions = set_condition(conditions, "FailureTarget", "True", "DeadlineExceeded", "Job was active longer than specified deadline", stamp)
                conditions = set_condition(conditions, "Failed", "True", "DeadlineExceeded", "Job was active longer than specified deadline", stamp)
                job.internal["finished"] = now
            else:
                if deadline is not None:
                    self.wake(started_at + deadline)
                wanted = min(spec.get("parallelism", 1), completions - succeeded) - len(active)
                template = spec.get("template") or {}
                for _index in range(max(0, wanted)):
                    pod = self.pod_from_template(job, "batch/v1", template, "%s-%s" % (job.meta["name"], self.backend.random_suffix()))
                    if pod is not None:
                        active.append(pod)
            if conditions:
                status["conditions"] = conditions
            for key, value in (("active", len(active)), ("succeeded", succeeded), ("failed", failed)):
                if value:
                    status[key] = value
                else:
                    status.pop(key, None)
            status["ready"] = sum(1 for pod in active if self.pod_ready(pod))
            status["terminating"] = 0
            status["uncountedTerminatedPods"] = {}
            self.write_status(job, status)

    def _job_ttl(self, job, now):
        ttl = (job.body.get("spec") or {}).get("ttlSecondsAfterFinished")
        if ttl is None:
            return
        finished = job.internal.setdefault("finished", now)
        if now >= finished + ttl:
            self.backend.system_delete(job)
        else:
            self.wake(finished + ttl)

    # -- Services ----------------------------------------------------------------------------------------------

    def _services(self):
        now = self.now()
        for service in self.items("", "Service"):
            spec = service.body.get("spec") or {}
            if spec.get("type") != "LoadBalancer":
                if (service.body.get("status") or {}).get("loadBalancer"):
                    self.write_status(service, {"loadBalancer": {}})
                service.internal.pop("lb_since", None)
                continue
            since = service.internal.setdefault("lb_since", now)
            if now < since + self.config.ready_delay:
                self.wake(since + self.config.ready_delay)
                continue
            address = service.internal.setdefault("lb_ip", self.backend.allocate("loadBalancer"))
            self.write_status(service, {"loadBalancer": {"ingress": [{"ip": address, "ipMode": "VIP"}]}})

    # -- Gateway API -------------------------------------------------------------------------------------------

    def _gateway_classes(self):
        for gateway_class in self.items(GATEWAY_GROUP, "GatewayClass"):
            if (gateway_class.body.get("spec") or {}).get("controllerName") != CILIUM_CONTROLLER:
                continue
            status = copy.deepcopy(gateway_class.body.get("status") or {})
            stamp = gateway_class.meta["creationTimestamp"]
            extra = {"observedGeneration": gateway_class.meta.get("generation", 1)}
            conditions = set_condition(status.get("conditions"), "Accepted", "True", "Accepted", "Valid GatewayClass", stamp, extra)
            conditions = set_condition(conditions, "SupportedVersion", "True", "SupportedVersion", "Gateway API CRD bundle version v1.3.0 is supported",
                                       stamp, extra)
            status["conditions"] = conditions
            self.write_status(gateway_class, status)

    def _ours(self, gateway):
        class_name = (gateway.body.get("spec") or {}).get("gatewayClassName")
        gateway_class = self.backend.find(GATEWAY_GROUP, "GatewayClass", "", class_name)
        return gateway_class is not None and (gateway_class.body.get("spec") or {}).get("controllerName") == CILIUM_CONTROLLER

    def _gateways(self):  # pylint: disable=too-many-locals
        for gateway in self.items(GATEWAY_GROUP, "Gateway"):
            if not self._ours(gateway):
                continue
            spec = gateway.body.get("spec") or {}
            namespace = gateway.meta["namespace"]
            service_name = "cilium-gateway-%s" % gateway.meta["name"]
            ports = sorted({listener.get("port") for listener in spec.get("listeners") or [] if listener.get("port")})
            service_ports = [{"name": "port-%d" % port, "port": port, "protocol": "TCP"} for port in ports]
            service = self.backend.find("", "Service", namespace, service_name)
            if service is None:
                service = self.create("", "Service", {
                    "metadata": {"name": service_name, "namespace": namespace,
                                 "labels": {"gateway.networking.k8s.io/gateway-name": gateway.meta["name"],
                                            "io.cilium.gateway/owning-gateway": gateway.meta["name"]},
                                 "ownerReferences": [_owner_ref(gateway, "gateway.networking.k8s.io/v1", block=False)]},
                    "spec": {"type": "LoadBalancer", "ports": service_ports}})
            elif service.body["spec"].get("ports") and [port["port"] for port in service.body["spec"]["ports"]] != ports:
                body = copy.deepcopy(service.body)
                body["spec"]["ports"] = [dict(port, nodePort=self.backend.allocate("nodePort")) for port in service_ports]
                service = self.backend.system_write(service, body)
            address = ((((service.body.get("status") or {}).get("loadBalancer") or {}).get("ingress") or [{}])[0]).get("ip") if service else None
            generation = gateway.meta.get("generation", 1)
            extra = {"observedGeneration": generation}
            stamp = self.stamp()
            status = copy.deepcopy(gateway.body.get("status") or {})
            conditions = set_condition(status.get("conditions"), "Accepted", "True", "Accepted", "Gateway successfully scheduled", stamp, extra)
            if address:
                conditions = set_condition(conditions, "Programmed", "True", "Programmed", "Gateway successfully reconciled", stamp, extra)
                status["addresses"] = [{"type": "IPAddress", "value": address}]
            else:
                conditions = set_condition(conditions, "Programmed", "False", "AddressNotAssigned", "No addresses have been assigned to the Gateway",
                                           stamp, extra)
            status["conditions"] = conditions
            listeners = []
            previous = {item.get("name"): item for item in status.get("listeners") or []}
            for listener in spec.get("listeners") or []:
                listeners.append(self._listener_status(gateway, listener, previous.get(listener.get("name")), stamp, extra))
            status["listeners"] = listeners
            self.write_status(gateway, status)

    def _listener_status(self, gateway, listener, previous, stamp, extra):
        namespace = gateway.meta["namespace"]
        conditions = (previous or {}).get("conditions")
        missing = []
        for ref in ((listener.get("tls") or {}).get("certificateRefs") or []):
            if ref.get("kind", "Secret") == "Secret" and self.backend.find("", "Secret", ref.get("namespace", namespace), ref.get("name")) is None:
                missing.append(ref.get("name"))
        conditions = set_condition(conditions, "Accepted", "True", "Accepted", "Listener Accepted", stamp, extra)
        if missing:
            conditions = set_condition(conditions, "ResolvedRefs", "False", "InvalidCertificateRef", 'Secret "%s" not found' % missing[0], stamp, extra)
            conditions = set_condition(conditions, "Programmed", "False", "Invalid", "Listener has unresolved certificate references", stamp, extra)
        else:
            conditions = set_condition(conditions, "ResolvedRefs", "True", "ResolvedRefs", "Resolved Refs", stamp, extra)
            conditions = set_condition(conditions, "Programmed", "True", "Programmed", "Listener Programmed", stamp, extra)
        attached = 0
        for route in self.items(GATEWAY_GROUP, "HTTPRoute"):
            for parent in route.body["spec"].get("parentRefs") or []:
                if self._route_targets(route, parent, gateway, listener) and self._listener_allows(gateway, listener, route):
                    attached += 1
                    break
        return {"name": listener.get("name"), "supportedKinds": [{"group": GATEWAY_GROUP, "kind": "HTTPRoute"}, {"group": GATEWAY_GROUP, "kind": "GRPCRoute"}],
                "attachedRoutes": attached, "conditions": conditions}

    @staticmethod
    def _route_targets(route, parent, gateway, listener=None):
        if parent.get("kind", "Gateway") != "Gateway" or parent.get("group", GATEWAY_GROUP) != GATEWAY_GROUP:
            return False
        if parent.get("name") != gateway.meta["name"] or parent.get("namespace", route.meta["namespace"]) != gateway.meta["namespace"]:
            return False
        if listener is not None:
            if parent.get("sectionName") and parent["sectionName"] != listener.get("name"):
                return False
            if parent.get("port") and parent["port"] != listener.get("port"):
                return False
        return True

    def _listener_allows(self, gateway, listener, route):
        from .selectors import selector_from_label_selector  # pylint: disable=import-outside-toplevel
        namespaces = ((listener.get("allowedRoutes") or {}).get("namespaces") or {})
        origin = namespaces.get("from", "Same")
        if origin == "All":
            return True
        if origin == "Same":
            return route.meta["namespace"] == gateway.meta["namespace"]
        ns = self.backend.find("", "Namespace", "", route.meta["namespace"])
        return ns is not None and selector_from_label_selector(namespaces.get("selector"))(ns.meta.get("labels"))

    def _httproutes(self):
        for route in self.items(GATEWAY_GROUP, "HTTPRoute"):
            spec = route.body.get("spec") or {}
            stamp = self.stamp()
            extra = {"observedGeneration": route.meta.get("generation", 1)}
            refs_reason, refs_message = self._backend_refs(route)
            parents = []
            previous = (route.body.get("status") or {}).get("parents") or []
            for parent in spec.get("parentRefs") or []:
                ref = {"group": parent.get("group", GATEWAY_GROUP), "kind": parent.get("kind", "Gateway"), "name": parent.get("name")}
                for key in ("namespace", "sectionName", "port"):
                    if key in parent:
                        ref[key] = parent[key]
                gateway = self.backend.find(GATEWAY_GROUP, "Gateway", parent.get("namespace", route.meta["namespace"]), parent.get("name"))
                if gateway is not None and not self._ours(gateway):
                    continue
                old = next((item for item in previous if item.get("parentRef") == ref), {})
                conditions = old.get("conditions")
                if gateway is None:
                    conditions = set_condition(conditions, "Accepted", "False", "NoMatchingParent", "Gateway.gateway.networking.k8s.io \"%s\" not found"
                                               % parent.get("name"), stamp, extra)
                else:
                    listeners = [item for item in (gateway.body.get("spec") or {}).get("listeners") or [] if self._route_targets(route, parent, gateway, item)]
                    if not listeners:
                        conditions = set_condition(conditions, "Accepted", "False", "NoMatchingParent", "No matching listener", stamp, extra)
                    elif not any(self._listener_allows(gateway, item, route) for item in listeners):
                        conditions = set_condition(conditions, "Accepted", "False", "NotAllowedByListeners", "HTTPRoute is not allowed by the listeners",
                                                   stamp, extra)
                    else:
                        conditions = set_condition(conditions, "Accepted", "True", "Accepted", "Accepted HTTPRoute", stamp, extra)
                if refs_reason == "ResolvedRefs":
                    conditions = set_condition(conditions, "ResolvedRefs", "True", "ResolvedRefs", "Service reference is valid", stamp, extra)
                else:
                    conditions = set_condition(conditions, "ResolvedRefs", "False", refs_reason, refs_message, stamp, extra)
                parents.append({"parentRef": ref, "controllerName": CILIUM_CONTROLLER, "conditions": conditions})
            self.write_status(route, {"parents": parents})

    def _backend_refs(self, route):
        namespace = route.meta["namespace"]
        for rule in (route.body.get("spec") or {}).get("rules") or []:
            for ref in rule.get("backendRefs") or []:
                if ref.get("kind", "Service") != "Service" or ref.get("group", "") != "":
                    return "InvalidKind", "Unsupported backend kind %s" % ref.get("kind")
                target_ns = ref.get("namespace", namespace)
                if target_ns != namespace and not self._granted(namespace, target_ns, ref.get("name")):
                    return "RefNotPermitted", "Cross namespace references are not allowed"
                if self.backend.find("", "Service", target_ns, ref.get("name")) is None:
                    return "BackendNotFound", 'Service "%s" not found' % ref.get("name")
        return "ResolvedRefs", ""

    def _granted(self, from_namespace, to_namespace, name):
        for grant in self.items(GATEWAY_GROUP, "ReferenceGrant", to_namespace):
            spec = grant.body.get("spec") or {}
            sources = any(item.get("group") == GATEWAY_GROUP and item.get("kind") == "HTTPRoute" and item.get("namespace") == from_namespace
                          for item in spec.get("from") or [])
            targets = any(item.get("group", "") == "" and item.get("kind") == "Service" and item.get("name") in (None, name) for item in spec.get("to") or [])
            if sources and targets:
                return True
        return False

    # -- cert-manager ------------------------------------------------------------------------------------------

    def _issuers(self):
        for kind in ("Issuer", "ClusterIssuer"):
            for issuer in self.items(CERT_GROUP, kind):
                spec = issuer.body.get("spec") or {}
                namespace = issuer.meta.get("namespace") or "cert-manager"
                stamp = self.stamp()
                extra = {"observedGeneration": issuer.meta.get("generation", 1)}
                status = copy.deepcopy(issuer.body.get("status") or {})
                if "acme" in spec:
                    acme = spec["acme"]
                    key_ref = (acme.get("privateKeySecretRef") or {}).get("name")
                    if key_ref and self.backend.find("", "Namespace", "", namespace) and self.backend.find("", "Secret", namespace, key_ref) is None:
                        self.create("", "Secret", {"metadata": {"name": key_ref, "namespace": namespace},
                                                   "data": {"tls.key": base64.b64encode(account_key_pem()).decode()}})
                    status["acme"] = {"uri": "https://acme-v02.api.letsencrypt.org/acme/acct/%d" % (int(issuer.meta["uid"][:6], 16) % 10 ** 7),
                                      "lastRegisteredEmail": acme.get("email", ""), "lastPrivateKeyHash": template_hash(issuer.meta["uid"])}
                    ready = ("True", "ACMEAccountRegistered", "The ACME account was registered with the ACME server")
                elif "ca" in spec:
                    secret = (spec["ca"] or {}).get("secretName")
                    if self.backend.find("", "Secret", namespace, secret) is None:
                        ready = ("False", "ErrGetKeyPair", 'Error getting keypair for CA issuer: secrets "%s" not found' % secret)
                    else:
                        ready = ("True", "KeyPairVerified", "Signing CA verified")
                else:
                    ready = ("True", "IsReady", "")
                status["conditions"] = set_condition(status.get("conditions"), "Ready", ready[0], ready[1], ready[2], stamp, extra)
                self.write_status(issuer, status)

    def _gateway_shim(self):
        for gateway in self.items(GATEWAY_GROUP, "Gateway"):
            annotations = gateway.meta.get("annotations") or {}
            if "cert-manager.io/cluster-issuer" in annotations:
                issuer = {"name": annotations["cert-manager.io/cluster-issuer"], "kind": "ClusterIssuer", "group": CERT_GROUP}
            elif "cert-manager.io/issuer" in annotations:
                issuer = {"name": annotations["cert-manager.io/issuer"], "kind": annotations.get("cert-manager.io/issuer-kind", "Issuer"),
                          "group": annotations.get("cert-manager.io/issuer-group", CERT_GROUP)}
            else:
                continue
            wanted = {}
            for listener in (gateway.body.get("spec") or {}).get("listeners") or []:
                tls = listener.get("tls") or {}
                if tls.get("mode", "Terminate") != "Terminate" or not listener.get("hostname"):
                    continue
                for ref in tls.get("certificateRefs") or []:
                    if ref.get("kind", "Secret") == "Secret" and ref.get("namespace", gateway.meta["namespace"]) == gateway.meta["namespace"]:
                        names = wanted.setdefault(ref["name"], [])
                        if listener["hostname"] not in names:
                            names.append(listener["hostname"])
            for secret_name, hosts in wanted.items():
                spec = {"dnsNames": hosts, "issuerRef": issuer, "secretName": secret_name, "usages": ["digital signature", "key encipherment"]}
                existing = self.backend.find(CERT_GROUP, "Certificate", gateway.meta["namespace"], secret_name)
                if existing is None:
                    self.create(CERT_GROUP, "Certificate", {
                        "metadata": {"name": secret_name, "namespace": gateway.meta["namespace"],
                                     "ownerReferences": [_owner_ref(gateway, "gateway.networking.k8s.io/v1")]},
                        "spec": spec})
                elif _owned_by(existing, gateway.meta["uid"]) and any(existing.body["spec"].get(key) != value for key, value in spec.items()):
                    body = copy.deepcopy(existing.body)
                    body["spec"].update(spec)
                    self.backend.system_write(existing, body)

    def _certificates(self):  # pylint: disable=too-many-locals
        now = self.now()
        for cert in self.items(CERT_GROUP, "Certificate"):
            spec = cert.body.get("spec") or {}
            namespace = cert.meta["namespace"]
            ref = spec.get("issuerRef") or {}
            issuer_kind = ref.get("kind", "Issuer")
            issuer = self.backend.find(CERT_GROUP, issuer_kind, namespace if issuer_kind == "Issuer" else "", ref.get("name"))
            wanted = template_hash({key: spec.get(key) for key in ISSUANCE_FIELDS})
            secret = self.backend.find("", "Secret", namespace, spec.get("secretName"))
            status = copy.deepcopy(cert.body.get("status") or {})
            stamp = self.stamp(now)
            extra = {"observedGeneration": cert.meta.get("generation", 1)}
            issued = cert.internal.get("issued") == wanted and secret is not None and (secret.body.get("data") or {}).get("tls.crt")
            if issued:
                continue
            since = cert.internal.get("issuing_since")
            if cert.internal.get("issuing_for") != wanted or since is None:
                since = cert.internal["issuing_since"] = now
                cert.internal["issuing_for"] = wanted
            reason = "DoesNotExist" if secret is None else "Reissuing"
            message = ("Issuing certificate as Secret does not exist" if secret is None
                       else "Issuing certificate as Secret was previously issued by a different spec")
            status["conditions"] = set_condition(status.get("conditions"), "Ready", "False", reason, message, stamp, extra)
            status["conditions"] = set_condition(status["conditions"], "Issuing", "True", reason, message, stamp, extra)
            issuer_ready = issuer is not None and condition_true(issuer.body, "Ready")
            if not issuer_ready or now < since + self.config.ready_delay:
                if issuer_ready:
                    self.wake(since + self.config.ready_delay)
                self.write_status(cert, status)
                continue
            self._issue(cert, issuer, spec, status, now, wanted)

    def _issue(self, cert, issuer, spec, status, now, wanted):  # pylint: disable=too-many-arguments,too-many-locals
        namespace = cert.meta["namespace"]
        duration = _duration(spec.get("duration")) or DEFAULT_CERT_DURATION
        self_signed = "selfSigned" in (issuer.body.get("spec") or {})
        cert_pem, key_pem = self.signer.issue(spec, self_signed, now, duration)
        revision = status.get("revision", 0) + 1
        ref = spec.get("issuerRef") or {}
        data = {"tls.crt": base64.b64encode(cert_pem).decode(), "tls.key": base64.b64encode(key_pem).decode()}
        if "acme" not in (issuer.body.get("spec") or {}):
            data["ca.crt"] = base64.b64encode(cert_pem if self_signed else self.signer.ca_pem).decode()
        annotations = {"cert-manager.io/alt-names": ",".join(spec.get("dnsNames") or []), "cert-manager.io/certificate-name": cert.meta["name"],
                       "cert-manager.io/common-name": spec.get("commonName") or ((spec.get("dnsNames") or [""])[0]), "cert-manager.io/ip-sans": "",
                       "cert-manager.io/issuer-group": ref.get("group", CERT_GROUP), "cert-manager.io/issuer-kind": ref.get("kind", "Issuer"),
                       "cert-manager.io/issuer-name": ref.get("name", ""), "cert-manager.io/uri-sans": ""}
        secret = self.backend.find("", "Secret", namespace, spec["secretName"])
        if secret is None:
            body = {"metadata": {"name": spec["secretName"], "namespace": namespace, "annotations": annotations,
                                 "labels": {"controller.cert-manager.io/fao": "true"}}, "type": "kubernetes.io/tls", "data": data}
            body["metadata"]["labels"].update(((spec.get("secretTemplate") or {}).get("labels")) or {})
            body["metadata"]["annotations"].update(((spec.get("secretTemplate") or {}).get("annotations")) or {})
            self.create("", "Secret", body)
        else:
            body = copy.deepcopy(secret.body)
            body.setdefault("data", {}).update(data)
            body["metadata"].setdefault("annotations", {}).update(annotations)
            body["metadata"].setdefault("labels", {})["controller.cert-manager.io/fao"] = "true"
            self.backend.system_write(secret, body)
        request_name = "%s-%d" % (cert.meta["name"], revision)
        stamp = self.stamp(now)
        if self.backend.find(CERT_GROUP, "CertificateRequest", namespace, request_name) is None:
            request = self.create(CERT_GROUP, "CertificateRequest", {
                "metadata": {"name": request_name, "namespace": namespace,
                             "annotations": {"cert-manager.io/certificate-name": cert.meta["name"], "cert-manager.io/certificate-revision": str(revision)},
                             "ownerReferences": [_owner_ref(cert, "cert-manager.io/v1")]},
                "spec": {"issuerRef": ref, "request": base64.b64encode(b"emulated CSR").decode(),
                         "usages": spec.get("usages") or ["digital signature", "key encipherment"],
                         "duration": spec.get("duration", "2160h0m0s")}})
            if request is not None:
                self.write_status(request, {"certificate": data["tls.crt"], "conditions": [
                    {"type": "Approved", "status": "True", "reason": "cert-manager.io", "message": "Certificate request has been approved by cert-manager.io",
                     "lastTransitionTime": stamp},
                    {"type": "Ready", "status": "True", "reason": "Issued", "message": "Certificate fetched from issuer successfully",
                     "lastTransitionTime": stamp}]})
        extra = {"observedGeneration": cert.meta.get("generation", 1)}
        conditions = [item for item in status.get("conditions") or [] if item.get("type") != "Issuing"]
        status["conditions"] = set_condition(conditions, "Ready", "True", "Ready", "Certificate is up to date and has not expired", stamp, extra)
        status.update(notBefore=self.stamp(now), notAfter=self.stamp(now + duration), renewalTime=self.stamp(now + duration * 2 / 3), revision=revision)
        cert.internal["issued"] = wanted
        self.write_status(cert, status)


def _qos_class(spec):
    requests, limits = [], []
    for container in spec.get("containers") or []:
        resources = container.get("resources") or {}
        requests.append(resources.get("requests") or {})
        limits.append(resources.get("limits") or {})
    if not any(requests) and not any(limits):
        return "BestEffort"
    if all(limit.get(key) and (request.get(key) in (None, limit.get(key))) for request, limit in zip(requests, limits) for key in ("cpu", "memory")):
        return "Guaranteed"
    return "Burstable"


def _scaled(value, total):
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%"):
        return int(total * int(value[:-1]) // 100)
    return 0


def _duration(text):
    """Seconds of a Go duration (``2160h``, ``1h30m``), or None."""
    if not isinstance(text, str):
        return None
    total = 0.0
    for number, unit in re.findall(r"([0-9.]+)(h|ms|m|s)", text):
        total += float(number) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
    return total or None
