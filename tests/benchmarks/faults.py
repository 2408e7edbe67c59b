# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark and scenario: playbooks/provision.yml while a seeded 20 % of DigitalOcean calls fail.

The failures are the emulator's four fault kinds, drawn in equal parts: ``429`` (rate limited,
``retry-after: 1``), ``5xx`` (503, not applied), ``reset`` (connection dropped before the request
is applied) and ``response_lost`` (the request IS applied, then the connection drops: a client that
re-sends a create blindly makes a duplicate). After the run the emulator's state must hold exactly
the expected resources, each name once per kind.

tests/integration/proof/test_faults.py runs the same scenario (``run_scenario``) as a test; this script
prints the table of docs/reliability.md (seed, faults injected by kind, retries, converged, duplicates).
Usage: `.venv/bin/python -m tests.benchmarks.faults [--seeds 1 2 3 4 5] [--platform-only-from N] [--write-docs]`.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile

import yaml

from tests.benchmarks import common
from tests.emulators.aws.control import AwsEmulatorControl
from tests.emulators.kubernetes.control import KubernetesControl

FAULT_RATE = 0.2
KINDS = ('429', '5xx', 'reset', 'response_lost')
SEEDS = (1, 2, 3, 4, 5)

# What provision.yml with inventories/sandbox makes in the DigitalOcean account (the emulator seeds the
# three default VPCs). Kind -> identities; an identity twice is a duplicate. `platform` is the stage run
# with `--tags platform`; the full run adds the gateway's A record.
EXPECTED_PLATFORM = {
    'vpcs': ['default-nyc3', 'default-sfo3', 'default-tor1', 'sandbox-mastodon-vpc'],
    'kubernetes_clusters': ['sandbox-k8s'],
    'kubernetes_node_pools': ['sandbox-k8s/workers'],
    'database_clusters': ['sandbox-pg', 'sandbox-search', 'sandbox-valkey'],
    'certificates': ['sandbox-cdn'],
    'spaces_keys': ['sandbox-backups', 'sandbox-mastodon-media'],
    'domains': ['sandbox.fediops.test'],
    'registry': ['fediops-sandbox'],
    'database_users': ['sandbox-pg/doadmin', 'sandbox-pg/mastodon', 'sandbox-search/doadmin', 'sandbox-valkey/default'],
    'databases': ['sandbox-pg/defaultdb', 'sandbox-pg/mastodon'],
    'database_pools': ['sandbox-pg/mastodon'],
    'database_firewall_sources': ['sandbox-pg/k8s', 'sandbox-search/k8s', 'sandbox-valkey/k8s'],
    'cdn_endpoints': ['sandbox-mastodon-media.nyc3.digitaloceanspaces.com'],
}
# DNS records: SOA, 3 NS and the CDN CNAME from the platform; the full run adds the gateway's A and the mail records
# (SES's 3 DKIM CNAMEs with random names, MX, 2 SPF and the DMARC TXT).
EXPECTED_RECORDS = {'platform': 5, 'full': 13}
# The platform stage alone: the first play of provision.yml. `--tags platform` cannot be used for it: the later roles'
# argument validation is tagged `always` and fails on glue variables that only their own stages define.
PLATFORM_PLAY = [{'name': 'Provision the DigitalOcean platform (the first play of playbooks/provision.yml)', 'hosts': 'mastodon',
                  'gather_facts': False, 'roles': [{'role': 'fediops.mastodon.platform'}]}]


