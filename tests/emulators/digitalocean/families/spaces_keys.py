# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Spaces access keys (``/v2/spaces/keys``): state and DigitalOcean's rules.

From the contract and DigitalOcean's documentation:
- a key has a name and grants ``[{bucket, permission}]``, permission ``read``, ``readwrite`` or
  ``fullaccess``; a full-access grant has the bucket ``""`` and cannot be mixed with scoped grants
  (400 "Cannot mix fullaccess permission with scoped permissions");
- the create answer (201) carries ``access_key`` and ``secret_key``; the secret is returned only
  then, never again;
- PUT and PATCH can only change the name ("You can only update the name of the key"; a full-access
  key cannot become a scoped key or the reverse);
- the list filters on ``name``, ``bucket`` and ``permission`` and sorts on ``sort`` (default
  ``created_at``) in ``sort_direction`` (default ``desc``).
Not stated by the contract, so chosen here and documented in the README: the name is required on
create and PUT (1-255 characters); names need not be unique (keys are identified by their access key);
an update whose ``grants`` differ from the key's is refused with 400 (DigitalOcean ignores or refuses
them; refusing makes a client that relies on it fail loudly); a grant's bucket must be a valid bucket
name (3-63 lowercase letters, digits and dashes) and appear once; an empty permission is refused; the
emulator does not check that buckets exist (buckets live in the S3 stand-in); ``GET`` of one key
answers ``{"key": {...}}`` as the contract's example does (its schema names a ``keys`` list).
"""

import re
import secrets
import string

from ..errors import BadRequest, NotFound, UnprocessableEntity
from ..models import Family, Page, Result, isoformat

PERMISSIONS = ("read", "readwrite", "fullaccess")
BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
ACCESS_KEY_ALPHABET = string.ascii_uppercase + string.digits
SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
SORT_FIELDS = ("created_at", "name")
MIXED = "Cannot mix fullaccess permission with scoped permissions"


def normalized_grants(grants):
    """Grants as a comparable, sorted list of (bucket, permission)."""
    return sorted((grant["bucket"], grant["permission"]) for grant in grants)


class SpacesKeysFamily(Family):
    name = "spaces_keys"
    operations = {
        "spacesKey_list": "list_keys",
        "spacesKey_create": "create_key",
        "spacesKey_get": "get_key",
        "spacesKey_update": "update_key",
        "spacesKey_patch": "patch_key",
        "spacesKey_delete": "delete_key",
    }

    def seed(self):
        """A fresh account has no Spaces keys."""
        self.keys = {}
        self._sequence = 0

    # -- queries -----------------------------------------------------------------------------

    def find(self, access_key):
        record = self.keys.get(str(access_key))
        if record is None:
            raise NotFound("Spaces access key %s not found" % access_key)
        return record

    @staticmethod
    def render(record, with_secret=False):
        rendered = {
            "name": record["name"],
            "grants": [dict(grant) for grant in record["grants"]],
            "access_key": record["access_key"],
            "created_at": isoformat(record["created_at"]),
        }
        if with_secret:
            rendered["secret_key"] = record["secret_key"]
        return rendered

    # -- rules -------------------------------------------------------------------------------

    @staticmethod
    def _check_name(name):
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise UnprocessableEntity("name is required: 1 to 255 characters naming the key")

    @staticmethod
    def _check_grants(grants):
        grants = grants or []
        for index, grant in enumerate(grants):
            field = "grants[%d]" % index
            permission, bucket = grant.get("permission"), grant.get("bucket")
            if permission not in PERMISSIONS:
                raise BadRequest("%s.permission %r is not valid; allowed: %s" % (field, permission, ", ".join(PERMISSIONS)))
            if permission == "fullaccess" and bucket != "":
                raise BadRequest("%s: a fullaccess grant covers every bucket and takes the bucket \"\" (got %r)" % (field, bucket))
            if permission != "fullaccess" and not BUCKET.match(bucket or ""):
                raise BadRequest("%s.bucket %r is not a valid bucket name (3-63 lowercase letters, digits and dashes)" % (field, bucket))
        permissions = {grant["permission"] for grant in grants}
        if "fullaccess" in permissions and len(grants) > 1:
            raise BadRequest(MIXED)
        buckets = [grant["bucket"] for grant in grants]
        duplicated = sorted({bucket for bucket in buckets if buckets.count(bucket) > 1})
        if duplicated:
            raise BadRequest("grants name bucket %s more than once; one grant per bucket" % ", ".join(duplicated))
        return [{"bucket": grant["bucket"], "permission": grant["permission"]} for grant in grants]

    def _new_access_key(self):
        while True:
            candidate = "DO" + "".join(secrets.choice(ACCESS_KEY_ALPHABET) for dummy in range(18))
            if candidate not in self.keys:
                return candidate

    # -- operations --------------------------------------------------------------------------

    def list_keys(self, call):
        query = call.query
        records = list(self.keys.values())
        if query.get("name"):
            records = [record for record in records if record["name"] == query["name"]]
        if query.get("bucket"):
            records = [record for record in records if any(grant["bucket"] == query["bucket"] for grant in record["grants"])]
        if query.get("permission"):
            records = [record for record in records if any(grant["permission"] == query["permission"] for grant in record["grants"])]
        sort = query.get("sort") or "created_at"
        if sort not in SORT_FIELDS:
            raise BadRequest("sort %r is not valid; allowed: %s" % (sort, ", ".join(SORT_FIELDS)))
        direction = query.get("sort_direction") or "desc"
        if direction not in ("asc", "desc"):
            raise BadRequest("sort_direction %r is not valid; allowed: asc, desc" % direction)
        records.sort(key=lambda record: (record[sort], record["sequence"]), reverse=direction == "desc")
        return Page("keys", [self.render(record) for record in records])

    def create_key(self, call):
        body = call.body or {}
        self._check_name(body.get("name"))
        grants = self._check_grants(body.get("grants"))
        self._sequence += 1
        record = {
            "name": body["name"],
            "grants": grants,
            "access_key": self._new_access_key(),
            "secret_key": "".join(secrets.choice(SECRET_ALPHABET) for dummy in range(43)),
            "created_at": self.now(),
            "sequence": self._sequence,
        }
        self.keys[record["access_key"]] = record
        return Result(201, {"key": self.render(record, with_secret=True)})

    def get_key(self, call):
        return Result(200, {"key": self.render(self.find(call.path_params["access_key"]))})

    def _update(self, call, replace):
        record = self.find(call.path_params["access_key"])
        body = call.body or {}
        if replace or "name" in body:
            self._check_name(body.get("name"))
        if body.get("grants") is not None:
            wanted = self._check_grants(body["grants"])
            if normalized_grants(wanted) != normalized_grants(record["grants"]):
                raise BadRequest("the grants of a Spaces key cannot be changed; you can only update the name of the key "
                                 "(create a new key with the new grants, then delete this one)")
        if "name" in body:
            record["name"] = body["name"]
        return Result(200, {"key": self.render(record)})

    def update_key(self, call):
        return self._update(call, replace=True)

    def patch_key(self, call):
        return self._update(call, replace=False)

    def delete_key(self, call):
        record = self.find(call.path_params["access_key"])
        del self.keys[record["access_key"]]
        return Result(204)

    def state(self):
        """Keys with their secrets (so tests can check what a client was given), oldest first."""
        records = sorted(self.keys.values(), key=lambda record: record["sequence"])
        return {"spaces_keys": [self.render(record, with_secret=True) for record in records]}
