# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Label selectors (``a=b``, ``a!=b``, ``a in (x,y)``, ``a notin (x)``, ``a``, ``!a``) and field selectors."""

import re

from .errors import bad_request

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(notin|in)\s*\(([^)]*)\)|(==|=|!=)\s*([A-Za-z0-9_.-]*))?\s*$")


def _split_terms(text):
    terms, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        terms.append(current)
    return terms


def parse_label_selector(text):
    """A predicate on a labels dict; raises a 400 ApiError for a malformed selector."""
    requirements = []
    for term in _split_terms(text or ""):
        if not term.strip():
            continue
        match = _SET_RE.match(term)
        if not match:
            raise bad_request("unable to parse requirement: found '%s', expected: identifier" % term.strip())
        negate, key, set_op, values, op, value = match.groups()
        if negate and (set_op or op):
            raise bad_request("unable to parse requirement: found '%s', expected: identifier" % term.strip())
        if set_op:
            requirements.append((key, set_op, {item.strip() for item in values.split(",") if item.strip()}))
        elif op:
            requirements.append((key, "!=" if op == "!=" else "=", value))
        else:
            requirements.append((key, "!" if negate else "exists", None))

    def matches(labels):
        labels = labels or {}
        for key, op, value in requirements:
            present = key in labels
            if op == "=" and labels.get(key) != value:
                return False
            if op == "!=" and present and labels[key] == value:
                return False
            if op == "in" and labels.get(key) not in value:
                return False
            if op == "notin" and present and labels[key] in value:
                return False
            if op == "exists" and not present:
                return False
            if op == "!" and present:
                return False
        return True

    return matches


def selector_from_label_selector(selector):
    """A predicate for a ``metav1.LabelSelector`` (matchLabels + matchExpressions)."""
    selector = selector or {}
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []

    def matches(labels):
        labels = labels or {}
        if any(labels.get(key) != value for key, value in match_labels.items()):
            return False
        for expression in expressions:
            key, op, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
            if op == "In" and labels.get(key) not in values:
                return False
            if op == "NotIn" and key in labels and labels[key] in values:
                return False
            if op == "Exists" and key not in labels:
                return False
            if op == "DoesNotExist" and key in labels:
                return False
        return True

    return matches


# Field labels each kind supports besides metadata.name and metadata.namespace (as the API server has them).
FIELD_LABELS = {
    "Pod": {"spec.nodeName": ("spec", "nodeName"), "spec.restartPolicy": ("spec", "restartPolicy"), "spec.schedulerName": ("spec", "schedulerName"),
            "spec.serviceAccountName": ("spec", "serviceAccountName"), "status.phase": ("status", "phase"), "status.podIP": ("status", "podIP"),
            "status.nominatedNodeName": ("status", "nominatedNodeName"), "spec.hostNetwork": ("spec", "hostNetwork")},
    "Secret": {"type": ("type",)},
    "Namespace": {"status.phase": ("status", "phase")},
    "Event": {"involvedObject.kind": ("involvedObject", "kind"), "involvedObject.namespace": ("involvedObject", "namespace"),
              "involvedObject.name": ("involvedObject", "name"), "involvedObject.uid": ("involvedObject", "uid"),
              "involvedObject.apiVersion": ("involvedObject", "apiVersion"), "reason": ("reason",), "type": ("type",)},
    "Job": {"status.successful": ("status", "succeeded")},
    "ReplicaSet": {"status.replicas": ("status", "replicas")},
    "Node": {"spec.unschedulable": ("spec", "unschedulable")},
}


def parse_field_selector(text, kind):
    requirements = []
    labels = dict(FIELD_LABELS.get(kind, {}))
    labels["metadata.name"] = ("metadata", "name")
    labels["metadata.namespace"] = ("metadata", "namespace")
    for term in (text or "").split(","):
        term = term.strip()
        if not term:
            continue
        match = re.match(r"^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$", term)
        if not match:
            raise bad_request("invalid selector: '%s'; can't understand '%s'" % (text, term))
        field, op, value = match.groups()
        if field not in labels:
            raise bad_request('field label not supported: %s' % field)
        requirements.append((labels[field], op != "!=", value))

    def matches(obj):
        for path, equal, value in requirements:
            current = obj
            for part in path:
                current = current.get(part) if isinstance(current, dict) else None
            if isinstance(current, bool):
                current = "true" if current else "false"
            current = "" if current is None else str(current)
            if (current == value) != equal:
                return False
        return True

    return matches
