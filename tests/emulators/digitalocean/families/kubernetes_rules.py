# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DigitalOcean Kubernetes (DOKS): the catalogue (versions, node sizes) and the rules, as pure functions.

The family (``kubernetes.py``) holds the state; everything here takes its inputs and raises
:class:`~..errors.UnprocessableEntity` with a message naming the field, the value and what is allowed.
"""

import base64
import datetime
import ipaddress
import re

import yaml

from ..errors import UnprocessableEntity
from .sizes import SIZES

# Offered versions, newest first: two patch releases of each minor from 1.33 to 1.36 (as offered in 2026).
VERSIONS = (
    ("1.36.2-do.0", "1.36.2"),
    ("1.36.1-do.0", "1.36.1"),
    ("1.35.4-do.0", "1.35.4"),
    ("1.35.2-do.0", "1.35.2"),
    ("1.34.6-do.1", "1.34.6"),
    ("1.34.5-do.0", "1.34.5"),
    ("1.33.8-do.0", "1.33.8"),
    ("1.33.7-do.0", "1.33.7"),
)
SUPPORTED_FEATURES = ("cluster-autoscaler", "docr-integration", "ha-control-plane", "token-authentication")
# DOKS worker nodes need at least 2 GiB of memory.
MIN_NODE_MEMORY_MIB = 2048
NODE_SIZES = tuple(size["slug"] for size in SIZES if size["memory"] >= MIN_NODE_MEMORY_MIB)

DEFAULT_API_URL_TEMPLATE = "https://{cluster_id}.k8s.ondigitalocean.com"
DEFAULT_KUBECONFIG_EXPIRY = 7 * 24 * 3600
# What a cluster created without cluster_subnet/service_subnet reports (DOKS' overlay defaults).
LEGACY_CLUSTER_SUBNET = "10.244.0.0/16"
LEGACY_SERVICE_SUBNET = "10.245.0.0/16"
# Emulator's choice (the contract does not say): the pod network needs room for nodes, the service network for Services.
SUBNET_PREFIX_BOUNDS = {"cluster_subnet": (8, 20), "service_subnet": (12, 24)}
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(net) for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))

NAME_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
TAG_PATTERN = re.compile(r"^[a-zA-Z0-9_\-:]{1,255}$")
START_TIME_PATTERN = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
MAINTENANCE_DAYS = ("any", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAINTENANCE_DURATION = "4h0m0s"


# -- versions -----------------------------------------------------------------------------------

def version_key(slug):
    """``1.35.2-do.1`` -> (1, 35, 2, 1); unparsable slugs sort first."""
    found = re.match(r"^(\d+)\.(\d+)\.(\d+)-do\.(\d+)$", slug or "")
    return tuple(int(part) for part in found.groups()) if found else (0, 0, 0, 0)


def minor_of(slug):
    return ".".join(slug.split(".")[:2])


def version_entry(slug):
    upstream = dict(VERSIONS)[slug]
    return {"slug": slug, "kubernetes_version": upstream, "supported_features": list(SUPPORTED_FEATURES)}


def resolve_version(requested):
    """The slug a create asks for: ``latest``, a minor (``1.35`` -> its newest patch) or an offered slug."""
    slugs = [slug for slug, dummy in VERSIONS]
    if requested == "latest":
        return slugs[0]
    if requested in slugs:
        return requested
    in_minor = [slug for slug in slugs if minor_of(slug) == requested]
    if in_minor:
        return max(in_minor, key=version_key)
    minors = sorted({minor_of(slug) for slug in slugs}, key=lambda minor: tuple(int(p) for p in minor.split(".")))
    raise UnprocessableEntity("version %r is not available; use \"latest\", a minor version (%s) or a version slug (%s)"
                              % (requested, ", ".join(minors), ", ".join(slugs)))


def upgrades_from(current):
    """Offered versions newer than ``current``, at most one minor version ahead (as Kubernetes allows), oldest first."""
    major, minor = version_key(current)[:2]
    newer = [slug for slug, dummy in VERSIONS
             if version_key(slug) > version_key(current) and version_key(slug)[0] == major and version_key(slug)[1] <= minor + 1]
    return sorted(newer, key=version_key)


# -- names, tags, sizes, policies -----------------------------------------------------------------

def check_name(field, value):
    if not isinstance(value, str) or not NAME_PATTERN.match(value):
        raise UnprocessableEntity("%s %r is invalid: it must be 1 to 63 lowercase letters, digits or dashes, starting and ending "
                                  "with a letter or digit" % (field, value))


def check_tags(field, tags):
    if tags is None:
        return []
    bad = [tag for tag in tags if not isinstance(tag, str) or not TAG_PATTERN.match(tag)]
    if bad:
        raise UnprocessableEntity("%s: tag %r is invalid: tags may contain letters, numbers, colons, dashes and underscores "
                                  "(at most 255 characters)" % (field, bad[0]))
    return list(tags)


def with_auto_tags(user_tags, auto_tags):
    """DigitalOcean's automatic tags first, then the user's, without duplicates."""
    merged = list(auto_tags)
    merged.extend(tag for tag in user_tags if tag not in merged)
    return merged


def user_tags(tags, auto_tags):
    return [tag for tag in tags if tag not in auto_tags]


def check_size(field, size):
    if size not in NODE_SIZES:
        raise UnprocessableEntity("%s %r is not a valid Kubernetes node size; valid sizes are: %s" % (field, size, ", ".join(NODE_SIZES)))


def maintenance_policy(policy, current=None):
    """The stored policy after applying ``policy`` (None: DigitalOcean picks: any day at 00:00)."""
    result = dict(current or {"start_time": "00:00", "day": "any"})
    if policy is None:
        return result
    if "start_time" in policy:
        found = START_TIME_PATTERN.match(str(policy["start_time"]))
        if not found:
            raise UnprocessableEntity("maintenance_policy.start_time %r is invalid: use a UTC time in 24-hour HH:MM notation, "
                                      "for example 15:00" % (policy["start_time"],))
        result["start_time"] = "%02d:%s" % (int(found.group(1)), found.group(2))
    if "day" in policy:
        if policy["day"] not in MAINTENANCE_DAYS:
            raise UnprocessableEntity("maintenance_policy.day %r is invalid; valid days are: %s" % (policy["day"], ", ".join(MAINTENANCE_DAYS)))
        result["day"] = policy["day"]
    return result


def render_policy(policy):
    return {"start_time": policy["start_time"], "duration": MAINTENANCE_DURATION, "day": policy["day"]}


# -- node pools --------------------------------------------------------------------------------

def _non_negative(field, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnprocessableEntity("%s must be a whole number >= 0 (got %r)" % (field, value))
    return value


def check_scaling(field, count, auto_scale, min_nodes, max_nodes):
    """Node counts: without autoscaling at least one node; with it 0 <= min_nodes <= count <= max_nodes and max_nodes >= 1."""
    _non_negative(field + ".count", count)
    if not auto_scale:
        if count < 1:
            raise UnprocessableEntity("%s.count %d is invalid: a node pool without auto_scale needs at least 1 node" % (field, count))
        return
    _non_negative(field + ".min_nodes", min_nodes)
    _non_negative(field + ".max_nodes", max_nodes)
    if max_nodes < 1:
        raise UnprocessableEntity("%s.max_nodes must be at least 1 when auto_scale is enabled (got %d)" % (field, max_nodes))
    if min_nodes > max_nodes:
        raise UnprocessableEntity("%s.min_nodes %d is greater than max_nodes %d" % (field, min_nodes, max_nodes))
    if not min_nodes <= count <= max_nodes:
        raise UnprocessableEntity("%s.count %d is outside the autoscaling range: min_nodes %d <= count <= max_nodes %d"
                                  % (field, count, min_nodes, max_nodes))


def check_labels(field, labels):
    if labels is None:
        return None
    if not isinstance(labels, dict) or not all(isinstance(k, str) and k and isinstance(v, str) for k, v in labels.items()):
        raise UnprocessableEntity("%s.labels must be an object of non-empty string keys to string values" % field)
    return dict(labels)


def check_taints(field, taints):
    if taints is None:
        return []
    checked = []
    for index, taint in enumerate(taints):
        where = "%s.taints[%d]" % (field, index)
        if not isinstance(taint.get("key"), str) or not taint.get("key"):
            raise UnprocessableEntity("%s.key is required" % where)
        if taint.get("effect") not in TAINT_EFFECTS:
            raise UnprocessableEntity("%s.effect %r is invalid; valid effects are: %s" % (where, taint.get("effect"), ", ".join(TAINT_EFFECTS)))
        checked.append({"key": taint["key"], "value": str(taint.get("value") or ""), "effect": taint["effect"]})
    return checked


# -- networks --------------------------------------------------------------------------------

def check_subnet(field, value):
    try:
        network = ipaddress.ip_network(value, strict=True)
    except (TypeError, ValueError):
        raise UnprocessableEntity("%s %r is not a valid network in CIDR notation" % (field, value)) from None
    low, high = SUBNET_PREFIX_BOUNDS[field]
    if network.version != 4 or not any(network.subnet_of(private) for private in PRIVATE_NETWORKS):
        raise UnprocessableEntity("%s %s must be a private (RFC 1918) IPv4 network" % (field, network))
    if not low <= network.prefixlen <= high:
        raise UnprocessableEntity("%s %s is not allowed: its prefix must be between /%d and /%d" % (field, network, low, high))
    return network


# -- kubeconfig ----------------------------------------------------------------------------------

def kubeconfig_name(region, name):
    return "do-%s-%s" % (region, name)


def kubeconfig_yaml(region, name, server, ca_pem, token):
    """The kubeconfig in DigitalOcean's shape: cluster and context ``do-<region>-<name>``, token user ``do-<region>-<name>-admin``."""
    entry = kubeconfig_name(region, name)
    document = {
        "apiVersion": "v1",
        "clusters": [{"cluster": {"certificate-authority-data": base64.b64encode(ca_pem.encode("ascii")).decode("ascii"), "server": server},
                      "name": entry}],
        "contexts": [{"context": {"cluster": entry, "user": entry + "-admin"}, "name": entry}],
        "current-context": entry,
        "kind": "Config",
        "preferences": {},
        "users": [{"name": entry + "-admin", "user": {"token": token}}],
    }
    return yaml.safe_dump(document, default_flow_style=False, sort_keys=False)


_DEFAULT_CA = {}


def default_ca_pem():
    """A self-signed cluster CA (``CN=k8saas Cluster CA``, as DOKS names it), made once per process."""
    if "pem" not in _DEFAULT_CA:
        # Imported here: only needed when a kubeconfig is asked for without a configured CA.
        from cryptography import x509  # pylint: disable=import-outside-toplevel
        from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
        from cryptography.hazmat.primitives.asymmetric import ec  # pylint: disable=import-outside-toplevel
        from cryptography.x509.oid import NameOID  # pylint: disable=import-outside-toplevel

        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "DigitalOcean"),
                             x509.NameAttribute(NameOID.COMMON_NAME, "k8saas Cluster CA")])
        start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
        certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                       .serial_number(x509.random_serial_number()).not_valid_before(start)
                       .not_valid_after(start + datetime.timedelta(days=20 * 365))
                       .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                       .sign(key, hashes.SHA256()))
        _DEFAULT_CA["pem"] = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return _DEFAULT_CA["pem"]
