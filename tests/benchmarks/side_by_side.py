# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: fediops.mastodon's DigitalOcean modules side by side with community.digitalocean's.

Two scenarios, each run by both collections in the same process against the same emulator, a create
run then a converged re-run:

- ``dns-records``: ``fediops.mastodon.do_domain_records`` syncing 50 records in one task vs 50
  ``community.digitalocean.digital_ocean_domain_record`` tasks. Targets: wall ratio >= 10x, API calls
  <= pages + changed records.
- ``database``: a PostgreSQL cluster + PgBouncer pool + trusted sources vs
  ``community.digitalocean.digital_ocean_database`` (which has no pool or trusted-source module), and a cloud
  firewall: ``do_firewall`` vs ``digital_ocean_firewall``.

community.digitalocean (from the ``ansible`` bundle in .venv) is pointed at the emulator with
``baseurl: $DIGITALOCEAN_API_URL/v2`` where a module has that option (``digital_ocean_database``).
``digital_ocean_domain_record`` has no ``baseurl`` option (its argument spec is its own): it uses the class
default of ``DigitalOceanHelper``, so the benchmark runs community.digitalocean from a temporary copy
whose module_utils default URL is the emulator's (that one literal changed, nothing else), first on
the collections path. Its TLS trusts the sandbox CA through ``SSL_CERT_FILE``.
Usage: `.venv/bin/python -m tests.benchmarks.side_by_side [--records 50] [--only dns-records|database] [--write-docs]`.
"""

from __future__ import annotations

import argparse
import collections
import math
import os
import shutil
import sys
import tempfile

from tests.benchmarks import common

RATIO_TARGET = 10.0
TOKEN = "{{ lookup('ansible.builtin.env', 'DIGITALOCEAN_ACCESS_TOKEN') }}"
# Empty lists given: community.digitalocean sends null for a missing one, which DigitalOcean's contract refuses.
ANYWHERE = {'addresses': ['0.0.0.0/0', '::/0'], 'droplet_ids': [], 'load_balancer_uids': []}
FIREWALL_INBOUND = [{'protocol': 'tcp', 'ports': port, 'sources': ANYWHERE} for port in ('443', '80')]
FIREWALL_OUTBOUND = [{'protocol': protocol, 'ports': 'all', 'destinations': ANYWHERE} for protocol in ('tcp', 'udp')]
CD_DEFAULTS = {'oauth_token': TOKEN, 'baseurl': "{{ lookup('ansible.builtin.env', 'DIGITALOCEAN_API_URL') }}/v2"}


def community_overlay(handle, workdir):
    """A copy of community.digitalocean whose default API URL is the emulator's; returns the collections path to use."""
    import ansible_collections.community.digitalocean as installed  # pylint: disable=import-outside-toplevel
    root = os.path.join(workdir, 'overlay')
    target = os.path.join(root, 'ansible_collections', 'community', 'digitalocean')
    shutil.copytree(list(installed.__path__)[0], target)
    helper = os.path.join(target, 'plugins', 'module_utils', 'digital_ocean.py')
    with open(helper, encoding='utf-8') as source:
        text = source.read()
    default = 'baseurl = "https://api.digitalocean.com/v2"'
    if default not in text:
        raise SystemExit('community.digitalocean changed: %s not found in %s' % (default, helper))
    with open(helper, 'w', encoding='utf-8') as patched:
        patched.write(text.replace(default, 'baseurl = "%s/v2"' % handle.do_url, 1))
    return '%s:%s' % (root, common.COLLECTIONS_PATH)


def calls_since(ctl, mark):
    """API calls after ``mark``: total, writes, and a Counter per (method, operation)."""
    entries = ctl.requests(since=mark)
    return entries, sum(1 for entry in entries if entry['write']), collections.Counter(
        '%s %s' % (entry['method'], entry['operation_id']) for entry in entries)


def measured(ctl, env, path, what):
    """Run one playbook; return (Timed, request log entries of that run)."""
    mark = ctl.last_seq()
    run = common.run_local(env, path).check(what)
    return run, ctl.requests(since=mark)


def operations(entries):
    """`GET vpcs_list, POST databases_create_cluster x2`: the calls of a run, in order of first use."""
    counts = collections.Counter('%s %s' % (entry['method'], entry['operation_id']) for entry in entries)
    return ', '.join('%s%s' % (name, ' x%d' % count if count > 1 else '') for name, count in counts.items())


def pages_needed(entries, records):
    """List pages the zone needs at the page size the client asked for (DigitalOcean's default 20)."""
    lists = [entry for entry in entries if entry['operation_id'] == 'domains_list_records']
    per_page = int((lists[0]['query'] or {}).get('per_page') or 20) if lists else 20
    return max(1, math.ceil(records / min(per_page, 200)))


def zone_size(api, domain):
    return api.call('GET', '/v2/domains/%s/records?per_page=200' % domain)['meta']['total']


