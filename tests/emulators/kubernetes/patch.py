# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The three PATCH formats other than apply: JSON merge patch (RFC 7386), JSON patch (RFC 6902)
and Kubernetes' strategic merge patch.

Strategic merge patch merges lists whose schema says ``x-kubernetes-patch-strategy: merge``: lists
of objects by their ``x-kubernetes-patch-merge-key`` (containers by ``name``, ports by
``containerPort``, volumeMounts by ``mountPath``...), lists of scalars as a union; other lists are
replaced. Directives: ``$patch: replace|delete|merge`` in maps and list items, ``$retainKeys``,
``$deleteFromPrimitiveList/<field>`` and ``$setElementOrder/<field>`` (honoured for order).
"""

import copy
import json


class PatchError(ValueError):
    """The patch cannot be applied (answered as 422 by the HTTP layer, like the server)."""


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# -- JSON patch --------------------------------------------------------------------------------------------


def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError("invalid JSON pointer %r" % path)
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _walk(doc, parts, path):
    target = doc
    for part in parts:
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            raise PatchError("doc is missing path: %s: missing value" % path)
    return target


def _get(doc, path):
    return _walk(doc, _pointer(path), path)


def _remove(doc, path):
    parts = _pointer(path)
    if not parts:
        raise PatchError("cannot remove the whole document")
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise PatchError("unable to remove nonexistent key: %s: missing value" % last)


def _add(doc, path, value, replace=False):
    parts = _pointer(path)
    if not parts:
        return copy.deepcopy(value)
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise PatchError("doc is missing key: %s: missing value" % path)
        parent[last] = copy.deepcopy(value)
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(copy.deepcopy(value))
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = copy.deepcopy(value)
            else:
                parent.insert(int(last), copy.deepcopy(value))
        else:
            raise PatchError("Unable to access invalid index: %s: invalid index" % last)
    else:
        raise PatchError("doc is missing path: %s: missing value" % path)
    return doc


def json_patch(target, operations):
    if not isinstance(operations, list):
        raise PatchError("json patch must be a list of operations")
    doc = copy.deepcopy(target)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation or "path" not in operation:
            raise PatchError("invalid JSON patch operation %s" % json.dumps(operation))
        op, path = operation["op"], operation["path"]
        if op == "add":
            doc = _add(doc, path, operation.get("value"))
        elif op == "remove":
            _remove(doc, path)
        elif op == "replace":
            doc = _add(doc, path, operation.get("value"), replace=True)
        elif op in ("move", "copy"):
            source = operation.get("from", "")
            value = copy.deepcopy(_get(doc, source))
            if op == "move":
                _remove(doc, source)
            doc = _add(doc, path, value)
        elif op == "test":
            if _get(doc, path) != operation.get("value"):
                raise PatchError("testing value %s failed: test failed" % path)
        else:
            raise PatchError("Unexpected kind: %s" % op)
    return doc


# -- strategic merge patch -----------------------------------------------------------------------------------

_DIRECTIVES = ("$patch", "$retainKeys")


def _strip(value):
    """A patch fragment used as a value: directives removed, nulls dropped."""
    if isinstance(value, dict):
        return {key: _strip(item) for key, item in value.items()
                if key not in _DIRECTIVES and not key.startswith("$") and item is not None}
    if isinstance(value, list):
        return [_strip(item) for item in value if not (isinstance(item, dict) and item.get("$patch") == "delete")]
    return value


def strategic_merge_patch(original, patch, node):
    """Apply ``patch`` to ``original``; ``node`` is the schema position of ``original`` (schema.Node)."""
    if not isinstance(patch, dict):
        raise PatchError("strategic merge patch must be a JSON object")
    return _merge_map(original if isinstance(original, dict) else {}, patch, node)


def _merge_map(original, patch, node):  # pylint: disable=too-many-branches
    directive = patch.get("$patch")
    if directive == "replace":
        return _strip(patch)
    if directive == "delete":
        return None
    if directive not in (None, "merge"):
        raise PatchError("Unknown patch type: %s in map: %s" % (directive, json.dumps(patch)))
    result = copy.deepcopy(original)
    orders = {}
    for key, value in patch.items():
        if key in _DIRECTIVES:
            continue
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list) and isinstance(value, list):
                result[field] = [item for item in result[field] if item not in value]
            continue
        if value is None:
            result.pop(key, None)
            continue
        child = node.child(key)
        if isinstance(value, dict):
            if child.map_type == "atomic" and value.get("$patch") is None:
                result[key] = _strip(value)
                continue
            merged = _merge_map(result.get(key) if isinstance(result.get(key), dict) else {}, value, child)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(result.get(key), value, child)
        else:
            result[key] = value
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _reorder(result[field], order, node.child(field))
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {key: item for key, item in result.items() if key in retain}
    return result


def _merge_list(original, patch, node):
    key = node.merge_key
    if "merge" not in node.patch_strategy or not isinstance(original, list):
        if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
            return [_strip(item) for item in patch if not (isinstance(item, dict) and "$patch" in item)]
        return _strip(patch)
    if key is None:
        result = list(original)
        for item in patch:
            if item not in result:
                result.append(item)
        return result
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [_strip(item) for item in patch if not (isinstance(item, dict) and "$patch" in item)]
    result = copy.deepcopy(original)
    for item in patch:
        if not isinstance(item, dict):
            raise PatchError("unable to merge a list item without the merge key %s: %s" % (key, json.dumps(item)))
        if key not in item:
            raise PatchError("map: %s does not contain declared merge key: %s" % (json.dumps(item), key))
        index = next((position for position, existing in enumerate(result) if isinstance(existing, dict) and existing.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
            continue
        if index is None:
            result.append(_strip(item))
        else:
            result[index] = _merge_map(result[index], item, node.items())
    return result


def _reorder(values, order, node):
    key = node.merge_key
    if key is None:
        ranked = [item for item in order if item in values]
        return ranked + [item for item in values if item not in ranked]
    wanted = [entry.get(key) for entry in order if isinstance(entry, dict)]
    ranked = sorted((item for item in values if isinstance(item, dict) and item.get(key) in wanted), key=lambda item: wanted.index(item.get(key)))
    return ranked + [item for item in values if not (isinstance(item, dict) and item.get(key) in wanted)]
