# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/provision.yml with the sandbox inventory: what `make demo` runs, proven converged."""

from __future__ import annotations

import os
import subprocess

from tests.emulators.aws.control import AwsEmulatorControl
from tests.emulators.kubernetes.control import KubernetesControl
from tests.integration.conftest import ANSIBLE_PLAYBOOK, REPO_ROOT

INVENTORY = os.path.join(REPO_ROOT, 'inventories', 'sandbox')
PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'provision.yml')


def run_provision(ansible_env, *extra):
    env = dict(ansible_env, ANSIBLE_STDOUT_CALLBACK='default')
    return subprocess.run([ANSIBLE_PLAYBOOK, '-i', INVENTORY, PLAYBOOK] + list(extra), env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=900, check=False)


def test_provision_converges_and_rerun_makes_no_write(do_emulator, ansible_env, sandbox):
    k8s = KubernetesControl(sandbox.k8s_url, sandbox.ca_bundle)
    aws = AwsEmulatorControl(sandbox.aws_url, sandbox.ca_bundle)
    k8s.reset()
    aws.reset()
    first = run_provision(ansible_env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert do_emulator.writes(), 'the first run must create the platform'
    assert k8s.mutations(), 'the first run must deploy Mastodon'

    do_emulator.clear_requests()
    k8s.clear_requests()
    aws.clear_requests()
    second = run_provision(ansible_env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert 'changed=0' in second.stdout.rsplit('PLAY RECAP', 1)[-1]
    assert do_emulator.writes() == []
    assert k8s.mutations() == []
    assert aws.writes() == []
    assert sandbox.env['DIGITALOCEAN_ACCESS_TOKEN'] not in first.stdout + second.stdout


def test_provision_check_mode_on_an_empty_account_makes_no_write(do_emulator, ansible_env, sandbox):
    k8s = KubernetesControl(sandbox.k8s_url, sandbox.ca_bundle)
    k8s.reset()
    kubeconfig = os.path.join(sandbox.state_dir, 'doks-sandbox.yaml')
    if os.path.exists(kubeconfig):
        os.remove(kubeconfig)
    run = run_provision(ansible_env, '--check')
    assert run.returncode == 0, run.stdout + run.stderr
    assert do_emulator.writes() == []
    assert [entry for entry in k8s.requests() if entry['write']] == []
    assert not os.path.exists(kubeconfig), 'check mode must not download a kubeconfig'
