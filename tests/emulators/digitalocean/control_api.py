# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control API under ``/_emulator/``: outside DigitalOcean's API, no auth, not validated, not logged.

=======  ==============================================  ==========================================
GET      /_emulator/health                               ``{"ok": true}``
GET      /_emulator/requests[?since=SEQ]                 the request log (entries after SEQ)
DELETE   /_emulator/requests                             clear the log
GET      /_emulator/faults                               active fault rules with remaining counts
POST     /_emulator/faults                               add a rule (see ``faults.py``)
DELETE   /_emulator/faults                               remove every rule
GET      /_emulator/config                               current settings
POST     /_emulator/config                               change settings (partial)
POST     /_emulator/reset                                state back to the seed; log, faults, rate limits cleared
GET      /_emulator/state                                every family's resources
POST     /_emulator/clock                                ``{"advance": seconds}``: move the emulator clock
POST     /_emulator/vpcs/{vpc_id}/members                attach a synthetic member ``{"urn", "name"}``
DELETE   /_emulator/vpcs/{vpc_id}/members                detach it (``{"urn"}`` body or ``?urn=``)
=======  ==============================================  ==========================================
"""

import json
import re

from .errors import DOError
from .responses import json_response

_MEMBERS_PATH = re.compile(r"^/_emulator/vpcs/(?P<vpc_id>[^/]+)/members$")


class ControlError(Exception):
    def __init__(self, status, message, error_id="bad_request"):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_id = error_id


class ControlAPI:
    def __init__(self, app):
        self.app = app

    def handle(self, request):
        try:
            status, payload = self._dispatch(request)
        except ControlError as exc:
            status, payload = exc.status, {"id": exc.error_id, "message": exc.message}
        except DOError as exc:
            status, payload = exc.status, {"id": exc.error_id, "message": exc.message}
        return json_response(status, payload)

    @staticmethod
    def _body(request):
        data = request.get_data()
        if not data:
            return {}
        try:
            body = json.loads(data)
        except ValueError:
            raise ControlError(400, "the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ControlError(400, "the request body must be a JSON object")
        return body

    def _dispatch(self, request):
        app, method, path = self.app, request.method.upper(), request.path.rstrip("/")
        routes = {
            ("GET", "/_emulator/health"): lambda: (200, {"ok": True}),
            ("GET", "/_emulator/requests"): lambda: (200, self._requests(request)),
            ("DELETE", "/_emulator/requests"): lambda: self._locked(app.log.clear, 204),
            ("GET", "/_emulator/faults"): lambda: (200, self._locked(app.faults.active)),
            ("POST", "/_emulator/faults"): lambda: (201, self._add_fault(self._body(request))),
            ("DELETE", "/_emulator/faults"): lambda: self._locked(app.faults.clear, 204),
            ("GET", "/_emulator/config"): lambda: (200, self._locked(app.config.as_dict)),
            ("POST", "/_emulator/config"): lambda: (200, self._configure(self._body(request))),
            ("POST", "/_emulator/reset"): lambda: (200, self._reset()),
            ("GET", "/_emulator/state"): lambda: (200, self._locked(app.backend.state)),
            ("POST", "/_emulator/clock"): lambda: (200, self._advance(self._body(request))),
        }
        route = routes.get((method, path))
        if route is not None:
            return route()
        members = _MEMBERS_PATH.match(path)
        if members is not None and method in ("POST", "DELETE"):
            return self._members(method, members.group("vpc_id"), request)
        if any(known == path for dummy, known in routes) or members is not None:
            raise ControlError(405, "%s is not allowed on %s" % (method, path), "method_not_allowed")
        raise ControlError(404, "unknown control endpoint %s %s" % (method, path), "not_found")

    def _locked(self, action, status=None):
        with self.app.lock:
            result = action()
        return (status, None) if status is not None else result

    def _requests(self, request):
        since = request.args.get("since")
        if since is not None:
            try:
                since = int(since)
            except ValueError:
                raise ControlError(400, "since must be an integer sequence number") from None
        with self.app.lock:
            return self.app.log.entries(since)

    def _add_fault(self, body):
        with self.app.lock:
            try:
                return self.app.faults.add(body).as_dict()
            except ValueError as exc:
                raise ControlError(400, str(exc)) from None

    def _configure(self, body):
        with self.app.lock:
            try:
                self.app.config.update(body)
            except ValueError as exc:
                raise ControlError(400, str(exc)) from None
            return self.app.config.as_dict()

    def _reset(self):
        self.app.reset()
        return {"reset": True}

    def _advance(self, body):
        seconds = body.get("advance")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ControlError(400, "advance must be a number of seconds >= 0")
        with self.app.lock:
            self.app.backend.clock.advance(seconds)
            return {"now": self.app.backend.clock.now()}

    def _members(self, method, vpc_id, request):
        body = self._body(request)
        with self.app.lock:
            vpcs = self.app.backend.family("vpcs")
            if method == "POST":
                return 201, {"member": vpcs.attach_member(vpc_id, body.get("urn"), body.get("name"))}
            vpcs.detach_member(vpc_id, body.get("urn") or request.args.get("urn"))
            return 204, None
