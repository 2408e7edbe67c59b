# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DigitalOcean's OpenAPI contract: loading (once per process), routing and validation.

The contract is data kept outside the project (``../shared/digitalocean/openapi-subset.json``,
or the file named by ``FEDIOPS_DO_OPENAPI_SPEC``). A missing contract is an error, never a skip.
Requests and responses are checked with openapi-core against the contract's own server URL, so
the emulator's address does not matter.
"""

import json
import os
import pathlib
import re
import threading

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.validation.request.exceptions import (
    InvalidRequestBody,
    MissingRequestBodyError,
    ParameterValidationError,
    RequestBodyValidationError,
    SecurityValidationError,
)
from werkzeug.datastructures import Headers, ImmutableMultiDict

from .errors import BadRequest, MethodNotAllowed, NotFound, Unauthorized, UnprocessableEntity

SPEC_ENV = "FEDIOPS_DO_OPENAPI_SPEC"
REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class SpecNotFoundError(FileNotFoundError):
    """The OpenAPI contract is not where it should be."""


def default_spec_path():
    """``$FEDIOPS_DO_OPENAPI_SPEC``, else ``<repo>/../shared/digitalocean/openapi-subset.json``."""
    configured = os.environ.get(SPEC_ENV)
    if configured:
        return pathlib.Path(configured)
    return REPO_ROOT.parent / "shared" / "digitalocean" / "openapi-subset.json"


_CACHE = {}
_CACHE_LOCK = threading.Lock()


def load_spec(path=None):
    """The :class:`ApiSpec` at ``path`` (default :func:`default_spec_path`), loaded once per process."""
    resolved = pathlib.Path(path or default_spec_path()).resolve()
    if not resolved.is_file():
        raise SpecNotFoundError("DigitalOcean OpenAPI spec not found at %s (set %s or pass --spec)" % (resolved, SPEC_ENV))
    with _CACHE_LOCK:
        spec = _CACHE.get(resolved)
        if spec is None:
            with open(resolved, encoding="utf-8") as handle:
                spec = ApiSpec(resolved, json.load(handle))
            _CACHE[resolved] = spec
        return spec


class _SpecRequest:
    """What openapi-core reads of a request (the ``Request`` protocol), addressed to the contract's server."""

    def __init__(self, host_url, method, path, query, headers, body):
        self.host_url = host_url
        self.path = path
        self.method = method.lower()
        self.body = body or None
        # The emulator reads every body as JSON, whatever the client calls it (as DigitalOcean does).
        self.content_type = "application/json"
        self.parameters = RequestParameters(query=ImmutableMultiDict(query), header=Headers(headers), cookie=ImmutableMultiDict())


class _SpecResponse:
    def __init__(self, status, headers, data, content_type="application/json"):
        self.status_code = status
        self.headers = Headers(headers)
        self.data = data or b""
        self.content_type = content_type


class Route:
    def __init__(self, template):
        self.template = template
        self.param_names = re.findall(r"{([^}/]+)}", template)
        pattern = "".join(
            "(?P<p%d>[^/]+)" % self.param_names.index(part[1:-1]) if part.startswith("{") else re.escape(part)
            for part in re.split(r"({[^}/]+})", template) if part
        )
        self.regex = re.compile("^" + pattern + "$")
        self.operations = {}

    def match(self, path):
        found = self.regex.match(path)
        if found is None:
            return None
        return {name: found.group("p%d" % index) for index, name in enumerate(self.param_names)}


def _location(path):
    text = ""
    for part in path:
        text += "[%d]" % part if isinstance(part, int) else ("." if text else "") + str(part)
    return text


