# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: wall time of the developer entry points: sandbox start-up, `make demo`, `make test`.

The sandbox start-up is ``tests.benchmarks.sandbox_startup``. `make demo` is run here with a state
directory of its own (``make demo SANDBOX_DIR=<temporary>``, so a developer's .sandbox is left alone).
`make test` takes too long to run inside a benchmark: give the log of a run with ``--make-test-log``;
its wall time is read from a ``real 12m3.4s`` line (bash ``time``) or ``wall: 723 s``, else the sum of
pytest's ``in 123.45s`` summaries is reported as a lower bound.
Usage: `.venv/bin/python -m tests.benchmarks.entry_points [--make-test-log PATH] [--skip-demo] [--write-docs]`.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

from tests.benchmarks import common
from tests.benchmarks.sandbox_startup import TARGET_SECONDS, measure


def run_demo():
    """Wall time of `make demo` on a sandbox of its own; (seconds, ok)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(('FEDIOPS_SANDBOX', 'DIGITALOCEAN_', 'AWS_', 'SPACES_', 'K8S_'))}
    for key in ('REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE', 'CURL_CA_BUNDLE', 'KUBECONFIG', 'MAKEFLAGS', 'MAKELEVEL'):
        env.pop(key, None)
    with tempfile.TemporaryDirectory(prefix='fediops-bench-demo-') as state_dir:
        started = time.monotonic()
        proc = subprocess.run(['make', '--no-print-directory', 'demo', 'SANDBOX_DIR=%s' % state_dir], cwd=common.REPO_ROOT, env=env,
                              capture_output=True, text=True, timeout=3600, check=False)
        seconds = time.monotonic() - started
    if proc.returncode != 0:
        sys.stderr.write('make demo failed (rc=%s):\n%s\n%s\n' % (proc.returncode, proc.stdout[-3000:], proc.stderr[-2000:]))
    return seconds, proc.returncode == 0


def read_make_test_log(path):
    """(seconds, how it was read) from a `make test` log."""
    with open(path, encoding='utf-8', errors='replace') as handle:
        text = handle.read()
    match = re.search(r'^real\s+(?:(\d+)m)?([\d.]+)s\s*$', text, re.M)
    if match:
        return int(match.group(1) or 0) * 60 + float(match.group(2)), '`real` line of the log'
    match = re.search(r'wall:\s*([\d.]+)\s*s', text)
    if match:
        return float(match.group(1)), '`wall:` line of the log'
    match = re.search(r'^CI finished in (\d+) s\s*$', text, re.M)
    if match:
        return float(match.group(1)), '`.ci/run` on a clean clone, apt and pip included'
    parts = [float(value) for value in re.findall(r'\bin ([\d.]+)s\b', text)]
    if parts:
        return sum(parts), 'sum of %d pytest summaries (a lower bound: sanity, lint and build not counted)' % len(parts)
    return None, 'no time found in the log'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--make-test-log', help='log of a `make test` run (with a `real` or `wall:` line)')
    parser.add_argument('--skip-demo', action='store_true')
    parser.add_argument('--runs', type=int, default=3, help='sandbox start-ups to take the median of')
    parser.add_argument('--write-docs', action='store_true', help='rewrite the section in docs/performance.md')
    args = parser.parse_args(argv)
    timings, _services = measure(args.runs)
    startup = sorted(timings)[len(timings) // 2]
    rows = [['sandbox start-up (median of %d)' % args.runs, '%.1f s' % startup, '1x', '< %.0f s: %s' % (
        TARGET_SECONDS, 'met' if startup < TARGET_SECONDS else '**MISSED**')]]
    if args.skip_demo:
        rows.append(['`make demo`', 'not run (--skip-demo)', '-', '-'])
    else:
        seconds, ok = run_demo()
        rows.append(['`make demo` (start-up, provision, converged re-run, summary)', '%.0f s%s' % (seconds, '' if ok else ' (**failed**)'),
                     '%.0fx' % common.ratio(seconds, startup), '-'])
    if args.make_test_log:
        seconds, how = read_make_test_log(args.make_test_log)
        rows.append(['`make test` (%s)' % how, '%.0f s' % seconds if seconds else '-',
                     '%.0fx' % common.ratio(seconds, startup) if seconds else '-', '-'])
    else:
        rows.append(['`make test`', 'no log given (`--make-test-log`)', '-', '-'])
    body = '\n'.join([
        '### Entry points',
        '',
        common.stamp(),
        '',
        common.table(['what', 'wall', 'multiple of the sandbox start-up', 'target'], rows),
        '',
        '`make demo` runs with a sandbox of its own (`SANDBOX_DIR` set to a temporary directory); `make test` is read '
        'from the log of a separate run, since running it inside the benchmark would take too long.',
    ])
    common.emit(body, common.PERFORMANCE_DOC, 'entry-points', 'Performance', args.write_docs)
    return 0


if __name__ == '__main__':
    sys.exit(main())
