# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DNS zones and their records (``/v2/domains``): state and DigitalOcean's rules.

From the contract and DigitalOcean's documentation:
- a zone (``domain``) is a domain name such as ``example.com``; creating it with ``ip_address``
  also creates an A record at the apex. Every zone has an SOA record and three NS records at the
  apex (``ns1``/``ns2``/``ns3.digitalocean.com``, TTL 1800), listed like any other record; the zone's
  TTL is 1800. Deleting a zone deletes all its records;
- record types A, AAAA, CAA, CNAME, MX, NS, SOA, SRV, TXT; SOA is DigitalOcean's own (it cannot be
  created or deleted, only its TTL changes);
- required fields per type: ``name`` and ``data`` (MX: ``data`` and ``priority``, ``name`` defaults
  to the apex), plus ``priority``, ``port`` and ``weight`` for SRV and ``flags`` and ``tag`` for CAA;
- record names are stored relative to the zone, ``@`` being the apex. Record ids are integers;
- ``data`` of a CNAME, MX, NS or SRV record is a hostname that must end with a dot (or be ``@``,
  the apex) in requests — DigitalOcean answers 422 "Data needs to end with a dot (.)" otherwise —
  and is returned *without* the trailing dot (the contract's example ``ns1.digitalocean.com``);
- a TTL is at least 30 seconds (default 1800);
- ``GET .../records`` filters on ``name`` (a fully qualified name) and ``type``.
Not stated by the contract, so chosen here and documented in the README: a name ending with a dot is
absolute (it must be inside the zone and is stored relative), any other name is relative to the
zone as in a zone file; a CNAME cannot share its name with any other record (DNS forbids it, and
the apex always holds NS and SOA records) — 422; a record identical to an existing one (same name,
type, data and type-specific fields) is a 422; the type of a record cannot change; PUT needs every
field the type requires, PATCH changes the fields it names; ``data`` is only checked when sent.
"""

import ipaddress
import re

from ..errors import NotFound, UnprocessableEntity
from ..models import Family, Page, Result

ZONE_TTL = 1800
DEFAULT_TTL = 1800
MIN_TTL = 30
MAX_TTL = 2147483647
NAMESERVERS = ("ns1.digitalocean.com", "ns2.digitalocean.com", "ns3.digitalocean.com")
RECORD_TYPES = ("A", "AAAA", "CAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT")
HOSTNAME_TYPES = ("CNAME", "MX", "NS", "SRV")
CAA_TAGS = ("issue", "issuewild", "iodef")
OPTIONAL_FIELDS = ("priority", "port", "weight", "flags", "tag")
# Fields every type needs besides ``type``; MX may omit ``name`` (the apex).
REQUIRED = {
    "A": ("name", "data"),
    "AAAA": ("name", "data"),
    "CAA": ("name", "data", "flags", "tag"),
    "CNAME": ("name", "data"),
    "MX": ("data", "priority"),
    "NS": ("name", "data"),
    "SRV": ("name", "data", "priority", "port", "weight"),
    "TXT": ("name", "data"),
}
USED_FIELDS = {
    "MX": ("priority",),
    "SRV": ("priority", "port", "weight"),
    "CAA": ("flags", "tag"),
}
LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
ZONE_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
FIRST_RECORD_ID = 300000001
SERIAL_BASE = 1767225600  # 2026-01-01T00:00:00Z; SOA serials count changes from here


def _valid_hostname(name):
    labels = name.split(".")
    return len(name) <= 253 and all(LABEL.match(label) for label in labels)


class DomainsFamily(Family):
    name = "domains"
    operations = {
        "domains_list": "list_domains",
        "domains_create": "create_domain",
        "domains_get": "get_domain",
        "domains_delete": "delete_domain",
        "domains_list_records": "list_records",
        "domains_create_record": "create_record",
        "domains_get_record": "get_record",
        "domains_update_record": "update_record",
        "domains_patch_record": "patch_record",
        "domains_delete_record": "delete_record",
    }

    def seed(self):
        """A fresh account has no zones."""
        self.domains = {}
        self._next_id = FIRST_RECORD_ID
        self._changes = 0

    # -- queries -----------------------------------------------------------------------------

    def find(self, domain_name):
        zone = self.domains.get(str(domain_name).lower())
        if zone is None:
            raise NotFound()
        return zone

    def find_record(self, zone, record_id):
        try:
            record = zone["records"].get(int(record_id))
        except (TypeError, ValueError):
            record = None
        if record is None:
            raise NotFound()
        return record

    @staticmethod
    def render_record(record):
        return {key: record.get(key) for key in ("id", "type", "name", "data", "priority", "port", "ttl", "weight", "flags", "tag")}

    def fqdn(self, zone, name):
        return zone["name"] if name == "@" else "%s.%s" % (name, zone["name"])

    def zone_file(self, zone):
        origin = zone["name"] + "."
        lines = ["$ORIGIN %s" % origin, "$TTL %d" % zone["ttl"]]
        for record in zone["records"].values():
            owner = self.fqdn(zone, record["name"]) + "."
            if record["type"] == "SOA":
                lines.append("%s IN SOA %s. hostmaster.%s %d 10800 3600 604800 %d"
                             % (owner, NAMESERVERS[0], origin, zone["serial"], zone["ttl"]))
                continue
            data = record["data"]
            if record["type"] in HOSTNAME_TYPES:
                data = origin if data == "@" else data + "."
            elif record["type"] == "TXT":
                data = " ".join('"%s"' % data[start:start + 255].replace("\\", "\\\\").replace('"', '\\"')
                                for start in range(0, max(len(data), 1), 255))
            elif record["type"] == "CAA":
                data = '%d %s "%s"' % (record["flags"], record["tag"], data)
            if record["type"] == "MX":
                data = "%d %s" % (record["priority"], data)
            elif record["type"] == "SRV":
                data = "%d %d %d %s" % (record["priority"], record["weight"], record["port"], data)
            lines.append("%s %d IN %s %s" % (owner, record["ttl"], record["type"], data))
        return "\n".join(lines) + "\n"

    def render_domain(self, zone, with_zone_file=True):
        return {"name": zone["name"], "ttl": zone["ttl"], "zone_file": self.zone_file(zone) if with_zone_file else None}

    # -- rules -------------------------------------------------------------------------------

    @staticmethod
    def _check_zone_name(name):
        if not isinstance(name, str) or not name:
            raise UnprocessableEntity("name is required: the domain name, for example example.com")
        lowered = name.lower()
        labels = lowered.split(".")
        if (lowered.endswith(".") or len(labels) < 2 or len(lowered) > 253
                or not all(ZONE_LABEL.match(label) for label in labels) or labels[-1].isdigit()):
            raise UnprocessableEntity("name %r is not a valid domain name; expected a name like example.com (letters, digits and "
                                      "dashes in dot-separated labels, no trailing dot)" % name)
        return lowered

    def _new_id(self):
        record_id = self._next_id
        self._next_id += 1
        return record_id

    def _touch(self, zone):
        self._changes += 1
        zone["serial"] = SERIAL_BASE + self._changes

    def _relative_name(self, zone, name):
        if not isinstance(name, str):
            raise UnprocessableEntity("name must be a string: the host name relative to the zone, or @ for the apex")
        lowered = name.strip().lower()
        if lowered in ("@", zone["name"] + "."):
            return "@"
        if not lowered:
            raise UnprocessableEntity("name must not be empty; use @ for the apex of %s" % zone["name"])
        if lowered.endswith("."):
            suffix = "." + zone["name"] + "."
            if not lowered.endswith(suffix):
                raise UnprocessableEntity("name %r is not within the zone %s" % (name, zone["name"]))
            lowered = lowered[:-len(suffix)]
        labels = lowered.split(".")
        if (len(self.fqdn(zone, lowered)) > 253 or "*" in labels[1:]
                or not all(label == "*" or LABEL.match(label) for label in labels)):
            raise UnprocessableEntity("name %r is not a valid record name; allowed: letters, digits, '-' and '_' in dot-separated "
                                      "labels of at most 63 characters, '*' as the leftmost label, or @ for the apex" % name)
        return lowered

    @staticmethod
    def _check_int(field, value, low, high):
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise UnprocessableEntity("%s %r is invalid: it must be an integer from %d to %d" % (field, value, low, high))
        return value

    @staticmethod
    def _check_data(record_type, data):
        if not isinstance(data, str) or not data:
            raise UnprocessableEntity("data is required for %s records" % record_type)
        if record_type == "A":
            try:
                ipaddress.IPv4Address(data)
            except ValueError:
                raise UnprocessableEntity("data %r is not a valid IPv4 address (A records point to an IPv4 address)" % data) from None
            return data
        if record_type == "AAAA":
            try:
                return str(ipaddress.IPv6Address(data))
            except ValueError:
                raise UnprocessableEntity("data %r is not a valid IPv6 address (AAAA records point to an IPv6 address)" % data) from None
        if record_type in HOSTNAME_TYPES:
            if data == "@":
                return data
            if not data.endswith("."):
                raise UnprocessableEntity("Data needs to end with a dot (.)")
            host = data[:-1].lower()
            if not host or not _valid_hostname(host):
                raise UnprocessableEntity("data %r is not a valid hostname for a %s record" % (data, record_type))
            return host
        return data

    def _validate(self, zone, record_type, fields, creating):
        """Validated values for the ``fields`` given (already merged for updates)."""
        clean = {}
        if "name" in fields:
            clean["name"] = self._relative_name(zone, fields["name"])
        if "data" in fields:
            clean["data"] = self._check_data(record_type, fields["data"])
        if fields.get("ttl") is not None:
            ttl = fields["ttl"]
            if not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < MIN_TTL or ttl > MAX_TTL:
                raise UnprocessableEntity("ttl %r is invalid: the TTL must be an integer of at least %d seconds" % (ttl, MIN_TTL))
            clean["ttl"] = ttl
        elif creating:
            clean["ttl"] = DEFAULT_TTL
        used = USED_FIELDS.get(record_type, ())
        for field in ("priority", "port", "weight"):
            if field in used and fields.get(field) is not None:
                clean[field] = self._check_int(field, fields[field], 0, 65535)
        if "flags" in used and fields.get("flags") is not None:
            clean["flags"] = self._check_int("flags", fields["flags"], 0, 255)
        if "tag" in used and fields.get("tag") is not None:
            if fields["tag"] not in CAA_TAGS:
                raise UnprocessableEntity("tag %r is invalid: CAA tags are %s" % (fields["tag"], ", ".join(CAA_TAGS)))
            clean["tag"] = fields["tag"]
        return clean

    def _check_required(self, record_type, body):
        missing = [field for field in REQUIRED[record_type] if body.get(field) is None]
        if missing:
            raise UnprocessableEntity("%s records require %s; missing: %s"
                                      % (record_type, ", ".join(REQUIRED[record_type]), ", ".join(missing)))

    @staticmethod
    def _check_type(body):
        record_type = body.get("type")
        if record_type not in RECORD_TYPES:
            raise UnprocessableEntity("type %r is not a supported record type; supported: %s" % (record_type, ", ".join(RECORD_TYPES)))
        return record_type

    @staticmethod
    def _identity(record):
        return (record["name"], record["type"], record["data"]) + tuple(record.get(field) for field in OPTIONAL_FIELDS)

    def _check_coexistence(self, zone, candidate):
        """A CNAME owns its name alone; identical records are refused."""
        others = [record for record in zone["records"].values() if record["id"] != candidate.get("id") and record["name"] == candidate["name"]]
        owner = self.fqdn(zone, candidate["name"])
        if candidate["type"] == "CNAME" and others:
            raise UnprocessableEntity("a CNAME record cannot share its name with other records: %s already has %s record(s)"
                                      % (owner, ", ".join(sorted({record["type"] for record in others}))))
        if candidate["type"] != "CNAME" and any(record["type"] == "CNAME" for record in others):
            raise UnprocessableEntity("%s has a CNAME record, which cannot share its name with a %s record" % (owner, candidate["type"]))
        if any(self._identity(record) == self._identity(candidate) for record in others):
            raise UnprocessableEntity("an identical %s record for %s already exists" % (candidate["type"], owner))

    # -- zones -------------------------------------------------------------------------------

    def list_domains(self, call):
        del call
        return Page("domains", [self.render_domain(zone) for zone in sorted(self.domains.values(), key=lambda zone: zone["name"])])

    def _add(self, zone, record):
        record = dict({field: None for field in OPTIONAL_FIELDS}, id=self._new_id(), **record)
        zone["records"][record["id"]] = record
        return record

    def create_domain(self, call):
        body = call.body or {}
        name = self._check_zone_name(body.get("name"))
        if name in self.domains:
            raise UnprocessableEntity("domain %s already exists" % name)
        ip_address = body.get("ip_address")
        if ip_address is not None:
            try:
                ipaddress.IPv4Address(ip_address)
            except (TypeError, ValueError):
                raise UnprocessableEntity("ip_address %r is not a valid IPv4 address (it becomes an A record at the apex)" % (ip_address,)) from None
        zone = {"name": name, "ttl": ZONE_TTL, "records": {}, "serial": SERIAL_BASE, "created_at": self.now()}
        self._add(zone, {"type": "SOA", "name": "@", "data": str(ZONE_TTL), "ttl": ZONE_TTL})
        for nameserver in NAMESERVERS:
            self._add(zone, {"type": "NS", "name": "@", "data": nameserver, "ttl": ZONE_TTL})
        if ip_address is not None:
            self._add(zone, {"type": "A", "name": "@", "data": ip_address, "ttl": ZONE_TTL})
        self._touch(zone)
        self.domains[name] = zone
        return Result(201, {"domain": self.render_domain(zone, with_zone_file=False)})

    def get_domain(self, call):
        return Result(200, {"domain": self.render_domain(self.find(call.path_params["domain_name"]))})

    def delete_domain(self, call):
        zone = self.find(call.path_params["domain_name"])
        del self.domains[zone["name"]]
        return Result(204)

    # -- records -----------------------------------------------------------------------------

    def list_records(self, call):
        zone = self.find(call.path_params["domain_name"])
        records = list(zone["records"].values())
        wanted_name = call.query.get("name")
        if wanted_name:
            wanted = wanted_name.lower().rstrip(".")
            records = [record for record in records if self.fqdn(zone, record["name"]) == wanted]
        if call.query.get("type"):
            records = [record for record in records if record["type"] == call.query["type"]]
        return Page("domain_records", [self.render_record(record) for record in records])

    def create_record(self, call):
        zone = self.find(call.path_params["domain_name"])
        body = dict(call.body or {})
        record_type = self._check_type(body)
        if record_type == "SOA":
            raise UnprocessableEntity("SOA records are managed by DigitalOcean and cannot be created")
        if record_type == "MX" and body.get("name") is None:
            body["name"] = "@"
        self._check_required(record_type, body)
        clean = self._validate(zone, record_type, body, creating=True)
        candidate = dict({field: None for field in OPTIONAL_FIELDS}, type=record_type, **clean)
        self._check_coexistence(zone, candidate)
        record = self._add(zone, candidate)
        self._touch(zone)
        return Result(201, {"domain_record": self.render_record(record)})

    def get_record(self, call):
        zone = self.find(call.path_params["domain_name"])
        return Result(200, {"domain_record": self.render_record(self.find_record(zone, call.path_params["domain_record_id"]))})

    def _update(self, call, replace):
        """Validate everything first, then apply: a rejected update changes nothing."""
        zone = self.find(call.path_params["domain_name"])
        record = self.find_record(zone, call.path_params["domain_record_id"])
        body = call.body or {}
        record_type = self._check_type(body)
        if record_type != record["type"]:
            raise UnprocessableEntity("type cannot change: record %d is a %s record (delete it and create a %s record instead)"
                                      % (record["id"], record["type"], record_type))
        if record_type == "SOA":
            if set(body) - {"type", "ttl", "id"}:
                raise UnprocessableEntity("only the ttl of the SOA record can change")
            clean = self._validate(zone, record_type, {"ttl": body.get("ttl")}, creating=False)
        else:
            if replace:
                self._check_required(record_type, dict(body, name=body.get("name", "@" if record_type == "MX" else None)))
            clean = self._validate(zone, record_type, body, creating=False)
        candidate = dict(record, **clean)
        if record_type != "SOA":
            self._check_coexistence(zone, candidate)
        record.update(clean)
        self._touch(zone)
        return Result(200, {"domain_record": self.render_record(record)})

    def update_record(self, call):
        return self._update(call, replace=True)

    def patch_record(self, call):
        return self._update(call, replace=False)

    def delete_record(self, call):
        zone = self.find(call.path_params["domain_name"])
        record = self.find_record(zone, call.path_params["domain_record_id"])
        if record["type"] == "SOA":
            raise UnprocessableEntity("the SOA record is managed by DigitalOcean and cannot be deleted")
        del zone["records"][record["id"]]
        self._touch(zone)
        return Result(204)

    def state(self):
        return {
            "domains": [
                dict(self.render_domain(zone), records=[self.render_record(record) for record in zone["records"].values()])
                for zone in sorted(self.domains.values(), key=lambda zone: zone["name"])
            ],
        }
