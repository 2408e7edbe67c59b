# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the benchmark scripts share: a sandbox, ansible-playbook runs, the machine line and the docs' marked sections.

A script uses the sandbox named by ``FEDIOPS_SANDBOX_DIR`` when it is up and healthy (``make bench``
starts one and sources its env file), else it starts a private one in a temporary directory.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time

import requests
import yaml

from tests.emulators.digitalocean.control import EmulatorControl
from tests.emulators.sandbox.pytest_plugin import SandboxHandle, attach_running
from tests.emulators.sandbox.launcher import Sandbox

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_PATH = os.path.join(REPO_ROOT, '.venv', 'collections')
BIN = os.path.dirname(sys.executable)
ANSIBLE_PLAYBOOK = os.path.join(BIN, 'ansible-playbook')
INVENTORY = os.path.join(REPO_ROOT, 'inventories', 'sandbox')
PROVISION = os.path.join(REPO_ROOT, 'playbooks', 'provision.yml')
PERFORMANCE_DOC = os.path.join(REPO_ROOT, 'docs', 'performance.md')
RELIABILITY_DOC = os.path.join(REPO_ROOT, 'docs', 'reliability.md')


@contextlib.contextmanager
def sandbox_handle():
    """The running sandbox of ``FEDIOPS_SANDBOX_DIR``, or a private one for the duration of the block."""
    state_dir = os.environ.get('FEDIOPS_SANDBOX_DIR')
    if state_dir:
        handle = attach_running(state_dir)
        if handle is not None:
            yield handle
            return
    # A benchmark stopped with SIGTERM (kill, a CI timeout) still stops the stand-ins it started.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with tempfile.TemporaryDirectory(prefix='fediops-bench-') as private_dir:
        sandbox = Sandbox(private_dir)
        try:
            yield SandboxHandle(sandbox.up(), owned=True)
        finally:
            sandbox.down()


def control(handle):
    return EmulatorControl(handle.do_url, handle.ca_bundle, timeout=30.0)


def ansible_env(handle, **extra):
    """The environment of a user who sourced the sandbox's env file, with the checkout's ansible.cfg."""
    if not os.path.islink(os.path.join(COLLECTIONS_PATH, 'ansible_collections', 'fediops', 'mastodon')):
        raise SystemExit('the collection link is missing: run `make venv` first')
    env = dict(os.environ)
    env.update(handle.env)
    env.update({
        'ANSIBLE_CONFIG': os.path.join(REPO_ROOT, 'ansible.cfg'),
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_PATH,
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_DEPRECATION_WARNINGS': 'false',
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
        'ANSIBLE_STDOUT_CALLBACK': 'default',
    })
    env.update(extra)
    return env


class Timed:
    """One ansible-playbook run: return code, output and wall time in seconds."""

    def __init__(self, proc, seconds):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.seconds = seconds

    @property
    def recap(self):
        """The PLAY RECAP counters of the (single) host, e.g. {'ok': 95, 'changed': 0, ...}."""
        tail = self.stdout.rsplit('PLAY RECAP', 1)[-1]
        return {key: int(value) for key, value in re.findall(r'(\w+)=(\d+)', tail)}

    def check(self, what):
        if self.rc != 0:
            raise SystemExit('%s failed (rc=%s):\n%s\n%s' % (what, self.rc, self.stdout[-4000:], self.stderr[-2000:]))
        return self


def run_playbook(env, playbook, *args, inventory=INVENTORY, timeout=1800):
    """Run ansible-playbook from the repository root; wall time measured around the process."""
    command = [ANSIBLE_PLAYBOOK, '-i', inventory, playbook] + list(args)
    started = time.monotonic()
    proc = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    return Timed(proc, time.monotonic() - started)


def write_play(directory, name, tasks, module_defaults=None):
    """Write a one-play playbook for localhost; return its path."""
    play = {'name': name, 'hosts': 'localhost', 'connection': 'local', 'gather_facts': False, 'tasks': tasks}
    if module_defaults:
        play['module_defaults'] = module_defaults
    path = os.path.join(directory, '%s.yml' % re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-'))
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump([play], handle, sort_keys=False)
    return path


def run_local(env, path, timeout=1800):
    """Run a playbook written by ``write_play`` on localhost with this virtualenv's Python."""
    return run_playbook(env, path, '-e', 'ansible_python_interpreter=%s' % sys.executable, inventory='localhost,', timeout=timeout)


def machine():
    """nproc, CPU model, Python and ansible-core of this run."""
    model = 'unknown CPU'
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as handle:
            for line in handle:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        from ansible.release import __version__ as core_version  # pylint: disable=import-outside-toplevel
    except ImportError:
        core_version = 'unknown'
    return '%d cores (nproc), %s, Python %s, ansible-core %s, %s' % (
        os.cpu_count() or 0, model, platform.python_version(), core_version, platform.platform(terse=True))


def stamp():
    """The machine and date line every table carries."""
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else 0.0
    return 'Measured %s UTC on %s; load average %.2f when written (the machine is shared: compare ratios, not seconds).' % (
        time.strftime('%Y-%m-%d %H:%M', time.gmtime()), machine(), load)


def table(header, rows):
    """A Markdown table."""
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for row in rows:
        lines.append('| ' + ' | '.join(str(cell) for cell in row) + ' |')
    return '\n'.join(lines)


def ratio(numerator, denominator):
    return numerator / denominator if denominator else float('inf')


def write_section(path, key, body, title):
    """Replace the text between ``<!-- bench:KEY -->`` and ``<!-- /bench:KEY -->`` (added at the end when missing)."""
    start, end = '<!-- bench:%s -->' % key, '<!-- /bench:%s -->' % key
    text = ''
    if os.path.exists(path):
        with open(path, encoding='utf-8') as handle:
            text = handle.read()
    if not text:
        text = '# %s\n\n%s\n' % (title, DOC_INTRO.get(os.path.basename(path), ''))
    block = '%s\n%s\n%s' % (start, body.strip(), end)
    pattern = re.compile(re.escape(start) + '.*?' + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _match: block, text)
    else:
        text = text.rstrip('\n') + '\n\n' + block + '\n'
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)


DOC_INTRO = {
    'performance.md': ('Figures in this file are written by the scripts in `tests/benchmarks/` (`make bench` runs them '
                       'all against a sandbox of its own); do not edit between the `bench:` markers by hand.\n'),
    'reliability.md': ('Figures in this file are written by `tests/benchmarks/faults.py` (`make bench`); the contract '
                       'section by `tests/tools/contract_report.py` from the request log of a whole `make integration` run '
                       '(`make test WRITE_DOCS=1`). Do not edit between the markers by hand.\n'),
}


def emit(text, path=None, key=None, title=None, write_docs=False):
    """Print a section; with ``write_docs`` also put it into the doc."""
    sys.stdout.write(text.rstrip() + '\n\n')
    if write_docs and path:
        write_section(path, key, text, title)


class DoApi:
    """Direct DigitalOcean API calls for a scenario's setup (the CA is passed per call: REQUESTS_CA_BUNDLE cannot override it)."""

    def __init__(self, handle):
        self.base_url = handle.do_url
        self.ca_bundle = handle.ca_bundle
        self.session = requests.Session()
        self.session.headers['Authorization'] = 'Bearer %s' % handle.do_token

    def call(self, method, path, payload=None):
        response = self.session.request(method, self.base_url + path, json=payload, verify=self.ca_bundle, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else None