def dns_records(handle, workdir, count):
    ctl = common.control(handle)
    ctl.reset()
    limits = {key: ctl.config()[key] for key in ('rate_limit_per_minute', 'rate_limit_per_hour')}
    # community.digitalocean lists the whole zone (20 per page) for every record: at DigitalOcean's 250 requests a
    # minute it is answered 429 (which it does not retry) around the 35th record, so the limit is lifted for both.
    ctl.configure(rate_limit_per_minute=100000, rate_limit_per_hour=1000000)
    env = common.ansible_env(handle, ANSIBLE_COLLECTIONS_PATH=community_overlay(handle, workdir))
    api = common.DoApi(handle)
    ours_domain, theirs_domain = 'bench-ours.test', 'bench-community.test'
    for domain in (ours_domain, theirs_domain):
        api.call('POST', '/v2/domains', {'name': domain})
    records = [{'name': 'host%02d' % number, 'type': 'A', 'data': '192.0.2.%d' % (number + 1), 'ttl': 300} for number in range(count)]
    ours = common.write_play(workdir, 'dns ours', [{
        'name': 'Sync %d records' % count, 'fediops.mastodon.do_domain_records': {'domain': ours_domain, 'records': records}}])
    theirs = common.write_play(workdir, 'dns community', [
        {'name': 'Record %s' % record['name'],
         'community.digitalocean.digital_ocean_domain_record': dict(record, domain=theirs_domain, state='present')}
        for record in records], module_defaults={'community.digitalocean.digital_ocean_domain_record': {'oauth_token': TOKEN}})
    results = {}
    for label, path, domain in (('fediops.mastodon.do_domain_records (1 task)', ours, ours_domain),
                                ('community.digitalocean.digital_ocean_domain_record (%d tasks)' % count, theirs, theirs_domain)):
        for phase in ('create', 're-run'):
            run, entries = measured(ctl, env, path, '%s %s' % (label, phase))
            size = zone_size(api, domain)
            results[(label, phase)] = {
                'seconds': run.seconds, 'calls': len(entries), 'writes': sum(1 for entry in entries if entry['write']),
                'changed_records': count if phase == 'create' else 0, 'pages': pages_needed(entries, size),
                'changed_tasks': run.recap.get('changed', 0)}
    rows = []
    labels = list(dict.fromkeys(label for label, _phase in results))
    for phase in ('create', 're-run'):
        ours_result, theirs_result = results[(labels[0], phase)], results[(labels[1], phase)]
        speedup = common.ratio(theirs_result['seconds'], ours_result['seconds'])
        for label in labels:
            result = results[(label, phase)]
            budget = result['pages'] + result['changed_records']
            rows.append([phase, label, '%.1f s' % result['seconds'],
                         '**%.1fx** (target >= %.0fx: %s)' % (speedup, RATIO_TARGET, 'met' if speedup >= RATIO_TARGET else 'MISSED')
                         if label == labels[0] else '1x',
                         result['calls'], result['writes'],
                         '%d + %d = %d: %s' % (result['pages'], result['changed_records'], budget,
                                               'met' if result['calls'] <= budget else 'over by %d' % (result['calls'] - budget))])
    body = '\n'.join([
        '### %d DNS records: one `do_domain_records` task vs %d `digital_ocean_domain_record` tasks' % (count, count),
        '',
        common.stamp(),
        '',
        common.table(['run', 'collection / module', 'wall', 'speed-up (their wall / ours)', 'API calls', 'writes',
                      'call budget: pages + changed records'], rows),
        '',
        'Both in the same run against the same DigitalOcean emulator, each on its own empty zone (community.digitalocean '
        'from a copy whose default API URL is the emulator\'s: `digital_ocean_domain_record` has no `baseurl` option). '
        '"pages" is the number of list pages the zone needs at the page size the client asks '
        'for (DigitalOcean defaults to 20 per page when the client does not ask).',
        'The emulator\'s rate limit is lifted for this scenario: at DigitalOcean\'s 250 requests a minute the community run '
        'is answered 429 around its 35th record (it lists the whole zone, 20 records a page, before each record and does '
        'not retry a 429) and fails.',
    ])
    ctl.configure(**limits)
    return body


