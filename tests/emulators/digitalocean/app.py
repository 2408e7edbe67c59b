# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP layer: the one place that owns auth, rate limits, faults, validation, pagination and the log.

Every request to the DigitalOcean API goes through :meth:`EmulatorApp.handle_api`:

1. find the operation in the contract by method and path (an unknown path is a 404 after auth);
2. bearer auth (401 ``unauthorized``);
3. the rate limit of the token (429 ``too_many_requests`` with ``retry-after``);
4. fault rules (``429``/``5xx`` answered and ``reset`` dropped here, before anything is applied);
5. request validation against the contract (4xx, nothing applied);
6. the family serving the operation, under the state lock (lists are paginated here);
7. response validation against the contract: a response that breaks it is replaced by a 500
   ``emulator_contract_violation`` and flagged in the log, since it is an emulator bug;
8. the request log entry; a ``response_lost`` fault then drops the connection unanswered.

Requests under ``/_emulator/`` go to the control API (``control_api.py``) instead.
"""

import json
import threading
import time
import traceback
import uuid

from .control_api import ControlAPI
from .errors import DOError, DropConnection, NotImplementedByEmulator, ServerError, TooManyRequests, Unauthorized
from .faults import FaultInjector
from .models import Backend, Call, Page, Result
from .pagination import capped_per_page, paginate
from .ratelimit import RateLimiter
from .requestlog import RequestLog
from .responses import JSON_CONTENT_TYPE, json_response, text_response

CONTROL_PREFIX = "/_emulator"
_SERVER_ERROR_IDS = {
    500: ("server_error", "Unexpected server-side error"),
    502: ("bad_gateway", "Bad gateway"),
    503: ("service_unavailable", "The service is temporarily unavailable. Please try again later."),
    504: ("gateway_timeout", "The server did not answer in time."),
}


def _parse_json(data):
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


class EmulatorApp:
    """The emulator minus the sockets: takes a werkzeug Request, returns a Response (or raises DropConnection)."""

    def __init__(self, spec, config, clock=None, family_classes=None):
        self.spec = spec
        self.config = config
        self.lock = threading.RLock()
        self.backend = Backend(config, clock=clock, family_classes=family_classes)
        self.limiter = RateLimiter(config.rate_limit_per_minute, config.rate_limit_per_hour)
        self.faults = FaultInjector()
        self.log = RequestLog()
        self.control = ControlAPI(self)

    def handle(self, request):
        if request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + "/"):
            return self.control.handle(request)
        return self.handle_api(request)

    def reset(self):
        with self.lock:
            self.backend.reset()
            self.log.clear()
            self.faults.clear()
            self.limiter.clear()

    # -- the DigitalOcean API ----------------------------------------------------------------

    def _token(self, request):
        scheme, dummy, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        if self.config.tokens and token not in self.config.tokens:
            return None
        return token

    def handle_api(self, request):
        method, path = request.method.upper(), request.path
        request_id = str(uuid.uuid4())
        data = request.get_data()
        entry = self.log.new_entry(method, path, request.args.to_dict(), _parse_json(data), request_id, time.time())
        headers = {}
        rule = None
        operation_id = None
        content_type = JSON_CONTENT_TYPE
        try:
            try:
                operation_id, path_params = self.spec.match(method, path)
                route_error = None
            except DOError as exc:
                route_error = exc
            entry["operation_id"] = operation_id
            token = self._token(request)
            with self.lock:
                if token is None:
                    headers.update(self.limiter.peek(None))
                    raise Unauthorized()
                self.limiter.per_minute = self.config.rate_limit_per_minute
                self.limiter.per_hour = self.config.rate_limit_per_hour
                decision = self.limiter.hit(token)
                headers.update(decision.headers)
                if not decision.allowed:
                    raise TooManyRequests(decision.retry_after)
                if route_error is not None:
                    raise route_error
                rule = self.faults.pick(method, path)
            if rule is not None:
                entry["fault"] = rule.kind
                self._inject_before(rule, entry)
            query = request.args.copy()
            if "per_page" in query:
                query["per_page"] = capped_per_page(query["per_page"])
            self.spec.check_request(method, path, query, request.headers, data)
            if operation_id not in self.backend.operation_ids:
                raise NotImplementedByEmulator("the emulator does not implement %s (%s %s) yet" % (operation_id, method, path))
            call = Call(operation_id, path_params, query.to_dict(), _parse_json(data))  # a copy: the log keeps its own
            with self.lock:
                outcome = self.backend.handler(operation_id)(call)
                if isinstance(outcome, Page):
                    outcome = Result(200, paginate(outcome.key, outcome.items, request.host_url, path, call.query))
            status, payload, content_type = outcome.status, outcome.body, outcome.content_type
        except DOError as exc:
            status, payload = exc.status, exc.body(request_id)
            headers.update(exc.headers)
        except DropConnection:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # An emulator bug: answer like DigitalOcean would, and flag it so tests fail on it.
            status, payload = 500, ServerError("emulator error: %r" % exc).body(request_id)
            entry["contract_violation"] = "unhandled exception in %s: %s" % (operation_id, traceback.format_exc(limit=3))
        text = content_type != JSON_CONTENT_TYPE and isinstance(payload, str)  # e.g. a kubeconfig (YAML)
        body = b"" if payload is None else payload.encode("utf-8") if text else json.dumps(payload).encode("utf-8")
        if operation_id is not None and entry["contract_violation"] is None:
            violation = self.spec.check_response(method, path, status, headers, body, content_type if text else JSON_CONTENT_TYPE)
            if violation is not None:
                text = False
                entry["contract_violation"] = "%s %d: %s" % (operation_id, status, violation)
                status, payload = 500, {
                    "id": "emulator_contract_violation",
                    "message": "the emulator's response to %s broke the OpenAPI contract: %s" % (operation_id, violation),
                    "request_id": request_id,
                }
        entry["status"] = status
        with self.lock:
            self.log.append(entry)
        if rule is not None and rule.kind == "response_lost":
            raise DropConnection()
        if text:
            return text_response(status, payload, content_type, headers)
        return json_response(status, payload, headers)

    def _inject_before(self, rule, entry):
        """Faults answered or dropped before the request is applied."""
        if rule.kind == "429":
            raise TooManyRequests(rule.retry_after)
        if rule.kind == "5xx":
            error_id, message = _SERVER_ERROR_IDS[rule.status]
            raise DOError(message, status=rule.status, error_id=error_id)
        if rule.kind == "reset":
            with self.lock:
                self.log.append(entry)
            raise DropConnection()
