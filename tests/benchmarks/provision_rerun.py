# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the converged re-run of playbooks/provision.yml with inventories/sandbox.

Provisions an empty sandbox account once, then times the re-run and reads the stand-ins' request
logs. Targets: 0 write calls; <= 1 DigitalOcean read per managed resource; wall time <= 1.2x a
playbook of as many no-op module tasks (``ansible.builtin.ping``: a module process each, as most tasks
of the re-run are) on the same host, measured in the same run. The ratio to as many
``ansible.builtin.debug`` tasks (run in the controller, no module process) is reported beside it, for
scale. The reads are listed per endpoint so the expensive ones are visible.
Usage: `.venv/bin/python -m tests.benchmarks.provision_rerun [--write-docs]`.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile

import yaml

from tests.benchmarks import common
from tests.benchmarks.faults import identities, reset_sandbox
from tests.emulators.aws.control import AwsEmulatorControl
from tests.emulators.kubernetes.control import KubernetesControl

READS_PER_RESOURCE_TARGET = 1.0
WALL_RATIO_TARGET = 1.2
# What DigitalOcean makes by itself, not resources the playbook manages.
NOT_MANAGED = ('vpcs:default-', 'database_users:sandbox-pg/doadmin', 'database_users:sandbox-search/doadmin',
               'database_users:sandbox-valkey/default', 'databases:sandbox-pg/defaultdb', 'domain_records:sandbox.fediops.test/SOA ',
               'domain_records:sandbox.fediops.test/NS ')


def managed_resources(state):
    """Kind -> count of DigitalOcean resources the playbook manages (seeded and provider-made ones left out)."""
    counts = collections.Counter()
    for kind, values in identities(state).items():
        if kind in ('database_firewall_sources',):
            continue
        for value in values:
            if not any(('%s:%s' % (kind, value)).startswith(prefix) for prefix in NOT_MANAGED):
                counts[kind] += 1
    return counts


# The no-op baselines: (key, action, its arguments). ``ping`` is a module process on the host, like most
# tasks of the re-run (the target applies to it); ``debug`` runs in the controller without one.
NOOPS = (('module', 'ansible.builtin.ping', {}), ('controller', 'ansible.builtin.debug', {'msg': 'noop'}))


def noop_playbook(workdir, tasks, action='ansible.builtin.debug', args=None):
    path = '%s/noop-%s.yml' % (workdir, action.rsplit('.', 1)[-1])
    play = {'name': 'As many no-op tasks', 'hosts': 'mastodon', 'gather_facts': False,
            'tasks': [{'name': 'No-op %d' % number, action: dict(args if args is not None else {'msg': 'noop'})} for number in range(tasks)]}
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump([play], handle, sort_keys=False)
    return path


def measure(handle, workdir):
    env = common.ansible_env(handle)
    ctl = common.control(handle)
    k8s = KubernetesControl(handle.k8s_url, handle.ca_bundle)
    aws = AwsEmulatorControl(handle.aws_url, handle.ca_bundle)
    reset_sandbox(handle)
    first = common.run_playbook(env, common.PROVISION).check('the first provision')
    ctl.clear_requests()
    k8s.clear_requests()
    aws.clear_requests()
    # ansible.posix.profile_tasks prints the slowest tasks at the end: where the re-run's time goes.
    profiled = dict(env, ANSIBLE_CALLBACKS_ENABLED='ansible.posix.profile_tasks', PROFILE_TASKS_TASK_OUTPUT_LIMIT='12')
    rerun = common.run_playbook(profiled, common.PROVISION).check('the re-run')
    entries = ctl.requests()
    recap = rerun.recap
    tasks = recap.get('ok', 0) + recap.get('skipped', 0) + recap.get('failed', 0)
    noops = dict((key, common.run_playbook(env, noop_playbook(workdir, tasks, action, args)).check('the %s no-op playbook' % action))
                 for key, action, args in NOOPS)
    return {
        'first': first, 'rerun': rerun, 'noops': noops, 'tasks': tasks, 'entries': entries,
        'do_writes': [entry for entry in entries if entry['write']],
        'k8s_mutations': k8s.mutations(), 'aws_writes': aws.writes(),
        'k8s_requests': len(k8s.requests()), 'aws_requests': len(aws.requests()),
        'managed': managed_resources(ctl.state()),
    }