def describe_schema_errors(schema_errors, root="body"):
    """One readable line per schema error, each naming the field it is about."""
    lines = []
    for error in schema_errors:
        where = _location(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [name for name in error.validator_value if name not in error.instance]
            lines.extend("%s is required" % ((where + "." if where else "") + name) for name in missing)
            continue
        if error.context:
            error = max(error.context, key=lambda sub: len(sub.absolute_path))
            where = _location(error.absolute_path) or where
        lines.append("%s: %s" % (where or root, error.message))
    return "; ".join(lines)


def _cause_text(exc):
    cause = exc.__cause__
    schema_errors = getattr(cause, "schema_errors", None)
    if schema_errors:
        return describe_schema_errors(schema_errors)
    return str(cause or exc)


def _drop_dangling_discriminators(node):
    """Remove ``discriminator`` objects whose ``mapping`` points outside the document, in place.

    The contract as DigitalOcean publishes it maps the record types of ``domains_create_record`` to
    files of its source tree (``models/domain_record_types.yml#/...``) that the bundled contract does
    not contain; openapi-core follows the mapping and refuses every record. The ``anyOf`` beside the
    discriminator still validates the body.
    """
    if isinstance(node, dict):
        mapping = (node.get("discriminator") or {}).get("mapping") if isinstance(node.get("discriminator"), dict) else None
        if mapping and any(not str(target).startswith("#") for target in mapping.values()):
            del node["discriminator"]
        for value in node.values():
            _drop_dangling_discriminators(value)
    elif isinstance(node, list):
        for value in node:
            _drop_dangling_discriminators(value)
    return node


class ApiSpec:
    """The contract: operation lookup by method and path, request and response validation."""

    def __init__(self, path, document):
        self.path = pathlib.Path(path)
        self.server_url = document.get("servers", [{}])[0].get("url", "https://api.digitalocean.com")
        self.openapi = OpenAPI.from_dict(_drop_dangling_discriminators(document))
        self.operations = {}
        routes = []
        for template, item in document.get("paths", {}).items():
            route = Route(template)
            for method in HTTP_METHODS:
                operation = item.get(method)
                if isinstance(operation, dict) and operation.get("operationId"):
                    route.operations[method.upper()] = operation["operationId"]
                    self.operations[operation["operationId"]] = (method.upper(), template)
            routes.append(route)
        # Literal segments win over parameters (``/v2/databases/options`` before ``/v2/databases/{uuid}``).
        routes.sort(key=lambda route: (len(route.param_names), -len(route.template)))
        self.routes = routes

    def match(self, method, path):
        """``(operation_id, path_params)`` for a request; NotFound / MethodNotAllowed otherwise."""
        allowed = None
        for route in self.routes:
            params = route.match(path)
            if params is None:
                continue
            operation_id = route.operations.get(method.upper())
            if operation_id is not None:
                return operation_id, params
            allowed = allowed or sorted(route.operations)
        if allowed:
            raise MethodNotAllowed("%s is not allowed on %s; allowed: %s" % (method.upper(), path, ", ".join(allowed)))
        raise NotFound()

    def check_request(self, method, path, query, headers, body):
        """Validate a request against the contract; raises the DOError DigitalOcean would answer with."""
        for error in self.openapi.iter_request_errors(_SpecRequest(self.server_url, method, path, query, headers, body)):
            if isinstance(error, PathError):
                raise NotFound()
            if isinstance(error, ParameterValidationError):
                if error.location == "path":
                    raise NotFound()
                raise BadRequest("invalid %s parameter %s: %s" % (error.location, error.name, _cause_text(error)))
            if isinstance(error, MissingRequestBodyError):
                raise UnprocessableEntity("a JSON request body is required")
            if isinstance(error, InvalidRequestBody):
                raise UnprocessableEntity("invalid request body: " + _cause_text(error))
            if isinstance(error, RequestBodyValidationError):
                raise BadRequest("the request body is not valid JSON")
            if isinstance(error, SecurityValidationError):
                raise Unauthorized()
            raise BadRequest("invalid request: %s" % error)

    def check_response(self, method, path, status, headers, body, content_type="application/json"):
        """None when the response honours the contract, else a description of what is wrong."""
        errors = list(self.openapi.iter_response_errors(
            _SpecRequest(self.server_url, method, path, {}, {}, None), _SpecResponse(status, headers, body, content_type)))
        if not errors:
            return None
        return "; ".join("%s (%s)" % (type(error).__name__, _cause_text(error)) for error in errors)
