# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP layer: routing, bearer-token auth, discovery, bodies and content types, watch streams,
fault injection, the request log and the control API (``/_emulator/``).

Behaviour lives in the models (models.py, controller.py); this module turns HTTP into model calls
and their results (or :class:`~.errors.ApiError`) back into HTTP, under the backend's lock.
"""

import json
import time
import uuid

import yaml
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from ..digitalocean.faults import FaultInjector
from . import errors
from .errors import ApiError, DropConnection
from .models import accepted_patch_types, patch_type_of
from .requestlog import RequestLog

JSON = "application/json"
UNAUTHENTICATED_PATHS = ("/version", "/healthz", "/livez", "/readyz")
MAX_WATCH_SECONDS = 3600


def _json_response(body, status=200, headers=None, mimetype=JSON):
    response = Response(json.dumps(body, separators=(",", ":")) + "\n", status=status, mimetype=mimetype)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _warning_header(text):
    return '299 - "%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


class Route:  # pylint: disable=too-few-public-methods,too-many-instance-attributes
    """A parsed Kubernetes API path."""

    def __init__(self):
        self.discovery = None
        self.rtype = None
        self.group = ""
        self.version = ""
        self.namespace = None
        self.name = None
        self.subresource = None
        self.watch_path = False


class KubernetesApp:
    """The WSGI application: one per emulated cluster."""

    def __init__(self, backend):
        self.backend = backend
        self.faults = FaultInjector()
        self.requests = RequestLog()

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            if request.path == "/_emulator" or request.path.startswith("/_emulator/"):
                response = self.control(request)
            else:
                response = self.api(request, environ)
        except HTTPException as exc:
            response = exc.get_response(environ)
        return response(environ, start_response)

    # -- the Kubernetes API --------------------------------------------------------------------------------

    def api(self, request, environ):  # pylint: disable=too-many-branches
        query = {key: request.args.get(key) for key in request.args}
        entry = RequestLog.new_entry(request.method, request.path, query, time.time())
        streaming = None
        with self.backend.lock:
            try:
                route = self.route(request.path)
                self._describe(entry, request, route, query)
                if not self._authorized(request) and request.path not in UNAUTHENTICATED_PATHS:
                    raise errors.unauthorized()
                rule = self.faults.pick(request.method, request.path)
                if rule is not None:
                    entry["fault"] = rule.kind
                    if rule.kind == "429":
                        raise errors.too_many_requests(rule.retry_after)
                    if rule.kind == "5xx":
                        raise errors.server_error(rule.status)
                    if rule.kind == "reset":
                        self.requests.append(RequestLog.finish(entry))
                        raise DropConnection()
                self.backend.tick()
                if entry["verb"] == "watch":
                    streaming = self._watch(route, query)
                    response = Response(streaming, status=200, mimetype=JSON, direct_passthrough=True)
                else:
                    response, mutated, warnings = self.dispatch(request, route, query, entry)
                    entry["mutated"] = mutated
                    entry["warnings"] = warnings
                    for text in warnings:
                        response.headers.add("Warning", _warning_header(text))
                    if mutated:
                        self.backend.tick()
            except ApiError as exc:
                response = _json_response(exc.status(), exc.code, exc.headers)
                entry["reason"] = exc.reason
            except DropConnection:
                _drop(environ)
                raise ConnectionResetError("connection reset by the emulator (fault injection)") from None
            response.headers["Audit-Id"] = str(uuid.uuid4())
            response.headers["Cache-Control"] = "no-cache, private"
            entry["status"] = response.status_code
            self.requests.append(RequestLog.finish(entry))
            if entry["fault"] == "response_lost":
                _drop(environ)
                raise ConnectionResetError("response lost (fault injection)")
        return response

    def _authorized(self, request):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return False
        token = header[len("Bearer "):].strip()
        if not token:
            return False
        tokens = self.backend.config.tokens
        # "<token>.<suffix>" is a token minted for a kubeconfig from a trusted one (the DigitalOcean
        # emulator issues a fresh token per kubeconfig download, as DOKS does).
        return not tokens or token in tokens or token.split(".", 1)[0] in tokens

    def route(self, path):  # pylint: disable=too-many-branches
        parts = [part for part in path.split("/") if part]
        route = Route()
        if not parts:
            route.discovery = "root"
            return route
        if parts[0] in ("version", "healthz", "livez", "readyz", "openapi"):
            route.discovery = parts[0]
            return route
        if parts[0] == "api":
            if len(parts) == 1:
                route.discovery = "api"
                return route
            route.version, rest = parts[1], parts[2:]
        elif parts[0] == "apis":
            if len(parts) == 1:
                route.discovery = "apis"
                return route
            route.group = parts[1]
            if len(parts) == 2:
                route.discovery = "group"
                return route
            route.version, rest = parts[2], parts[3:]
        else:
            raise errors.unknown_resource()
        if not rest:
            route.discovery = "resources"
            return route
        if rest[0] == "watch":
            route.watch_path = True
            rest = rest[1:]
        if rest and rest[0] == "namespaces" and len(rest) >= 3 and not (route.group == "" and len(rest) == 3 and rest[2] in ("status", "finalize")):
            route.namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            raise errors.unknown_resource()
        rtype = self.backend.registry.by_path(route.group, route.version, rest[0])
        if rtype is None:
            raise errors.unknown_resource()
        if route.namespace is not None and not rtype.namespaced:
            raise errors.unknown_resource()
        route.rtype = rtype
        route.name = rest[1] if len(rest) > 1 else None
        route.subresource = rest[2] if len(rest) > 2 else None
        if route.subresource and route.subresource not in rtype.subresources:
            raise errors.unknown_resource()
        if route.name and rtype.namespaced and route.namespace is None:
            raise errors.unknown_resource()
        return route

    @staticmethod
    def _describe(entry, request, route, query):
        if route.rtype is None:
            return
        method = request.method
        if method == "GET":
            verb = "get" if route.name else "list"
            if route.watch_path or str(query.get("watch", "")).lower() in ("true", "1"):
                verb = "watch"
        else:
            verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete" if route.name else "deletecollection"}.get(method)
        entry.update(verb=verb, kind=route.rtype.kind, group=route.rtype.group, version=route.rtype.version, namespace=route.namespace,
                     name=route.name, subresource=route.subresource, field_manager=query.get("fieldManager"),
                     dry_run=query.get("dryRun") == "All")
        if verb == "patch":
            entry["patch_type"] = patch_type_of(request.headers.get("Content-Type"))

    # -- dispatch ------------------------------------------------------------------------------------------

    def dispatch(self, request, route, query, entry):  # pylint: disable=too-many-return-statements,too-many-branches
        if route.discovery is not None:
            return self.discovery(request, route), False, []
        rtype = route.rtype
        verb = entry["verb"]
        dry_run = query.get("dryRun")
        if dry_run not in (None, "All"):
            raise errors.bad_request('Invalid dry run value: "%s"' % dry_run)
        dry_run = dry_run == "All"
        field_validation = query.get("fieldValidation") or "Warn"
        if field_validation not in ("Ignore", "Warn", "Strict"):
            raise errors.bad_request("fieldValidation parameter unsupported: %s" % field_validation)
        manager = query.get("fieldManager") or request.headers.get("User-Agent", "unknown").split("/", 1)[0] or "unknown"
        namespace = route.namespace
        if verb == "get":
            if route.subresource == "log":
                return self._pod_log(route, query), False, []
            if route.subresource == "scale":
                stored = self.backend.get_stored(rtype, namespace, route.name)
                return _json_response(self.backend.scale_of(stored)), False, []
            return _json_response(self.backend.get(rtype, namespace, route.name)), False, []
        if verb == "list":
            limit = query.get("limit")
            body = self.backend.list(rtype, namespace, query.get("labelSelector"), query.get("fieldSelector"),
                                     int(limit) if limit and limit.isdigit() else None, query.get("continue"))
            return _json_response(body), False, []
        if route.subresource == "log":
            raise errors.method_not_allowed()
        if verb == "create":
            if route.name:
                raise errors.method_not_allowed()
            body, warnings, mutated = self.backend.create(rtype, namespace, self._body(request), dry_run, manager, field_validation)
            return _json_response(body, 201 if mutated or dry_run else 200), mutated, warnings
        if verb == "update":
            body, warnings, mutated = self.backend.update(rtype, namespace, route.name, self._body(request), route.subresource, dry_run, manager,
                                                          field_validation)
            return _json_response(body), mutated, warnings
        if verb == "patch":
            patch_type = entry["patch_type"]
            if patch_type is None:
                raise errors.unsupported_media_type(accepted_patch_types(rtype))
            if patch_type == "apply":
                patch = request.get_data()
                field_validation = query.get("fieldValidation") or "Strict"
                force = str(query.get("force", "")).lower() in ("true", "1")
                manager = query.get("fieldManager")
            else:
                patch = self._body(request, allow_list=patch_type == "json")
                force = False
            existed = self.backend.find(rtype.group, rtype.kind, namespace or "", route.name) is not None
            body, warnings, mutated = self.backend.patch(rtype, namespace, route.name, patch_type, patch, route.subresource, dry_run, manager,
                                                         field_validation, force)
            return _json_response(body, 201 if patch_type == "apply" and not existed else 200), mutated, warnings
        options = self._delete_options(request, query)
        if verb == "delete":
            body, mutated = self.backend.delete(rtype, namespace, route.name, options, dry_run)
            return _json_response(body), mutated, []
        body, mutated = self.backend.delete_collection(rtype, namespace, query.get("labelSelector"), query.get("fieldSelector"), options, dry_run)
        return _json_response(body), mutated, []

    @staticmethod
    def _body(request, allow_list=False):
        data = request.get_data()
        if not data:
            raise errors.bad_request("the request body is empty")
        content_type = (request.headers.get("Content-Type") or JSON).split(";", 1)[0].strip().lower()
        try:
            if content_type in ("application/yaml", "application/x-yaml", "text/yaml"):
                body = yaml.safe_load(data)
            else:
                body = json.loads(data)
        except (ValueError, yaml.YAMLError) as exc:
            raise errors.bad_request("couldn't get version/kind; json parse error: %s" % exc) from None
        if not isinstance(body, dict) and not (allow_list and isinstance(body, list)):
            raise errors.bad_request("the request body must be a JSON object")
        return body

    def _delete_options(self, request, query):
        options = {}
        if request.get_data():
            options = self._body(request)
        if "propagationPolicy" in query and "propagationPolicy" not in options:
            options["propagationPolicy"] = query["propagationPolicy"]
        if "orphanDependents" in query and "orphanDependents" not in options:
            options["orphanDependents"] = str(query["orphanDependents"]).lower() in ("true", "1")
        return options

    def _pod_log(self, route, query):
        pod = self.backend.get_stored(route.rtype, route.namespace, route.name)
        spec = pod.body.get("spec") or {}
        containers = spec.get("containers") or []
        init = spec.get("initContainers") or []
        wanted = query.get("container")
        if not wanted:
            if len(containers) != 1:
                names = " ".join(item.get("name") for item in containers)
                message = "a container name must be specified for pod %s, choose one of: [%s]" % (route.name, names)
                if init:
                    message += " or one of the init containers: [%s]" % " ".join(item.get("name") for item in init)
                raise errors.bad_request(message)
            wanted = containers[0].get("name")
        container = next((item for item in containers + init if item.get("name") == wanted), None)
        if container is None:
            raise errors.bad_request("container %s is not valid for pod %s" % (wanted, route.name))
        status = next((item for item in (pod.body.get("status") or {}).get("containerStatuses") or [] if item.get("name") == wanted), {})
        waiting = (status.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") == "ContainerCreating" or not status:
            raise errors.bad_request('container "%s" in pod "%s" is waiting to start: ContainerCreating' % (wanted, route.name))
        text = self.backend.config.log_for(container.get("image"))
        if text is None:
            fails = self.backend.config.image_fails(container.get("image"))
            text = "emulator: container %s started (image %s)\n" % (wanted, container.get("image"))
            text += "emulator: container %s exited with code 1\n" % wanted if fails else ""
        tail = query.get("tailLines")
        if tail and tail.isdigit():
            lines = text.splitlines(True)
            text = "".join(lines[-int(tail):]) if int(tail) else ""
        return Response(text, status=200, mimetype="text/plain")

    # -- discovery -----------------------------------------------------------------------------------------

    def discovery(self, request, route):
        registry = self.backend.registry
        accept = request.headers.get("Accept", "")
        kind = route.discovery
        if kind == "version":
            minor = self.backend.config.kubernetes_version.split(".")[1]
            return _json_response({"major": "1", "minor": minor, "emulationMajor": "1", "emulationMinor": minor, "minCompatibilityMajor": "1",
                                   "minCompatibilityMinor": str(int(minor) - 1), "gitVersion": "v1.%s.1" % minor,
                                   "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
                                   "goVersion": "go1.24.0", "compiler": "gc", "platform": "linux/amd64"})
        if kind in ("healthz", "livez", "readyz"):
            return Response("ok", mimetype="text/plain")
        if kind in ("openapi", "root"):
            if kind == "root":
                paths = ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/version"]
                paths += ["/apis/%s" % group for group in registry.groups()]
                return _json_response({"paths": sorted(paths)})
            raise errors.unknown_resource()
        aggregated = "as=APIGroupDiscoveryList" in accept
        if kind == "api":
            if aggregated:
                return _json_response(registry.aggregated(True), mimetype=_aggregated_type(accept))
            return _json_response(registry.api_versions())
        if kind == "apis":
            if aggregated:
                return _json_response(registry.aggregated(False), mimetype=_aggregated_type(accept))
            return _json_response(registry.api_group_list())
        if kind == "group":
            document = registry.api_group(route.group)
        else:
            document = registry.resource_list(route.group, route.version)
        if document is None:
            raise errors.unknown_resource()
        return _json_response(document)

    # -- watch ---------------------------------------------------------------------------------------------

    def _watch(self, route, query):
        backend = self.backend
        rtype, namespace = route.rtype, route.namespace
        labels, fields = query.get("labelSelector"), query.get("fieldSelector")
        if route.name:
            fields = ",".join(item for item in (fields, "metadata.name=%s" % route.name) if item)
        timeout = query.get("timeoutSeconds")
        timeout = min(int(timeout), MAX_WATCH_SECONDS) if timeout and timeout.isdigit() else MAX_WATCH_SECONDS
        start = query.get("resourceVersion")
        initial = []
        if start in (None, "", "0"):
            listed = backend.list(rtype, namespace, labels, fields)
            for item in listed["items"]:
                item = dict(item, apiVersion=rtype.api_version, kind=rtype.kind)
                initial.append({"type": "ADDED", "object": item})
            cursor = backend.resource_version
        else:
            try:
                cursor = int(start)
                backend.events_since(cursor, rtype, namespace, labels, fields)
            except ValueError:
                raise errors.bad_request("invalid resource version: %s" % start) from None
        deadline = time.monotonic() + timeout

        def stream():
            position = cursor
            for event in initial:
                yield (json.dumps(event, separators=(",", ":")) + "\n").encode()
            while time.monotonic() < deadline and not backend.stopping:
                with backend.lock:
                    backend.tick()
                    try:
                        events, position = backend.events_since(position, rtype, namespace, labels, fields)
                    except ApiError as exc:
                        events = [{"type": "ERROR", "object": exc.status()}]
                        position = None
                    if not events and position is not None:
                        wait = min(1.0, deadline - time.monotonic())
                        if backend.next_deadline() is not None:
                            wait = min(wait, max(0.01, backend.next_deadline() - backend.now()))
                        backend.changed.wait(max(0.01, wait))
                        continue
                for event in events:
                    yield (json.dumps(event, separators=(",", ":")) + "\n").encode()
                if position is None:
                    return

        return stream()

    # -- control API -----------------------------------------------------------------------------------------

    def control(self, request):  # pylint: disable=too-many-return-statements,too-many-branches
        path = request.path[len("/_emulator"):].rstrip("/") or "/"
        method = request.method
        with self.backend.lock:
            try:
                if path == "/state" and method == "GET":
                    self.backend.tick()
                    return _json_response({"resourceVersion": str(self.backend.resource_version), "objects": self.backend.state()})
                if path == "/requests":
                    if method == "GET":
                        since = request.args.get("since")
                        return _json_response({"requests": self.requests.entries(int(since) if since and since.isdigit() else None)})
                    if method == "DELETE":
                        self.requests.clear()
                        return Response(status=204)
                if path == "/faults":
                    if method == "GET":
                        return _json_response({"faults": self.faults.active()})
                    if method == "POST":
                        rule = self.faults.add(_control_body(request))
                        return _json_response({"fault": rule.as_dict()}, 201)
                    if method == "DELETE":
                        self.faults.clear()
                        return Response(status=204)
                if path == "/reset" and method == "POST":
                    self.backend.reset()
                    self.faults.clear()
                    self.requests.clear()
                    return _json_response({"reset": True})
                if path == "/config":
                    if method == "POST":
                        self.backend.config.update(_control_body(request))
                        self.backend.tick()
                    if method in ("GET", "POST"):
                        return _json_response({"config": self.backend.config.as_dict()})
                if path == "/clock" and method == "POST":
                    body = _control_body(request)
                    seconds = body.get("advance") if isinstance(body, dict) else None
                    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                        raise ValueError("advance must be a number of seconds >= 0")
                    self.backend.clock.advance(seconds)
                    self.backend.tick()
                    self.backend.changed.notify_all()
                    return _json_response({"now": self.backend.now()})
            except ValueError as exc:
                return _json_response({"error": str(exc)}, 400)
        return _json_response({"error": "no control endpoint %s %s" % (method, request.path)}, 404)


def _control_body(request):
    try:
        return json.loads(request.get_data() or b"{}")
    except ValueError:
        raise ValueError("the body must be JSON") from None


def _aggregated_type(accept):
    return "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" if "v=v2" in accept else JSON


def _drop(environ):
    """Close the client's connection with a TCP RST (SO_LINGER 0), without an HTTP answer."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    import socket  # pylint: disable=import-outside-toplevel
    import struct  # pylint: disable=import-outside-toplevel
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass
