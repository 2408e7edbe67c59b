# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A client for the stand-in's control API (``/_emulator/``), for tests and the sandbox."""

import json
import ssl
import urllib.error
import urllib.request


class ControlError(RuntimeError):
    """The control API refused a request (the message is its ``error``)."""


class KubernetesControl:
    """``KubernetesControl(url, ca_bundle)``: reset, config, faults, the request log and the state."""

    def __init__(self, url, ca_bundle=None, timeout=10.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._context = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl.create_default_context()

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + "/_emulator" + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, context=self._context, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            try:
                detail = json.loads(detail).get("error", detail)
            except ValueError:
                pass
            raise ControlError("%s %s: %s %s" % (method, path, exc.code, detail)) from None
        return json.loads(payload) if payload else None

    def close(self):
        """Nothing to release (one connection per call); here for symmetry with the DigitalOcean control client."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def configure(self, ready_delay=None, failing_images=None, pod_logs=None, progress_deadline=None):
        """Change the given settings only (``progress_deadline`` cannot be unset this way: use ``set_config``)."""
        changes = {key: value for key, value in (("ready_delay", ready_delay), ("failing_images", failing_images), ("pod_logs", pod_logs),
                                                 ("progress_deadline", progress_deadline)) if value is not None}
        return self.set_config(**changes)

    def health(self):
        """True when ``GET /_emulator/state`` answers."""
        try:
            self._call("GET", "/state")
        except (ControlError, OSError):
            return False
        return True

    def reset(self):
        """Back to a fresh cluster; also clears faults and the request log (the config is kept)."""
        self._call("POST", "/reset")

    def state(self):
        """Every object by ``<plural>.<group>`` (``deployments.apps``, ``configmaps``, ``httproutes.gateway.networking.k8s.io``)."""
        return self._call("GET", "/state")["objects"]

    def objects(self, resource, namespace=None):
        items = self.state().get(resource, [])
        return [item for item in items if namespace is None or item["metadata"].get("namespace") == namespace]

    def requests(self, since=None):
        return self._call("GET", "/requests" + ("?since=%d" % since if since is not None else ""))["requests"]

    def clear_requests(self):
        self._call("DELETE", "/requests")

    def last_seq(self):
        entries = self.requests()
        return entries[-1]["seq"] if entries else 0

    def writes(self, since=None):
        """Requests that asked for a change (create/update/patch/delete, not dry-run)."""
        return [entry for entry in self.requests(since) if entry["write"]]

    def mutations(self, since=None):
        """Requests that changed stored state."""
        return [entry for entry in self.requests(since) if entry["mutated"]]

    def add_fault(self, kind, **rule):
        """A fault rule: kind 429, 5xx, reset or response_lost; method, path (glob), count, rate, seed, retry_after, status."""
        rule["kind"] = kind
        return self._call("POST", "/faults", rule)["fault"]

    def faults(self):
        return self._call("GET", "/faults")["faults"]

    def clear_faults(self):
        self._call("DELETE", "/faults")

    def config(self):
        return self._call("GET", "/config")["config"]

    def set_config(self, **changes):
        """ready_delay, failing_images, pod_logs (image glob -> text), progress_deadline."""
        return self._call("POST", "/config", changes)["config"]

    def advance_clock(self, seconds):
        """Move the emulator's clock forward (settles delays and deadlines early)."""
        return self._call("POST", "/clock", {"advance": seconds})["now"]
