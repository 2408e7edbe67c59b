# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloud Firewalls (``/v2/firewalls``): state and DigitalOcean's rules.

From the contract and DigitalOcean's documentation (Firewalls → Limits):
- a firewall has a name (``^[a-zA-Z0-9][a-zA-Z0-9\\.-]+$``, enforced by the contract), inbound and
  outbound rules, and targets: Droplets by id and tags (``k8s:<cluster id>`` is how DOKS nodes are
  targeted); a create needs at least one rule;
- a rule has a protocol (``tcp``, ``udp``, ``icmp``), ports (a port, a range ``8000-9000``, or ``"0"``
  for all ports; ICMP rules always answer ``"0"``) and sources (inbound) or destinations (outbound):
  ``addresses`` (IPv4/IPv6 addresses and CIDRs), ``droplet_ids``, ``load_balancer_uids``,
  ``kubernetes_ids`` and ``tags``;
- at most 10 Droplets and 5 tags per firewall, at most 50 rules (inbound and outbound together),
  at most 1000 entries in one rule's sources or destinations;
- a create answers 202 with status ``waiting``; the firewall is ``succeeded`` once applied. Every
  change (PUT, rules, tags, Droplets) makes it ``waiting`` again;
- PUT replaces the firewall: attributes left out are reset to their defaults (no rules, no targets);
- a duplicate name is a 409 ``conflict`` ("duplicate name", as DigitalOcean answers); invalid rules are
  422 (DigitalOcean: "You must specify a positive value for ports").
