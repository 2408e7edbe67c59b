# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tiny HTTPS stand-in honouring the DigitalOcean emulator's command-line contract.

The launcher's tests run it instead of the real emulator:
``python -m tests.emulators.sandbox.tests.fake_service --host H --port 0 --certfile C --keyfile K
--ready-file F [--provision-delay S] [--rate-limit-per-minute N] [--token T] [--mode MODE]``.

Modes: ``ok`` (serves ``/_emulator/state`` and a token-checked ``/v2/account``), ``never-ready``
(never writes its ready file), ``exit`` (exits with status 3 at once), ``unhealthy`` (ready file, but
the health check answers 503), ``ignore-term`` (like ``ok`` but ignores SIGTERM).
``--startup-delay S`` waits before listening.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import signal
import ssl
import sys
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('--host', required=True)
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--certfile', required=True)
    parser.add_argument('--keyfile', required=True)
    parser.add_argument('--ready-file', required=True)
    parser.add_argument('--provision-delay', type=float)
    parser.add_argument('--rate-limit-per-minute', type=int)
    parser.add_argument('--token')
    parser.add_argument('--startup-delay', type=float, default=0.0)
    parser.add_argument('--mode', default='ok', choices=['ok', 'never-ready', 'exit', 'unhealthy', 'ignore-term'])
    return parser.parse_args(argv)


def make_handler(args):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == '/_emulator/state':
                if args.mode == 'unhealthy':
                    self.reply(503, {'id': 'unavailable'})
                else:
                    self.reply(200, {'provision_delay': args.provision_delay, 'rate_limit_per_minute': args.rate_limit_per_minute})
            elif self.path == '/v2/account':
                if args.token and self.headers.get('Authorization') == 'Bearer %s' % args.token:
                    self.reply(200, {'account': {'email': 'sandbox@example.com', 'status': 'active'}})
                else:
                    self.reply(401, {'id': 'unauthorized', 'message': 'Unable to authenticate you.'})
            else:
                self.reply(404, {'id': 'not_found'})

        def reply(self, status, body):
            data = json.dumps(body).encode('utf-8')
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def write_ready_file(path, url):
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as handle:
        json.dump({'url': url, 'pid': os.getpid()}, handle)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    sys.stderr.write('fake service starting in mode %s\n' % args.mode)
    time.sleep(args.startup_delay)
    if args.mode == 'exit':
        sys.stderr.write('fake service: giving up on purpose\n')
        return 3
    if args.mode == 'never-ready':
        sys.stderr.write('fake service: refusing to become ready\n')
        while True:
            time.sleep(1)
    if args.mode == 'ignore-term':
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server = http.server.ThreadingHTTPServer((args.host, args.port), make_handler(args))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.certfile, args.keyfile)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    write_ready_file(args.ready_file, 'https://%s:%d' % (args.host, server.server_address[1]))
    server.serve_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main())
