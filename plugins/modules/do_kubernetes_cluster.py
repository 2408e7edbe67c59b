#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_kubernetes_cluster
short_description: Manage DigitalOcean Kubernetes (DOKS) clusters and their node pools
version_added: 0.1.0
description:
  - Create, update, upgrade and delete a DigitalOcean Kubernetes cluster, found by its name.
  - New clusters are VPC-native (their Pod and Service networks are routed in the VPC), so DigitalOcean's
    managed Gateway API (Cilium, GatewayClass C(cilium)) is available on them.
  - Changes in place what DigitalOcean allows (tags, HA, auto and surge upgrades, maintenance window, node
    pools, container registry integration) and upgrades the Kubernetes version; nothing is deleted and recreated.
  - Every input (region, version, node sizes, node counts) is validated before any call that changes something.
  - Optionally writes the cluster's kubeconfig to a file.
author:
  - fediops.mastodon contributors (@fediops)
options:
  name:
    description:
      - Name of the cluster, unique in the account. 1 to 63 lowercase letters, digits and dashes.
    type: str
    required: true
  state:
    description:
      - V(present) creates, updates or upgrades the cluster, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  region:
    description:
      - Slug of the region, for example V(tor1). Required to create the cluster; cannot change afterwards.
      - Checked against the regions DigitalOcean offers for Kubernetes.
    type: str
  version:
    description:
      - Kubernetes version. V(latest), a minor version such as V(1.35) (its newest patch release), or a version
        slug such as V(1.35.2-do.0), checked against what DigitalOcean offers.
      - Defaults to V(latest) when the cluster is created; omit it to leave an existing cluster's version alone.
      - On an existing cluster a newer version is an upgrade, made only when DigitalOcean lists it among the
        cluster's available upgrades (at most one minor version ahead). An older version fails before any
        change, as clusters cannot be downgraded.
    type: str
  vpc:
    description:
      - Name or id of the VPC of the cluster, in the cluster's region. Default is the region's default VPC.
      - Cannot change once the cluster exists.
    type: str
  cluster_subnet:
    description:
      - Pod network of the VPC-native cluster (RFC 1918, CIDR). Must not overlap any VPC or another cluster's networks.
      - Defaults to V(10.200.0.0/16) when the cluster is created; cannot change afterwards.
    type: str
  service_subnet:
    description:
      - Service network of the VPC-native cluster (RFC 1918, CIDR). Must not overlap any VPC, the Pod network or
        another cluster's networks.
      - Defaults to V(10.201.0.0/20) when the cluster is created; cannot change afterwards.
    type: str
  tags:
    description:
      - Tags of the cluster, the whole set. DigitalOcean's own V(k8s) and V(k8s:<cluster id>) are always kept.
      - Omit to leave the tags alone; V([]) removes every tag of your own.
    type: list
    elements: str
  ha:
    description:
      - Whether the control plane is highly available. Can be enabled on an existing cluster, never disabled.
    type: bool
  auto_upgrade:
    description:
      - Whether DigitalOcean upgrades the cluster to new patch releases in the maintenance window.
    type: bool
  surge_upgrade:
    description:
      - Whether upgrades bring up new nodes before draining the old ones.
    type: bool
  maintenance_policy:
    description:
      - When DigitalOcean may run maintenance (4 hours from O(maintenance_policy.start_time), UTC).
    type: dict
    suboptions:
      start_time:
        description:
          - Start of the window, UTC, 24-hour V(HH:MM), for example V(04:00).
        type: str
      day:
        description:
          - Day of the window, or V(any).
        type: str
        choices: [any, monday, tuesday, wednesday, thursday, friday, saturday, sunday]
  node_pools:
    description:
      - The node pools of the cluster, found by name. Required to create the cluster (at least one node).
      - A listed pool that does not exist is added; an existing one is resized and its autoscaling limits,
        labels, taints and tags are updated. Its size cannot change (add a new pool instead).
      - Pools that are not listed are left alone and reported in RV(unmanaged_node_pools), unless
        O(purge_node_pools=true). Omit the option to leave every pool alone.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - Name of the node pool, unique in the cluster.
        type: str
        required: true
      size:
        description:
          - Droplet size slug of the nodes, for example V(s-2vcpu-4gb). Required to add the pool.
          - Checked against the node sizes DigitalOcean offers for Kubernetes.
        type: str
      count:
        description:
          - Number of nodes. Required without O(node_pools[].auto_scale).
          - With autoscaling it may be omitted, leaving the count to the autoscaler (within the limits).
        type: int
      auto_scale:
        description:
          - Whether the cluster autoscaler manages the pool between O(node_pools[].min_nodes) and O(node_pools[].max_nodes).
        type: bool
        default: false
      min_nodes:
        description:
          - Fewest nodes with autoscaling (V(0) or more, at most O(node_pools[].max_nodes)).
        type: int
      max_nodes:
        description:
          - Most nodes with autoscaling (V(1) or more).
        type: int
      labels:
        description:
          - Kubernetes labels of the nodes (string values). Omit to leave them alone.
        type: dict
      taints:
        description:
          - Kubernetes taints of the nodes, the whole set. Omit to leave them alone.
        type: list
        elements: dict
        suboptions:
          key:
            description: Taint key.
            type: str
            required: true
          value:
            description: Taint value.
            type: str
          effect:
            description: Taint effect.
            type: str
            required: true
            choices: [NoSchedule, PreferNoSchedule, NoExecute]
      tags:
        description:
          - Tags of the pool's nodes. DigitalOcean's V(k8s), V(k8s:<cluster id>) and V(k8s-worker) are always kept.
        type: list
        elements: str
  purge_node_pools:
    description:
      - Delete the node pools that O(node_pools) does not list. New pools are added before any is deleted.
    type: bool
    default: false
  registry_integration:
    description:
      - Whether the account's DigitalOcean Container Registry is integrated with the cluster (image pull
        secrets in every namespace). Omit to leave it as it is.
    type: bool
  kubeconfig_path:
    description:
      - Write the cluster's kubeconfig to this file (mode C(0600); the directory is created when missing).
      - Each download makes DigitalOcean issue a new token, so the file is downloaded only when it is missing,
        names another cluster or API endpoint, or is older than half of O(kubeconfig_expiry_seconds), and it is
        rewritten only when its content changes. The token is never printed nor returned.
    type: path
  kubeconfig_expiry_seconds:
    description:
      - Lifetime of the kubeconfig's token, in seconds (DigitalOcean's default is 7 days).
    type: int
    default: 604800
  wait:
    description:
      - Wait until the cluster is V(running) after creating, changing or upgrading it, and until it is gone
        after deleting it. An upgrade of a cluster that is still provisioning waits for it first.
