# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API server's semantic validation (beyond the schema) for the rules our manifests can break.

Each check returns :class:`~.errors.FieldError` entries with the server's field paths and wording:
object names, labels, pod templates (containers, images, ports, volumes, restart policies,
resources), Deployments, Jobs, CronJobs, Services, ConfigMaps/Secrets, PodDisruptionBudgets and
the immutable fields of updates. Not every rule of the server is here: see the README.
"""

import base64
import binascii
import json
import re

from .defaults import parse_quantity
from .errors import FieldError
from .selectors import selector_from_label_selector

DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN = DNS1123_LABEL + r"(\." + DNS1123_LABEL + r")*"
DNS1035_LABEL = r"[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
_CONFIG_KEY = r"[-._a-zA-Z0-9]+"

SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end "
                 "with an alphanumeric character (e.g. 'example.com', regex used for validation is '%s')" % DNS1123_SUBDOMAIN)
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an "
             "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '%s')" % DNS1123_LABEL)
DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end "
               "with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '%s')" % DNS1035_LABEL)

# name rule per kind: (regex, message, max length)
_NAME_RULES = {
    "Namespace": (DNS1123_LABEL, LABEL_MSG, 63),
    "Service": (DNS1035_LABEL, DNS1035_MSG, 63),
}


def _full(pattern, value):
    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


def check_name(kind, name, field="metadata.name"):
    pattern, message, limit = _NAME_RULES.get(kind, (DNS1123_SUBDOMAIN, SUBDOMAIN_MSG, 253))
    errors = []
    if len(name) > limit:
        errors.append(FieldError("invalid", field, name, "must be no more than %d characters" % limit))
    if not _full(pattern, name):
        errors.append(FieldError("invalid", field, name, message))
    if kind == "CronJob" and len(name) > 52:
        errors.append(FieldError("invalid", field, name, "must be no more than 52 characters"))
    if kind == "Job" and len(name) > 63:
        errors.append(FieldError("invalid", "metadata.labels", name, "must be no more than 63 characters"))
    return errors


def check_labels(labels, field):
    errors = []
    for key, value in (labels or {}).items():
        prefix, _sep, name = key.rpartition("/")
        if (prefix and not _full(DNS1123_SUBDOMAIN, prefix)) or not _full(_QUALIFIED_NAME, name) or len(name) > 63:
            errors.append(FieldError("invalid", field, key, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
                                     "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                                     "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"))
        if not _full(_LABEL_VALUE, value) or len(value) > 63:
            errors.append(FieldError("invalid", field, value, "a valid label must be an empty string or consist of alphanumeric characters, '-', "
                                     "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                                     "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"))
    return errors


def check_metadata(kind, metadata):
    errors = []
    name = metadata.get("name")
    if name:
        errors.extend(check_name(kind, name))
    errors.extend(check_labels(metadata.get("labels"), "metadata.labels"))
    annotations = metadata.get("annotations") or {}
    if sum(len(key) + len(value) for key, value in annotations.items()) > 256 * 1024:
        errors.append(FieldError("toolong", "metadata.annotations", "", limit=256 * 1024))
    for index, ref in enumerate(metadata.get("ownerReferences") or []):
        for key in ("apiVersion", "kind", "name", "uid"):
            if not ref.get(key):
                errors.append(FieldError("required" if key != "uid" else "invalid", "metadata.ownerReferences[%d].%s" % (index, key),
                                         ref.get(key, ""), "uid must not be empty" if key == "uid" else ""))
    return errors


# -- pod templates -----------------------------------------------------------------------------------------


def check_pod_spec(spec, path, allowed_restart=("Always", "OnFailure", "Never"), restart_required=False):  # pylint: disable=too-many-branches
    errors = []
    volumes = set()
    for index, volume in enumerate(spec.get("volumes") or []):
        name = volume.get("name", "")
        where = "%s.volumes[%d].name" % (path, index)
        if not name:
            errors.append(FieldError("required", where))
        elif not _full(DNS1123_LABEL, name):
            errors.append(FieldError("invalid", where, name, LABEL_MSG))
        elif name in volumes:
            errors.append(FieldError("duplicate", where, name))
        volumes.add(name)
    containers = spec.get("containers")
    if not containers:
        errors.append(FieldError("required", "%s.containers" % path))
    names = set()
    for group in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(group) or []):
            where = "%s.%s[%d]" % (path, group, index)
            errors.extend(_check_container(container, where, names, volumes))
    restart = spec.get("restartPolicy")
    if restart is None and restart_required:
        errors.append(FieldError("required", "%s.restartPolicy" % path, detail="valid values: %s" % ", ".join(json.dumps(item) for item in allowed_restart)))
    elif restart is not None and restart not in allowed_restart:
        errors.append(FieldError("notsupported", "%s.restartPolicy" % path, restart, supported=list(allowed_restart)))
    if spec.get("dnsPolicy") not in (None, "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"):
        errors.append(FieldError("notsupported", "%s.dnsPolicy" % path, spec["dnsPolicy"],
                                 supported=["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]))
    return errors


def _check_container(container, where, names, volumes):  # pylint: disable=too-many-branches
    errors = []
    name = container.get("name", "")
    if not name:
        errors.append(FieldError("required", where + ".name"))
    elif not _full(DNS1123_LABEL, name):
        errors.append(FieldError("invalid", where + ".name", name, LABEL_MSG))
    elif name in names:
        errors.append(FieldError("duplicate", where + ".name", name))
    names.add(name)
    if not container.get("image"):
        errors.append(FieldError("required", where + ".image"))
    policy = container.get("imagePullPolicy")
    if policy is not None and policy not in ("Always", "IfNotPresent", "Never"):
        errors.append(FieldError("notsupported", where + ".imagePullPolicy", policy, supported=["Always", "IfNotPresent", "Never"]))
    port_names = set()
    for index, port in enumerate(container.get("ports") or []):
        number = port.get("containerPort")
        if not isinstance(number, int) or not 1 <= number <= 65535:
            errors.append(FieldError("invalid", "%s.ports[%d].containerPort" % (where, index), number, "must be between 1 and 65535, inclusive"))
        if port.get("protocol") not in (None, "TCP", "UDP", "SCTP"):
            errors.append(FieldError("notsupported", "%s.ports[%d].protocol" % (where, index), port["protocol"], supported=["SCTP", "TCP", "UDP"]))
        port_name = port.get("name")
        if port_name:
            if len(port_name) > 15 or not _full(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", port_name) or not re.search("[a-z]", port_name):
                errors.append(FieldError("invalid", "%s.ports[%d].name" % (where, index), port_name, "must be no more than 15 characters"
                                         if len(port_name) > 15 else "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"))
            elif port_name in port_names:
                errors.append(FieldError("duplicate", "%s.ports[%d].name" % (where, index), port_name))
            port_names.add(port_name)
    env_names = set()
    for index, env in enumerate(container.get("env") or []):
        env_name = env.get("name", "")
        if not env_name:
            errors.append(FieldError("required", "%s.env[%d].name" % (where, index)))
        elif "=" in env_name or not env_name.isprintable():
            errors.append(FieldError("invalid", "%s.env[%d].name" % (where, index), env_name, "a valid environment variable name must consist only of "
                                     "printable ASCII characters other than '='"))
        if "value" in env and "valueFrom" in env:
            errors.append(FieldError("invalid", "%s.env[%d].valueFrom" % (where, index), "", "may not be specified when `value` is not empty"))
        env_names.add(env_name)
    mounts = set()
    for index, mount in enumerate(container.get("volumeMounts") or []):
        mount_name = mount.get("name", "")
        if mount_name not in volumes:
            errors.append(FieldError("notfound", "%s.volumeMounts[%d].name" % (where, index), mount_name))
        mount_path = mount.get("mountPath", "")
        if not mount_path:
            errors.append(FieldError("required", "%s.volumeMounts[%d].mountPath" % (where, index)))
        elif mount_path in mounts:
            errors.append(FieldError("invalid", "%s.volumeMounts[%d].mountPath" % (where, index), mount_path, "must be unique"))
        mounts.add(mount_path)
    resources = container.get("resources") or {}
    for key in ("limits", "requests"):
        for resource, value in (resources.get(key) or {}).items():
            if parse_quantity(value) is None:
                errors.append(FieldError("invalid", "%s.resources.%s[%s]" % (where, key, resource), value,
                                         "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"))
    for resource, request in (resources.get("requests") or {}).items():
        limit = (resources.get("limits") or {}).get(resource)
        if limit is not None and parse_quantity(request) and parse_quantity(limit) and parse_quantity(request)[0] > parse_quantity(limit)[0]:
            errors.append(FieldError("invalid", "%s.resources.requests" % where, request, "must be less than or equal to %s limit of %s" % (resource, limit)))
    for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(probe_name)
        if isinstance(probe, dict):
            handlers = [key for key in ("exec", "httpGet", "tcpSocket", "grpc") if key in probe]
            if not handlers:
                errors.append(FieldError("required", "%s.%s" % (where, probe_name), detail="must specify a handler type"))
            elif len(handlers) > 1:
                errors.append(FieldError("forbidden", "%s.%s.%s" % (where, probe_name, handlers[1]), detail="may not specify more than 1 handler type"))
    return errors


def _check_template_selector(spec, path):
    errors = []
    selector = spec.get("selector")
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        errors.append(FieldError("invalid", "%s.selector" % path, "object", "empty selector is invalid for deployment"))
    elif not selector_from_label_selector(selector)(labels):
        errors.append(FieldError("invalid", "%s.template.metadata.labels" % path, labels, "`selector` does not match template `labels`"))
    return errors


def _non_negative(spec, path, *names):
    return [FieldError("invalid", "%s.%s" % (path, name), spec[name], "must be greater than or equal to 0")
            for name in names if isinstance(spec.get(name), int) and spec[name] < 0]


# -- per kind --------------------------------------------------------------------------------------------


def validate(kind, obj, old=None):  # pylint: disable=too-many-branches,too-many-statements
    """Field errors of a built-in object (after defaulting); ``old`` is the stored object on updates."""
    errors = check_metadata(kind, obj.get("metadata") or {})
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    if kind == "Pod":
        errors.extend(check_pod_spec(spec, "spec"))
    elif kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"):
        errors.extend(_non_negative(spec, "spec", "replicas", "minReadySeconds", "revisionHistoryLimit"))
        if "template" in spec:
            errors.extend(check_labels(((spec.get("template") or {}).get("metadata") or {}).get("labels"), "spec.template.metadata.labels"))
            errors.extend(check_pod_spec(spec["template"].get("spec") or {}, "spec.template.spec", allowed_restart=("Always",)))
            errors.extend(_check_template_selector(spec, "spec"))
        if kind == "Deployment" and isinstance(spec.get("progressDeadlineSeconds"), int) and spec["progressDeadlineSeconds"] <= spec.get("minReadySeconds", 0):
            errors.append(FieldError("invalid", "spec.progressDeadlineSeconds", spec["progressDeadlineSeconds"], "must be greater than minReadySeconds"))
        if old is not None and (old.get("spec") or {}).get("selector") != spec.get("selector"):
            errors.append(FieldError("invalid", "spec.selector", spec.get("selector"), "field is immutable"))
    elif kind == "Job":
        errors.extend(_job(spec, "spec", old))
    elif kind == "CronJob":
        errors.extend(_cronjob(spec))
    elif kind == "Service":
        errors.extend(_service(spec, old))
    elif kind in ("ConfigMap", "Secret"):
        errors.extend(_config_data(kind, obj, old))
    elif kind == "PodDisruptionBudget":
        if "minAvailable" in spec and "maxUnavailable" in spec:
            errors.append(FieldError("invalid", "spec", "object", "minAvailable and maxUnavailable cannot be both set"))
    elif kind == "HorizontalPodAutoscaler":
        if isinstance(spec.get("maxReplicas"), int) and spec["maxReplicas"] < 1:
            errors.append(FieldError("invalid", "spec.maxReplicas", spec["maxReplicas"], "must be greater than or equal to 1"))
        if isinstance(spec.get("minReplicas"), int) and isinstance(spec.get("maxReplicas"), int) and spec["minReplicas"] > spec["maxReplicas"]:
            errors.append(FieldError("invalid", "spec.minReplicas", spec["minReplicas"], "must be less than or equal to maxReplicas"))
    return errors


def _job(spec, path, old):
    errors = _non_negative(spec, path, "parallelism", "completions", "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished")
    template = spec.get("template") or {}
    errors.extend(check_pod_spec(template.get("spec") or {}, "%s.template.spec" % path, allowed_restart=("OnFailure", "Never"), restart_required=True))
    if old is not None:
        old_spec = old.get("spec") or {}
        if old_spec.get("template") != spec.get("template"):
            errors.append(FieldError("invalid", "%s.template" % path, "object", "field is immutable"))
        if old_spec.get("completions") != spec.get("completions"):
            errors.append(FieldError("invalid", "%s.completions" % path, spec.get("completions"), "field is immutable"))
        if old_spec.get("selector") != spec.get("selector"):
            errors.append(FieldError("invalid", "%s.selector" % path, "object", "field is immutable"))
    return errors


_CRON_FIELD = re.compile(r"^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?)*$")
_CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


def valid_schedule(schedule):
    if not isinstance(schedule, str) or not schedule.strip():
        return False
    text = schedule.strip()
    if text.startswith("TZ=") or text.startswith("CRON_TZ="):
        return False
    if text in _CRON_MACROS or text.startswith("@every "):
        return True
    fields = text.split()
    return len(fields) == 5 and all(_CRON_FIELD.match(field) for field in fields)


def _cronjob(spec):
    errors = []
    schedule = spec.get("schedule")
    if not schedule:
        errors.append(FieldError("required", "spec.schedule"))
    elif isinstance(schedule, str) and (schedule.strip().startswith("TZ=") or schedule.strip().startswith("CRON_TZ=")):
        errors.append(FieldError("invalid", "spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
    elif not valid_schedule(schedule):
        errors.append(FieldError("invalid", "spec.schedule", schedule, "unparseable schedule"))
    policy = spec.get("concurrencyPolicy")
    if policy not in (None, "Allow", "Forbid", "Replace"):
        errors.append(FieldError("notsupported", "spec.concurrencyPolicy", policy, supported=["Allow", "Forbid", "Replace"]))
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    errors.extend(_job(job_spec, "spec.jobTemplate.spec", None))
    return errors


def _service(spec, old):  # pylint: disable=too-many-branches
    errors = []
    kind = spec.get("type", "ClusterIP")
    if kind not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        errors.append(FieldError("notsupported", "spec.type", kind, supported=["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]))
    ports = spec.get("ports") or []
    if kind != "ExternalName" and not ports and spec.get("clusterIP") != "None":
        errors.append(FieldError("required", "spec.ports"))
    names = set()
    for index, port in enumerate(ports):
        name = port.get("name")
        if len(ports) > 1 and not name:
            errors.append(FieldError("required", "spec.ports[%d].name" % index))
        elif name in names:
            errors.append(FieldError("duplicate", "spec.ports[%d].name" % index, name))
        names.add(name)
        number = port.get("port")
        if not isinstance(number, int) or not 1 <= number <= 65535:
            errors.append(FieldError("invalid", "spec.ports[%d].port" % index, number, "must be between 1 and 65535, inclusive"))
        target = port.get("targetPort")
        if isinstance(target, int) and not 1 <= target <= 65535:
            errors.append(FieldError("invalid", "spec.ports[%d].targetPort" % index, target, "must be between 1 and 65535, inclusive"))
        if port.get("protocol") not in (None, "TCP", "UDP", "SCTP"):
            errors.append(FieldError("notsupported", "spec.ports[%d].protocol" % index, port["protocol"], supported=["SCTP", "TCP", "UDP"]))
    if old is not None:
        old_ip = (old.get("spec") or {}).get("clusterIP")
        if old_ip and spec.get("clusterIP") != old_ip and kind != "ExternalName":
            errors.append(FieldError("invalid", "spec.clusterIPs[0]", spec.get("clusterIP"), "may not change once set"))
    return errors


def _config_data(kind, obj, old):
    errors = []
    for field in ("data", "binaryData"):
        for key, value in (obj.get(field) or {}).items():
            if not _full(_CONFIG_KEY, key) or len(key) > 253:
                errors.append(FieldError("invalid", "%s[%s]" % (field, key), key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                                         "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"))
            if kind == "Secret" or field == "binaryData":
                try:
                    base64.b64decode(value, validate=True)
                except (binascii.Error, ValueError, TypeError):
                    errors.append(FieldError("invalid", "%s[%s]" % (field, key), "", "illegal base64 data"))
    if kind == "Secret":
        secret_type = obj.get("type")
        required = {"kubernetes.io/tls": ("tls.crt", "tls.key"), "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
                    "kubernetes.io/basic-auth": (), "kubernetes.io/ssh-auth": ("ssh-privatekey",)}.get(secret_type, ())
        for key in required:
            if key not in (obj.get("data") or {}):
                errors.append(FieldError("required", "data[%s]" % key))
        if old is not None and old.get("type") != secret_type:
            errors.append(FieldError("invalid", "type", secret_type, "field is immutable"))
    if old is not None and old.get("immutable"):
        for field in ("data", "binaryData"):
            if old.get(field) != obj.get(field):
                errors.append(FieldError("forbidden", field, detail="field is immutable when `immutable` is set"))
        if not obj.get("immutable"):
            errors.append(FieldError("forbidden", "immutable", detail="field is immutable when `immutable` is set"))
    return errors
