# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The container registry (``/v2/registry``): one per account, its subscription and Docker credentials.

From the contract and DigitalOcean's documentation:
- one registry per account (the single-registry API); its ``name`` is globally unique, 1-63 of
  lowercase letters, digits and ``-``, and becomes part of image URLs
  (``registry.digitalocean.com/<name>/<image>:<tag>``); ``region`` is one of the registry regions
  (``nyc3``, ``sfo3``, ``ams3``, ``sgp1``, ``fra1``); when omitted, one is chosen;
- a subscription tier (``starter``, ``basic``, ``professional``, with the contract's figures) is
  chosen on create and changed with ``POST /v2/registry/subscription``;
- ``GET /v2/registry/docker-credentials`` answers a Docker ``config.json``
  (``{"auths": {"registry.digitalocean.com": {"auth": base64("<token>:<token>")}}}``), read-only
  unless ``read_write=true``, not expiring unless ``expiry_seconds`` is given; every call issues a
  new token;
- ``POST /v2/registry/validate-name`` answers 204 for an available name, 409 for a taken one.
Not stated by the contract, so chosen here and documented in the README: a second registry is 409;
no registry is 404 for get, delete, subscription and credentials; an omitted region is ``nyc3``; the
names ``registry``, ``digitalocean``, ``docker``, ``library`` and ``example`` count as taken by other
accounts; names may not start or end with ``-``; repositories, garbage collection and tier
eligibility are not modelled (every tier is eligible).
"""

import base64
import copy
import re
import secrets

from ..errors import Conflict, NotFound, UnprocessableEntity
from ..models import Family, Result, isoformat

REGIONS = ("nyc3", "sfo3", "ams3", "sgp1", "fra1")
DEFAULT_REGION = "nyc3"
REGISTRY_HOST = "registry.digitalocean.com"
TAKEN_ELSEWHERE = ("registry", "digitalocean", "docker", "library", "example")
NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
TIERS = (
    {"name": "Starter", "slug": "starter", "included_repositories": 1, "included_storage_bytes": 524288000,
     "allow_storage_overage": False, "included_bandwidth_bytes": 524288000, "monthly_price_in_cents": 0,
     "storage_overage_price_in_cents": 0},
    {"name": "Basic", "slug": "basic", "included_repositories": 5, "included_storage_bytes": 5368709120,
     "allow_storage_overage": True, "included_bandwidth_bytes": 5368709120, "monthly_price_in_cents": 500,
     "storage_overage_price_in_cents": 2},
    {"name": "Professional", "slug": "professional", "included_repositories": 0, "included_storage_bytes": 107374182400,
     "allow_storage_overage": True, "included_bandwidth_bytes": 107374182400, "monthly_price_in_cents": 2000,
     "storage_overage_price_in_cents": 2},
)
NO_REGISTRY = "no container registry exists in this account; create one with POST /v2/registry"


def tier(slug):
    return next((dict(entry) for entry in TIERS if entry["slug"] == slug), None)


class RegistryFamily(Family):
    name = "registry"
    operations = {
        "registry_get": "get_registry",
        "registry_create": "create_registry",
        "registry_delete": "delete_registry",
        "registry_get_subscription": "get_subscription",
        "registry_update_subscription": "update_subscription",
        "registry_get_dockerCredentials": "docker_credentials",
        "registry_validate_name": "validate_name",
        "registry_get_options": "options",
    }

    def seed(self):
        """A fresh account has no registry."""
        self.registry = None
        self.credentials = []

    # -- queries -----------------------------------------------------------------------------

    def _current(self):
        if self.registry is None:
            raise NotFound(NO_REGISTRY)
        return self.registry

    @staticmethod
    def render_subscription(record):
        return {"tier": tier(record["tier"]), "created_at": isoformat(record["created_at"]),
                "updated_at": isoformat(record["subscription_updated_at"])}

    def render(self, record):
        return {
            "name": record["name"],
            "created_at": isoformat(record["created_at"]),
            "region": record["region"],
            "storage_usage_bytes": 0,
            "storage_usage_bytes_updated_at": isoformat(record["created_at"]),
            "subscription": self.render_subscription(record),
        }

    # -- rules -------------------------------------------------------------------------------

    def _name_problem(self, name):
        """(status, message) when ``name`` cannot be used, else None."""
        if not NAME.match(name or ""):
            return 422, "name %r is invalid: 1-63 lowercase letters, digits and dashes, not starting or ending with a dash" % (name,)
        if name in TAKEN_ELSEWHERE or (self.registry is not None and self.registry["name"] == name):
            return 409, "name %r is already in use; registry names are unique across DigitalOcean" % name
        return None

    # -- operations --------------------------------------------------------------------------

    def get_registry(self, call):
        del call
        return Result(200, {"registry": self.render(self._current())})

    def create_registry(self, call):
        body = call.body or {}
        if self.registry is not None:
            raise Conflict("this account already has a container registry (%s); an account has one registry" % self.registry["name"])
        problem = self._name_problem(body.get("name"))
        if problem:
            raise (Conflict if problem[0] == 409 else UnprocessableEntity)(problem[1])
        region = body.get("region") or DEFAULT_REGION
        now = self.now()
        self.registry = {"name": body["name"], "region": region, "tier": body["subscription_tier_slug"],
                         "created_at": now, "subscription_updated_at": now}
        return Result(201, {"registry": self.render(self.registry)})

    def delete_registry(self, call):
        del call
        self._current()
        self.registry = None
        return Result(204)

    def get_subscription(self, call):
        del call
        return Result(200, {"subscription": self.render_subscription(self._current())})

    def update_subscription(self, call):
        record = self._current()
        slug = (call.body or {}).get("tier_slug")
        if slug is None:
            raise UnprocessableEntity("tier_slug is required: one of %s" % ", ".join(entry["slug"] for entry in TIERS))
        if slug != record["tier"]:
            record["tier"] = slug
            record["subscription_updated_at"] = self.now()
        return Result(200, {"subscription": self.render_subscription(record)})

    def docker_credentials(self, call):
        record = self._current()
        read_write = str(call.query.get("read_write", "false")).lower() == "true"
        expiry = int(call.query.get("expiry_seconds") or 0)
        token = secrets.token_hex(32)
        self.credentials.append({"registry": record["name"], "read_write": read_write, "expiry_seconds": expiry,
                                 "token": token, "issued_at": isoformat(self.now()),
                                 "expires_at": isoformat(self.now() + expiry) if expiry else None})
        auth = base64.b64encode(("%s:%s" % (token, token)).encode("ascii")).decode("ascii")
        return Result(200, {"auths": {REGISTRY_HOST: {"auth": auth}}})

    def validate_name(self, call):
        problem = self._name_problem((call.body or {}).get("name"))
        if problem:
            raise (Conflict if problem[0] == 409 else UnprocessableEntity)(problem[1])
        return Result(204)

    def options(self, call):
        del call
        tiers = [dict(copy.deepcopy(entry), eligible=True, eligibility_reasons=[]) for entry in TIERS]
        return Result(200, {"options": {"available_regions": list(REGIONS), "subscription_tiers": tiers}})

    def state(self):
        return {
            "registry": None if self.registry is None else self.render(self.registry),
            "registry_credentials": [dict(entry) for entry in self.credentials],
        }
