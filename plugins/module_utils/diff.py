# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Desired-versus-current comparison and ``--diff`` output, as pure functions.

Convention: in a desired state, ``None`` means "not specified, leave as it is". Nested dicts follow
the same rule key by key, so a module can manage part of a nested object.
"""

import json


def _canonical(value):
    return json.dumps(value, sort_keys=True, default=str)


def is_different(desired, current, unordered=False):
    """True when ``desired`` (None = not specified) does not match ``current``.

    Dicts compare only the keys ``desired`` specifies (recursively). Lists compare element by
    element, or as multisets when ``unordered`` is true (e.g. tags, firewall rules).
    """
    if desired is None:
        return False
    if isinstance(desired, dict):
        if not isinstance(current, dict):
            return True
        return any(is_different(v, current.get(k), unordered) for k, v in desired.items())
    if isinstance(desired, (list, tuple)):
        if not isinstance(current, (list, tuple)) or len(desired) != len(current):
            return True
        if unordered:
            return sorted(_canonical(v) for v in desired) != sorted(_canonical(v) for v in current)
        return any(is_different(d, c) for d, c in zip(desired, current))
    if isinstance(desired, bool) or isinstance(current, bool):
        return desired is not current
    return desired != current


def changed_fields(desired, current, keys=None, unordered_keys=()):
    """``{key: desired value}`` for every specified key whose desired value differs from ``current``.

    ``keys`` limits the comparison (default: all keys of ``desired``); ``current`` may be None (the
    resource does not exist), in which case every specified key is a change.
    """
    current = current or {}
    keys = list(desired) if keys is None else keys
    changes = {}
    for key in keys:
        value = desired.get(key)
        if value is None:
            continue
        if is_different(value, current.get(key), unordered=key in unordered_keys):
            changes[key] = value
    return changes


def _merge(current, desired):
    if isinstance(desired, dict) and isinstance(current, dict):
        merged = dict(current)
        for key, value in desired.items():
            if value is not None:
                merged[key] = _merge(current.get(key), value)
        return merged
    return current if desired is None else desired


def desired_state(current, desired, keys):
    """What the resource looks like after applying ``desired`` to ``current``, for ``keys`` only."""
    current = current or {}
    return dict((key, _merge(current.get(key), desired.get(key))) for key in keys
                if desired.get(key) is not None or key in current)


def project(resource, keys):
    """The managed part of a resource: only ``keys`` that are present; {} for a missing resource."""
    if not resource:
        return {}
    return dict((key, resource[key]) for key in keys if key in resource)


def build_diff(before, after, keys):
    """``{"before": ..., "after": ...}`` for ``--diff``, limited to the managed ``keys``.

    Pass None (or {}) as ``before`` for a creation and as ``after`` for a deletion.
    """
    return {'before': project(before, keys), 'after': project(after, keys)}
