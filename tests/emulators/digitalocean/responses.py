# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON responses as DigitalOcean sends them (and the few text ones, e.g. a kubeconfig in YAML)."""

import json

from werkzeug.wrappers import Response

JSON_CONTENT_TYPE = "application/json"


def json_response(status, payload, headers=None):
    """A response with ``payload`` as JSON, or with no body at all when ``payload`` is None (e.g. 204)."""
    data = b"" if payload is None else json.dumps(payload).encode("utf-8")
    response = Response(data, status=status, headers=headers or {})
    if payload is None:
        response.headers.pop("Content-Type", None)
    else:
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


def text_response(status, text, content_type, headers=None):
    """A response whose body is ``text`` as is (UTF-8), e.g. ``application/yaml``."""
    response = Response(text.encode("utf-8"), status=status, headers=headers or {})
    response.headers["Content-Type"] = "%s; charset=utf-8" % content_type
    return response
