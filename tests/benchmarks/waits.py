# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: how the collection's waits poll a long DigitalOcean provisioning.

A PostgreSQL cluster is created in the emulator with a provision delay of ``--minutes`` (default 10),
then waited for with ``module_utils.digitalocean.wait_until`` (what every module's ``wait_for`` runs,
with its defaults: poll at once, then after 2 s doubling to 30 s). Its ``sleep`` moves the emulator's
clock forward instead of sleeping, so ten minutes take a few seconds; each poll is a real GET of the
cluster over HTTPS. Targets: polls <= 40 for 10 minutes; detection delay after the cluster turns
``online`` <= one poll interval (30 s at the cap).
Usage: `.venv/bin/python -m tests.benchmarks.waits [--minutes 10] [--write-docs]`.
"""

from __future__ import annotations

import argparse
import sys

from tests.benchmarks import common
from tests.integration.conftest import ensure_collection_link

POLL_TARGET = 40
MAX_DELAY = 30.0


def simulate(handle, minutes, extra=0.0):
    """Create a cluster that provisions for ``minutes`` (+ ``extra`` seconds); wait for it; return the figures."""
    ensure_collection_link()
    sys.path.insert(0, common.COLLECTIONS_PATH)
    # The collection is importable only through the link under .venv/collections, put on sys.path above.
    # pylint: disable-next=import-outside-toplevel,import-error,no-name-in-module
    from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import wait_until

    ctl = common.control(handle)
    ctl.reset()
    before = ctl.config()['provision_delay']
    delay = minutes * 60.0 + extra
    ctl.configure(provision_delay=delay)
    api = common.DoApi(handle)
    try:
        created = api.call('POST', '/v2/databases', {
            'name': 'bench-wait-pg', 'engine': 'pg', 'version': '17', 'region': 'tor1', 'size': 'db-s-1vcpu-2gb', 'num_nodes': 1})
        path = '/v2/databases/%s' % created['database']['id']
        elapsed = [0.0]
        polls = []

        def clock():
            return elapsed[0]

        def sleep(seconds):
            ctl.advance_clock(seconds)
            elapsed[0] += seconds

        def poll():
            polls.append(elapsed[0])
            return api.call('GET', path)['database']

        wait_until('database cluster bench-wait-pg online', poll, lambda cluster: cluster['status'] == 'online',
                   timeout=delay * 3, clock=clock, sleep=sleep, max_delay=MAX_DELAY)
    finally:
        ctl.configure(provision_delay=before)
    return {'minutes': minutes, 'polls': len(polls), 'detected_at': polls[-1], 'online_at': delay,
            'detection_delay': polls[-1] - delay, 'last_interval': polls[-1] - polls[-2] if len(polls) > 1 else 0.0,
            'schedule': polls}


def report(result, unaligned):
    polls_ok = result['polls'] <= POLL_TARGET * result['minutes'] / 10.0
    delay_ok = max(result['detection_delay'], unaligned['detection_delay']) <= MAX_DELAY
    schedule = ', '.join('%g' % moment for moment in result['schedule'][:8]) + ', ... %g' % result['schedule'][-1]
    return '\n'.join([
        '### Waits: a %g-minute provisioning' % result['minutes'],
        '',
        common.stamp(),
        '',
        common.table(['measure', 'value', 'target', 'verdict'], [
            ['polls until `online`', result['polls'], '<= %d' % POLL_TARGET, 'met' if polls_ok else 'MISSED'],
            ['detection delay after the emulator turns `online` (10 min exactly / 10 min + 1 s, the worst alignment)',
             '%.1f s / %.1f s' % (result['detection_delay'], unaligned['detection_delay']),
             '<= one poll interval (%.0f s at the cap)' % MAX_DELAY, 'met' if delay_ok else 'MISSED'],
        ]),
        '',
        'Poll moments (seconds after the create): %s. The wait is `module_utils/digitalocean.py` `wait_until` with the '
        'defaults every module\'s `wait_for` uses; its sleep advances the emulator\'s clock, each poll is a real GET.' % schedule,
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--minutes', type=float, default=10.0)
    parser.add_argument('--write-docs', action='store_true', help='rewrite the section in docs/performance.md')
    args = parser.parse_args(argv)
    with common.sandbox_handle() as handle:
        text = report(simulate(handle, args.minutes), simulate(handle, args.minutes, extra=1.0))
        common.emit(text, common.PERFORMANCE_DOC, 'waits', 'Performance', args.write_docs)
    return 0


if __name__ == '__main__':
    sys.exit(main())
