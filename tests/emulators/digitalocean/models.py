# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulated account: the base every resource family builds on.

A family (``families/<name>.py``) holds the state and the rules of one kind of DigitalOcean
resource. It declares the operationIds of the OpenAPI contract it serves; each maps to a method
that takes a :class:`Call` and returns a :class:`Result` or a :class:`Page`, or raises a
:class:`~.errors.DOError`. Families never see HTTP: auth, validation, pagination, rate limits,
faults and the request log belong to the HTTP layer (``app.py``).
"""

import dataclasses
import datetime
import time

from .config import EmulatorConfig


class SystemClock:
    """Wall clock, optionally moved forward (``POST /_emulator/clock``) to settle transitions early."""

    def __init__(self):
        self._offset = 0.0

    def now(self):
        return time.time() + self._offset

    def advance(self, seconds):
        self._offset += float(seconds)


class FakeClock:
    """A clock that only moves when told to: for unit tests of time-dependent rules."""

    def __init__(self, start=1767225600.0):
        self._now = float(start)

    def now(self):
        return self._now

    def advance(self, seconds):
        self._now += float(seconds)


def isoformat(timestamp):
    """ISO 8601 in UTC with a ``Z`` suffix, as DigitalOcean writes ``created_at``."""
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Transition:
    """An asynchronous status change: ``transitional`` until ``deadline``, then ``final``.

    Nothing runs in the background: the status is computed when it is read. ``on_settle`` (optional)
    is called once, on the first read at or after the deadline, so a family can fill in what only
    exists once a resource is ready (e.g. connection details of a database cluster). Reads happen
    under the emulator's state lock, so the callback needs no locking of its own.
    """

    def __init__(self, transitional, final, deadline, on_settle=None):
        self.transitional = transitional
        self.final = final
        self.deadline = float(deadline)
        self._on_settle = on_settle
        self._settled = False

    def settled(self, now):
        if now < self.deadline:
            return False
        if not self._settled:
            self._settled = True
            if self._on_settle is not None:
                self._on_settle()
        return True

    def status(self, now):
        return self.final if self.settled(now) else self.transitional

    def remaining(self, now):
        return max(0.0, self.deadline - now)


@dataclasses.dataclass
class Call:
    """One API operation as a family sees it (already authenticated and validated)."""

    operation_id: str
    path_params: dict = dataclasses.field(default_factory=dict)
    query: dict = dataclasses.field(default_factory=dict)
    body: object = None


@dataclasses.dataclass
class Result:
    """A single response: status and JSON body (None for an empty body, e.g. 204).

    ``content_type`` other than JSON (e.g. ``application/yaml`` for a kubeconfig): ``body`` is the text sent as is.
    """

    status: int
    body: object = None
    content_type: str = "application/json"


@dataclasses.dataclass
class Page:
    """A list response: the HTTP layer slices ``items`` by ``page``/``per_page`` and adds links and meta."""

    key: str
    items: list


class Family:
    """Base of a resource family.

    Subclasses set ``name`` (the key of their resources in ``GET /_emulator/state`` and of their
    per-family provisioning delay) and ``operations`` (operationId -> method name), and seed their
    state in ``seed()``. A family is created anew on every reset.
    """

    name = ""
    operations = {}

    def __init__(self, backend):
        self.backend = backend
        self.seed()

    @property
    def clock(self):
        return self.backend.clock

    def now(self):
        return self.backend.clock.now()

    def timestamp(self):
        return isoformat(self.now())

    def provision_delay(self):
        return self.backend.config.provision_delay_for(self.name)

    def begin_transition(self, transitional, final, delay=None, on_settle=None):
        """Start an asynchronous status change lasting ``delay`` seconds (default: this family's provisioning delay)."""
        seconds = self.provision_delay() if delay is None else float(delay)
        return Transition(transitional, final, self.now() + seconds, on_settle=on_settle)

    def seed(self):
        """Create the resources a fresh account has (called on start and on every reset)."""

    def state(self):
        """Resources for ``GET /_emulator/state``: a dict of key -> JSON value (may be empty)."""
        return {}


class MemberRegistry:
    """Who is in which VPC.

    Families that place resources in VPCs (database clusters, Kubernetes clusters, ...) register a
    source: a callable returning ``(vpc_id, member)`` pairs, member being ``{"urn", "name",
    "created_at"}``. Tests add synthetic members (e.g. Droplets, which the emulator does not model)
    through the control API.
    """

    def __init__(self):
        self._sources = []
        self._synthetic = {}

    def add_source(self, source):
        self._sources.append(source)

    def attach(self, vpc_id, member):
        """Attach a synthetic member; returns the VPC id that already holds this URN, if any."""
        for holder, members in self._synthetic.items():
            if any(existing["urn"] == member["urn"] for existing in members):
                return holder
        for holder, existing in self._computed():
            if existing["urn"] == member["urn"]:
                return holder
        self._synthetic.setdefault(vpc_id, []).append(dict(member))
        return None

    def detach(self, vpc_id, urn):
        members = self._synthetic.get(vpc_id, [])
        kept = [member for member in members if member["urn"] != urn]
        self._synthetic[vpc_id] = kept
        return len(kept) != len(members)

    def _computed(self):
        for source in self._sources:
            for vpc_id, member in source():
                yield vpc_id, member

    def members_of(self, vpc_id, resource_type=None):
        members = [dict(member) for member in self._synthetic.get(vpc_id, [])]
        members.extend(dict(member) for holder, member in self._computed() if holder == vpc_id)
        if resource_type:
            members = [member for member in members if member["urn"].split(":")[1] == resource_type]
        return sorted(members, key=lambda member: (member.get("created_at", ""), member["urn"]))

    def all_members(self):
        """VPC id -> its members, for every VPC that has any."""
        vpc_ids = {vpc_id for vpc_id, members in self._synthetic.items() if members}
        vpc_ids.update(holder for holder, dummy in self._computed())
        return {vpc_id: self.members_of(vpc_id) for vpc_id in sorted(vpc_ids)}


class Backend:
    """The state of one emulated DigitalOcean account: every family plus the VPC member registry.

    Not thread-safe by itself: the HTTP layer holds one lock around every call into it.
    """

    def __init__(self, config=None, clock=None, family_classes=None):
        if family_classes is None:
            from .families import FAMILY_CLASSES  # pylint: disable=import-outside-toplevel
            family_classes = FAMILY_CLASSES
        self.config = config if config is not None else EmulatorConfig()
        self.clock = clock if clock is not None else SystemClock()
        self.family_classes = tuple(family_classes)
        self._handlers = {}
        for cls in self.family_classes:
            for operation_id, method in cls.operations.items():
                if operation_id in self._handlers:
                    raise ValueError("operation %s is served by two families: %s and %s"
                                     % (operation_id, self._handlers[operation_id][0].__name__, cls.__name__))
                if not callable(getattr(cls, method, None)):
                    raise ValueError("%s declares %s -> %s, which is not a method" % (cls.__name__, operation_id, method))
                self._handlers[operation_id] = (cls, method)
        self.members = None
        self.families = {}
        self.reset()

    def reset(self):
        """Back to the seed: every family is created anew."""
        self.members = MemberRegistry()
        self.families = {}
        for cls in self.family_classes:
            self.families[cls.name] = cls(self)

    def family(self, name):
        return self.families[name]

    @property
    def operation_ids(self):
        return frozenset(self._handlers)

    def handler(self, operation_id):
        """The bound method serving ``operation_id``, or None when no family serves it."""
        entry = self._handlers.get(operation_id)
        if entry is None:
            return None
        cls, method = entry
        return getattr(self.families[cls.name], method)

    def state(self):
        snapshot = {}
        for family in self.families.values():
            snapshot.update(family.state())
        return snapshot
