# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VPCs (``/v2/vpcs``): state and DigitalOcean's rules.

Rules, from the descriptions in the OpenAPI contract:
- the name is unique in the account and may only contain alphanumerics, dashes and periods;
- the region must exist;
- ``ip_range`` is an RFC 1918 network, no smaller than /28 and no larger than /16, and must not
  overlap another VPC of the account; when omitted, a free /20 is generated;
- the first VPC created in a region becomes its default; ``default`` can be set on another VPC of
  the region (the previous one loses it) but never unset; the default VPC cannot be deleted (403);
- a VPC with members cannot be deleted (403).
Not stated by the contract, so chosen here and documented in the README: a duplicate name is a
422 ``unprocessable_entity``; PUT without ``description`` keeps the current description.
VPCs are synchronous at DigitalOcean: no transitional status.
"""

import ipaddress
import re
import uuid

from ..errors import Conflict, Forbidden, NotFound, UnprocessableEntity
from ..models import Family, Page, Result, isoformat

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9\-\.]+$")
MEMBER_URN_PATTERN = re.compile(r"^do:(dbaas|domain|droplet|floatingip|loadbalancer|space|volume|kubernetes|vpc):.+")
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(net) for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
MIN_PREFIX, MAX_PREFIX = 16, 28
GENERATED_PREFIX = 20
# Generated ranges are taken in order from here: the first /20 of 10.0.0.0/8 at or after it that is free.
GENERATED_START = ipaddress.ip_network("10.10.0.0/20")
_SEED_NAMESPACE = uuid.UUID("1c0a5a4e-7d0f-4c55-9a39-4f1f8c2d6b10")
_SEED_CREATED_AT = 1740787200.0  # 2025-03-01T00:00:00Z: seeds look the same after every reset


class VpcsFamily(Family):
    name = "vpcs"
    operations = {
        "vpcs_list": "list_vpcs",
        "vpcs_create": "create_vpc",
        "vpcs_get": "get_vpc",
        "vpcs_update": "update_vpc",
        "vpcs_patch": "patch_vpc",
        "vpcs_delete": "delete_vpc",
        "vpcs_list_members": "list_members",
    }

    def seed(self):
        """One default VPC per seed region, named ``default-<region>``, as an account that has used those regions has."""
        self.vpcs = {}
        regions = self.backend.family("regions")
        for region in self.backend.config.seed_regions:
            if not regions.exists(region):
                raise ValueError("seed region %r is not in the region catalogue" % region)
            vpc_id = str(uuid.uuid5(_SEED_NAMESPACE, "default-vpc:" + region))
            self._store(vpc_id, "default-" + region, region, regions.default_vpc_range(region), "", True, _SEED_CREATED_AT)

    # -- queries -----------------------------------------------------------------------------

    def _store(self, vpc_id, name, region, ip_range, description, default, created_at):
        record = {
            "id": vpc_id,
            "urn": "do:vpc:" + vpc_id,
            "name": name,
            "description": description,
            "region": region,
            "ip_range": ip_range,
            "default": default,
            "created_at": created_at,
        }
        self.vpcs[vpc_id] = record
        return record

    @staticmethod
    def render(record):
        return dict(record, created_at=isoformat(record["created_at"]))

    def find(self, vpc_id):
        record = self.vpcs.get(str(vpc_id).lower())
        if record is None:
            raise NotFound()
        return record

    def find_by_name(self, name):
        return next((record for record in self.vpcs.values() if record["name"] == name), None)

    def default_of(self, region):
        return next((record for record in self.vpcs.values() if record["region"] == region and record["default"]), None)

    # -- rules -------------------------------------------------------------------------------

    def _check_name(self, name, own_id=None):
        if not isinstance(name, str) or not name:
            raise UnprocessableEntity("name is required")
        if not NAME_PATTERN.match(name):
            raise UnprocessableEntity("name %r is invalid: it may only contain alphanumeric characters, dashes, and periods" % name)
        other = self.find_by_name(name)
        if other is not None and other["id"] != own_id:
            raise UnprocessableEntity("name %r is already in use by another VPC in this account; VPC names must be unique" % name)

    def _check_region(self, region):
        regions = self.backend.family("regions")
        if not isinstance(region, str) or not regions.exists(region):
            raise UnprocessableEntity("region %r is not a valid region; valid region slugs are: %s" % (region, ", ".join(regions.slugs())))

    @staticmethod
    def _check_description(description):
        if not isinstance(description, str) or len(description) > 255:
            raise UnprocessableEntity("description must be a string of at most 255 characters")

    def _overlapping(self, network):
        for record in self.vpcs.values():
            if ipaddress.ip_network(record["ip_range"]).overlaps(network):
                return record
        return None

    def _check_ip_range(self, ip_range):
        if not isinstance(ip_range, str):
            raise UnprocessableEntity("ip_range must be a string in CIDR notation")
        try:
            network = ipaddress.ip_network(ip_range, strict=True)
        except ValueError as exc:
            raise UnprocessableEntity("ip_range %r is not a valid network in CIDR notation (%s)" % (ip_range, exc)) from None
        if network.version != 4 or not any(network.subnet_of(private) for private in PRIVATE_NETWORKS):
            raise UnprocessableEntity("ip_range %s must be in a private address range as defined in RFC1918 "
                                      "(10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)" % network)
        if not MIN_PREFIX <= network.prefixlen <= MAX_PREFIX:
            raise UnprocessableEntity("ip_range %s is not allowed: a VPC network may not be smaller than /%d nor larger than /%d"
                                      % (network, MAX_PREFIX, MIN_PREFIX))
        other = self._overlapping(network)
        if other is not None:
            raise UnprocessableEntity("ip_range %s overlaps with VPC %r (%s); network ranges cannot overlap with other networks in the same account"
                                      % (network, other["name"], other["ip_range"]))
        return str(network)

    def _generate_ip_range(self):
        space = ipaddress.ip_network("10.0.0.0/8")
        base, size = int(space.network_address), 2 ** (32 - GENERATED_PREFIX)
        count = space.num_addresses // size
        taken = set()
        for record in self.vpcs.values():
            network = ipaddress.ip_network(record["ip_range"])
            if network.overlaps(space):
                first_block = (max(int(network.network_address), base) - base) // size
                last_block = (min(int(network.broadcast_address), int(space.broadcast_address)) - base) // size
                taken.update(range(first_block, last_block + 1))
        start = (int(GENERATED_START.network_address) - base) // size
        for step in range(count):
            block = (start + step) % count
            if block not in taken:
                return str(ipaddress.ip_network((base + block * size, GENERATED_PREFIX)))
        raise UnprocessableEntity("ip_range could not be generated: no free /%d is left in 10.0.0.0/8" % GENERATED_PREFIX)

    def _set_default(self, record, value):
        if not isinstance(value, bool):
            raise UnprocessableEntity("default must be a boolean")
        if value and not record["default"]:
            previous = self.default_of(record["region"])
            if previous is not None:
                previous["default"] = False
            record["default"] = True
        elif not value and record["default"]:
            raise UnprocessableEntity("default cannot be unset from true; to change the default VPC of region %s, "
                                      "set default to true on another VPC of that region" % record["region"])

    # -- operations --------------------------------------------------------------------------

    def list_vpcs(self, call):
        del call
        return Page("vpcs", [self.render(record) for record in self.vpcs.values()])

    def create_vpc(self, call):
        body = call.body or {}
        name, region = body.get("name"), body.get("region")
        self._check_name(name)
        if region is None:
            raise UnprocessableEntity("region is required")
        self._check_region(region)
        description = body.get("description", "")
        self._check_description(description)
        ip_range = self._check_ip_range(body["ip_range"]) if body.get("ip_range") is not None else self._generate_ip_range()
        first_in_region = self.default_of(region) is None
        record = self._store(str(uuid.uuid4()), name, region, ip_range, description, first_in_region, self.now())
        return Result(201, {"vpc": self.render(record)})

    def get_vpc(self, call):
        return Result(200, {"vpc": self.render(self.find(call.path_params["vpc_id"]))})

    def _update(self, record, body, replace):
        """Validate everything first, then apply: a rejected update changes nothing."""
        if replace and "name" not in body:
            raise UnprocessableEntity("name is required")
        if "name" in body:
            self._check_name(body["name"], own_id=record["id"])
        if "description" in body:
            self._check_description(body["description"])
        if "default" in body and body["default"] is not True:
            self._set_default(record, body["default"])  # raises unless it is a no-op
        for key in ("name", "description"):
            if key in body:
                record[key] = body[key]
        if body.get("default") is True:
            self._set_default(record, True)
        return Result(200, {"vpc": self.render(record)})

    def update_vpc(self, call):
        return self._update(self.find(call.path_params["vpc_id"]), call.body or {}, replace=True)

    def patch_vpc(self, call):
        return self._update(self.find(call.path_params["vpc_id"]), call.body or {}, replace=False)

    def delete_vpc(self, call):
        record = self.find(call.path_params["vpc_id"])
        if record["default"]:
            raise Forbidden("The default VPC for a region can not be deleted.")
        members = self.backend.members.members_of(record["id"])
        if members:
            raise Forbidden("A VPC can only be deleted if it does not contain any member resources; VPC %s has %d member(s)."
                            % (record["name"], len(members)))
        del self.vpcs[record["id"]]
        return Result(204)

    def list_members(self, call):
        record = self.find(call.path_params["vpc_id"])
        return Page("members", self.backend.members.members_of(record["id"], call.query.get("resource_type")))

    # -- control API (tests attach members the emulator does not model, e.g. Droplets) --------

    def attach_member(self, vpc_id, urn, name):
        record = self.find(vpc_id)
        if not isinstance(urn, str) or not MEMBER_URN_PATTERN.match(urn):
            raise UnprocessableEntity("urn must look like do:<droplet|dbaas|kubernetes|loadbalancer|...>:<id>")
        if not isinstance(name, str) or not name:
            raise UnprocessableEntity("name is required")
        member = {"urn": urn, "name": name, "created_at": self.timestamp()}
        holder = self.backend.members.attach(record["id"], member)
        if holder is not None:
            raise Conflict("%s is already a member of VPC %s" % (urn, holder))
        return member

    def detach_member(self, vpc_id, urn):
        record = self.find(vpc_id)
        if not self.backend.members.detach(record["id"], urn):
            raise NotFound("%s is not an attached member of VPC %s" % (urn, record["id"]))

    def state(self):
        return {
            "vpcs": [self.render(record) for record in self.vpcs.values()],
            "vpc_members": self.backend.members.all_members(),
        }