Not stated by the contract, so chosen here and documented in the README: ``ports: "all"`` is accepted
and stored as ``"0"`` (DigitalOcean answers ``"0"`` for rules created with ``all``); Droplet ids must
be Droplets the emulator knows (DOKS nodes, or synthetic VPC members ``do:droplet:<id>`` attached
through the control API); ``kubernetes_ids`` must be clusters of the account; tags and load balancer
ids are only checked for their form (the emulator has no tags or load balancers); removing rules,
tags or Droplets that are not there is a no-op.
"""

import ipaddress
import json
import re
import uuid

from ..errors import Conflict, NotFound, UnprocessableEntity
from ..models import Family, Page, Result, isoformat

TAG_PATTERN = re.compile(r"^[a-zA-Z0-9_\-:]{1,255}$")
PORT_RANGE = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
TARGET_KEYS = ("addresses", "droplet_ids", "load_balancer_uids", "kubernetes_ids", "tags")
DIRECTIONS = (("inbound_rules", "sources"), ("outbound_rules", "destinations"))
MAX_DROPLETS = 10
MAX_TAGS = 5
MAX_RULES = 50
MAX_TARGETS = 1000


class FirewallsFamily(Family):
    name = "firewalls"
    operations = {
        "firewalls_list": "list_firewalls",
        "firewalls_create": "create_firewall",
        "firewalls_get": "get_firewall",
        "firewalls_update": "update_firewall",
        "firewalls_delete": "delete_firewall",
        "firewalls_assign_droplets": "assign_droplets",
        "firewalls_delete_droplets": "remove_droplets",
        "firewalls_add_tags": "add_tags",
        "firewalls_delete_tags": "remove_tags",
        "firewalls_add_rules": "add_rules",
        "firewalls_delete_rules": "remove_rules",
    }

    def seed(self):
        """A fresh account has no firewalls."""
        self.firewalls = {}

    # -- queries -----------------------------------------------------------------------------

    def find(self, firewall_id):
        record = self.firewalls.get(str(firewall_id).lower())
        if record is None:
            raise NotFound()
        return record

    def find_by_name(self, name):
        return next((record for record in self.firewalls.values() if record["name"] == name), None)

    def render(self, record):
        status = record["transition"].status(self.now())
        pending = []
        if status == "waiting":
            pending = [{"droplet_id": droplet_id, "removing": False, "status": "waiting"} for droplet_id in record["droplet_ids"]]
        return {
            "id": record["id"],
            "name": record["name"],
            "status": status,
            "created_at": isoformat(record["created_at"]),
            "pending_changes": pending,
            "inbound_rules": [_copy_rule(rule) for rule in record["inbound_rules"]],
            "outbound_rules": [_copy_rule(rule) for rule in record["outbound_rules"]],
            "droplet_ids": list(record["droplet_ids"]),
            "tags": list(record["tags"]),
        }

    def known_droplets(self):
        """Droplet ids the emulator knows: DOKS nodes and synthetic VPC members ``do:droplet:<id>``."""
        known = set()
        prefix = "do:droplet:"
        for members in self.backend.members.all_members().values():
            for member in members:
                ident = member["urn"][len(prefix):] if member["urn"].startswith(prefix) else ""
                if ident.isdigit():
                    known.add(int(ident))
        return known

    def _kubernetes_ids(self):
        family = self.backend.families.get("kubernetes")
        return None if family is None else {cluster_id.lower() for cluster_id in family.clusters}

    # -- rules -------------------------------------------------------------------------------

    def _check_name(self, name, own_id=None):
        other = self.find_by_name(name)
        if other is not None and other["id"] != own_id:
            raise Conflict("duplicate name: a firewall named %r already exists (%s)" % (name, other["id"]))

    def _check_droplets(self, droplet_ids, field):
        if not isinstance(droplet_ids, list) or not all(isinstance(value, int) and not isinstance(value, bool) for value in droplet_ids):
            raise UnprocessableEntity("%s must be a list of Droplet ids (integers)" % field)
        unknown = sorted(set(droplet_ids) - self.known_droplets())
        if unknown:
            raise UnprocessableEntity("%s: Droplet %s not found in this account" % (field, ", ".join(str(value) for value in unknown)))

    @staticmethod
    def _check_tags(tags, field):
        if not isinstance(tags, list):
            raise UnprocessableEntity("%s must be a list of tag names" % field)
        for tag in tags:
            if not isinstance(tag, str) or not TAG_PATTERN.match(tag):
                raise UnprocessableEntity("%s: tag %r is invalid; tag names are 1-255 letters, digits, colons, dashes and underscores"
                                          % (field, tag))

    @staticmethod
    def _ports(protocol, ports, field):
        if protocol == "icmp":
            return "0"
        if ports in ("0", "all"):
            return "0"
        match = PORT_RANGE.match(ports or "")
        if match is None:
            raise UnprocessableEntity("%s: You must specify a positive value for ports: %r is not a port (1-65535), a range such as "
                                      "8000-9000, or \"0\" for all ports" % (field, ports))
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if not 1 <= low <= high <= 65535:
            raise UnprocessableEntity("%s: you must specify a valid range for ports: %r (ports are 1-65535, the range's start "
                                      "no greater than its end)" % (field, ports))
        return ports

    def _targets(self, targets, field):
        if not isinstance(targets, dict):
            raise UnprocessableEntity("%s is required: an object with addresses, droplet_ids, load_balancer_uids, kubernetes_ids or tags"
                                      % field)
        clean = {}
        for key in TARGET_KEYS:
            values = targets.get(key)
            if values is None or values == []:
                continue
            where = "%s.%s" % (field, key)
            if key == "addresses":
                for address in values:
                    try:
                        ipaddress.ip_network(address, strict=False)
                    except (TypeError, ValueError):
                        raise UnprocessableEntity("%s: %r is not an IPv4 or IPv6 address or CIDR" % (where, address)) from None
            elif key == "droplet_ids":
                self._check_droplets(values, where)
            elif key == "tags":
                self._check_tags(values, where)
            elif key == "kubernetes_ids":
                clusters = self._kubernetes_ids()
                for cluster_id in values:
                    if not UUID_PATTERN.match(str(cluster_id)) or (clusters is not None and str(cluster_id).lower() not in clusters):
                        raise UnprocessableEntity("%s: %r is not a Kubernetes cluster of this account" % (where, cluster_id))
            elif not all(isinstance(value, str) and value for value in values):
                raise UnprocessableEntity("%s must be a list of load balancer ids" % where)
            clean[key] = list(values)
        if not clean:
            raise UnprocessableEntity("%s must name at least one address, Droplet, load balancer, Kubernetes cluster or tag" % field)
        if sum(len(values) for values in clean.values()) > MAX_TARGETS:
            raise UnprocessableEntity("%s has more than %d entries; use tags or network ranges instead" % (field, MAX_TARGETS))
        return clean

    def _rules(self, body, direction, side):
        rules = body.get(direction)
        if rules is None:
            return []
        if not isinstance(rules, list):
            raise UnprocessableEntity("%s must be a list of rules" % direction)
        checked = []
        for index, rule in enumerate(rules):
            field = "%s[%d]" % (direction, index)
            protocol = rule.get("protocol")
            ports = self._ports(protocol, rule.get("ports"), field + ".ports")
            checked.append({"protocol": protocol, "ports": ports, side: self._targets(rule.get(side), "%s.%s" % (field, side))})
        return checked

    def _all_rules(self, body):
        return {direction: self._rules(body, direction, side) for direction, side in DIRECTIONS}

    @staticmethod
    def _check_limits(inbound, outbound, droplet_ids, tags):
        if len(inbound) + len(outbound) > MAX_RULES:
            raise UnprocessableEntity("a firewall can have at most %d inbound and outbound rules together (got %d)"
                                      % (MAX_RULES, len(inbound) + len(outbound)))
        if len(set(droplet_ids)) > MAX_DROPLETS:
            raise UnprocessableEntity("a firewall can be applied to at most %d Droplets (got %d); tag the Droplets and add the tag instead"
                                      % (MAX_DROPLETS, len(set(droplet_ids))))
        if len(set(tags)) > MAX_TAGS:
            raise UnprocessableEntity("a firewall can have at most %d tags (got %d)" % (MAX_TAGS, len(set(tags))))

    def _restart(self, record):
        record["transition"] = self.begin_transition("waiting", "succeeded")

    def _checked_targets(self, body):
        droplet_ids = body.get("droplet_ids") or []
        tags = body.get("tags") or []
        self._check_droplets(droplet_ids, "droplet_ids")
        self._check_tags(tags, "tags")
        return _unique(droplet_ids), _unique(tags)

    # -- operations --------------------------------------------------------------------------

    def list_firewalls(self, call):
        del call
        return Page("firewalls", [self.render(record) for record in self.firewalls.values()])

    def create_firewall(self, call):
        body = call.body or {}
        name = body.get("name")
        self._check_name(name)
        rules = self._all_rules(body)
        if not rules["inbound_rules"] and not rules["outbound_rules"]:
            raise UnprocessableEntity("a firewall must contain at least one inbound or outbound rule")
        droplet_ids, tags = self._checked_targets(body)
        self._check_limits(rules["inbound_rules"], rules["outbound_rules"], droplet_ids, tags)
        record = dict(rules, id=str(uuid.uuid4()), name=name, droplet_ids=droplet_ids, tags=tags, created_at=self.now())
        self._restart(record)
        self.firewalls[record["id"]] = record
        return Result(202, {"firewall": self.render(record)})

    def get_firewall(self, call):
        return Result(200, {"firewall": self.render(self.find(call.path_params["firewall_id"]))})

    def update_firewall(self, call):
        record = self.find(call.path_params["firewall_id"])
        body = call.body or {}
        self._check_name(body.get("name"), own_id=record["id"])
        rules = self._all_rules(body)
        droplet_ids, tags = self._checked_targets(body)
        self._check_limits(rules["inbound_rules"], rules["outbound_rules"], droplet_ids, tags)
        record.update(rules, name=body["name"], droplet_ids=droplet_ids, tags=tags)
        self._restart(record)
        return Result(200, {"firewall": self.render(record)})

    def delete_firewall(self, call):
        record = self.find(call.path_params["firewall_id"])
        del self.firewalls[record["id"]]
        return Result(204)

    def assign_droplets(self, call):
        record = self.find(call.path_params["firewall_id"])
        droplet_ids = call.body.get("droplet_ids") or []
        self._check_droplets(droplet_ids, "droplet_ids")
        merged = _unique(record["droplet_ids"] + droplet_ids)
        self._check_limits(record["inbound_rules"], record["outbound_rules"], merged, record["tags"])
        record["droplet_ids"] = merged
        self._restart(record)
        return Result(204)

    def remove_droplets(self, call):
        record = self.find(call.path_params["firewall_id"])
        droplet_ids = call.body.get("droplet_ids") or []
        record["droplet_ids"] = [value for value in record["droplet_ids"] if value not in droplet_ids]
        self._restart(record)
        return Result(204)

    def add_tags(self, call):
        record = self.find(call.path_params["firewall_id"])
        tags = call.body.get("tags") or []
        self._check_tags(tags, "tags")
        merged = _unique(record["tags"] + tags)
        self._check_limits(record["inbound_rules"], record["outbound_rules"], record["droplet_ids"], merged)
        record["tags"] = merged
        self._restart(record)
        return Result(204)

    def remove_tags(self, call):
        record = self.find(call.path_params["firewall_id"])
        tags = call.body.get("tags") or []
        record["tags"] = [tag for tag in record["tags"] if tag not in tags]
        self._restart(record)
        return Result(204)

    def add_rules(self, call):
        record = self.find(call.path_params["firewall_id"])
        rules = self._all_rules(call.body or {})
        inbound = record["inbound_rules"] + [rule for rule in rules["inbound_rules"] if not _contains(record["inbound_rules"], rule)]
        outbound = record["outbound_rules"] + [rule for rule in rules["outbound_rules"] if not _contains(record["outbound_rules"], rule)]
        self._check_limits(inbound, outbound, record["droplet_ids"], record["tags"])
        record.update(inbound_rules=inbound, outbound_rules=outbound)
        self._restart(record)
        return Result(204)

    def remove_rules(self, call):
        record = self.find(call.path_params["firewall_id"])
        rules = self._all_rules(call.body or {})
        for direction, dummy in DIRECTIONS:
            record[direction] = [rule for rule in record[direction] if not _contains(rules[direction], rule)]
        self._restart(record)
        return Result(204)

    def state(self):
        return {"firewalls": [self.render(record) for record in self.firewalls.values()]}


def _unique(values):
    seen = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _copy_rule(rule):
    return {key: (dict((k, list(v)) for k, v in value.items()) if isinstance(value, dict) else value) for key, value in rule.items()}


def _canonical(rule):
    """A rule as a comparable string: protocol, ports and every target list sorted."""
    shaped = {}
    for key, value in rule.items():
        if isinstance(value, dict):
            shaped[key] = {k: sorted(str(item) for item in v) for k, v in value.items() if v}
        else:
            shaped[key] = value
    return json.dumps(shaped, sort_keys=True)


def _contains(rules, rule):
    wanted = _canonical(rule)
    return any(_canonical(existing) == wanted for existing in rules)
