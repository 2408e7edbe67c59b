# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes-shaped API errors: ``Status`` objects as the API server answers them.

Models raise :class:`ApiError` (or build one with the helpers below); the HTTP layer renders
``error.status()`` with ``error.code`` and ``error.headers``. Messages follow the API server's
wording (``deployments.apps "web" not found``, ``Deployment.apps "web" is invalid: ...``).
"""

import json


class ApiError(Exception):
    """An error answered as a ``Status`` with ``status: Failure``."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = dict(headers or {})

    def status(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": self.message}
        if self.reason:
            body["reason"] = self.reason
        body["details"] = dict(self.details or {})
        body["code"] = self.code
        return body


class DropConnection(Exception):
    """Raised by the HTTP layer to close the client's connection without an answer (TCP RST)."""


def success_status(name, group, resource, uid=None):
    """What DELETE answers when the object was removed at once (no finalizer kept it)."""
    details = {"name": name, "kind": resource}
    if group:
        details["group"] = group
    if uid:
        details["uid"] = uid
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def _details(name, group, kind, causes=None):
    details = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    if kind:
        details["kind"] = kind
    if causes:
        details["causes"] = causes
    return details


def qualified(resource, group):
    """``deployments.apps`` / ``configmaps``: how the server names a resource in messages."""
    return "%s.%s" % (resource, group) if group else resource


def not_found(rtype, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (qualified(rtype.plural, rtype.group), name),
                    _details(name, rtype.group, rtype.plural))


def namespace_not_found(name):
    return ApiError(404, "NotFound", 'namespaces "%s" not found' % name, _details(name, "", "namespaces"))


def unknown_resource():
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def already_exists(rtype, name):
    return ApiError(409, "AlreadyExists", '%s "%s" already exists' % (qualified(rtype.plural, rtype.group), name),
                    _details(name, rtype.group, rtype.plural))


def conflict(rtype, name, why="the object has been modified; please apply your changes to the latest version and try again"):
    return ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": %s' % (qualified(rtype.plural, rtype.group), name, why),
                    _details(name, rtype.group, rtype.plural))


def apply_conflict(rtype, name, conflicts):
    """Server-side apply without force changed fields another manager owns."""
    causes = [{"reason": "FieldManagerConflict", "message": 'conflict with "%s"' % manager, "field": field} for manager, field in conflicts]
    lines = ["conflict with \"%s\": %s" % (manager, field) for manager, field in conflicts]
    if len(lines) == 1:
        message = "Apply failed with 1 conflict: %s" % lines[0]
    else:
        message = "Apply failed with %d conflicts: %s" % (len(lines), "\n".join(lines))
    return ApiError(409, "Conflict", message, _details(name, rtype.group, rtype.plural, causes))


def bad_request(message):
    return ApiError(400, "BadRequest", message, {})


def method_not_allowed():
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})


def unsupported_media_type(accepted):
    return ApiError(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types include: %s" % ", ".join(accepted), {})


def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized", None)


def forbidden(rtype, name, message):
    return ApiError(403, "Forbidden", message, _details(name, rtype.group, rtype.plural))


def too_many_requests(retry_after):
    return ApiError(429, "TooManyRequests", "Too many requests, please try again later.", {"retryAfterSeconds": int(retry_after)},
                    headers={"Retry-After": str(int(retry_after))})


SERVER_ERROR_REASONS = {500: "InternalError", 502: "", 503: "ServiceUnavailable", 504: "Timeout"}
SERVER_ERROR_MESSAGES = {
    500: "Internal error occurred: injected fault",
    502: "Bad Gateway",
    503: "the server is currently unable to handle the request",
    504: "the server was unable to return a response in the time allotted, but may still be processing the request",
}


def server_error(code):
    return ApiError(code, SERVER_ERROR_REASONS.get(code, "InternalError"), SERVER_ERROR_MESSAGES.get(code, "server error"), {})


# -- field errors (422 Invalid) -----------------------------------------------------------------------


def go_value(value):
    """A value the way the API server quotes it in a field error (Go's %#v, roughly)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if value is None:
        return "null"
    if isinstance(value, dict) and all(isinstance(item, str) for item in value.values()):
        inner = ", ".join("%s:%s" % (json.dumps(key), json.dumps(item)) for key, item in sorted(value.items()))
        return "map[string]string{%s}" % inner
    if isinstance(value, dict):
        return '"object"'
    return '"array"'


class FieldError:
    """One entry of an Invalid Status (``field.Error`` in the API server)."""

    def __init__(self, kind, field, value=None, detail="", supported=None, limit=None):
        self.kind = kind
        self.field = field
        self.value = value
        self.detail = detail
        self.supported = supported
        self.limit = limit

    @property
    def reason(self):
        return {
            "required": "FieldValueRequired",
            "invalid": "FieldValueInvalid",
            "notsupported": "FieldValueNotSupported",
            "duplicate": "FieldValueDuplicate",
            "forbidden": "FieldValueForbidden",
            "toolong": "FieldValueTooLong",
            "toomany": "FieldValueTooMany",
            "notfound": "FieldValueNotFound",
            "typeinvalid": "FieldValueTypeInvalid",
        }[self.kind]

    def body(self):
        if self.kind == "required":
            text = "Required value"
        elif self.kind == "forbidden":
            text = "Forbidden"
        elif self.kind == "notsupported":
            text = "Unsupported value: %s" % go_value(self.value)
            if self.supported:
                text += ": supported values: %s" % ", ".join(json.dumps(item) for item in self.supported)
            return text
        elif self.kind == "duplicate":
            text = "Duplicate value: %s" % go_value(self.value)
        elif self.kind == "notfound":
            text = "Not found: %s" % go_value(self.value)
        elif self.kind == "toolong":
            return "Too long: may not be more than %d bytes" % self.limit
        elif self.kind == "toomany":
            return "Too many: %s: must have at most %d items" % (go_value(self.value), self.limit)
        else:
            text = "Invalid value: %s" % go_value(self.value)
        if self.detail:
            text += ": " + self.detail
        return text

    def line(self):
        return "%s: %s" % (self.field, self.body()) if self.field else self.body()

    def cause(self):
        cause = {"reason": self.reason, "message": self.body()}
        if self.field:
            cause["field"] = self.field
        return cause


def invalid(rtype, name, errors):
    """422 Invalid for ``errors`` (a list of :class:`FieldError`)."""
    kind = "%s.%s" % (rtype.kind, rtype.group) if rtype.group else rtype.kind
    lines = [error.line() for error in errors]
    summary = lines[0] if len(lines) == 1 else "[%s]" % ", ".join(lines)
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (kind, name, summary),
                    _details(name, rtype.group, rtype.kind, [error.cause() for error in errors]))
