# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-token rate limits with DigitalOcean's headers.

Sliding windows, as DigitalOcean describes them ("the time when the oldest request will expire"):
every accepted request is remembered for an hour; a request is refused with 429 when the token
already made ``per_minute`` requests in the last 60 s or ``per_hour`` in the last 3600 s.
Refused requests are not counted. Headers on every response:
- ``ratelimit-limit``: the hourly limit;
- ``ratelimit-remaining``: what is left of the hourly budget;
- ``ratelimit-reset``: Unix time at which the oldest counted request leaves the hourly window
  (now, when nothing is counted);
and ``retry-after`` (whole seconds until a slot frees up) on a 429.
"""

import bisect
import math
import time

MINUTE, HOUR = 60.0, 3600.0


class Decision:
    def __init__(self, allowed, headers, retry_after=None):
        self.allowed = allowed
        self.headers = headers
        self.retry_after = retry_after


class RateLimiter:
    """Not thread-safe by itself: the HTTP layer calls it under its lock."""

    def __init__(self, per_minute=250, per_hour=5000, clock=time.time):
        self.per_minute = per_minute
        self.per_hour = per_hour
        self._clock = clock
        self._seen = {}

    def clear(self):
        self._seen.clear()

    def _window(self, key, now):
        stamps = self._seen.setdefault(key, [])
        expired = bisect.bisect_right(stamps, now - HOUR)
        if expired:
            del stamps[:expired]
        return stamps

    def _headers(self, stamps, now, used):
        reset = stamps[0] + HOUR if stamps else now
        return {
            "ratelimit-limit": str(self.per_hour),
            "ratelimit-remaining": str(max(0, self.per_hour - used)),
            "ratelimit-reset": str(int(math.ceil(reset))),
        }

    def peek(self, key):
        """Headers for a response that does not count (e.g. a 401)."""
        now = self._clock()
        stamps = self._window(key, now)
        return self._headers(stamps, now, len(stamps))

    def hit(self, key):
        """Count a request for ``key`` if the budget allows it."""
        now = self._clock()
        stamps = self._window(key, now)
        in_minute = len(stamps) - bisect.bisect_right(stamps, now - MINUTE)
        waits = []
        if in_minute >= self.per_minute:
            waits.append(stamps[len(stamps) - self.per_minute] + MINUTE - now)
        if len(stamps) >= self.per_hour:
            waits.append(stamps[len(stamps) - self.per_hour] + HOUR - now)
        if waits:
            return Decision(False, self._headers(stamps, now, len(stamps)), retry_after=max(1, int(math.ceil(max(waits)))))
        stamps.append(now)
        return Decision(True, self._headers(stamps, now, len(stamps)))
