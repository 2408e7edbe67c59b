# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request log tests assert on (``GET /_emulator/requests``).

One entry per request to the DigitalOcean API (control-API calls are not logged):
``seq`` (increasing, never reused, also across clears), ``time`` (Unix seconds), ``method``,
``path``, ``query`` (name -> first value), ``operation_id`` (null for unknown paths), ``status``
(the status answered; for ``response_lost`` the status that was computed but never sent; null for
``reset``), ``write`` (POST/PUT/PATCH/DELETE under /v2), ``fault`` (null or the injected kind),
``contract_violation`` (null, or why the emulator's own answer broke the contract: an emulator
bug tests should fail on), ``body`` (the parsed JSON request body or null) and ``request_id``.

With a ``contract_log`` path, every entry is also appended there as one JSON line of CONTRACT_FIELDS
(never a body or header): the test suite's record of what it sent, read by tests/tools/contract_report.py.
The file outlives resets and clears, and several emulators (one per pytest worker) may append to it.
"""

import itertools
import json
import os

WRITE_METHODS = frozenset(("POST", "PUT", "PATCH", "DELETE"))
CONTRACT_FIELDS = ("method", "path", "operation_id", "status", "contract_violation", "fault")


def contract_line(entry):
    """The JSON line kept for ``entry`` in the contract log: CONTRACT_FIELDS only, never a body."""
    return json.dumps({key: entry.get(key) for key in CONTRACT_FIELDS}, sort_keys=True) + "\n"


class RequestLog:
    """Not thread-safe by itself: the HTTP layer calls it under its lock."""

    def __init__(self, limit=100000, contract_log=None):
        self._seq = itertools.count(1)
        self._entries = []
        self._limit = limit
        self.contract_log = contract_log

    def new_entry(self, method, path, query, body, request_id, now):
        return {
            "seq": None,
            "time": now,
            "method": method,
            "path": path,
            "query": query,
            "operation_id": None,
            "status": None,
            "write": method in WRITE_METHODS and (path == "/v2" or path.startswith("/v2/")),
            "fault": None,
            "contract_violation": None,
            "body": body,
            "request_id": request_id,
        }

    def append(self, entry):
        entry["seq"] = next(self._seq)
        self._entries.append(entry)
        if self.contract_log:
            # One write(2) per line on an O_APPEND descriptor: lines of concurrent emulators do not interleave.
            descriptor = os.open(self.contract_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(descriptor, contract_line(entry).encode("utf-8"))
            finally:
                os.close(descriptor)
        if len(self._entries) > self._limit:
            del self._entries[:len(self._entries) - self._limit]

    def entries(self, since=None):
        return [dict(entry) for entry in self._entries if since is None or entry["seq"] > since]

    def clear(self):
        self._entries = []
