# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the proof suites: the three stand-ins under one handle, shared by a whole test module.

The suites batch many cases into one ansible-playbook run (module-scoped), so they cannot use the
function-scoped ``do_emulator``; ``Standins`` resets and reads the stand-ins itself. (The emulator
appends every request to ``FEDIOPS_CONTRACT_LOG`` itself when that is set.)
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.emulators.aws.control import AwsEmulatorControl
from tests.emulators.digitalocean.control import EmulatorControl
from tests.emulators.kubernetes.control import KubernetesControl
from tests.integration.conftest import ANSIBLE_PLAYBOOK, REPO_ROOT, PlaybookRunner

INVENTORY = os.path.join(REPO_ROOT, 'inventories', 'sandbox')
PLAYBOOKS = os.path.join(REPO_ROOT, 'playbooks')


class Standins:
    """The DigitalOcean, AWS and Kubernetes stand-ins of the sandbox."""

    def __init__(self, sandbox):
        self.do = EmulatorControl(sandbox.do_url, sandbox.ca_bundle)
        self.aws = AwsEmulatorControl(sandbox.aws_url, sandbox.ca_bundle)
        self.k8s = KubernetesControl(sandbox.k8s_url, sandbox.ca_bundle)

    def reset(self):
        """Every stand-in back to its seed: no resource of an earlier test, empty request logs."""
        self.do.reset()
        self.aws.reset()
        self.k8s.reset()

    def clear_requests(self):
        self.do.clear_requests()
        self.aws.clear_requests()
        self.k8s.clear_requests()

    def writes(self):
        """Every write any stand-in saw since the last clear (Kubernetes: a write asked for, dry runs aside, or a
        mutation); all three lists empty prove that nothing was written."""
        return {
            'digitalocean': [(entry['method'], entry['path']) for entry in self.do.writes()],
            'aws': [(entry.get('method'), entry.get('path'), entry.get('action')) for entry in self.aws.writes()],
            'kubernetes': [(entry.get('verb'), entry.get('kind'), entry.get('name')) for entry in self.k8s.requests()
                           if entry.get('write') or entry.get('mutated')],
        }

    def contract_violations(self):
        return self.do.contract_violations()


NO_WRITES = {'digitalocean': [], 'aws': [], 'kubernetes': []}


@pytest.fixture(scope='module')
def standins(sandbox):
    """The stand-ins, reset for the test module; checks the DigitalOcean contract at the end, as do_emulator does."""
    handle = Standins(sandbox)
    handle.reset()
    yield handle
    violations = handle.contract_violations()
    handle.do.clear_faults()
    handle.do.clear_requests()
    assert not violations, 'emulator responses broke the OpenAPI contract: %s' % violations


@pytest.fixture(scope='module')
def module_playbook(ansible_env, tmp_path_factory):
    """A PlaybookRunner shared by the test module."""
    return PlaybookRunner(ansible_env, str(tmp_path_factory.mktemp('proof')))


def run_playbook(ansible_env, name, *extra, inventory=INVENTORY):
    """ansible-playbook playbooks/<name> on an inventory, default callback; the CompletedProcess."""
    env = dict(ansible_env, ANSIBLE_STDOUT_CALLBACK='default')
    return subprocess.run([ANSIBLE_PLAYBOOK, '-i', inventory, os.path.join(PLAYBOOKS, name)] + list(extra), env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=1500, check=False)