def identities(state):
    """Kind -> sorted list of identities (names, or parent/name for children) of what the emulator holds."""
    found = collections.defaultdict(list)
    for kind in ('vpcs', 'kubernetes_clusters', 'database_clusters', 'certificates', 'spaces_keys', 'domains', 'firewalls'):
        for item in state.get(kind) or []:
            found[kind].append(item['name'])
    for cluster in state.get('kubernetes_clusters') or []:
        for pool in cluster.get('node_pools') or []:
            found['kubernetes_node_pools'].append('%s/%s' % (cluster['name'], pool['name']))
    for cluster in state.get('database_clusters') or []:
        for child, key in (('database_users', 'users'), ('database_pools', 'pools')):
            for item in cluster.get(key) or []:
                found[child].append('%s/%s' % (cluster['name'], item['name']))
        for name in cluster.get('db_names') or []:
            found['databases'].append('%s/%s' % (cluster['name'], name))
        for rule in cluster.get('firewall_rules') or []:
            found['database_firewall_rules'].append('%s/%s:%s' % (cluster['name'], rule['type'], rule['value']))
            found['database_firewall_sources'].append('%s/%s' % (cluster['name'], rule['type']))
    for domain in state.get('domains') or []:
        for record in domain.get('records') or []:
            found['domain_records'].append('%s/%s %s %s' % (domain['name'], record['type'], record['name'], record['data']))
    for endpoint in state.get('cdn_endpoints') or []:
        found['cdn_endpoints'].append(endpoint['origin'])
    registry = state.get('registry')
    if registry:
        found['registry'].append(registry['name'])
    return {kind: sorted(values) for kind, values in found.items() if values}


def duplicates(found):
    """Kind -> identities held more than once."""
    result = {}
    for kind, values in found.items():
        if kind == 'database_firewall_sources':
            continue  # a summary of database_firewall_rules (type without value), not an identity
        repeated = sorted(value for value, count in collections.Counter(values).items() if count > 1)
        if repeated:
            result[kind] = repeated
    return result


def unexpected(found, expected, records):
    """Differences between what is held and what is expected, for the kinds ``expected`` names, and the record count."""
    problems = {}
    if len(set(found.get('domain_records', []))) != records:
        problems['domain_records'] = 'expected %d distinct records, found %d' % (records, len(set(found.get('domain_records', []))))
    for kind, names in expected.items():
        held = sorted(set(found.get(kind, [])))
        if held != sorted(names):
            problems[kind] = {'missing': sorted(set(names) - set(held)), 'extra': sorted(set(held) - set(names))}
    return problems


def inject(ctl, seed, rate=FAULT_RATE):
    """Make ``rate`` of all DigitalOcean API calls fail, split evenly over the four kinds, drawn from ``seed``.

    Rules are tried in order and the first that fires wins, so rule i fires on rate/4 of all calls
    when its own rate is (rate/4) / (1 - i*rate/4).
    """
    share = rate / len(KINDS)
    for index, kind in enumerate(KINDS):
        ctl.add_fault(kind, path='/v2/*', rate=share / (1 - index * share), seed=seed * 100 + index, retry_after=1 if kind == '429' else None)


def fault_summary(entries):
    """Faults by kind, and retries: faulted requests the client sent again (same method and path, later)."""
    by_kind = collections.Counter(entry['fault'] for entry in entries if entry['fault'])
    retries = 0
    for position, entry in enumerate(entries):
        if entry['fault'] and any(later['method'] == entry['method'] and later['path'] == entry['path'] for later in entries[position + 1:]):
            retries += 1
    return {'calls': len(entries), 'faults': dict(by_kind), 'retries': retries}


def reset_sandbox(handle):
    """Every stand-in back to its seed and no kubeconfig of an earlier cluster: a new account."""
    common.control(handle).reset()
    KubernetesControl(handle.k8s_url, handle.ca_bundle).reset()
    AwsEmulatorControl(handle.aws_url, handle.ca_bundle).reset()
    kubeconfig = os.path.join(handle.state_dir, 'doks-sandbox.yaml')
    if os.path.exists(kubeconfig):
        os.remove(kubeconfig)


