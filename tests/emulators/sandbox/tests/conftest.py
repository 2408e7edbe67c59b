# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the launcher's tests: fake stand-ins and a sandbox factory that always cleans up."""

from __future__ import annotations

import os

import pytest

from tests.emulators.sandbox.launcher import Sandbox, process_argv
from tests.emulators.sandbox.services import digitalocean_service

FAKE_MODULE = 'tests.emulators.sandbox.tests.fake_service'


def fake_service(mode='ok', name='digitalocean', extra_args=()):
    """The DigitalOcean service entry, pointed at the fake stand-in."""
    return digitalocean_service(module=FAKE_MODULE, name=name, extra_args=['--mode', mode] + list(extra_args), link=None)


def processes_using(state_dir):
    """Pids of live processes whose command line names a path inside ``state_dir``."""
    prefix = os.path.realpath(state_dir) + os.sep
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open('/proc/%s/stat' % entry, encoding='utf-8') as handle:
                if handle.read().rsplit(')', 1)[-1].split()[0] in ('Z', 'X'):
                    continue
        except (OSError, IndexError):
            continue
        if any(arg.startswith(prefix) for arg in process_argv(int(entry))):
            found.append(int(entry))
    return found


@pytest.fixture
def make_sandbox(tmp_path):
    """Build sandboxes in a temporary state dir; every one is brought down at teardown."""
    made = []

    def factory(services=None, state_dir=None, **kwargs):
        sandbox = Sandbox(state_dir or tmp_path / 'state', services=services or [fake_service()], **kwargs)
        made.append(sandbox)
        return sandbox

    yield factory
    for sandbox in made:
        sandbox.down()
