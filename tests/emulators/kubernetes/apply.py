# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server-side apply and field ownership.

A field path is a tuple of steps: ``("f", name)`` for a map key, ``("k", ((key, value), ...))`` for an
item of an associative list (``x-kubernetes-list-type: map`` or a patch merge key), ``("v", json)``
for an item of a set. Atomic lists and scalars are leaves. Each object keeps, per field manager,
the set of paths it owns and whether it got them by Apply or by Update (create, PUT, patches).

Apply merges the applied configuration into the live object, removes the fields this manager
applied before and no longer applies (unless another manager owns them too), and reports a conflict
when it would change a value another manager owns (``force`` takes the field over instead).
The emulator does not render ``metadata.managedFields``.
"""

import copy
import json

# Fields never owned: the server maintains them.
_SKIP_TOP = ("apiVersion", "kind", "status")
_OWNED_METADATA = ("labels", "annotations", "finalizers", "ownerReferences")


def _item_key(item, keys):
    return ("k", tuple((name, json.dumps(item.get(name), sort_keys=True)) for name in keys))


def _list_keys(node):
    if node.list_type == "map":
        return node.list_keys or []
    if node.list_type in ("atomic", "set"):
        return None
    return node.list_keys


def leaves(value, node, prefix=()):
    """Path -> value for every owned leaf of ``value`` (plus the paths of list items and non-empty maps)."""
    out = {}
    if isinstance(value, dict) and value and node.map_type != "atomic":
        for key, item in value.items():
            path = prefix + (("f", key),)
            child = node.child(key)
            if isinstance(item, (dict, list)) and item:
                sub = leaves(item, child, path)
                if sub:
                    out.update(sub)
                    continue
            out[path] = item
        return out
    if isinstance(value, list) and value:
        keys = _list_keys(node)
        if keys:
            for item in value:
                if not isinstance(item, dict):
                    return {prefix: value}
                path = prefix + (_item_key(item, keys),)
                out[path] = None
                for sub_path, sub_value in leaves(item, node.items(), path).items():
                    out[sub_path] = sub_value
            return out
        if node.list_type == "set":
            for item in value:
                out[prefix + (("v", json.dumps(item, sort_keys=True)),)] = item
            return out
    out[prefix] = value
    return out


def owned_view(obj):
    """The part of an object field managers can own."""
    view = {key: item for key, item in obj.items() if key not in _SKIP_TOP and key != "metadata"}
    metadata = {key: item for key, item in (obj.get("metadata") or {}).items() if key in _OWNED_METADATA}
    if metadata:
        view["metadata"] = metadata
    return view


def _get(obj, path):
    target = obj
    for kind, key in path:
        if kind == "f":
            if not isinstance(target, dict) or key not in target:
                return _MISSING
            target = target[key]
        else:
            if not isinstance(target, list):
                return _MISSING
            target = next((item for item in target if _matches(item, kind, key)), _MISSING)
            if target is _MISSING:
                return _MISSING
    return target


def _matches(item, kind, key):
    if kind == "k":
        return isinstance(item, dict) and all(json.dumps(item.get(name), sort_keys=True) == value for name, value in key)
    return json.dumps(item, sort_keys=True) == key


def _remove(obj, path):
    parent = _get(obj, path[:-1]) if len(path) > 1 else obj
    if parent is _MISSING:
        return
    kind, key = path[-1]
    if kind == "f" and isinstance(parent, dict):
        parent.pop(key, None)
    elif isinstance(parent, list):
        for index, item in enumerate(parent):
            if _matches(item, kind, key):
                parent.pop(index)
                break


class _Missing:  # pylint: disable=too-few-public-methods
    pass


_MISSING = _Missing()


def merge(live, applied, node):
    """The applied configuration merged into the live object (lists by their keys)."""
    if isinstance(live, dict) and isinstance(applied, dict) and node.map_type != "atomic":
        result = copy.deepcopy(live)
        for key, value in applied.items():
            result[key] = merge(live.get(key), value, node.child(key))
        return result
    if isinstance(live, list) and isinstance(applied, list):
        keys = _list_keys(node)
        if keys and all(isinstance(item, dict) for item in live + applied):
            applied_by_key = {_item_key(item, keys): item for item in applied}
            live_keys = set()
            result = []
            for item in live:
                key = _item_key(item, keys)
                live_keys.add(key)
                result.append(merge(item, applied_by_key[key], node.items()) if key in applied_by_key else copy.deepcopy(item))
            result.extend(copy.deepcopy(item) for item in applied if _item_key(item, keys) not in live_keys)
            return result
        if node.list_type == "set":
            result = list(live)
            result.extend(item for item in applied if item not in result)
            return result
    return copy.deepcopy(applied)


class Ownership:
    """Field managers of one object: (name, "Apply"|"Update") -> {"operation": ..., "fields": set of paths}."""

    def __init__(self, managers=None):
        self.managers = copy.deepcopy(managers or {})

    def copy(self):
        return Ownership(self.managers)

    def record_update(self, manager, old_obj, new_obj, node):
        """An Update by ``manager``: it takes every field whose value it changed; removed fields lose their owners."""
        old = leaves(owned_view(old_obj or {}), node) if old_obj else {}
        new = leaves(owned_view(new_obj), node)
        changed = {path for path, value in new.items() if old.get(path, _MISSING) != value}
        removed = set(old) - set(new)
        for key, entry in list(self.managers.items()):
            entry["fields"] -= changed | removed
            if not entry["fields"]:
                del self.managers[key]
        if changed:
            entry = self.managers.setdefault((manager, "Update"), {"operation": "Update", "fields": set()})
            entry["fields"] |= changed

    def apply(self, manager, live, applied, node, force):
        """Server-side apply of ``applied`` by ``manager`` onto ``live``: (new object, conflicts as (manager, field))."""
        applied_leaves = leaves(owned_view(applied), node)
        live_leaves = leaves(owned_view(live), node) if live else {}
        conflicts = []
        for path, value in applied_leaves.items():
            if live_leaves.get(path, _MISSING) == value or path not in live_leaves:
                continue
            for (name, _operation), entry in self.managers.items():
                if name != manager and path in entry["fields"]:
                    conflicts.append((name, _dotted(path)))
        if conflicts and not force:
            return None, conflicts
        result = merge(live or {}, applied, node)
        previous = self.managers.get((manager, "Apply"), {}).get("fields", set())
        others = set()
        for key, entry in self.managers.items():
            if key != (manager, "Apply"):
                if force:
                    changed = {path for path in entry["fields"] if path in applied_leaves and live_leaves.get(path, _MISSING) != applied_leaves[path]}
                    entry["fields"] -= changed
                others |= entry["fields"]
        stale = previous - set(applied_leaves) - others
        for path in sorted(stale, key=len, reverse=True):
            if any(other[:len(path)] == path for other in others | set(applied_leaves)):
                continue
            _remove(result, path)
            _prune_empty(result, path[:-1], others | set(applied_leaves))
        self.managers = {name: entry for name, entry in self.managers.items() if entry["fields"]}
        self.managers[(manager, "Apply")] = {"operation": "Apply", "fields": set(applied_leaves)}
        return result, []


def _prune_empty(obj, path, kept):
    """After a removal, drop maps the removal left empty (unless someone owns them)."""
    while path:
        value = _get(obj, path)
        if value is _MISSING or value or path in kept:
            return
        _remove(obj, path)
        path = path[:-1]


def _dotted(path):
    text = ""
    for kind, key in path:
        if kind == "f":
            text += "." + key
        elif kind == "k":
            text += "[" + ",".join("%s=%s" % (name, value) for name, value in key) + "]"
        else:
            text += "[=%s]" % key
    return text