extends_documentation_fragment:
  - fediops.mastodon.digitalocean
  - fediops.mastodon.digitalocean_wait
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.DIGITALOCEAN
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
'''

EXAMPLES = r'''
- name: Kubernetes for Mastodon
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/fediops.mastodon.digitalocean:
      oauth_token: "{{ vault_digitalocean_token }}"
  tasks:
    - name: Ensure the cluster exists, with an autoscaled pool, and save its kubeconfig
      fediops.mastodon.do_kubernetes_cluster:
        name: mastodon
        region: tor1
        version: "1.35"
        vpc: mastodon-tor1
        ha: true
        surge_upgrade: true
        maintenance_policy:
          start_time: "04:00"
          day: sunday
        node_pools:
          - name: web
            size: s-4vcpu-8gb
            auto_scale: true
            min_nodes: 2
            max_nodes: 5
            labels:
              workload: web
          - name: sidekiq
            size: c-4
            count: 2
            taints:
              - key: workload
                value: sidekiq
                effect: NoSchedule
        registry_integration: true
        kubeconfig_path: "{{ playbook_dir }}/.kube/mastodon.yaml"
      register: doks

    - name: Upgrade to the next minor version and drop pools no longer listed
      fediops.mastodon.do_kubernetes_cluster:
        name: mastodon
        version: "1.36"
        node_pools:
          - name: web
            size: s-4vcpu-8gb
            auto_scale: true
            min_nodes: 2
            max_nodes: 5
        purge_node_pools: true

    - name: Delete the cluster
      fediops.mastodon.do_kubernetes_cluster:
        name: mastodon
        state: absent
