# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Spaces CDN endpoints (``/v2/cdn/endpoints``): state, DigitalOcean's rules and the CDN's own rate limits.

From the contract and DigitalOcean's documentation:
- the origin is a Space: ``<bucket>.<region>.digitaloceanspaces.com``; the endpoint is served from
  ``<bucket>.<region>.cdn.digitaloceanspaces.com``; one endpoint per origin;
- ``ttl`` is one of 60, 600, 3600, 86400, 604800 (default 3600; the contract enforces the values);
- a custom subdomain needs ``custom_domain`` and ``certificate_id`` together, the certificate being a
  DigitalOcean certificate for that name; PUT changes ``ttl``, ``certificate_id`` and ``custom_domain``;
- ``DELETE .../cache`` purges ``files`` (paths, ``*`` wildcards recursive; ``*`` alone purges all);
- CDN endpoints have their own rate limit of 5 requests per 10 seconds, and at most 50 files can be
  purged per 20 seconds; DigitalOcean answers these with 429 and its CDN limit in the
  ``ratelimit-*`` headers (``ratelimit-limit: 5``).
Not stated by the contract, so chosen here and documented in the README: a second endpoint for an
origin, an origin that is not a Space of a Spaces region, a custom domain already used by another
endpoint or under ``digitaloceanspaces.com``, a certificate that is unknown, not ``verified`` or does
not cover the custom domain are 422; ``custom_domain: ""`` in a PUT removes the custom domain with
its certificate (the contract's ``uuid`` format forbids an empty ``certificate_id``); a purge of more
than 50 files in one request is 422 (it could never fit the window); the limits count every request
that reaches the CDN family (per account, on the emulator clock) and are switched off with the
setting ``cdn_rate_limit: false`` (``POST /_emulator/config``).
"""

import math
import re
import uuid

from ..errors import NotFound, TooManyRequests, UnprocessableEntity
from ..models import Family, Page, Result, isoformat
from .certificates import covers, hostname_error

SPACES_REGIONS = ("ams3", "atl1", "blr1", "fra1", "lon1", "nyc3", "sfo2", "sfo3", "sgp1", "syd1", "tor1")
SPACES_DOMAIN = "digitaloceanspaces.com"
ORIGIN = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.(?P<region>[a-z]+[0-9])\." + re.escape(SPACES_DOMAIN) + r"$")
DEFAULT_TTL = 3600
REQUEST_LIMIT, REQUEST_WINDOW = 5, 10.0
PURGE_LIMIT, PURGE_WINDOW = 50, 20.0


class CdnFamily(Family):
    name = "cdn"
    operations = {
        "cdn_list_endpoints": "list_endpoints",
        "cdn_create_endpoint": "create_endpoint",
        "cdn_get_endpoint": "get_endpoint",
        "cdn_update_endpoints": "update_endpoint",
        "cdn_delete_endpoint": "delete_endpoint",
        "cdn_purge_cache": "purge_cache",
    }

    def seed(self):
        """A fresh account has no CDN endpoints."""
        self.endpoints = {}
        self.requests = []  # emulator-clock times of counted requests (the 5 per 10 s window)
        self.purges = []  # (time, endpoint id, files) of accepted purges (the 50 files per 20 s window, and the state)

    # -- the CDN's own rate limits ------------------------------------------------------------

    def limits_enabled(self):
        return getattr(self.backend.config, "cdn_rate_limit", True) is not False

    @staticmethod
    def _too_many(limit, retry_after, reset, message):
        raise TooManyRequests(max(1, int(math.ceil(retry_after))), message=message, headers={
            "ratelimit-limit": str(limit), "ratelimit-remaining": "0", "ratelimit-reset": str(int(math.ceil(reset)))})

    def _count_request(self):
        """Refuse (429) a request over 5 per 10 s; count it otherwise."""
        now = self.now()
        self.requests = [moment for moment in self.requests if moment > now - REQUEST_WINDOW]
        if self.limits_enabled() and len(self.requests) >= REQUEST_LIMIT:
            frees = self.requests[-REQUEST_LIMIT] + REQUEST_WINDOW
            self._too_many(REQUEST_LIMIT, frees - now, frees, "API rate limit exceeded: CDN endpoints allow %d requests per %d seconds."
                           % (REQUEST_LIMIT, REQUEST_WINDOW))
        self.requests.append(now)

    def _check_purge_budget(self, count):
        if count > PURGE_LIMIT:
            raise UnprocessableEntity("files: %d paths in one request; at most %d files can be purged per %d seconds (a wildcard path "
                                      "such as assets/* counts as one)" % (count, PURGE_LIMIT, PURGE_WINDOW))
        if not self.limits_enabled():
            return
        now = self.now()
        recent = [(moment, len(files)) for moment, dummy, files in self.purges if moment > now - PURGE_WINDOW]
        used = sum(number for dummy, number in recent)
        if used + count > PURGE_LIMIT:
            # the wait until enough of the oldest purges leave the window
            freed, frees = used, now
            for moment, number in recent:
                freed -= number
                frees = moment + PURGE_WINDOW
                if freed + count <= PURGE_LIMIT:
                    break
            self._too_many(PURGE_LIMIT, frees - now, frees, "Cache purge rate limit exceeded: at most %d files can be purged per %d "
                           "seconds (%d purged in the last %d s)." % (PURGE_LIMIT, PURGE_WINDOW, used, PURGE_WINDOW))

    # -- queries -----------------------------------------------------------------------------

    def find(self, endpoint_id):
        record = self.endpoints.get(str(endpoint_id).lower())
        if record is None:
            raise NotFound()
        return record

    def endpoints_using(self, certificate_id):
        return [record["id"] for record in self.endpoints.values() if record["certificate_id"] == certificate_id]

    @staticmethod
    def render(record):
        rendered = {
            "id": record["id"],
            "origin": record["origin"],
            "endpoint": record["endpoint"],
            "ttl": record["ttl"],
            "created_at": isoformat(record["created_at"]),
        }
        if record["custom_domain"]:
            rendered.update(certificate_id=record["certificate_id"], custom_domain=record["custom_domain"])
        return rendered

    # -- rules -------------------------------------------------------------------------------

    def _origin(self, origin):
        match = ORIGIN.match(str(origin).lower())
        if match is None or match.group("region") not in SPACES_REGIONS:
            raise UnprocessableEntity("origin %r must be the FQDN of a Space, <bucket>.<region>.%s, in a Spaces region (%s)"
                                      % (origin, SPACES_DOMAIN, ", ".join(SPACES_REGIONS)))
        origin = origin.lower()
        other = next((record for record in self.endpoints.values() if record["origin"] == origin), None)
        if other is not None:
            raise UnprocessableEntity("origin %s already has a CDN endpoint (%s)" % (origin, other["id"]))
        return origin, "%s.%s.cdn.%s" % (match.group("bucket"), match.group("region"), SPACES_DOMAIN)

    def _custom_domain(self, custom_domain, certificate_id, own_id=None):
        """The checked (custom_domain, certificate_id) pair, or (None, None) for none."""
        if not custom_domain and not certificate_id:
            return None, None
        if not custom_domain:
            raise UnprocessableEntity("certificate_id is only used with a custom_domain: set both, or neither")
        if not certificate_id:
            raise UnprocessableEntity("custom_domain %s needs a certificate_id: the id of a DigitalOcean certificate covering it"
                                      % custom_domain)
        custom_domain = custom_domain.lower().rstrip(".")
        error = hostname_error(custom_domain, wildcard=False)
        if error:
            raise UnprocessableEntity("custom_domain: " + error)
        if custom_domain.endswith("." + SPACES_DOMAIN):
            raise UnprocessableEntity("custom_domain %s must be a domain of your own, not under %s" % (custom_domain, SPACES_DOMAIN))
        other = next((record for record in self.endpoints.values()
                      if record["custom_domain"] == custom_domain and record["id"] != own_id), None)
        if other is not None:
            raise UnprocessableEntity("custom_domain %s is already used by CDN endpoint %s" % (custom_domain, other["id"]))
        certificates = self.backend.family("certificates")
        try:
            certificate = certificates.find(certificate_id)
        except NotFound:
            raise UnprocessableEntity("certificate_id %s is not a certificate of this account" % certificate_id) from None
        state = certificates.state_of(certificate)
        if state != "verified":
            raise UnprocessableEntity("certificate %s (%s) is %s; a CDN endpoint can only use a verified certificate"
                                      % (certificate["name"], certificate_id, state))
        if not covers(certificate["dns_names"], custom_domain):
            raise UnprocessableEntity("certificate %s (%s) covers %s, not custom_domain %s" % (
                certificate["name"], certificate_id, ", ".join(certificate["dns_names"]), custom_domain))
        return custom_domain, certificate["id"]

    # -- operations --------------------------------------------------------------------------

    def list_endpoints(self, call):
        del call
        self._count_request()
        return Page("endpoints", [self.render(record) for record in self.endpoints.values()])

    def create_endpoint(self, call):
        self._count_request()
        body = call.body or {}
        origin, endpoint = self._origin(body.get("origin"))
        custom_domain, certificate_id = self._custom_domain(body.get("custom_domain"), body.get("certificate_id"))
        record = {
            "id": str(uuid.uuid4()),
            "origin": origin,
            "endpoint": endpoint,
            "ttl": body.get("ttl", DEFAULT_TTL),
            "custom_domain": custom_domain,
            "certificate_id": certificate_id,
            "created_at": self.now(),
        }
        self.endpoints[record["id"]] = record
        return Result(201, {"endpoint": self.render(record)})

    def get_endpoint(self, call):
        self._count_request()
        return Result(200, {"endpoint": self.render(self.find(call.path_params["cdn_id"]))})

    def update_endpoint(self, call):
        self._count_request()
        record = self.find(call.path_params["cdn_id"])
        body = call.body or {}
        if body.get("custom_domain") == "":
            if body.get("certificate_id"):
                raise UnprocessableEntity("custom_domain \"\" removes the custom domain and its certificate; do not send a certificate_id with it")
            custom_domain, certificate_id = None, None
        else:
            custom_domain, certificate_id = self._custom_domain(body.get("custom_domain", record["custom_domain"]),
                                                                body.get("certificate_id", record["certificate_id"]), own_id=record["id"])
        record.update(custom_domain=custom_domain, certificate_id=certificate_id, ttl=body.get("ttl", record["ttl"]))
        return Result(200, {"endpoint": self.render(record)})

    def delete_endpoint(self, call):
        self._count_request()
        record = self.find(call.path_params["cdn_id"])
        del self.endpoints[record["id"]]
        return Result(204)

    def purge_cache(self, call):
        self._count_request()
        record = self.find(call.path_params["cdn_id"])
        files = call.body.get("files") or []
        if not files or not all(isinstance(path, str) and path.strip() for path in files):
            raise UnprocessableEntity("files must list at least one path to purge (a file, a directory with a wildcard such as "
                                      "assets/*, or * for everything)")
        self._check_purge_budget(len(files))
        self.purges.append((self.now(), record["id"], list(files)))
        return Result(204)

    def state(self):
        return {
            "cdn_endpoints": [self.render(record) for record in self.endpoints.values()],
            "cdn_purges": [{"endpoint_id": endpoint_id, "files": list(files), "time": isoformat(moment)}
                           for moment, endpoint_id, files in self.purges],
        }
