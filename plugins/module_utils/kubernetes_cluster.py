# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""DigitalOcean Kubernetes (DOKS) planning, as pure functions: validation, version resolution, node pool
and cluster diffs, ``--diff`` projections, kubeconfig freshness. No API calls here; the module does I/O.

Messages name the field, the value and what is allowed.
"""

import ipaddress
import re
import traceback

try:
    import yaml
    HAS_YAML = True
    YAML_IMPORT_ERROR = None
except ImportError:  # PyYAML comes with ansible-core; the guard is for the sanity import test
    HAS_YAML = False
    YAML_IMPORT_ERROR = traceback.format_exc()

CLUSTER_AUTO_TAGS = ('k8s',)
WORKER_TAG = 'k8s-worker'
NAME_PATTERN = re.compile(r'^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$')
TAG_PATTERN = re.compile(r'^[a-zA-Z0-9_\-:]{1,255}$')
START_TIME_PATTERN = re.compile(r'^([01]?[0-9]|2[0-3]):([0-5][0-9])$')
SLUG_PATTERN = re.compile(r'^(\d+)\.(\d+)\.(\d+)-do\.(\d+)$')
MINOR_PATTERN = re.compile(r'^(\d+)\.(\d+)$')
RFC1918 = tuple(ipaddress.ip_network(net) for net in ('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'))
# Pod and Service networks of a VPC-native cluster when the play sets none (away from DOKS' 10.244-10.246 overlay ranges).
DEFAULT_CLUSTER_SUBNET = '10.200.0.0/16'
DEFAULT_SERVICE_SUBNET = '10.201.0.0/20'
DEFAULT_KUBECONFIG_EXPIRY = 7 * 24 * 3600
POOL_FIELDS = ('name', 'size', 'count', 'auto_scale', 'min_nodes', 'max_nodes', 'labels', 'taints', 'tags')
CLUSTER_FIELDS = ('name', 'region', 'version', 'vpc_uuid', 'cluster_subnet', 'service_subnet', 'tags', 'ha', 'auto_upgrade',
                  'surge_upgrade', 'maintenance_policy', 'registry_enabled', 'node_pools')


# -- tags ---------------------------------------------------------------------------------------

def auto_tags(cluster_id, worker=False):
    """The tags DigitalOcean adds itself: ``k8s``, ``k8s:<id>`` (and ``k8s-worker`` on node pools)."""
    tags = list(CLUSTER_AUTO_TAGS) + (['k8s:%s' % cluster_id] if cluster_id else [])
    return tags + [WORKER_TAG] if worker else tags


def strip_auto_tags(tags, cluster_id=None, worker=False):
    """The user's tags: ``tags`` without DigitalOcean's automatic ones, sorted and unique."""
    automatic = set(auto_tags(cluster_id, worker))
    return sorted(set(tag for tag in (tags or []) if tag not in automatic and not tag.startswith('k8s:')))


# -- versions -----------------------------------------------------------------------------------

def version_key(slug):
    """``1.35.2-do.1`` -> (1, 35, 2, 1); None when it is not a version slug."""
    found = SLUG_PATTERN.match(slug or '')
    return tuple(int(part) for part in found.groups()) if found else None


def minor_of(slug):
    return '.'.join(slug.split('.')[:2])


def resolve_version(requested, offered):
    """(slug, None) for ``latest``, a minor (its newest patch) or an offered slug; else (None, message).

    ``offered`` are the version slugs of ``GET /v2/kubernetes/options``.
    """
    slugs = sorted((slug for slug in offered if version_key(slug)), key=version_key, reverse=True)
    if requested == 'latest' and slugs:
        return slugs[0], None
    if requested in slugs:
        return requested, None
    if MINOR_PATTERN.match(requested or ''):
        in_minor = [slug for slug in slugs if minor_of(slug) == requested]
        if in_minor:
            return in_minor[0], None
    minors = sorted(set(minor_of(slug) for slug in slugs), key=lambda minor: tuple(int(p) for p in minor.split('.')))
    return None, ('version %r is not offered by DigitalOcean; allowed: latest, a minor version (%s) or a version slug (%s)'
                  % (requested, ', '.join(minors), ', '.join(slugs)))


def plan_version(requested, current, offered):
    """For an existing cluster: (target slug or None when nothing changes, error message or None).

    Upgrades to the resolved version when it is newer; a version older than the current one is a
    downgrade, which DigitalOcean cannot do.
    """
    if not requested or requested == current:
        return None, None
    target, error = resolve_version(requested, offered)
    if error:
        return None, error
    if version_key(current) is None or version_key(target) == version_key(current):
        return None, None
    if version_key(target) < version_key(current):
        return None, ('version %r (%s) is older than the version of the cluster, %s: DigitalOcean Kubernetes clusters cannot be '
                      'downgraded; allowed: the current version or a newer one' % (requested, target, current))
    return target, None


def upgrade_error(target, current, available):
    """None when ``target`` is among the cluster's available upgrades (``GET …/upgrades``), else why not."""
    if target in available:
        return None
    return ('version %s is not an available upgrade of the cluster (now %s); DigitalOcean upgrades to newer versions at most one '
            'minor version ahead; available upgrades: %s' % (target, current, ', '.join(sorted(available, key=version_key)) or 'none'))


