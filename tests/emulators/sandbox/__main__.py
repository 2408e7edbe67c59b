# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command line: ``python -m tests.emulators.sandbox up|down|status|env`` (run from the repository root)."""

from __future__ import annotations

import argparse
import os
import sys
import typing as t

from .launcher import Sandbox, SandboxError
from .services import Service


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='python -m tests.emulators.sandbox',
        description='Start, stop and inspect the local HTTPS stand-ins (the sandbox).')
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        '--state-dir', default=os.environ.get('FEDIOPS_SANDBOX_DIR') or '.sandbox',
        help='where certificates, logs, pid files and the env file live (default: $FEDIOPS_SANDBOX_DIR or .sandbox)')
    commands = parser.add_subparsers(dest='command', required=True, metavar='{up,down,status,env}')
    up = commands.add_parser('up', parents=[common], help='start the stand-ins (reuses them when already running)')
    up.add_argument('--provision-delay', type=float, metavar='S',
                    help='seconds a created DigitalOcean resource stays in its creating state')
    up.add_argument('--rate-limit-per-minute', type=int, metavar='N', help='DigitalOcean API rate limit per minute')
    up.add_argument('--timeout', type=float, default=30.0, metavar='S', help='seconds to wait for each stand-in (default: 30)')
    commands.add_parser('down', parents=[common], help='stop the stand-ins')
    commands.add_parser('status', parents=[common], help='exit 0 when every stand-in is healthy, else 1')
    commands.add_parser('env', parents=[common], help='print the path of the env file to source')
    return parser


def main(argv: t.Sequence[str] | None = None, services: t.Sequence[Service] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sandbox = Sandbox(
        args.state_dir,
        provision_delay=getattr(args, 'provision_delay', None),
        rate_limit_per_minute=getattr(args, 'rate_limit_per_minute', None),
        startup_timeout=getattr(args, 'timeout', 30.0),
        services=services,
    )
    if args.command == 'up':
        try:
            info = sandbox.up()
        except SandboxError as exc:
            print(str(exc), file=sys.stderr)
            return 1
        print('sandbox up in %s' % info['state_dir'])
        for entry in info['services'].values():
            print('  %-14s %s  (pid %s, log %s)' % (entry['name'], entry['url'], entry['pid'], entry['log']))
        print('CA bundle: %s' % info['ca_bundle'])
        print('to use it: source %s' % info['env_file'])
        return 0
    if args.command == 'down':
        sandbox.down()
        print('sandbox down in %s' % sandbox.state_dir)
        return 0
    if args.command == 'status':
        report = sandbox.status()
        for entry in report['services']:
            if entry['healthy']:
                print('%-14s healthy    %s  (pid %s)' % (entry['name'], entry['url'], entry['pid']))
            else:
                state = 'unhealthy' if entry['running'] else 'stopped'
                print('%-14s %-10s %s  (%s)' % (entry['name'], state, entry.get('url') or '-', entry['detail']))
        return 0 if report['healthy'] else 1
    if sandbox.load_info() is None or not os.path.exists(sandbox.env_file):
        print('the sandbox in %s is not up; run: python -m tests.emulators.sandbox up' % sandbox.state_dir, file=sys.stderr)
        return 1
    print(sandbox.env_file)
    return 0


if __name__ == '__main__':
    sys.exit(main())
