# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command line: ``python -m tests.emulators.kubernetes --port 0 --certfile C --keyfile K --ready-file F --token T``.

Listens on 127.0.0.1 only; once listening, writes ``{"url": ..., "pid": ...}`` atomically to the
ready file (removed again on a clean stop); stops on SIGTERM or SIGINT.
"""

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
import threading

from .config import DEFAULT_KUBERNETES_VERSION, EmulatorConfig
from .crds import SharedDirError
from .server import HOST, KubernetesEmulator


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m tests.emulators.kubernetes", description="The Kubernetes API stand-in of the fediops.mastodon sandbox.")
    parser.add_argument("--host", default=HOST, choices=[HOST], help="address to listen on (127.0.0.1 only)")
    parser.add_argument("--port", type=int, default=0, help="port (0: any free port, see the ready file)")
    parser.add_argument("--certfile", required=True, help="server certificate (PEM)")
    parser.add_argument("--keyfile", required=True, help="server private key (PEM)")
    parser.add_argument("--ready-file", required=True, help='written as {"url": ..., "pid": ...} once listening')
    parser.add_argument("--token", required=True, action="append", help="a bearer token clients may send (repeatable)")
    parser.add_argument("--ready-delay", type=float, default=1.0, metavar="SECONDS", help="controller delay: pods ready, jobs done, certificates issued")
    parser.add_argument("--failing-image", action="append", default=[], metavar="REF", help="image (glob) whose containers fail (repeatable)")
    parser.add_argument("--kubernetes-version", default=DEFAULT_KUBERNETES_VERSION, help="minor version served and validated against (default 1.33)")
    parser.add_argument("--log-level", default="WARNING", help="logging level (DEBUG logs every request)")
    return parser


def write_ready_file(path, url):
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".ready-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"url": url, "pid": os.getpid()}, handle)
    os.replace(temporary, path)


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.ready_delay < 0:
        print("--ready-delay must be >= 0", file=sys.stderr)
        return 2
    try:
        config = EmulatorConfig(ready_delay=args.ready_delay, failing_images=args.failing_image, kubernetes_version=args.kubernetes_version,
                                tokens=args.token)
        emulator = KubernetesEmulator(args.certfile, args.keyfile, port=args.port, config=config)
    except (SharedDirError, ValueError, OSError) as exc:
        print("kubernetes emulator: %s" % exc, file=sys.stderr)
        return 1
    stopping = threading.Event()

    def stop(_signum, _frame):
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=emulator.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    write_ready_file(args.ready_file, emulator.url)
    logging.getLogger("tests.emulators.kubernetes").info("listening on %s", emulator.url)
    try:
        emulator.serve_forever()
    finally:
        if os.path.exists(args.ready_file):
            os.unlink(args.ready_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