# -- validation ---------------------------------------------------------------------------------

def name_error(field, value):
    if value is None or NAME_PATTERN.match(value):
        return None
    return ('%s %r is invalid; allowed: 1 to 63 lowercase letters, digits and dashes, starting and ending with a letter or digit'
            % (field, value))


def tags_errors(field, tags):
    return ['%s: tag %r is invalid; allowed: letters, digits, colons, dashes and underscores, at most 255 characters' % (field, tag)
            for tag in (tags or []) if not TAG_PATTERN.match(tag)]


def normalize_start_time(value):
    """``3:00`` -> ``03:00``; None when it is not a 24-hour HH:MM time."""
    found = START_TIME_PATTERN.match(value or '')
    return '%02d:%s' % (int(found.group(1)), found.group(2)) if found else None


def subnet_errors(cluster_subnet, service_subnet, vpcs=(), clusters=()):
    """Why the Pod/Service networks of a new VPC-native cluster cannot be used, if they cannot."""
    networks, errors = {}, []
    for field, value in (('cluster_subnet', cluster_subnet), ('service_subnet', service_subnet)):
        try:
            network = ipaddress.ip_network(value, strict=True)
        except ValueError:
            errors.append('%s %r is not an IPv4 network in CIDR notation (network address / prefix, for example 10.200.0.0/16)'
                          % (field, value))
            continue
        if network.version != 4 or not any(network.subnet_of(block) for block in RFC1918):
            errors.append('%s %s is not allowed; allowed: a private network inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16' % (field, network))
            continue
        networks[field] = network
    if len(networks) == 2 and networks['cluster_subnet'].overlaps(networks['service_subnet']):
        errors.append('cluster_subnet %s overlaps service_subnet %s; they must be separate' % (cluster_subnet, service_subnet))
    taken = [('VPC %r' % vpc.get('name'), vpc.get('ip_range')) for vpc in vpcs]
    for cluster in clusters:
        taken += [('the %s of cluster %r' % (key, cluster.get('name')), cluster.get(key)) for key in ('cluster_subnet', 'service_subnet')]
    for field, network in sorted(networks.items()):
        for owner, ip_range in taken:
            if ip_range and network.overlaps(ipaddress.ip_network(ip_range, strict=False)):
                errors.append('%s %s overlaps %s (%s); choose a range used nowhere else in the account' % (field, network, owner, ip_range))
    return errors


