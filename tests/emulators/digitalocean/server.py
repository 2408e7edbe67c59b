# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator's HTTPS server: threaded, HTTP/1.1 keep-alive, able to drop a connection with a RST.

Usable in-process::

    with EmulatorServer("127.0.0.1", 0, certfile, keyfile, provision_delay=0) as server:
        client = pydo.Client(token="t", endpoint=server.url, retry_total=0, connection_verify=ca_file)

Each connection gets its own thread (the TLS handshake runs there, not in the accept loop);
the state is guarded by one lock in the application (``app.py``).
"""

import io
import socket
import socketserver
import ssl
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote_to_bytes, urlsplit

from werkzeug.wrappers import Request

from .app import EmulatorApp
from .config import EmulatorConfig
from .errors import DropConnection
from .responses import json_response
from .spec import load_spec

LOOPBACK = "127.0.0.1"
HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 120.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fediops-digitalocean-emulator"
    timeout = IDLE_TIMEOUT

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet: the request log is the record."""

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _environ(self, body):
        target = urlsplit(self.path)
        environ = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(target.path).decode("latin-1"),
            "QUERY_STRING": target.query,
            "SERVER_NAME": LOOPBACK,
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = "%s,%s" % (environ[key], value) if key in environ else value
        return environ

    def _serve(self):
        body = self._read_body()
        try:
            response = self.server.app.handle(Request(self._environ(body)))
        except DropConnection:
            self._drop()
            return
        except Exception as exc:  # pylint: disable=broad-exception-caught
            response = json_response(500, {"id": "server_error", "message": "emulator error: %r" % exc})
        data = response.get_data()
        self.send_response(response.status_code)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        if response.status_code not in (204, 304):
            self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and response.status_code not in (204, 304):
            self.wfile.write(data)

    def _drop(self):
        """Close with SO_LINGER 0, so the client sees a connection reset and no response at all."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class _TLSServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app, ssl_context):
        self.app = app
        self.ssl_context = ssl_context
        self._connections = set()
        self._connections_lock = threading.Lock()
        self.accepted = 0
        super().__init__(address, _Handler)

    def finish_request(self, request, client_address):
        request.settimeout(HANDSHAKE_TIMEOUT)
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            connection = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ValueError):
            return
        with self._connections_lock:
            self._connections.add(connection)
            self.accepted += 1
        try:
            self.RequestHandlerClass(connection, client_address, self)
        except OSError:
            pass  # the client went away
        finally:
            with self._connections_lock:
                self._connections.discard(connection)
            connection.close()

    def close_connections(self):
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class EmulatorServer:
    """The DigitalOcean API emulator on ``https://127.0.0.1:<port>`` (port 0 picks a free one).

    ``config`` takes the :class:`~.config.EmulatorConfig` fields: ``provision_delay``,
    ``family_provision_delay``, ``rate_limit_per_minute``, ``rate_limit_per_hour``, ``tokens``,
    ``seed_regions``. ``spec_path`` defaults to :func:`~.spec.default_spec_path`; ``clock`` to the
    wall clock (pass a :class:`~.models.FakeClock` to control provisioning in tests). ``contract_log``:
    a file every API request is appended to (see :mod:`.requestlog`).
    """

    def __init__(self, host=LOOPBACK, port=0, certfile=None, keyfile=None, *, spec_path=None, clock=None, contract_log=None, **config):
        if host != LOOPBACK:
            raise ValueError("the emulator listens on %s only, not %r" % (LOOPBACK, host))
        if not certfile or not keyfile:
            raise ValueError("certfile and keyfile are required: the emulator speaks HTTPS only")
        self.host = host
        self.requested_port = int(port)
        self.spec = load_spec(spec_path)
        self.config = EmulatorConfig(**config)
        self.app = EmulatorApp(self.spec, self.config, clock=clock)
        self.app.log.contract_log = contract_log
        self.ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ssl_context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ssl_context.load_cert_chain(certfile, keyfile)
        self._server = None
        self._thread = None

    @property
    def port(self):
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return self._server.server_address[1]

    @property
    def connections_accepted(self):
        """TLS connections accepted so far (keep-alive means one per client session)."""
        return self._server.accepted if self._server is not None else 0

    @property
    def url(self):
        return "https://%s:%d" % (self.host, self.port)

    def start(self):
        if self._server is not None:
            return self
        self._server = _TLSServer((self.host, self.requested_port), self.app, self.ssl_context)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="digitalocean-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
