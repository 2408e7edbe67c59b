# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""python -m tests.emulators.aws --port 0 --certfile CERT --keyfile KEY --ready-file PATH"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from tests.emulators.aws.server import AwsEmulatorServer


def write_ready_file(path, url):
    """Atomically tell the launcher where we listen."""
    partial = path + '.partial'
    with open(partial, 'w', encoding='utf-8') as handle:
        json.dump({'url': url, 'pid': os.getpid()}, handle)
    os.replace(partial, path)


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m tests.emulators.aws', description='moto (S3, SES, IAM, STS) over HTTPS for the sandbox')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=0, help='0 picks a free port')
    parser.add_argument('--certfile', required=True)
    parser.add_argument('--keyfile', required=True)
    parser.add_argument('--ready-file', help='written with {"url", "pid"} once listening')
    args = parser.parse_args(argv)
    server = AwsEmulatorServer(args.host, args.port, args.certfile, args.keyfile)

    def stop(_signum, _frame):
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.ready_file:
        write_ready_file(args.ready_file, server.url)
    sys.stdout.write('AWS stand-in (moto) listening on %s\n' % server.url)
    sys.stdout.flush()
    server.serve_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main())