def pool_errors(index, pool, sizes=None):
    """Messages for one desired node pool (``sizes``: the offered node size slugs, when known)."""
    field = 'node_pools[%d] (%s)' % (index, pool.get('name'))
    errors = [name_error('%s name' % field, pool.get('name'))] + tags_errors(field + ' tags', pool.get('tags'))
    if pool.get('size') is not None and sizes is not None and pool['size'] not in sizes:
        errors.append('%s size %r is not offered for Kubernetes nodes; allowed: %s' % (field, pool['size'], ', '.join(sizes)))
    for key in ('count', 'min_nodes', 'max_nodes'):
        if pool.get(key) is not None and pool[key] < 0:
            errors.append('%s %s is %d; allowed: 0 or more' % (field, key, pool[key]))
    count, low, high = pool.get('count'), pool.get('min_nodes'), pool.get('max_nodes')
    if pool.get('auto_scale'):
        if low is None or high is None:
            errors.append('%s: auto_scale needs min_nodes and max_nodes' % field)
        elif high < 1 or low > high:
            errors.append('%s: min_nodes %d and max_nodes %d are invalid; allowed: 0 <= min_nodes <= max_nodes and max_nodes >= 1'
                          % (field, low, high))
        elif count is not None and not low <= count <= high:
            errors.append('%s: count %d is outside the autoscaling limits; allowed: min_nodes %d <= count <= max_nodes %d'
                          % (field, count, low, high))
    else:
        if count is None or count < 1:
            errors.append('%s: count is %s; allowed: 1 or more nodes (or auto_scale with min_nodes/max_nodes)' % (field, count))
        if low is not None or high is not None:
            errors.append('%s: min_nodes and max_nodes are only used with auto_scale: true' % field)
    labels = pool.get('labels') or {}
    errors += ['%s label %r has the value %r (%s); allowed: a string (quote it in YAML)' % (field, key, value, type(value).__name__)
               for key, value in sorted(labels.items()) if not isinstance(value, str)]
    return [error for error in errors if error]


def validate(params, sizes=None):
    """Every message about the module's own inputs that needs no current state (``sizes`` when known)."""
    errors = [name_error('name', params['name'])] + tags_errors('tags', params.get('tags'))
    policy = params.get('maintenance_policy') or {}
    if policy.get('start_time') is not None and normalize_start_time(policy['start_time']) is None:
        errors.append('maintenance_policy.start_time %r is invalid; allowed: a UTC time in 24-hour HH:MM notation, for example 04:00'
                      % policy['start_time'])
    pools = params.get('node_pools')
    if pools is not None:
        names = [pool.get('name') for pool in pools]
        errors += ['node_pools: the name %r is used %d times; node pool names must be unique' % (name, names.count(name))
                   for name in sorted(set(names)) if names.count(name) > 1]
        for index, pool in enumerate(pools):
            errors += pool_errors(index, pool, sizes)
    if params.get('kubeconfig_expiry_seconds') is not None and params['kubeconfig_expiry_seconds'] < 60:
        errors.append('kubeconfig_expiry_seconds is %d; allowed: 60 or more' % params['kubeconfig_expiry_seconds'])
    return [error for error in errors if error]


# -- node pools ---------------------------------------------------------------------------------

def wanted_count(pool, current=None):
    """The node count asked for: ``count``, else (autoscaled) the current count kept within the limits, else min_nodes (at least 1)."""
    if pool.get('count') is not None:
        return pool['count']
    if current is not None:
        return min(max(current['count'], pool['min_nodes']), pool['max_nodes'])
    return min(max(pool['min_nodes'], 1), pool['max_nodes'])


def _taints(taints):
    return sorted(({'key': t['key'], 'value': t.get('value') or '', 'effect': t['effect']} for t in (taints or [])),
                  key=lambda t: (t['key'], t['value'], t['effect']))


def pool_body(pool, cluster_id=None, current=None):
    """The API body for a node pool: ``pool`` (desired, None = keep) merged over ``current``."""
    current = current or {}
    auto_scale = bool(pool.get('auto_scale'))
    body = {'name': pool['name'], 'count': wanted_count(pool, current or None), 'auto_scale': auto_scale}
    if auto_scale:
        body.update(min_nodes=pool['min_nodes'], max_nodes=pool['max_nodes'])
    if not current:
        body['size'] = pool['size']
    for key, value in (('tags', strip_auto_tags(pool['tags'], cluster_id, True) if pool.get('tags') is not None else None),
                       ('labels', pool.get('labels')),
                       ('taints', _taints(pool['taints']) if pool.get('taints') is not None else None)):
        if value is None and current:
            value = strip_auto_tags(current.get('tags'), cluster_id, True) if key == 'tags' else current.get(key)
        if value is not None:
            body[key] = value
    return body


