# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Defaulting of built-in kinds, as the API server does it before validation and storage.

Only the defaults a reader of our manifests would notice are modelled (pod templates, Deployments,
Jobs, CronJobs, Services, Secrets, Namespaces, NetworkPolicies), plus quantity canonicalisation
(``0.5`` -> ``500m``, ``1024Mi`` -> ``1Gi``) as the server stores quantities.
"""

import base64
import decimal
import re

_QUANTITY_RE = re.compile(r"^([+-]?[0-9.]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$")
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {exponent: suffix for suffix, exponent in _DECIMAL.items()}


def parse_quantity(value):
    """(Decimal amount, format) of a quantity, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return decimal.Decimal(str(value)), "DecimalSI"
    match = _QUANTITY_RE.match(str(value).strip())
    if not match:
        return None
    try:
        number = decimal.Decimal(match.group(1))
    except decimal.InvalidOperation:
        return None
    suffix = match.group(2) or ""
    if suffix in _BINARY:
        return number * (2 ** _BINARY[suffix]), "BinarySI"
    if suffix[:1] in ("e", "E"):
        return number.scaleb(int(suffix[1:])), "DecimalExponent"
    return number.scaleb(_DECIMAL[suffix]), "DecimalSI"


def canonical_quantity(value):
    parsed = parse_quantity(value)
    if parsed is None:
        return value
    amount, fmt = parsed
    if amount == 0:
        return "0"
    if fmt == "BinarySI" and amount == amount.to_integral_value() and abs(amount) >= 1024:
        integer = int(amount)
        for suffix, shift in sorted(_BINARY.items(), key=lambda item: -item[1]):
            if integer % (2 ** shift) == 0:
                return "%d%s" % (integer >> shift if integer > 0 else -((-integer) >> shift), suffix)
    # round up to the smallest unit the server keeps (nano)
    amount = amount.quantize(decimal.Decimal("1e-9"), rounding=decimal.ROUND_CEILING)
    for exponent in (18, 15, 12, 9, 6, 3, 0, -3, -6, -9):
        scaled = amount.scaleb(-exponent)
        if scaled == scaled.to_integral_value():
            if fmt == "DecimalExponent":
                return "%de%d" % (int(scaled), exponent) if exponent else str(int(scaled))
            return "%d%s" % (int(scaled), _DECIMAL_SUFFIX[exponent])
    return str(amount)


def _canonical_map(mapping):
    if isinstance(mapping, dict):
        for key, value in list(mapping.items()):
            mapping[key] = canonical_quantity(value)


def _image_pull_policy(image):
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    tag = name.split(":", 1)[1] if ":" in name else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _probe(probe):
    if not isinstance(probe, dict):
        return
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    if isinstance(probe.get("httpGet"), dict):
        probe["httpGet"].setdefault("scheme", "HTTP")
        probe["httpGet"].setdefault("path", "/")


def _container(container):
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    if isinstance(container.get("image"), str) and container["image"]:
        container.setdefault("imagePullPolicy", _image_pull_policy(container["image"]))
    container.setdefault("resources", {})
    for key in ("limits", "requests"):
        _canonical_map(container["resources"].get(key))
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(container.get(name))
    for env in container.get("env") or []:
        field_ref = ((env or {}).get("valueFrom") or {}).get("fieldRef")
        if isinstance(field_ref, dict):
            field_ref.setdefault("apiVersion", "v1")


def pod_spec(spec, restart_policy="Always"):
    if not isinstance(spec, dict):
        return
    if restart_policy:
        spec.setdefault("restartPolicy", restart_policy)
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                _container(container)
    for volume in spec.get("volumes") or []:
        if not isinstance(volume, dict):
            continue
        for source in ("configMap", "secret", "projected", "downwardAPI"):
            if isinstance(volume.get(source), dict):
                volume[source].setdefault("defaultMode", 420)


def _template(template, restart_policy="Always"):
    if isinstance(template, dict):
        template.setdefault("metadata", {})
        pod_spec(template.get("spec"), restart_policy)


def _job_spec(spec):
    if not isinstance(spec, dict):
        return
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    _template(spec.get("template"), restart_policy=None)


def apply_defaults(kind, obj, allocate):
    """Default ``obj`` (a built-in kind) in place; ``allocate(kind)`` hands out cluster IPs and node ports."""
    spec = obj.get("spec")
    if kind == "Pod":
        pod_spec(spec)
        if isinstance(spec, dict):
            spec.setdefault("enableServiceLinks", True)
            spec.setdefault("serviceAccountName", "default")
            spec.setdefault("serviceAccount", spec["serviceAccountName"])
            spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
            spec.setdefault("priority", 0)
    elif kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet") and isinstance(spec, dict):
        if kind != "DaemonSet":
            spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        if kind == "Deployment":
            spec.setdefault("progressDeadlineSeconds", 600)
            strategy = spec.setdefault("strategy", {})
            strategy.setdefault("type", "RollingUpdate")
            if strategy["type"] == "RollingUpdate":
                rolling = strategy.setdefault("rollingUpdate", {})
                rolling.setdefault("maxSurge", "25%")
                rolling.setdefault("maxUnavailable", "25%")
        _template(spec.get("template"))
    elif kind == "Job":
        _job_spec(spec)
    elif kind == "CronJob" and isinstance(spec, dict):
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
        job_spec = (spec.get("jobTemplate") or {}).get("spec")
        _job_spec(job_spec)
    elif kind == "Service" and isinstance(spec, dict):
        _service(spec, allocate)
    elif kind == "Secret":
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None)
        if isinstance(string_data, dict):
            data = obj.setdefault("data", {})
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode("utf-8")).decode("ascii")
    elif kind == "Namespace":
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"].get("name", "")
    elif kind == "NetworkPolicy" and isinstance(spec, dict):
        if "policyTypes" not in spec:
            spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
        for rule in (spec.get("ingress") or []) + (spec.get("egress") or []):
            for port in (rule or {}).get("ports") or []:
                if isinstance(port, dict):
                    port.setdefault("protocol", "TCP")
    elif kind == "HorizontalPodAutoscaler" and isinstance(spec, dict):
        spec.setdefault("minReplicas", 1)
    elif kind == "PersistentVolumeClaim" and isinstance(spec, dict):
        spec.setdefault("volumeMode", "Filesystem")
        _canonical_map((spec.get("resources") or {}).get("requests"))


def _service(spec, allocate):
    spec.setdefault("type", "ClusterIP")
    if spec["type"] == "ExternalName":
        return
    spec.setdefault("sessionAffinity", "None")
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if "port" in port:
                port.setdefault("targetPort", port["port"])
            if spec["type"] in ("NodePort", "LoadBalancer") and "nodePort" not in port:
                port["nodePort"] = allocate("nodePort")
    if "clusterIP" not in spec:
        spec["clusterIP"] = allocate("clusterIP")
    spec.setdefault("clusterIPs", [spec["clusterIP"]])
    if spec["clusterIP"] != "None":
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
