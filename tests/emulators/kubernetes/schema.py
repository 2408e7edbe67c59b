# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Schemas: what an object of a kind may contain, and the patch/apply metadata of its fields.

Built-in kinds use the Kubernetes OpenAPI definitions that ``kubernetes-validate`` ships (its
"strict" variant: unknown fields are visible as ``additionalProperties``). Custom kinds use the
``openAPIV3Schema`` of their CRD, walked here the way the apiextensions server does: prune unknown
fields, apply ``default``s, then validate. Either way the result is a :class:`Checked`: the object
without unknown fields, the unknown field paths, decode (type) errors and field errors.

:class:`Node` is a cursor on a schema used by strategic merge patch and server-side apply to find
``x-kubernetes-patch-merge-key``/``-strategy`` and ``x-kubernetes-list-type``/``-list-map-keys``.
"""

import copy
import dataclasses
import functools
import ipaddress
import json
import os
import re

import jsonschema
from referencing import Registry, Resource

from .errors import FieldError

import kubernetes_validate


def supported_versions():
    root = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
    found = []
    for name in os.listdir(root):
        match = re.match(r"^v(\d+)\.(\d+)\.0-local-strict$", name)
        if match:
            found.append((int(match.group(1)), int(match.group(2))))
    return ["%d.%d" % version for version in sorted(found)]


def field_path(parts):
    """``["spec", "containers", 0, "image"]`` -> ``spec.containers[0].image``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += "[%d]" % part
        else:
            text += ("." if text else "") + str(part)
    return text


