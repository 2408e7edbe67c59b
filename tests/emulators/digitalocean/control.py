# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small client for the emulator's control API (``/_emulator/``), for tests and the sandbox launcher.

    control = EmulatorControl("https://127.0.0.1:8443", "/path/to/ca.pem")
    control.reset()
    control.add_fault("response_lost", method="POST", path="/v2/vpcs")
    ...
    assert control.writes() == []

The CA bundle is passed on every call (``verify=``), so ``REQUESTS_CA_BUNDLE`` in the environment
cannot override it.
"""

import requests


class EmulatorControlError(RuntimeError):
    """The control API refused a call."""

    def __init__(self, status, payload):
        message = payload.get("message") if isinstance(payload, dict) else payload
        super().__init__("control API answered %d: %s" % (status, message))
        self.status = status
        self.payload = payload


class EmulatorControl:
    def __init__(self, base_url, ca_bundle, timeout=10.0):
        self.base_url = base_url.rstrip("/")
        self.ca_bundle = ca_bundle
        self.timeout = timeout
        self._session = requests.Session()

    def close(self):
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _call(self, method, path, payload=None, params=None):
        response = self._session.request(method, self.base_url + "/_emulator" + path, json=payload, params=params,
                                         verify=self.ca_bundle, timeout=self.timeout)
        body = response.json() if response.content else None
        if response.status_code >= 400:
            raise EmulatorControlError(response.status_code, body)
        return body

    # -- request log ----------------------------------------------------------------------

    def requests(self, since=None):
        """Log entries (oldest first), only those after sequence number ``since`` when given."""
        return self._call("GET", "/requests", params=None if since is None else {"since": since})

    def writes(self, since=None):
        """Log entries of POST/PUT/PATCH/DELETE requests to the DigitalOcean API."""
        return [entry for entry in self.requests(since) if entry["write"]]

    def contract_violations(self, since=None):
        """Log entries whose response broke the OpenAPI contract (emulator bugs)."""
        return [entry for entry in self.requests(since) if entry["contract_violation"]]

    def last_seq(self):
        """The sequence number of the newest log entry (0 when the log is empty): a mark for ``since``."""
        entries = self.requests()
        return entries[-1]["seq"] if entries else 0

    def clear_requests(self):
        self._call("DELETE", "/requests")

    # -- faults ---------------------------------------------------------------------------

    def add_fault(self, kind, method=None, path=None, count=None, rate=None, seed=None, retry_after=None, status=None):
        """Add a fault rule; ``kind`` is "429", "5xx", "reset" or "response_lost". Returns the rule."""
        rule = {"kind": str(kind)}
        for key, value in (("method", method), ("path", path), ("count", count), ("rate", rate), ("seed", seed),
                           ("retry_after", retry_after), ("status", status)):
            if value is not None:
                rule[key] = value
        return self._call("POST", "/faults", rule)

    def faults(self):
        return self._call("GET", "/faults")

    def clear_faults(self):
        self._call("DELETE", "/faults")

    # -- settings, state ------------------------------------------------------------------

    def configure(self, provision_delay=None, family_provision_delay=None, rate_limit_per_minute=None, rate_limit_per_hour=None,
                  kubernetes_api_url=None, kubernetes_ca_pem=None, kubernetes_token=None):
        """Change settings (only those given; "" resets a Kubernetes setting); returns the resulting configuration."""
        changes = {key: value for key, value in (
            ("provision_delay", provision_delay), ("family_provision_delay", family_provision_delay),
            ("rate_limit_per_minute", rate_limit_per_minute), ("rate_limit_per_hour", rate_limit_per_hour),
            ("kubernetes_api_url", kubernetes_api_url), ("kubernetes_ca_pem", kubernetes_ca_pem),
            ("kubernetes_token", kubernetes_token)) if value is not None}
        return self._call("POST", "/config", changes)

    def config(self):
        return self._call("GET", "/config")

    def reset(self):
        """State back to the seed; request log, fault rules and rate-limit counters cleared (settings kept)."""
        return self._call("POST", "/reset")

    def state(self):
        """Every family's resources, e.g. ``{"vpcs": [...], "vpc_members": {...}}``."""
        return self._call("GET", "/state")

    def advance_clock(self, seconds):
        """Move the emulator's clock forward, settling transitional statuses whose deadline passes."""
        return self._call("POST", "/clock", {"advance": seconds})

    def health(self):
        return self._call("GET", "/health")

    # -- VPC members the emulator does not model (e.g. Droplets) -----------------------------

    def attach_vpc_member(self, vpc_id, urn, name):
        """Make ``urn`` (e.g. ``do:droplet:123``) a member of the VPC; returns the member."""
        return self._call("POST", "/vpcs/%s/members" % vpc_id, {"urn": urn, "name": name})["member"]

    def detach_vpc_member(self, vpc_id, urn):
        self._call("DELETE", "/vpcs/%s/members" % vpc_id, {"urn": urn})
