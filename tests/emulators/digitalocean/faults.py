# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault injection rules (``/_emulator/faults``).

Kinds:
- ``429``: answered with 429 ``too_many_requests`` and ``retry-after`` before the request is applied;
- ``5xx``: answered with ``status`` (500, 502, 503 or 504) before the request is applied;
- ``reset``: the connection is dropped (TCP RST, no response) before the request is applied;
- ``response_lost``: the request IS applied, then the connection is dropped without a response.
A rule matches on ``method`` (default any) and ``path`` (an fnmatch glob on the path, default any)
and fires ``count`` times (default 1), or, with ``rate``, on that fraction of matching requests
drawn from a generator seeded with ``seed`` (forever, or at most ``count`` times when given too).
Rules are tried in the order they were added; the first that fires wins.
"""

import fnmatch
import itertools
import random

KINDS = ("429", "5xx", "reset", "response_lost")
SERVER_ERROR_STATUSES = (500, 502, 503, 504)


class FaultRule:
    _ids = itertools.count(1)

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault rule must be a JSON object")
        unknown = set(spec) - {"kind", "method", "path", "count", "rate", "seed", "retry_after", "status"}
        if unknown:
            raise ValueError("unknown fault rule keys: %s" % ", ".join(sorted(unknown)))
        self.kind = str(spec.get("kind"))
        if self.kind not in KINDS:
            raise ValueError("kind must be one of %s" % ", ".join(KINDS))
        method = spec.get("method")
        self.method = method.upper() if isinstance(method, str) and method else None
        path = spec.get("path")
        if path is not None and not isinstance(path, str):
            raise ValueError("path must be a glob string")
        self.path = path or None
        self.rate = spec.get("rate")
        count = spec.get("count")
        if self.rate is not None:
            if isinstance(self.rate, bool) or not isinstance(self.rate, (int, float)) or not 0 < self.rate <= 1:
                raise ValueError("rate must be a number in (0, 1]")
            self.seed = spec.get("seed", 0)
            self._random = random.Random(self.seed)
        else:
            self.seed = None
            self._random = None
            if count is None:
                count = 1
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise ValueError("count must be a positive integer")
        self.remaining = count
        self.retry_after = spec.get("retry_after", 1)
        if isinstance(self.retry_after, bool) or not isinstance(self.retry_after, int) or self.retry_after < 0:
            raise ValueError("retry_after must be a whole number of seconds >= 0")
        self.status = spec.get("status", 503)
        if self.kind == "5xx" and self.status not in SERVER_ERROR_STATUSES:
            raise ValueError("status must be one of %s" % ", ".join(map(str, SERVER_ERROR_STATUSES)))
        self.id = next(self._ids)
        self.fired = 0

    def matches(self, method, path):
        if self.method is not None and self.method != method.upper():
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)

    def fire(self):
        """Decide for one matching request; consumes the count or a draw of the seeded generator."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self._random is not None and self._random.random() >= self.rate:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        self.fired += 1
        return True

    @property
    def exhausted(self):
        return self.remaining is not None and self.remaining <= 0

    def as_dict(self):
        rule = {"id": self.id, "kind": self.kind, "method": self.method, "path": self.path, "remaining": self.remaining, "fired": self.fired}
        if self.rate is not None:
            rule.update(rate=self.rate, seed=self.seed)
        if self.kind == "429":
            rule["retry_after"] = self.retry_after
        if self.kind == "5xx":
            rule["status"] = self.status
        return rule


class FaultInjector:
    """Not thread-safe by itself: the HTTP layer calls it under its lock."""

    def __init__(self):
        self.rules = []

    def add(self, spec):
        rule = FaultRule(spec)
        self.rules.append(rule)
        return rule

    def clear(self):
        self.rules = []

    def pick(self, method, path):
        """The rule that fires for this request, if any (exhausted rules are dropped)."""
        chosen = None
        for rule in self.rules:
            if rule.matches(method, path) and rule.fire():
                chosen = rule
                break
        self.rules = [rule for rule in self.rules if not rule.exhausted]
        return chosen

    def active(self):
        return [rule.as_dict() for rule in self.rules]
