# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Standalone emulator: ``python -m tests.emulators.digitalocean --port 0 --certfile C --keyfile K --ready-file F``.

Once listening (after the contract is loaded) it writes the ready file atomically as JSON
``{"url": "https://127.0.0.1:PORT", "pid": PID}``; it stops cleanly on SIGTERM or SIGINT and then
removes the ready file it wrote.
"""

import argparse
import json
import os
import signal
import sys
import tempfile
import threading

from .server import LOOPBACK, EmulatorServer
from .spec import SpecNotFoundError


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.emulators.digitalocean", description="DigitalOcean API emulator (HTTPS, 127.0.0.1 only)")
    parser.add_argument("--host", default=LOOPBACK, help="address to listen on; only 127.0.0.1 is accepted")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one (default)")
    parser.add_argument("--certfile", required=True, help="PEM server certificate (chain) for 127.0.0.1")
    parser.add_argument("--keyfile", required=True, help="PEM private key of the certificate")
    parser.add_argument("--ready-file", help="write {\"url\", \"pid\"} here (atomically) once listening")
    parser.add_argument("--provision-delay", type=float, default=2.0, help="seconds async resources stay transitional (default 2.0)")
    parser.add_argument("--rate-limit-per-minute", type=int, default=250, help="requests per token per minute (default 250)")
    parser.add_argument("--rate-limit-per-hour", type=int, default=5000, help="requests per token per hour (default 5000)")
    parser.add_argument("--token", action="append", default=[], help="accepted bearer token (repeatable); none given = any non-empty token")
    parser.add_argument("--contract-log", default=os.environ.get("FEDIOPS_CONTRACT_LOG") or None,
                        help="append every API request (method, path, operation, status, contract violation; no body) to this "
                             "JSON-lines file (default: $FEDIOPS_CONTRACT_LOG; tests/tools/contract_report.py reads it)")
    parser.add_argument("--spec", help="OpenAPI contract (default: $FEDIOPS_DO_OPENAPI_SPEC, else <repo>/../shared/digitalocean/openapi-subset.json)")
    return parser.parse_args(argv)


def write_ready_file(path, payload):
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".ready-", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(payload, stream)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def main(argv=None):
    args = parse_args(argv)
    if args.host != LOOPBACK:
        sys.stderr.write("error: the emulator listens on %s only; refusing --host %s\n" % (LOOPBACK, args.host))
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *dummy: stop.set())
    try:
        server = EmulatorServer(
            args.host, args.port, args.certfile, args.keyfile, spec_path=args.spec, contract_log=args.contract_log,
            provision_delay=args.provision_delay, rate_limit_per_minute=args.rate_limit_per_minute,
            rate_limit_per_hour=args.rate_limit_per_hour, tokens=tuple(args.token),
        )
    except SpecNotFoundError as exc:
        sys.stderr.write("error: %s\n" % exc)
        return 2
    except (OSError, ValueError) as exc:
        sys.stderr.write("error: %s\n" % exc)
        return 2
    server.start()
    payload = {"url": server.url, "pid": os.getpid()}
    try:
        if args.ready_file:
            write_ready_file(args.ready_file, payload)
        sys.stderr.write("DigitalOcean API emulator listening on %s\n" % server.url)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        if args.ready_file and os.path.exists(args.ready_file):
            try:
                with open(args.ready_file, encoding="utf-8") as stream:
                    mine = json.load(stream) == payload
            except (OSError, ValueError):
                mine = False
            if mine:
                os.unlink(args.ready_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