def project_pool(pool, cluster_id=None):
    """The managed fields of a node pool, for comparison and ``--diff``."""
    auto_scale = bool(pool.get('auto_scale'))
    return {
        'name': pool.get('name'),
        'size': pool.get('size'),
        'count': pool.get('count'),
        'auto_scale': auto_scale,
        'min_nodes': pool.get('min_nodes') if auto_scale else None,
        'max_nodes': pool.get('max_nodes') if auto_scale else None,
        'labels': dict(pool.get('labels') or {}),
        'taints': _taints(pool.get('taints')),
        'tags': strip_auto_tags(pool.get('tags'), cluster_id, True),
    }


def plan_node_pools(desired, current, purge, cluster_id=None):
    """What to do with the node pools: ``create`` (bodies), ``update`` ((pool, body) pairs), ``delete`` (pools),
    ``unmanaged`` (names left alone without purge) and ``errors``. ``desired`` None leaves every pool alone."""
    plan = {'create': [], 'update': [], 'delete': [], 'unmanaged': [], 'errors': []}
    if desired is None:
        return plan
    by_name = dict((pool['name'], pool) for pool in current)
    for index, pool in enumerate(desired):
        existing = by_name.get(pool['name'])
        if existing is None:
            if not pool.get('size'):
                plan['errors'].append('node_pools[%d] (%s): size is required to create the node pool' % (index, pool['name']))
            else:
                plan['create'].append(pool_body(pool, cluster_id))
            continue
        if pool.get('size') and pool['size'] != existing.get('size'):
            plan['errors'].append('node_pools[%d] (%s): size cannot change (%s now, %s asked); add a node pool with the new size, '
                                  'then remove this one' % (index, pool['name'], existing.get('size'), pool['size']))
            continue
        body = pool_body(pool, cluster_id, existing)
        after = project_pool(dict(existing, **body), cluster_id)
        if after != project_pool(existing, cluster_id):
            plan['update'].append((existing, body))
    wanted = set(pool['name'] for pool in desired)
    extra = [pool for pool in current if pool['name'] not in wanted]
    if purge:
        plan['delete'] = extra
        if not desired:
            plan['errors'].append('node_pools is empty and purge_node_pools is true: a cluster needs at least one node pool')
    else:
        plan['unmanaged'] = sorted(pool['name'] for pool in extra)
    return plan


# -- the cluster ----------------------------------------------------------------------------------

def maintenance_policy(desired, current=None):
    """The policy after applying ``desired`` (None = keep) to ``current``: {start_time, day}."""
    result = dict(start_time=(current or {}).get('start_time'), day=(current or {}).get('day'))
    for key, value in (desired or {}).items():
        if value is not None:
            result[key] = normalize_start_time(value) if key == 'start_time' else value
    return result


def update_body(params, current):
    """(PUT body or None when nothing differs, errors). The body carries every managed field, as PUT replaces them."""
    errors = []
    if params.get('ha') is False and current.get('ha'):
        errors.append('ha cannot be disabled: cluster %r has a highly available control plane, which DigitalOcean keeps for good'
                      % current['name'])
    cluster_id = current.get('id')
    tags = strip_auto_tags(params['tags'] if params.get('tags') is not None else current.get('tags'), cluster_id)
    body = {
        'name': current['name'],
        'tags': tags,
        'maintenance_policy': maintenance_policy(params.get('maintenance_policy'), current.get('maintenance_policy')),
    }
    for key in ('auto_upgrade', 'surge_upgrade', 'ha'):
        body[key] = bool(current.get(key)) if params.get(key) is None else params[key]
    before = {'tags': strip_auto_tags(current.get('tags'), cluster_id),
              'maintenance_policy': maintenance_policy(None, current.get('maintenance_policy'))}
    before.update((key, bool(current.get(key))) for key in ('auto_upgrade', 'surge_upgrade', 'ha'))
    changed = any(body[key] != before[key] for key in before)
    return (body if changed and not errors else None), errors