'''

RETURN = r'''
cluster:
  description:
    - The cluster as DigitalOcean returns it. With O(state=absent), the cluster that was deleted, or V({}).
    - In check mode, the cluster as it would be (no id for one that would be created).
  returned: always
  type: dict
  contains:
    id:
      description: Unique id of the cluster.
      type: str
      sample: bd5f5959-5e1e-4205-a714-a914373942af
    name:
      description: Name of the cluster.
      type: str
      sample: mastodon
    region:
      description: Region slug.
      type: str
      sample: tor1
    version:
      description: Kubernetes version slug.
      type: str
      sample: 1.35.2-do.0
    vpc_uuid:
      description: Id of the cluster's VPC.
      type: str
      sample: c33931f2-a26a-4e61-b85c-4e95a2ec431b
    cluster_subnet:
      description: Pod network.
      type: str
      sample: 10.200.0.0/16
    service_subnet:
      description: Service network.
      type: str
      sample: 10.201.0.0/20
    endpoint:
      description: URL of the Kubernetes API server.
      type: str
      sample: https://bd5f5959-5e1e-4205-a714-a914373942af.k8s.ondigitalocean.com
    tags:
      description: Tags, DigitalOcean's V(k8s) and V(k8s:<id>) included.
      type: list
      elements: str
      sample: [k8s, "k8s:bd5f5959-5e1e-4205-a714-a914373942af", mastodon]
    node_pools:
      description: Node pools with their nodes.
      type: list
      elements: dict
    status:
      description: Status; C(state) is V(provisioning), V(running), V(upgrading), V(degraded), V(error) or V(deleting).
      type: dict
      sample: {state: running, message: ""}
    ha:
      description: Whether the control plane is highly available.
      type: bool
    auto_upgrade:
      description: Whether patch releases are applied automatically.
      type: bool
    surge_upgrade:
      description: Whether upgrades surge new nodes first.
      type: bool
    maintenance_policy:
      description: Maintenance window (C(start_time), C(duration), C(day)).
      type: dict
    registry_enabled:
      description: Whether the container registry is integrated.
      type: bool
unmanaged_node_pools:
  description: Names of node pools that O(node_pools) does not list and that were left in place (O(purge_node_pools=false)).
  returned: when O(state=present)
  type: list
  elements: str
  sample: [legacy]
kubeconfig:
  description: The kubeconfig file, when O(kubeconfig_path) is set. Its content (a secret token) is never returned.
  returned: when O(kubeconfig_path) is set and O(state=present)
  type: dict
  contains:
    path:
      description: Path of the file.
      type: str
      sample: /home/ops/.kube/mastodon.yaml
    context:
      description: Its kubeconfig context, C(do-<region>-<name>).
      type: str
      sample: do-tor1-mastodon
    changed:
      description: Whether the file was (or, in check mode, would be) written.
      type: bool
    reason:
      description: Why it was downloaded, if it was.
      type: str