def database(handle, workdir):
    ctl = common.control(handle)
    ctl.reset()
    before = ctl.config()['provision_delay']
    ctl.configure(provision_delay=0)
    env = common.ansible_env(handle)
    # community.digitalocean sends "private_network_uuid": null unless given, which the contract refuses: both get a VPC.
    vpc = common.DoApi(handle).call('POST', '/v2/vpcs', {'name': 'bench-vpc', 'region': 'tor1'})['vpc']
    cluster = {'engine': 'pg', 'version': '17', 'region': 'tor1', 'size': 'db-s-1vcpu-2gb', 'num_nodes': 1}
    ours_tasks = [
        {'name': 'Cluster', 'fediops.mastodon.do_database_cluster': dict(cluster, name='bench-ours-pg', vpc='bench-vpc'), 'no_log': True},
        {'name': 'Pool', 'fediops.mastodon.do_database_pool': {
            'cluster': 'bench-ours-pg', 'name': 'bench', 'db': 'defaultdb', 'user': 'doadmin', 'size': 10}, 'no_log': True},
        {'name': 'Trusted sources', 'fediops.mastodon.do_database_firewall': {
            'cluster': 'bench-ours-pg', 'rules': [{'type': 'ip_addr', 'value': '203.0.113.0/24'}]}},
    ]
    theirs_tasks = [{'name': 'Cluster', 'community.digitalocean.digital_ocean_database': dict(
        cluster, name='bench-community-pg', state='present', wait=True, private_network_uuid=vpc['id']), 'no_log': True}]
    firewall = {'tags': ['k8s:bench'], 'inbound_rules': FIREWALL_INBOUND, 'outbound_rules': FIREWALL_OUTBOUND}
    ours_firewall = [{'name': 'Cloud firewall', 'fediops.mastodon.do_firewall': dict(firewall, name='bench-ours-fw')}]
    theirs_firewall = [{'name': 'Cloud firewall', 'community.digitalocean.digital_ocean_firewall': dict(firewall, name='bench-community-fw')}]
    paths = {
        'cluster': (common.write_play(workdir, 'db ours cluster', ours_tasks[:1]),
                    common.write_play(workdir, 'db community cluster', theirs_tasks,
                                      module_defaults={'community.digitalocean.digital_ocean_database': CD_DEFAULTS})),
        'pool': (common.write_play(workdir, 'db ours pool', ours_tasks[1:2]), None),
        'trusted sources': (common.write_play(workdir, 'db ours firewall', ours_tasks[2:]), None),
        'cloud firewall': (common.write_play(workdir, 'fw ours', ours_firewall),
                           common.write_play(workdir, 'fw community', theirs_firewall,
                                             module_defaults={'community.digitalocean.digital_ocean_firewall': CD_DEFAULTS})),
    }
    rows = []
    not_idempotent = []
    for phase in ('create', 're-run'):
        for resource, (ours, theirs) in paths.items():
            run, entries = measured(ctl, env, ours, 'ours %s %s' % (resource, phase))
            writes = sum(1 for entry in entries if entry['write'])
            ours_cell = '%.1f s, changed=%d, %d calls (%d writes): %s' % (
                run.seconds, run.recap.get('changed', 0), len(entries), writes, operations(entries))
            if theirs is None:
                rows.append([phase, resource, ours_cell, 'no module in community.digitalocean 1.27', '-'])
                continue
            their_run, their_entries = measured(ctl, env, theirs, 'community %s %s' % (resource, phase))
            their_writes = sum(1 for entry in their_entries if entry['write'])
            if phase == 're-run' and their_writes:
                not_idempotent.append('`%s` (%s)' % (resource, operations([entry for entry in their_entries if entry['write']])))
            rows.append([phase, resource, ours_cell,
                         '%.1f s, changed=%d, %d calls (%d writes): %s' % (
                             their_run.seconds, their_run.recap.get('changed', 0), len(their_entries), their_writes, operations(their_entries)),
                         '%.2fx' % common.ratio(their_run.seconds, run.seconds)])
    ctl.configure(provision_delay=before)
    return '\n'.join([
        '### PostgreSQL cluster + pool + trusted sources, and a cloud firewall, vs community.digitalocean',
        '',
        common.stamp(),
        '',
        common.table(['run', 'resource', 'fediops.mastodon', 'community.digitalocean', 'their wall / ours'], rows),
        '',
        'One task per playbook, same emulator, provision delay 0 (both modules wait for `online`; with a delay the ratio '
        'would measure the two polling schedules, see the waits section). Each is one task, so the wall time is mostly '
        'ansible-playbook\'s own start-up: the ratio shows no speed-up either way. community.digitalocean has only '
        '`digital_ocean_database` for clusters: no module for PgBouncer pools or trusted sources (firewall rules). The cloud '
        'firewall is the node firewall of provision.yml (tag `k8s:<cluster>`, HTTP and HTTPS in, all TCP and UDP out; no '
        'ICMP rule: `digital_ocean_firewall` requires `ports` on every rule) through `do_firewall` and `digital_ocean_firewall`.' + (
            ' On the converged re-run community.digitalocean still wrote: %s.' % ', '.join(not_idempotent) if not_idempotent else ''),
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--records', type=int, default=50)
    parser.add_argument('--only', choices=['dns-records', 'database'])
    parser.add_argument('--write-docs', action='store_true', help='rewrite the sections in docs/performance.md')
    args = parser.parse_args(argv)
    with common.sandbox_handle() as handle, tempfile.TemporaryDirectory(prefix='fediops-bench-') as workdir:
        if args.only in (None, 'dns-records'):
            common.emit(dns_records(handle, workdir, args.records), common.PERFORMANCE_DOC, 'dns-records', 'Performance', args.write_docs)
        if args.only in (None, 'database'):
            common.emit(database(handle, workdir), common.PERFORMANCE_DOC, 'database', 'Performance', args.write_docs)
    return 0


if __name__ == '__main__':
    sys.exit(main())
