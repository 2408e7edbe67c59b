# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform role through ansible-playbook against the sandbox: a converged re-run reads each resource once.

The preflight plans the VPC and the clusters in check mode and its plan is reused; ids are passed on instead of
names. These tests prove that the re-run asks DigitalOcean no more than that, writes nothing, still leaves the same
outputs, and that an input changed since the last run is still applied (the plan is not a cache that hides it).
"""
# pylint: disable=redefined-outer-name

from __future__ import annotations

import collections
import json
import os

import pytest

from tests.emulators.digitalocean.control import EmulatorControl
from tests.integration.conftest import PlaybookRunner

POOLS = [{'name': 'workers', 'size': 's-4vcpu-8gb', 'count': 2, 'auto_scale': True, 'min_nodes': 2, 'max_nodes': 4}]

# What a converged re-run of the role may read, per endpoint: each resource once; the database clusters are
# listed once per cluster task and once for the outputs, the Kubernetes options once (versions and sizes).
READ_BUDGET = collections.Counter({
    'vpcs_list': 1, 'kubernetes_list_options': 1, 'kubernetes_list_clusters': 1, 'databases_list_clusters': 4,
    'databases_get_evictionPolicy': 1, 'domains_get': 1, 'registry_get': 1, 'databases_list': 1, 'databases_list_users': 1,
    'databases_list_connectionPools': 2, 'databases_list_firewall_rules': 3, 'spacesKey_list': 2, 'certificates_list': 1,
    'cdn_list_endpoints': 1, 'domains_list_records': 1, 'databases_get_ca': 1,
})


def role_vars(workdir, **overrides):
    variables = {
        'platform_name': 'itest', 'platform_domain': 'itest.fediops.test', 'platform_tags': ['mastodon-itest'],
        'platform_vpc_ip_range': '10.110.32.0/20', 'platform_kubernetes_node_pools': POOLS,
        'platform_kubeconfig_path': os.path.join(workdir, 'doks-itest.yaml'),
        'platform_postgresql_size': 'db-s-1vcpu-2gb', 'platform_postgresql_pool_size': 20, 'platform_valkey_size': 'db-s-1vcpu-1gb',
        'platform_media_bucket': 'itest-mastodon-media', 'platform_backup_bucket': 'itest-mastodon-backups',
        'platform_media_cors_origins': ['https://itest.fediops.test'], 'platform_cdn_hostname': 'cdn.itest.fediops.test',
        'platform_registry_enabled': True, 'platform_registry_name': 'fediops-itest',
    }
    variables.update(overrides)
    return variables


class Platform:
    """Runs the role (and writes its outputs to a file) with the request log of the DigitalOcean stand-in."""

    def __init__(self, runner, control, workdir):
        self.runner, self.control, self.workdir = runner, control, workdir
        self.count = 0

    def run(self, **overrides):
        self.count += 1
        outputs = os.path.join(self.workdir, 'outputs-%d.json' % self.count)
        self.control.clear_requests()
        run = self.runner.run([
            {'name': 'platform', 'ansible.builtin.include_role': {'name': 'fediops.mastodon.platform'},
             'vars': role_vars(self.workdir, **overrides)},
            {'name': 'save the outputs', 'ansible.builtin.copy': {'content': '{{ platform_outputs | to_json }}', 'dest': outputs,
                                                                  'mode': '0600'}, 'no_log': True},
        ])
        assert run.rc == 0, run.stdout[-6000:]
        with open(outputs, encoding='utf-8') as handle:
            return run, json.load(handle), self.control.requests()


@pytest.fixture(scope='module')
def platform(sandbox, ansible_env, tmp_path_factory):
    control = EmulatorControl(sandbox.do_url, sandbox.ca_bundle)
    control.reset()
    workdir = str(tmp_path_factory.mktemp('platform'))
    return Platform(PlaybookRunner(ansible_env, workdir), control, workdir)


@pytest.fixture(scope='module')
def first_and_rerun(platform):
    first = platform.run()
    assert [entry for entry in first[2] if entry['write']], 'the first run must create the platform'
    return first, platform.run()


def changed_tasks(run):
    """The tasks of the role that reported a change (the test's own task writing the outputs is left out)."""
    return [task.name for task in run.tasks if task.changed and task.name != 'save the outputs']


def reads(entries):
    return collections.Counter(entry['operation_id'] for entry in entries if not entry['write'])


def test_converged_rerun_writes_nothing_and_reports_no_change(first_and_rerun):
    dummy, (run, dummy_outputs, entries) = first_and_rerun
    assert [(entry['method'], entry['path']) for entry in entries if entry['write']] == []
    assert changed_tasks(run) == []


def test_converged_rerun_reads_each_resource_once(first_and_rerun):
    dummy, (dummy_run, dummy_outputs, entries) = first_and_rerun
    over = reads(entries) - READ_BUDGET
    assert not over, 'reads over the budget: %s (all reads: %s)' % (dict(over), dict(reads(entries)))


def test_rerun_outputs_are_those_of_the_first_run(first_and_rerun):
    (dummy_run, first, dummy_entries), (dummy_rerun, rerun, dummy_reentries) = first_and_rerun
    # The Spaces keys' secrets are returned by DigitalOcean only when the keys are created.
    for section in ('media', 'backup'):
        assert first[section].pop('secret_access_key') and rerun[section].pop('secret_access_key') == ''
    assert rerun == first
    assert rerun['postgresql']['password'] and rerun['valkey']['password'] and rerun['opensearch']['password']
    assert rerun['postgresql']['ca_certificate'].startswith('-----BEGIN CERTIFICATE-----')
    assert rerun['vpc']['id'] and rerun['kubernetes']['id']


def test_without_the_preflight_every_task_runs_and_the_outputs_stay(first_and_rerun, platform):
    dummy, (dummy_run, rerun, dummy_entries) = first_and_rerun
    run, outputs, entries = platform.run(platform_preflight=False)
    assert [entry for entry in entries if entry['write']] == [] and changed_tasks(run) == []
    assert reads(entries)['vpcs_list'] == 1 and reads(entries)['kubernetes_list_clusters'] == 1
    for section in ('media', 'backup'):
        outputs[section].pop('secret_access_key')
        rerun[section].pop('secret_access_key', None)
    assert outputs == rerun


def test_inputs_changed_since_the_last_run_are_applied_then_converge(first_and_rerun, platform):
    assert first_and_rerun
    pools = [dict(POOLS[0], max_nodes=5)]
    dummy_run, dummy_outputs, entries = platform.run(platform_vpc_description='Private network, described anew',
                                                     platform_kubernetes_node_pools=pools)
    writes = sorted((entry['method'], entry['operation_id']) for entry in entries if entry['write'])
    assert writes == [('PATCH', 'vpcs_patch'), ('PUT', 'kubernetes_update_nodePool')], writes
    run, dummy_outputs, entries = platform.run(platform_vpc_description='Private network, described anew',
                                               platform_kubernetes_node_pools=pools)
    assert [entry for entry in entries if entry['write']] == [] and changed_tasks(run) == []
