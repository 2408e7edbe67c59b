# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request log tests assert on (``GET /_emulator/requests``).

One entry per request to the Kubernetes API (control-API calls are not logged):
``seq`` (increasing, never reused, also across clears), ``time`` (Unix seconds), ``method``, ``path``,
``query`` (name -> first value), ``verb`` (get, list, watch, create, update, patch, delete,
deletecollection; null for discovery and other non-resource paths), ``kind``, ``group``,
``version``, ``namespace``, ``name``, ``subresource``, ``patch_type`` (strategic, merge, json,
apply or null), ``field_manager``, ``dry_run`` (bool), ``write`` (a create/update/patch/delete that
is not a dry run), ``mutated`` (the request changed stored state: created, modified or deleted an
object; a no-op patch is a write that did not mutate), ``status``, ``reason`` (the Status reason of
a failure), ``warnings`` (Warning headers sent) and ``fault`` (null or the injected kind).

kubernetes.core 6.x re-sends a PATCH on every ``state: present`` run, so "nothing changed on a
re-run" is asserted with ``mutated``; ``write`` counts the requests that asked for a change.
"""

import itertools

WRITE_VERBS = frozenset(("create", "update", "patch", "delete", "deletecollection"))


class RequestLog:
    """Not thread-safe by itself: the HTTP layer calls it under the backend lock."""

    def __init__(self, limit=100000):
        self._seq = itertools.count(1)
        self._entries = []
        self._limit = limit

    @staticmethod
    def new_entry(method, path, query, now):
        return {
            "seq": None, "time": now, "method": method, "path": path, "query": query, "verb": None, "kind": None, "group": None,
            "version": None, "namespace": None, "name": None, "subresource": None, "patch_type": None, "field_manager": None,
            "dry_run": False, "write": False, "mutated": False, "status": None, "reason": None, "warnings": [], "fault": None,
        }

    @staticmethod
    def finish(entry):
        entry["write"] = entry["verb"] in WRITE_VERBS and not entry["dry_run"]
        return entry

    def append(self, entry):
        entry["seq"] = next(self._seq)
        self._entries.append(entry)
        if len(self._entries) > self._limit:
            del self._entries[:len(self._entries) - self._limit]

    def entries(self, since=None):
        return [dict(entry) for entry in self._entries if since is None or entry["seq"] > since]

    def clear(self):
        self._entries = []