'''

import os
import tempfile
import time

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.fediops.mastodon.plugins.module_utils import kubernetes_cluster as kc
from ansible_collections.fediops.mastodon.plugins.module_utils.diff import build_diff
from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanModule

try:
    from azure.core.rest import HttpRequest
except ImportError:
    HttpRequest = None  # pydo (and azure-core) missing: DigitalOceanModule.client fails with missing_required_lib


def fail_on(module, errors):
    if errors:
        module.fail_json(msg='Nothing was changed: ' + '; '.join(errors))


def find_cluster(module):
    clusters = module.paginate('list Kubernetes clusters', module.client.kubernetes.list_clusters, 'kubernetes_clusters')
    return module.find_unique(clusters, 'Kubernetes clusters', name=module.params['name']), clusters


def resolve_vpc(module, region):
    """The id of the VPC named (or with the id) ``vpc``, checked to be in ``region``; the VPC list for subnet checks."""
    vpcs = module.paginate('list VPCs', module.client.vpcs.list, 'vpcs')
    wanted = module.params['vpc']
    if wanted is None:
        default = next((vpc for vpc in vpcs if vpc.get('region') == region and vpc.get('default')), None)
        return (default or {}).get('id'), vpcs
    return module.resolve_vpc(wanted, region=region, vpcs=vpcs)['id'], vpcs


def wait_running(module, cluster_id):
    return module.wait_for('Kubernetes cluster %s to be running' % module.params['name'],
                           lambda: module.call('get Kubernetes cluster', module.client.kubernetes.get_cluster, cluster_id)['kubernetes_cluster'],
                           lambda cluster: cluster['status']['state'] == 'running',
                           is_failed=lambda cluster: cluster['status']['state'] == 'error' and 'status error: %s' % cluster['status'].get('message'))


def set_registry(module, cluster_id, enabled):
    fn = module.client.kubernetes.add_registry if enabled else module.client.kubernetes.remove_registry
    module.call('%s the container registry' % ('integrate' if enabled else 'detach'), fn, {'cluster_uuids': [cluster_id]})


def create(module, options, clusters):
    params, k8s = module.params, module.client.kubernetes
    region = params['region']
    if not region or not params['node_pools']:
        fail_on(module, ['region and node_pools (at least one pool with at least one node) are required to create cluster %r' % params['name']])
    regions = sorted(r['slug'] for r in options['regions'])
    version, error = kc.resolve_version(params['version'] or 'latest', [v['slug'] for v in options['versions']])
    errors = [error] if error else []
    if region not in regions:
        errors.append('region %r does not offer Kubernetes; allowed: %s' % (region, ', '.join(regions)))
    plan = kc.plan_node_pools(params['node_pools'], [], False)
    if sum(pool['count'] for pool in plan['create']) < 1:
        errors.append('node_pools: a new cluster needs at least one node')
    vpc_uuid, vpcs = resolve_vpc(module, region) if not errors else (None, [])
    subnets = (params['cluster_subnet'] or kc.DEFAULT_CLUSTER_SUBNET, params['service_subnet'] or kc.DEFAULT_SERVICE_SUBNET)
    fail_on(module, errors + plan['errors'] + kc.subnet_errors(subnets[0], subnets[1], vpcs, clusters))
    body = dict(name=params['name'], region=region, version=version, cluster_subnet=subnets[0], service_subnet=subnets[1],
                tags=kc.strip_auto_tags(params['tags']), node_pools=plan['create'],
                maintenance_policy=kc.maintenance_policy(params['maintenance_policy'], {'start_time': '00:00', 'day': 'any'}),
                auto_upgrade=bool(params['auto_upgrade']), surge_upgrade=bool(params['surge_upgrade']), ha=bool(params['ha']))
    if vpc_uuid:
        body['vpc_uuid'] = vpc_uuid
    if module.check_mode:
        return dict(body, registry_enabled=bool(params['registry_integration']), status={'state': 'provisioning'})
    cluster = module.create_with_lookup('create Kubernetes cluster %s' % params['name'], k8s.create_cluster, body,
                                        lookup=lambda: find_cluster(module)[0], key='kubernetes_cluster')
    if params['registry_integration']:
        set_registry(module, cluster['id'], True)
    return wait_running(module, cluster['id']) if params['wait'] else cluster


def update(module, options, current):
    params, k8s = module.params, module.client.kubernetes
    vpc_uuid = None
    if params['vpc'] and params['vpc'] not in (current.get('vpc_uuid'),):
        vpc_uuid = resolve_vpc(module, current['region'])[0]
    body, errors = kc.update_body(params, current)
    errors += kc.immutable_errors(params, current, vpc_uuid)
    plan = kc.plan_node_pools(params['node_pools'], current.get('node_pools') or [], params['purge_node_pools'], current['id'])
    target, error = kc.plan_version(params['version'], current['version'], [v['slug'] for v in options['versions']])
    if target:
        upgrades = module.call('list available upgrades', k8s.get_available_upgrades, current['id'])['available_upgrade_versions'] or []
        error = kc.upgrade_error(target, current['version'], [v['slug'] for v in upgrades])
    registry = params['registry_integration']
    registry = registry if registry is not None and registry != bool(current.get('registry_enabled')) else None
    fail_on(module, errors + plan['errors'] + ([error] if error else []))
    changed = bool(body or plan['create'] or plan['update'] or plan['delete'] or target or registry is not None)
    if module.check_mode or not changed:
        if not changed and not module.check_mode and params['wait'] and current['status']['state'] != 'running':
            current = wait_running(module, current['id'])  # e.g. created earlier with wait=false
        return changed, kc.predict(current, body, plan, target, registry), plan['unmanaged']
    cluster_id = current['id']
    if body:
        module.call('update Kubernetes cluster %s' % current['name'], k8s.update_cluster, cluster_id, body)
    for pool_body in plan['create']:
        module.create_with_lookup('add node pool %s' % pool_body['name'], k8s.add_node_pool, cluster_id, pool_body, key='node_pool',
                                  lookup=lambda name=pool_body['name']: next((p for p in module.call(
                                      'list node pools', k8s.list_node_pools, cluster_id)['node_pools'] if p['name'] == name), None))
    for pool, pool_body in plan['update']:
        module.call('update node pool %s' % pool['name'], k8s.update_node_pool, cluster_id, pool['id'], pool_body)
    for pool in plan['delete']:
        module.delete('delete node pool %s' % pool['name'], k8s.delete_node_pool, cluster_id, pool['id'])
    if registry is not None:
        set_registry(module, cluster_id, registry)
    if target:
        if current['status']['state'] != 'running' and params['wait']:
            wait_running(module, cluster_id)
        module.call('upgrade Kubernetes cluster %s to %s' % (current['name'], target), k8s.upgrade_cluster, cluster_id, {'version': target})
    if params['wait']:
        return True, wait_running(module, cluster_id), plan['unmanaged']
    return True, module.call('get Kubernetes cluster', k8s.get_cluster, cluster_id)['kubernetes_cluster'], plan['unmanaged']


def download_kubeconfig(client, cluster_id, expiry):
    """The kubeconfig YAML. pydo's ``get_kubeconfig`` cannot decode ``application/yaml`` (pydo issue #264), so the
    request goes through the same client pipeline (auth, TLS) as a stream and its text is read as is."""
    request = HttpRequest('GET', '/v2/kubernetes/clusters/%s/kubeconfig' % cluster_id, params={'expiry_seconds': expiry})
    response = client.send_request(request, stream=True)
    response.read()
    response.raise_for_status()
    return response.text()


def ensure_kubeconfig(module, cluster):
    """Write the kubeconfig when it is missing, stale or about to expire; never print its token."""
    path, expiry = module.params['kubeconfig_path'], module.params['kubeconfig_expiry_seconds']
    if not kc.HAS_YAML:
        module.fail_json(msg=missing_required_lib('PyYAML'), exception=kc.YAML_IMPORT_ERROR)
    info = {'path': path, 'context': 'do-%s-%s' % (cluster.get('region'), cluster.get('name')), 'changed': False}
    existing, age = None, 0
    if os.path.exists(path):
        with open(path, encoding='utf-8') as handle:
            existing = handle.read()
        age = time.time() - os.stat(path).st_mtime
        summary = kc.kubeconfig_summary(existing)
        if summary and summary['token']:
            module.no_log_values.add(summary['token'])
    reason = kc.kubeconfig_refresh_reason(existing, cluster, age, expiry) if cluster.get('id') else 'the cluster would be created'
    wrong_mode = existing is not None and os.stat(path).st_mode & 0o777 != 0o600
    if reason and not module.check_mode:
        text = module.call('get kubeconfig', download_kubeconfig, module.client, cluster['id'], expiry)
        summary = kc.kubeconfig_summary(text)
        if summary is None or not summary['token']:
            module.fail_json(msg='get kubeconfig: DigitalOcean returned no token kubeconfig for cluster %s' % cluster['name'])
        module.no_log_values.add(summary['token'])
        if text != existing:
            write_private(module, path, text)
            info.update(changed=True, reason=reason)
    elif reason:
        info.update(changed=True, reason=reason)
    if wrong_mode and not info['changed']:
        if not module.check_mode:
            os.chmod(path, 0o600)
        info.update(changed=True, reason='the file mode was not 0600')
    return info


def write_private(module, path, text):
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix='.kubeconfig-')  # created 0600
        with os.fdopen(handle, 'w', encoding='utf-8') as stream:
            stream.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except OSError as exc:
        module.fail_json(msg='Cannot write the kubeconfig to %s: %s' % (path, exc.strerror or exc))


def main():
    taint = dict(key=dict(type='str', required=True, no_log=False), value=dict(type='str'),
                 effect=dict(type='str', required=True, choices=['NoSchedule', 'PreferNoSchedule', 'NoExecute']))
    pool = dict(name=dict(type='str', required=True), size=dict(type='str'), count=dict(type='int'),
                auto_scale=dict(type='bool', default=False), min_nodes=dict(type='int'), max_nodes=dict(type='int'),
                labels=dict(type='dict'), taints=dict(type='list', elements='dict', options=taint), tags=dict(type='list', elements='str'))
    days = ['any', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']
    policy = dict(start_time=dict(type='str'), day=dict(type='str', choices=days))
    module = DigitalOceanModule(argument_spec=dict(
        name=dict(type='str', required=True), state=dict(type='str', default='present', choices=['present', 'absent']),
        region=dict(type='str'), version=dict(type='str'), vpc=dict(type='str'), cluster_subnet=dict(type='str'),
        service_subnet=dict(type='str'), tags=dict(type='list', elements='str'), ha=dict(type='bool'), auto_upgrade=dict(type='bool'),
        surge_upgrade=dict(type='bool'), maintenance_policy=dict(type='dict', options=policy),
        node_pools=dict(type='list', elements='dict', options=pool), purge_node_pools=dict(type='bool', default=False),
        registry_integration=dict(type='bool'), kubeconfig_path=dict(type='path'),
        kubeconfig_expiry_seconds=dict(type='int', default=kc.DEFAULT_KUBECONFIG_EXPIRY),
    ), supports_check_mode=True, wait=True)
    params = module.params
    if params['state'] == 'absent':
        current = find_cluster(module)[0]
        if current and not module.check_mode:
            module.delete('delete Kubernetes cluster %s' % current['name'], module.client.kubernetes.delete_cluster, current['id'])
            if params['wait']:
                module.wait_for('Kubernetes cluster %s to be deleted' % current['name'], lambda: module.get_or_none(
                    'get Kubernetes cluster', module.client.kubernetes.get_cluster, current['id']), lambda found: found is None)
        module.exit_json(changed=bool(current), cluster=current or {}, diff=build_diff(kc.project_cluster(current), None, kc.CLUSTER_FIELDS))

    fail_on(module, kc.validate(params))
    options = module.call('list Kubernetes options', module.client.kubernetes.list_options)['options']
    fail_on(module, kc.validate(params, [size['slug'] for size in options['sizes']]))
    current, clusters = find_cluster(module)
    if current is None:
        changed, cluster, unmanaged = True, create(module, options, clusters), []
    else:
        changed, cluster, unmanaged = update(module, options, current)
    if unmanaged:
        module.warn('node pools %s of cluster %s are not listed in node_pools and were left in place (purge_node_pools=false)'
                    % (', '.join(unmanaged), params['name']))
    result = dict(cluster=cluster, unmanaged_node_pools=unmanaged)
    if params['kubeconfig_path']:
        result['kubeconfig'] = ensure_kubeconfig(module, cluster)
        changed = changed or result['kubeconfig']['changed']
    diff = build_diff(kc.project_cluster(current), kc.project_cluster(cluster), kc.CLUSTER_FIELDS)
    module.exit_json(changed=changed, diff=diff, **result)


if __name__ == '__main__':
    main()
