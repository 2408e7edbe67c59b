# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the PLAY RECAP of an ansible-playbook log: used by `make demo` to prove a converged re-run."""

from __future__ import annotations

import argparse
import re
import sys

RECAP_LINE = re.compile(r'^(?P<host>\S+)\s+:\s+(?P<counters>(?:\w+=\d+\s*)+)$')


def parse_recap(text):
    """Return {host: {counter: int}} from the last PLAY RECAP block of an ansible-playbook log."""
    blocks = text.split('PLAY RECAP')
    if len(blocks) < 2:
        raise ValueError('no PLAY RECAP found in the log')
    hosts = {}
    for line in blocks[-1].splitlines():
        match = RECAP_LINE.match(line.strip())
        if match:
            counters = dict(pair.split('=') for pair in match.group('counters').split())
            hosts[match.group('host')] = {key: int(value) for key, value in counters.items()}
    if not hosts:
        raise ValueError('the PLAY RECAP block lists no host')
    return hosts


def main(argv=None):
    """Exit 1 when any host's counters differ from the expected ones."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--changed', type=int, help='expected changed= count for every host')
    parser.add_argument('--failed', type=int, help='expected failed= count for every host')
    parser.add_argument('log')
    args = parser.parse_args(argv)
    with open(args.log, encoding='utf-8') as handle:
        hosts = parse_recap(handle.read())
    problems = []
    for host, counters in sorted(hosts.items()):
        for name in ('changed', 'failed'):
            expected = getattr(args, name)
            if expected is not None and counters.get(name) != expected:
                problems.append('%s: %s=%s, expected %s' % (host, name, counters.get(name), expected))
    if problems:
        sys.stderr.write('PLAY RECAP check failed:\n  %s\n' % '\n  '.join(problems))
        return 1
    summary = ', '.join('%s changed=%d failed=%d' % (host, counters.get('changed', 0), counters.get('failed', 0))
                        for host, counters in sorted(hosts.items()))
    sys.stdout.write('PLAY RECAP check passed: %s\n' % summary)
    return 0


if __name__ == '__main__':
    sys.exit(main())