def slowest_tasks(stdout):
    """(task, seconds) pairs of profile_tasks' summary at the end of the output."""
    tail = stdout.rsplit('PLAY RECAP', 1)[-1]
    return [(name.strip(), float(seconds)) for name, seconds in re.findall(r'^(.+?) -{3,} (\d+\.\d+)s\s*$', tail, re.M)]


def verdict(ok):
    return 'met' if ok else '**MISSED**'


def report(result):
    reads = [entry for entry in result['entries'] if not entry['write']]
    managed = sum(result['managed'].values())
    per_resource = common.ratio(len(reads), managed)
    wall = common.ratio(result['rerun'].seconds, result['noops']['module'].seconds)
    wall_controller = common.ratio(result['rerun'].seconds, result['noops']['controller'].seconds)
    writes = len(result['do_writes']) + len(result['k8s_mutations']) + len(result['aws_writes'])
    per_endpoint = collections.Counter('%s %s' % (entry['method'], entry['operation_id']) for entry in reads)
    return '\n'.join([
        '### Converged re-run of playbooks/provision.yml (inventories/sandbox)',
        '',
        common.stamp(),
        '',
        common.table(['measure', 'value', 'target', 'verdict'], [
            ['write calls (DigitalOcean / Kubernetes mutations / AWS)', '%d / %d / %d' % (
                len(result['do_writes']), len(result['k8s_mutations']), len(result['aws_writes'])), '0', verdict(writes == 0)],
            ['changed tasks in the recap', result['rerun'].recap.get('changed'), '0', verdict(result['rerun'].recap.get('changed') == 0)],
            ['DigitalOcean reads per managed resource', '%d reads / %d resources = %.2f' % (len(reads), managed, per_resource),
             '<= %.0f' % READS_PER_RESOURCE_TARGET, verdict(per_resource <= READS_PER_RESOURCE_TARGET)],
            ['wall time: re-run / %d no-op module tasks (`ansible.builtin.ping`)' % result['tasks'], '%.1f s / %.1f s = **%.1fx**' % (
                result['rerun'].seconds, result['noops']['module'].seconds, wall), '<= %.1fx' % WALL_RATIO_TARGET,
             verdict(wall <= WALL_RATIO_TARGET)],
            ['wall time: re-run / %d no-op controller tasks (`ansible.builtin.debug`)' % result['tasks'], '%.1f s / %.1f s = %.1fx' % (
                result['rerun'].seconds, result['noops']['controller'].seconds, wall_controller), '-', '-'],
            ['first run (for scale)', '%.1f s' % result['first'].seconds, '-', '-'],
            ['Kubernetes / AWS stand-in requests in the re-run', '%d / %d' % (result['k8s_requests'], result['aws_requests']), '-', '-'],
        ]),
        '',
        'Managed resources (kind: count): %s. Seeded default VPCs, `doadmin`/`default` users, `defaultdb`, SOA and NS '
        'records are left out. The two no-op playbooks run as many tasks as the re-run ran (ok + skipped) on the same host, '
        'in the same run: `ansible.builtin.ping` tasks, each a module process on the host as most tasks of the re-run are (a '
        'loop task runs one per item; the target applies to this ratio), and `ansible.builtin.debug` tasks, which run inside the controller without a module '
        'process (the floor of a task; for scale). The re-run is timed with the profile_tasks callback on (a few ms per task).' % ', '.join(
            '%s: %d' % item for item in sorted(result['managed'].items())),
        '',
        'Slowest tasks of the re-run (ansible.posix.profile_tasks; the rest of the time is spread over every task, each a module process of its own):',
        '',
        common.table(['seconds', 'task'], [['%.1f' % seconds, name.replace('|', '/')] for name, seconds in slowest_tasks(result['rerun'].stdout)]),
        '',
        'DigitalOcean reads of the re-run, per endpoint:',
        '',
        common.table(['reads', 'endpoint (method, operationId)'], [[count, '`%s`' % name] for name, count in per_endpoint.most_common()]),
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--write-docs', action='store_true', help='rewrite the section in docs/performance.md')
    args = parser.parse_args(argv)
    with common.sandbox_handle() as handle, tempfile.TemporaryDirectory(prefix='fediops-bench-') as workdir:
        common.emit(report(measure(handle, workdir)), common.PERFORMANCE_DOC, 'provision-rerun', 'Performance', args.write_docs)
    return 0


if __name__ == '__main__':
    sys.exit(main())