def immutable_errors(params, current, vpc_uuid):
    """Why the existing cluster cannot become what is asked (what DigitalOcean cannot change in place)."""
    errors = []
    for field, wanted, actual in (('region', params.get('region'), current.get('region')), ('vpc', vpc_uuid, current.get('vpc_uuid')),
                                  ('cluster_subnet', params.get('cluster_subnet'), current.get('cluster_subnet')),
                                  ('service_subnet', params.get('service_subnet'), current.get('service_subnet'))):
        if wanted is not None and wanted != actual:
            errors.append('%s cannot change once the cluster exists (%s now, %s asked)' % (field, actual, wanted))
    return errors


def project_cluster(cluster):
    """The managed fields of a cluster, for ``--diff``."""
    if not cluster:
        return {}
    cluster_id = cluster.get('id')
    projected = dict((key, cluster.get(key)) for key in CLUSTER_FIELDS if key in cluster)
    projected['tags'] = strip_auto_tags(cluster.get('tags'), cluster_id)
    projected['maintenance_policy'] = maintenance_policy(None, cluster.get('maintenance_policy'))
    projected['node_pools'] = sorted((project_pool(pool, cluster_id) for pool in cluster.get('node_pools') or []), key=lambda p: p['name'])
    return projected


def predict(current, update, plan, version, registry):
    """The cluster as it will be after the planned changes (check mode)."""
    after = dict(current)
    after.update(update or {})
    pools = dict((pool['name'], pool) for pool in current.get('node_pools') or [])
    for pool, body in plan['update']:
        pools[pool['name']] = dict(pool, **body)
    for body in plan['create']:
        pools[body['name']] = body
    for pool in plan['delete']:
        pools.pop(pool['name'], None)
    after['node_pools'] = list(pools.values())
    if version:
        after['version'] = version
    if registry is not None:
        after['registry_enabled'] = registry
    return after


# -- kubeconfig -------------------------------------------------------------------------------------

def kubeconfig_summary(text):
    """{context, cluster, user, server, token} of a DOKS kubeconfig, or None when it is not one."""
    try:
        document = yaml.safe_load(text)
        context = document['current-context']
        entry = next(item['context'] for item in document['contexts'] if item['name'] == context)
        cluster = next(item['cluster'] for item in document['clusters'] if item['name'] == entry['cluster'])
        user = next(item['user'] for item in document['users'] if item['name'] == entry['user'])
        return {'context': context, 'cluster': entry['cluster'], 'user': entry['user'], 'server': cluster['server'],
                'token': user.get('token')}
    except (yaml.YAMLError, KeyError, TypeError, StopIteration, AttributeError):
        return None


def kubeconfig_refresh_reason(existing_text, cluster, age_seconds, expiry_seconds):
    """None when the kubeconfig file on disk still serves ``cluster``; else why it must be fetched anew.

    Fetching makes DigitalOcean issue a new token, so a file is kept while it names the cluster's context
    and API endpoint and is younger than half the token lifetime.
    """
    if existing_text is None:
        return 'the file does not exist'
    summary = kubeconfig_summary(existing_text)
    name = 'do-%s-%s' % (cluster.get('region'), cluster.get('name'))
    if summary is None or not summary['token']:
        return 'the file is not a token kubeconfig'
    if summary['context'] != name or summary['server'] != cluster.get('endpoint'):
        return 'the file is for %s at %s, not %s at %s' % (summary['context'], summary['server'], name, cluster.get('endpoint'))
    if age_seconds >= expiry_seconds / 2.0:
        return 'the token is due for renewal (the file is %d s old, tokens last %d s)' % (age_seconds, expiry_seconds)
    return None
