# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: wall time from `Sandbox.up()` to every stand-in answering over HTTPS.

Target (issue "Sandbox, part 2"): under 10 s on a 2-core machine. Measured here, never asserted in
tests. Usage: `.venv/bin/python -m tests.benchmarks.sandbox_startup [--runs 3] [--json]`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time

from tests.emulators.sandbox.launcher import Sandbox

TARGET_SECONDS = 10.0


def measure(runs):
    """Start and stop a fresh sandbox `runs` times; return the start-up times in seconds."""
    timings = []
    for _run in range(runs):
        with tempfile.TemporaryDirectory(prefix='fediops-bench-') as state_dir:
            sandbox = Sandbox(state_dir)
            started = time.monotonic()
            info = sandbox.up()
            timings.append(time.monotonic() - started)
            services = sorted(info['services'])
            sandbox.down()
    return timings, services


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--json', action='store_true', help='print one JSON document')
    args = parser.parse_args(argv)
    timings, services = measure(args.runs)
    report = {
        'benchmark': 'sandbox start-up (all stand-ins answering)',
        'services': services,
        'runs': [round(value, 2) for value in timings],
        'median_seconds': round(statistics.median(timings), 2),
        'target_seconds': TARGET_SECONDS,
        'machine': '%s, %d cores, Python %s' % (platform.machine(), os.cpu_count() or 0, platform.python_version()),
        'date': time.strftime('%Y-%m-%d'),
    }
    if args.json:
        sys.stdout.write(json.dumps(report) + '\n')
    else:
        sys.stdout.write('%(benchmark)s: median %(median_seconds)s s over %(runs)s (target < %(target_seconds)s s); '
                         'services: %(services)s; %(machine)s; %(date)s\n' % report)
    return 0


if __name__ == '__main__':
    sys.exit(main())
