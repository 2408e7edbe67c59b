# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DigitalOcean-shaped API errors.

Families raise these; the HTTP layer renders them as DigitalOcean does:
``{"id": ..., "message": ..., "request_id": <uuid>}`` with the matching status.
"""


class DOError(Exception):
    """An error the API answers with instead of a result."""

    status = 500
    error_id = "server_error"

    def __init__(self, message, status=None, error_id=None, headers=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if error_id is not None:
            self.error_id = error_id
        self.headers = dict(headers or {})

    def body(self, request_id):
        return {"id": self.error_id, "message": self.message, "request_id": request_id}


class BadRequest(DOError):
    status = 400
    error_id = "bad_request"


class Unauthorized(DOError):
    status = 401
    error_id = "unauthorized"

    def __init__(self, message="Unable to authenticate you", **kwargs):
        super().__init__(message, **kwargs)


class Forbidden(DOError):
    status = 403
    error_id = "forbidden"


class NotFound(DOError):
    status = 404
    error_id = "not_found"

    def __init__(self, message="The resource you were accessing could not be found.", **kwargs):
        super().__init__(message, **kwargs)


class MethodNotAllowed(DOError):
    status = 405
    error_id = "method_not_allowed"


class Conflict(DOError):
    status = 409
    error_id = "conflict"


class UnprocessableEntity(DOError):
    status = 422
    error_id = "unprocessable_entity"


class TooManyRequests(DOError):
    status = 429
    error_id = "too_many_requests"

    def __init__(self, retry_after, message="API rate limit exceeded.", **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = int(retry_after)
        self.headers["retry-after"] = str(self.retry_after)


class ServerError(DOError):
    status = 500
    error_id = "server_error"

    def __init__(self, message="Unexpected server-side error", **kwargs):
        super().__init__(message, **kwargs)


class NotImplementedByEmulator(DOError):
    """The operation is in DigitalOcean's contract but no family of the emulator serves it yet."""

    status = 501
    error_id = "not_implemented"


class DropConnection(Exception):
    """Raised by the HTTP layer to close the client's connection without answering (TCP RST)."""
