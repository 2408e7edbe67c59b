# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTPS server: a threaded werkzeug server on 127.0.0.1, in-process (tests) or as the CLI."""

import logging
import socket
import ssl
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import KubernetesApp
from .config import EmulatorConfig
from .models import Backend

HOST = "127.0.0.1"
LOG = logging.getLogger("tests.emulators.kubernetes")


class _Handler(WSGIRequestHandler):
    """Quiet request handling; a dropped connection (fault injection) ends the connection cleanly."""

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_request(self, code="-", size="-"):  # pylint: disable=unused-argument
        LOG.debug("%s %s %s", self.command, self.path, code)

    def connection_dropped(self, error, environ=None):  # pylint: disable=unused-argument
        self.close_connection = True  # pylint: disable=attribute-defined-outside-init

    def handle(self):
        try:
            super().handle()
        except (OSError, ValueError):
            self.close_connection = True  # pylint: disable=attribute-defined-outside-init


class KubernetesEmulator:
    """The stand-in, served over HTTPS from a thread.

    ``with KubernetesEmulator(certfile, keyfile, token="t") as emulator: emulator.url`` -- or
    ``start()``/``stop()``. ``backend`` and ``app`` are there for tests that need to look inside.
    """

    def __init__(self, certfile, keyfile, token=None, ready_delay=1.0, failing_images=(), kubernetes_version="1.33",
                 port=0, crd_documents=None, config=None):
        if config is None:
            config = EmulatorConfig(ready_delay=ready_delay, failing_images=list(failing_images), kubernetes_version=kubernetes_version,
                                    tokens=(token,) if token else ())
        self.config = config
        self.backend = Backend(config, crd_documents=crd_documents)
        self.app = KubernetesApp(self.backend)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        self._server = make_server(HOST, port, self.app, threaded=True, ssl_context=context, request_handler=_Handler)
        self._server.daemon_threads = True
        self._thread = None

    @property
    def port(self):
        return self._server.server_port

    @property
    def url(self):
        return "https://%s:%d" % (HOST, self.port)

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, name="k8s-emulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self):
        self._server.serve_forever()

    def stop(self):
        with self.backend.lock:
            self.backend.stopping = True
            self.backend.changed.notify_all()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        self.stop()