def run_scenario(handle, env, seed, platform_only=False):
    """Provision a fresh account with faults drawn from ``seed``; return the run and what the emulator holds."""
    ctl = common.control(handle)
    reset_sandbox(handle)
    if seed is not None:
        inject(ctl, seed)
    try:
        if platform_only:
            with tempfile.TemporaryDirectory(prefix='fediops-faults-') as workdir:
                playbook = os.path.join(workdir, 'platform.yml')
                with open(playbook, 'w', encoding='utf-8') as handle:
                    yaml.safe_dump(PLATFORM_PLAY, handle, sort_keys=False)
                run = common.run_playbook(env, playbook)
        else:
            run = common.run_playbook(env, common.PROVISION)
    finally:
        ctl.clear_faults()
    entries = ctl.requests()
    found = identities(ctl.state())
    return {
        'seed': seed, 'scope': 'platform stage (first play)' if platform_only else 'full provision', 'run': run,
        'converged': run.rc == 0 and run.recap.get('failed', 1) == 0, 'found': found, 'duplicates': duplicates(found),
        'unexpected': unexpected(found, EXPECTED_PLATFORM, EXPECTED_RECORDS['platform' if platform_only else 'full']),
        'violations': [entry for entry in entries if entry.get('contract_violation')], 'entries': entries,
        **fault_summary(entries)}


def report(results, baseline):
    rows = []
    for result in results:
        rows.append([
            result['seed'], result['scope'], result['calls'],
            ', '.join('%s: %d' % (kind, result['faults'].get(kind, 0)) for kind in KINDS) + ' (%d in all)' % sum(result['faults'].values()),
            result['retries'], 'yes' if result['converged'] else '**NO** (rc=%s)' % result['run'].rc,
            'none' if not result['duplicates'] else '**%s**' % result['duplicates'],
            'yes' if not result['unexpected'] else '**%s**' % result['unexpected'],
            '%.0f s (%s)' % (result['run'].seconds, '%.2fx' % common.ratio(result['run'].seconds, baseline.seconds) if baseline else '-')])
    return '\n'.join([
        '### Faults: provision.yml with %d %% of DigitalOcean calls failing' % round(FAULT_RATE * 100),
        '',
        common.stamp(),
        '',
        common.table(['seed', 'scope', 'API calls', 'faults injected by kind', 'retries', 'converged', 'duplicates',
                      'exactly the expected set', 'wall (ratio to the fault-free run)'], rows),
        '',
        'Each seed starts from an empty account (every stand-in reset) and runs the whole playbook, as in '
        'tests/integration/proof/test_faults.py (`--platform-only-from N` runs later seeds through the platform stage only: '
        'the first play, which creates every DigitalOcean resource but the gateway\'s A record and the mail records). '
        'The nominal fault rate is drawn per call, so the share that fired varies by seed. The fault-free full provision %s. '
        '"retries" counts faulted calls the client sent again (same method and path later in the log); a '
        '`response_lost` write is applied by the emulator before the connection drops, so the retry meets its own '
        'success and must not create a second resource. Duplicates are checked for every kind of resource the emulator '
        'holds (names unique per kind; children as parent/name; DNS records as type, name and data).' % (
            'took %.0f s' % baseline.seconds if baseline else 'was not run (--no-baseline)'),
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seeds', type=int, nargs='+', default=list(SEEDS))
    parser.add_argument('--platform-only-from', type=int, default=-1,
                        help='seeds at this position (0-based) and later run only the platform stage (default -1: every seed in full, '
                             'as the test does)')
    parser.add_argument('--no-baseline', action='store_true', help='skip the fault-free run')
    parser.add_argument('--write-docs', action='store_true', help='rewrite the section in docs/reliability.md')
    args = parser.parse_args(argv)
    with common.sandbox_handle() as handle:
        env = common.ansible_env(handle)
        baseline = None
        if not args.no_baseline:
            clean = run_scenario(handle, env, None)
            if not clean['converged']:
                raise SystemExit('the fault-free provision failed:\n%s' % clean['run'].stdout[-4000:])
            baseline = clean['run']
        results = []
        for position, seed in enumerate(args.seeds):
            platform_only = 0 <= args.platform_only_from <= position
            results.append(run_scenario(handle, env, seed, platform_only=platform_only))
            sys.stderr.write('seed %s: converged=%s, %.0f s\n' % (seed, results[-1]['converged'], results[-1]['run'].seconds))
        common.emit(report(results, baseline), common.RELIABILITY_DOC, 'faults', 'Reliability', args.write_docs)
    return 0 if all(result['converged'] and not result['duplicates'] and not result['unexpected'] for result in results) else 1


if __name__ == '__main__':
    sys.exit(main())
