# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What stands in the sandbox after `make demo`: hosts, endpoints and workloads, never a secret.

Reads the stand-ins' own state (their control APIs), so it shows what the playbooks really built,
not what they said they built. Run with the sandbox's environment sourced (`source .sandbox/env`).
"""

from __future__ import annotations

import argparse
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from tests.emulators.digitalocean.control import EmulatorControl  # noqa: E402  pylint: disable=wrong-import-position
from tests.emulators.kubernetes.control import KubernetesControl  # noqa: E402  pylint: disable=wrong-import-position

WORKLOADS = (('deployments.apps', 'Deployment'), ('cronjobs.batch', 'CronJob'))
ROUTES = ('gateways.gateway.networking.k8s.io', 'httproutes.gateway.networking.k8s.io')


def digitalocean_lines(state):
    """One line per DigitalOcean resource: name, region, size, endpoints."""
    lines = []
    for vpc in state.get('vpcs', []):
        if not vpc.get('default'):
            lines.append('VPC          %s %s %s' % (vpc['name'], vpc['region'], vpc['ip_range']))
    for cluster in state.get('kubernetes_clusters', []):
        pools = ', '.join('%s %sx%s' % (pool['name'], pool.get('count'), pool.get('size')) for pool in cluster.get('node_pools', []))
        lines.append('Kubernetes   %s %s %s (%s)' % (cluster['name'], cluster['region'], cluster['version'], pools))
    for database in state.get('database_clusters', []):
        private = database.get('private_connection') or {}
        lines.append('Database     %s %s %s %s %s, private %s:%s' % (
            database['name'], database['engine'], database.get('version'), database['region'], database['size'],
            private.get('host', '-'), private.get('port', '-')))
        for pool in database.get('pools', []) or []:
            lines.append('  pool       %s %s size %s -> %s' % (pool['name'], pool.get('mode'), pool.get('size'), pool.get('db')))
    for endpoint in state.get('cdn_endpoints', []):
        lines.append('CDN          https://%s -> %s' % (endpoint.get('custom_domain') or endpoint['endpoint'], endpoint['origin']))
    for certificate in state.get('certificates', []):
        lines.append('Certificate  %s %s %s' % (certificate['name'], certificate['type'], ','.join(certificate.get('dns_names', []))))
    for key in state.get('spaces_keys', []):
        grants = ', '.join('%s:%s' % (grant['bucket'] or '*', grant['permission']) for grant in key.get('grants', []))
        lines.append('Spaces key   %s (%s)' % (key['name'], grants))
    registry = state.get('registry')
    if registry:
        lines.append('Registry     %s %s' % (registry['name'], registry.get('region')))
    for domain in state.get('domains', []):
        records = [record for record in domain.get('records', []) if record.get('type') not in ('SOA', 'NS')]
        lines.append('DNS zone     %s (%d records besides SOA/NS)' % (domain['name'], len(records)))
        for record in records:
            lines.append('  %-6s %s -> %s' % (record['type'], record['name'], _short(record.get('data', ''))))
    return lines


def kubernetes_lines(objects):
    """Workloads with their image and replicas, the Gateway and its routes."""
    lines = []
    for resource, kind in WORKLOADS:
        for item in objects.get(resource, []):
            metadata = item['metadata']
            if metadata.get('namespace') in ('cert-manager', 'kube-system'):
                continue
            spec = item.get('spec', {})
            template = spec.get('jobTemplate', {}).get('spec', spec).get('template', {})
            images = sorted({container['image'] for container in template.get('spec', {}).get('containers', [])})
            detail = 'schedule %r' % spec.get('schedule') if kind == 'CronJob' else '%s replicas' % spec.get('replicas', 1)
            lines.append('%-12s %s/%s %s, %s' % (kind, metadata['namespace'], metadata['name'], ' '.join(images), detail))
    for resource in ROUTES:
        for item in objects.get(resource, []):
            hostnames = item.get('spec', {}).get('hostnames') or [listener.get('hostname', '*') for listener in item.get('spec', {}).get('listeners', [])]
            hosts = ' '.join(sorted(set(filter(None, hostnames))))
            lines.append('%-12s %s/%s %s' % (item['kind'], item['metadata']['namespace'], item['metadata']['name'], hosts))
    return lines


def _short(text, limit=70):
    return text if len(text) <= limit else text[:limit - 3] + '...'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    ca_bundle = os.path.join(os.environ['FEDIOPS_SANDBOX_DIR'], 'ca', 'ca.pem')
    with EmulatorControl(os.environ['FEDIOPS_SANDBOX_DO_CONTROL_URL'], ca_bundle) as digitalocean:
        state = digitalocean.state()
    with KubernetesControl(os.environ['FEDIOPS_SANDBOX_K8S_CONTROL_URL'], ca_bundle) as kubernetes:
        objects = kubernetes.state()
    sys.stdout.write('== What stands in the sandbox (no secrets)\n')
    for line in digitalocean_lines(state) + kubernetes_lines(objects):
        sys.stdout.write(line + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