def json_type(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def prune_nulls(value):
    """JSON nulls mean "not set" to the API server: drop them (map entries and list items keep their place)."""
    if isinstance(value, dict):
        return {key: prune_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [prune_nulls(item) for item in value]
    return value


def remove_path(obj, parts):
    target = obj
    for part in parts[:-1]:
        try:
            target = target[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(target, dict):
        target.pop(parts[-1], None)


@dataclasses.dataclass
class Checked:
    obj: dict
    unknown: list = dataclasses.field(default_factory=list)
    # (field path, decode message): the server answers 400 BadRequest for the first one
    decode_errors: list = dataclasses.field(default_factory=list)
    # FieldError: answered as 422 Invalid (with the semantic rules' errors)
    field_errors: list = dataclasses.field(default_factory=list)


class Node:
    """A position in a schema (built-in definitions or a CRD's openAPIV3Schema)."""

    def __init__(self, schema, resolver=None):
        self._resolver = resolver
        self.schema = self._resolve(schema or {})

    def _resolve(self, schema):
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and self._resolver is not None and seen < 20:
            resolved = dict(self._resolver(schema["$ref"]))
            for key, value in schema.items():
                if key.startswith("x-kubernetes-"):
                    resolved[key] = value
            schema = resolved
            seen += 1
        if isinstance(schema, dict) and "oneOf" in schema and "properties" not in schema and "items" not in schema:
            return schema
        return schema if isinstance(schema, dict) else {}

    def child(self, key):
        properties = self.schema.get("properties") or {}
        if key in properties:
            return Node(properties[key], self._resolver)
        additional = self.schema.get("additionalProperties")
        if isinstance(additional, dict):
            return Node(additional, self._resolver)
        return Node({}, self._resolver)

    def items(self):
        return Node(self.schema.get("items") or {}, self._resolver)

    @property
    def patch_strategy(self):
        return self.schema.get("x-kubernetes-patch-strategy", "")

    @property
    def merge_key(self):
        return self.schema.get("x-kubernetes-patch-merge-key")

    @property
    def list_type(self):
        return self.schema.get("x-kubernetes-list-type")

    @property
    def list_keys(self):
        keys = self.schema.get("x-kubernetes-list-map-keys")
        if keys:
            return list(keys)
        if self.merge_key and "merge" in self.patch_strategy:
            return [self.merge_key]
        return None

    @property
    def map_type(self):
        return self.schema.get("x-kubernetes-map-type")

    def is_object(self):
        types = self.schema.get("type")
        types = types if isinstance(types, list) else [types]
        return "object" in types or "properties" in self.schema


# -- built-in kinds ----------------------------------------------------------------------------------------

GO_TYPES = {("integer", "int32"): "int32", ("integer", "int64"): "int64", ("integer", None): "int64", ("number", "double"): "float64",
            ("number", None): "float64", ("string", None): "string", ("boolean", None): "bool"}


class BuiltinSchemas:
    """The OpenAPI definitions of one Kubernetes minor version (as shipped by kubernetes-validate)."""

    def __init__(self, version):
        if version not in supported_versions():
            raise ValueError("kubernetes-validate %s has no schemas for Kubernetes %s (it has %s)"
                             % (kubernetes_validate.__version__, version, ", ".join(supported_versions())))
        self.version = version
        self.directory = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema", "v%s.0-local-strict" % version)
        with open(os.path.join(self.directory, "_definitions.json"), encoding="utf-8") as handle:
            self.definitions = json.load(handle)
        self.defs = self.definitions["$defs"]
        self.registry = Resource.from_contents(self.definitions) @ Registry()
        self._validators = {}

    def resolve(self, ref):
        return self.defs[ref.rsplit("/", 1)[-1]]

    def definition_name(self, rtype):
        for name, schema in self.defs.items():
            for gvk in schema.get("x-kubernetes-group-version-kind") or ():
                if gvk.get("group", "") == rtype.group and gvk.get("version") == rtype.version and gvk.get("kind") == rtype.kind:
                    return name
        raise KeyError("no OpenAPI definition for %s %s" % (rtype.api_version, rtype.kind))

    def root(self, rtype):
        return Node({"$ref": "#/$defs/" + self.definition_name(rtype)}, self.resolve)

    def validator(self, rtype):
        key = (rtype.group, rtype.version, rtype.kind)
        if key not in self._validators:
            prefix = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", rtype.api_version)
            with open(os.path.join(self.directory, "%s-%s.json" % (rtype.kind.lower(), prefix)), encoding="utf-8") as handle:
                schema = json.load(handle)
            self._validators[key] = jsonschema.Draft202012Validator(schema, registry=self.registry)
        return self._validators[key]

    def check(self, rtype, obj):
        """Unknown fields, decode errors and schema-required fields of ``obj`` (already without nulls)."""
        result = Checked(obj=copy.deepcopy(obj))
        for error in self.validator(rtype).iter_errors(obj):
            path = list(error.absolute_path)
            if error.validator == "additionalProperties":
                known = (error.schema.get("properties") or {}).keys()
                instance = error.instance if isinstance(error.instance, dict) else {}
                for key in instance:
                    if key not in known:
                        result.unknown.append(path + [key])
            elif error.validator in ("type", "oneOf", "anyOf"):
                result.decode_errors.append((path, self._decode_message(rtype, path, error.instance)))
            elif error.validator == "required":
                missing = re.findall(r"'([^']+)' is a required property", error.message)
                for name in missing:
                    result.field_errors.append(FieldError("required", field_path(path + [name])))
            elif error.validator == "enum" and path[-1:] not in (["apiVersion"], ["kind"]):
                result.field_errors.append(FieldError("notsupported", field_path(path), error.instance, supported=error.validator_value))
        for path in sorted(result.unknown, key=len, reverse=True):
            remove_path(result.obj, path)
        return result

    def _deref(self, schema):
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if ref:
            name = ref.rsplit("/", 1)[-1]
            return self.defs[name], name
        return (schema if isinstance(schema, dict) else {}), None

    def _decode_message(self, rtype, path, value):
        """The Go decoder's words: ``json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32``."""
        current_name = self.definition_name(rtype)
        current = self.defs[current_name]
        struct = current_name
        for part in path:
            if isinstance(part, int):
                current, current_name = self._deref(current.get("items") or {})
                continue
            properties = current.get("properties") or {}
            if part in properties:
                struct = current_name or struct
                current, current_name = self._deref(properties[part])
            else:
                additional = current.get("additionalProperties")
                current, current_name = self._deref(additional if isinstance(additional, dict) else {})
        dotted = ".".join(str(part) for part in path if not isinstance(part, int))
        return '%s in version "%s" cannot be handled as a %s: json: cannot unmarshal %s into Go struct field %s.%s of type %s' % (
            rtype.kind, rtype.version, rtype.kind, _go_json_kind(value), struct.rsplit(".", 1)[-1], dotted, self._go_type(current, current_name))

    def _go_type(self, schema, name):
        if name:
            short = name.rsplit(".", 1)[-1]
            if "oneOf" in schema:
                return {"IntOrString": "intstr.IntOrString", "Quantity": "resource.Quantity"}.get(short, short)
            if schema.get("properties") is not None:
                return "v1." + short
        types = schema.get("type")
        types = [item for item in (types if isinstance(types, list) else [types]) if item and item != "null"]
        if "array" in types:
            return "[]" + self._go_type(*self._deref(schema.get("items") or {}))
        if "object" in types:
            return "map[string]string"
        kind = types[0] if types else "string"
        return GO_TYPES.get((kind, schema.get("format")), GO_TYPES.get((kind, None), kind))


def _go_json_kind(value):
    return {"integer": "number", "number": "number", "array": "array", "object": "object", "boolean": "bool", "string": "string"}.get(json_type(value), "value")


# -- custom kinds (CRD structural schemas) -------------------------------------------------------------------


class CrdSchema:
    """Prune, default and validate custom objects against one version's openAPIV3Schema."""

    def __init__(self, schema, status_subresource=False):
        self.schema = schema or {}
        self.status_subresource = status_subresource

    def root(self):
        return Node(self.schema)

    def check(self, obj):
        result = Checked(obj=copy.deepcopy(obj))
        body = result.obj
        properties = self.schema.get("properties") or {}
        for key in list(body):
            if key in ("apiVersion", "kind", "metadata"):
                continue
            if key not in properties and not self.schema.get("x-kubernetes-preserve-unknown-fields"):
                result.unknown.append([key])
                del body[key]
        for key, sub in properties.items():
            if key in ("apiVersion", "kind", "metadata"):
                continue
            if key not in body and "default" in sub:
                body[key] = copy.deepcopy(sub["default"])
            if key in body:
                body[key] = self._walk(sub, body[key], [key], result)
        for name in self.schema.get("required") or ():
            if name not in body and name not in ("apiVersion", "kind", "metadata"):
                result.field_errors.append(FieldError("required", name))
        return result

    def _walk(self, schema, value, path, result):  # pylint: disable=too-many-branches
        if value is None:
            return value
        if not self._type_ok(schema, value):
            expected = schema.get("type")
            actual = json_type(value)
            result.field_errors.append(FieldError("invalid", field_path(path), actual,
                                                  '%s in body must be of type %s: "%s"' % (field_path(path), expected, actual)))
            return value
        if isinstance(value, dict):
            properties = schema.get("properties")
            additional = schema.get("additionalProperties")
            preserve = schema.get("x-kubernetes-preserve-unknown-fields") or schema.get("x-kubernetes-embedded-resource")
            if properties is not None or additional is not None or not preserve:
                for key in list(value):
                    if properties and key in properties:
                        continue
                    if isinstance(additional, dict) or additional is True:
                        continue
                    if preserve:
                        continue
                    result.unknown.append(path + [key])
                    del value[key]
            for key, sub in (properties or {}).items():
                if key not in value and "default" in sub:
                    value[key] = copy.deepcopy(sub["default"])
                if key in value:
                    value[key] = self._walk(sub, value[key], path + [key], result)
            if isinstance(additional, dict):
                for key in list(value):
                    if not properties or key not in properties:
                        value[key] = self._walk(additional, value[key], path + [key], result)
            for name in schema.get("required") or ():
                if name not in value:
                    result.field_errors.append(FieldError("required", field_path(path + [name])))
            self._value_checks(schema, value, path, result)
            return value
        if isinstance(value, list):
            items = schema.get("items") or {}
            value = [self._walk(items, item, path + [index], result) for index, item in enumerate(value)]
            self._value_checks(schema, value, path, result)
            return value
        self._value_checks(schema, value, path, result)
        return value

    @staticmethod
    def _type_ok(schema, value):
        if schema.get("x-kubernetes-int-or-string"):
            return isinstance(value, (int, str)) and not isinstance(value, bool)
        expected = schema.get("type")
        if not expected:
            return True
        actual = json_type(value)
        if expected == "number":
            return actual in ("number", "integer")
        return actual == expected

    def _value_checks(self, schema, value, path, result):  # pylint: disable=too-many-branches
        where = field_path(path)
        if "enum" in schema and value not in schema["enum"]:
            result.field_errors.append(FieldError("notsupported", where, value, supported=schema["enum"]))
        if isinstance(value, str):
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                result.field_errors.append(FieldError("toolong", where, value, limit=schema["maxLength"]))
            if "minLength" in schema and len(value) < schema["minLength"]:
                result.field_errors.append(FieldError("invalid", where, value, "%s in body should be at least %d chars long" % (where, schema["minLength"])))
            if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
                result.field_errors.append(FieldError("invalid", where, value, "%s in body should match '%s'" % (where, schema["pattern"])))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                result.field_errors.append(FieldError("invalid", where, value, "%s in body should be greater than or equal to %s" % (where, schema["minimum"])))
            if "maximum" in schema and value > schema["maximum"]:
                result.field_errors.append(FieldError("invalid", where, value, "%s in body should be less than or equal to %s" % (where, schema["maximum"])))
        if isinstance(value, list):
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                result.field_errors.append(FieldError("toomany", where, len(value), limit=schema["maxItems"]))
            if "minItems" in schema and len(value) < schema["minItems"]:
                result.field_errors.append(FieldError("invalid", where, len(value), "%s in body should have at least %d items" % (where, schema["minItems"])))
            self._list_uniqueness(schema, value, path, result)
        if isinstance(value, dict):
            if "maxProperties" in schema and len(value) > schema["maxProperties"]:
                result.field_errors.append(FieldError("toomany", where, len(value), limit=schema["maxProperties"]))
            if "minProperties" in schema and len(value) < schema["minProperties"]:
                result.field_errors.append(FieldError("invalid", where, len(value),
                                                      "%s in body should have at least %d properties" % (where, schema["minProperties"])))
        for keyword in ("oneOf", "anyOf"):
            if keyword in schema:
                matches = sum(1 for option in schema[keyword] if _satisfies(option, value))
                if (keyword == "oneOf" and matches != 1) or (keyword == "anyOf" and matches == 0):
                    result.field_errors.append(FieldError("invalid", where, json_type(value), "%s in body must validate %s" % (where, keyword)))
        for option in schema.get("allOf") or ():
            if not _satisfies(option, value):
                result.field_errors.append(FieldError("invalid", where, json_type(value), "%s in body must validate all the schemas (allOf)" % where))
        if "not" in schema and _satisfies(schema["not"], value):
            result.field_errors.append(FieldError("invalid", where, json_type(value), "%s in body should not validate the schema (not)" % where))

    @staticmethod
    def _list_uniqueness(schema, value, path, result):
        list_type = schema.get("x-kubernetes-list-type")
        if list_type == "map":
            keys = schema.get("x-kubernetes-list-map-keys") or []
            seen = set()
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    continue
                key = tuple(json.dumps(item.get(name), sort_keys=True) for name in keys)
                if key in seen:
                    shown = {name: item.get(name) for name in keys}
                    result.field_errors.append(FieldError("duplicate", field_path(path + [index]), shown))
                seen.add(key)
        elif list_type == "set":
            seen = []
            for index, item in enumerate(value):
                if item in seen:
                    result.field_errors.append(FieldError("duplicate", field_path(path + [index]), item))
                seen.append(item)


@functools.lru_cache(maxsize=512)
def _pattern(pattern):
    return re.compile(pattern)


def _format_ok(fmt, value):
    if not isinstance(value, str) or fmt not in ("ipv4", "ipv6"):
        return True
    try:
        return ipaddress.ip_address(value).version == (4 if fmt == "ipv4" else 6)
    except ValueError:
        return False


def _satisfies(schema, value):  # pylint: disable=too-many-return-statements
    """Whether ``value`` meets a oneOf/anyOf/allOf/not branch (value validations, recursively)."""
    if not CrdSchema._type_ok(schema, value):  # pylint: disable=protected-access
        return False
    probe = Checked(obj=None)
    flat = {key: item for key, item in schema.items() if key not in ("oneOf", "anyOf", "allOf", "not")}
    CrdSchema({})._value_checks(flat, value, [], probe)  # pylint: disable=protected-access
    if probe.field_errors or not _format_ok(schema.get("format"), value):
        return False
    if isinstance(value, dict):
        if any(name not in value for name in schema.get("required") or ()):
            return False
        if any(key in value and not _satisfies(sub, value[key]) for key, sub in (schema.get("properties") or {}).items()):
            return False
    if isinstance(value, list) and schema.get("items") and not all(_satisfies(schema["items"], item) for item in value):
        return False
    if "oneOf" in schema and sum(1 for option in schema["oneOf"] if _satisfies(option, value)) != 1:
        return False
    if "anyOf" in schema and not any(_satisfies(option, value) for option in schema["anyOf"]):
        return False
    if any(not _satisfies(option, value) for option in schema.get("allOf") or ()):
        return False
    return not ("not" in schema and _satisfies(schema["not"], value))
