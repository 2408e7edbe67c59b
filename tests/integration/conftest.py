# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration harness: run the collection through ansible-playbook against the sandbox.

Each test gets a freshly reset DigitalOcean emulator (state, request log, faults) and a runner
that writes a playbook, runs `ansible-playbook` with the sandbox's environment and returns the
structured results (ansible.posix.json callback) or the plain text output (default callback).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field

import pytest
import yaml

from tests.emulators.digitalocean.control import EmulatorControl
from tests.emulators.sandbox.pytest_plugin import sandbox  # noqa: F401  pylint: disable=unused-import

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_PATH = os.path.join(REPO_ROOT, '.venv', 'collections')
COLLECTION_LINK = os.path.join(COLLECTIONS_PATH, 'ansible_collections', 'fediops', 'mastodon')
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
HOST = 'localhost'


def ensure_collection_link():
    """Make the checkout importable as fediops.mastodon (the Makefile does the same)."""
    if not os.path.islink(COLLECTION_LINK):
        os.makedirs(os.path.dirname(COLLECTION_LINK), exist_ok=True)
        os.symlink(REPO_ROOT, COLLECTION_LINK)


@dataclass
class TaskResult:
    """One task's result for the single host of the play."""

    name: str
    result: dict

    @property
    def changed(self):
        return bool(self.result.get('changed'))

    @property
    def failed(self):
        return bool(self.result.get('failed'))


@dataclass
class PlaybookRun:
    """What one ansible-playbook run produced."""

    rc: int
    stdout: str
    stderr: str
    tasks: list = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    def task(self, name):
        """The result of the task with this name (the last one if it ran more than once)."""
        matches = [task for task in self.tasks if task.name == name]
        if not matches:
            raise AssertionError('no task named %r in %s' % (name, [task.name for task in self.tasks]))
        return matches[-1].result

    @property
    def changed(self):
        return self.stats.get('changed', 0)

    @property
    def failed(self):
        return self.stats.get('failures', 0)


class PlaybookRunner:
    """Writes a one-play playbook around some tasks and runs it against the sandbox."""

    def __init__(self, env, workdir):
        self.env = env
        self.workdir = workdir
        self.count = 0

    def run(self, tasks, check=False, diff=False, verbosity=0, text=False, module_defaults=None, env=None, extra_args=()):
        """Run `tasks` (a list of task dicts) on localhost; `text=True` keeps the default callback's output."""
        self.count += 1
        play = {'name': 'integration', 'hosts': HOST, 'gather_facts': False, 'tasks': tasks}
        if module_defaults:
            play['module_defaults'] = module_defaults
        path = os.path.join(self.workdir, 'play-%02d.yml' % self.count)
        with open(path, 'w', encoding='utf-8') as handle:
            yaml.safe_dump([play], handle, sort_keys=False)
        command = [ANSIBLE_PLAYBOOK, '-i', 'localhost,', '-c', 'local', path]
        command += ['-e', 'ansible_python_interpreter=%s' % sys.executable]
        if check:
            command.append('--check')
        if diff:
            command.append('--diff')
        if verbosity:
            command.append('-' + 'v' * verbosity)
        command += list(extra_args)
        run_env = dict(self.env)
        run_env['ANSIBLE_STDOUT_CALLBACK'] = 'default' if text else 'ansible.posix.json'
        run_env.update(env or {})
        for key, value in list(run_env.items()):
            if value is None:
                del run_env[key]
        proc = subprocess.run(command, env=run_env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False)
        run = PlaybookRun(rc=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)
        if not text:
            parse_json_output(run)
        return run


def parse_json_output(run):
    """Fill tasks and stats from the ansible.posix.json callback's document."""
    try:
        document = json.loads(run.stdout)
    except ValueError as exc:
        raise AssertionError('ansible-playbook printed no JSON (rc=%s):\n%s\n%s' % (run.rc, run.stdout, run.stderr)) from exc
    for play in document.get('plays', []):
        for task in play.get('tasks', []):
            hosts = task.get('hosts', {})
            if HOST in hosts:
                run.tasks.append(TaskResult(task['task']['name'], hosts[HOST]))
    run.stats = document.get('stats', {}).get(HOST, {})


@pytest.fixture(scope='session')
def ansible_env(sandbox):  # pylint: disable=redefined-outer-name
    """The environment a user has after `source .sandbox/env`, plus the checkout's ansible.cfg."""
    ensure_collection_link()
    env = dict(os.environ)
    env.update(sandbox.env)
    env.update({
        'ANSIBLE_CONFIG': os.path.join(REPO_ROOT, 'ansible.cfg'),
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_PATH,
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_DEPRECATION_WARNINGS': 'false',
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
    })
    return env


@pytest.fixture
def do_emulator(sandbox):  # pylint: disable=redefined-outer-name
    """The DigitalOcean emulator, reset before the test; fails the test on any contract violation."""
    control = EmulatorControl(sandbox.do_url, sandbox.ca_bundle)
    control.reset()
    yield control
    entries = control.requests()
    violations = [entry for entry in entries if entry.get('contract_violation')]
    control.clear_faults()
    assert not violations, 'emulator responses broke the OpenAPI contract: %s' % violations


@pytest.fixture
def playbook(ansible_env, tmp_path):  # pylint: disable=redefined-outer-name
    """Run tasks through ansible-playbook against the sandbox."""
    return PlaybookRunner(ansible_env, str(tmp_path))
