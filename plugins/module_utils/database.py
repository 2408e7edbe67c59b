# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared logic of the managed-database modules.

API helpers (``list_clusters``, ``find_cluster``, ``require_cluster``, ``database_options``,
``get_cluster``, ``wait_for_cluster``, ``protect_secrets``) take the ``DigitalOceanModule``. Everything
else is a pure function over DigitalOcean's JSON (options document, cluster objects), unit-tested
without HTTP: validation against ``/v2/databases/options``, the plan of in-place changes, the
refusal of changes DigitalOcean cannot make in place, and secret handling.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import copy
import datetime
import re
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.fediops.mastodon.plugins.module_utils.diff import is_different

# DigitalOcean names engines differently in different places: the API's `engine` field uses
# `pg`, `valkey`, `opensearch`, ...; /v2/databases/options keys use the same slugs.
ENGINES = ('pg', 'valkey', 'opensearch')
ENGINE_NAMES = {'pg': 'PostgreSQL', 'valkey': 'Valkey', 'opensearch': 'OpenSearch', 'mysql': 'MySQL', 'redis': 'Caching',
                'kafka': 'Kafka', 'mongodb': 'MongoDB'}
# Engines whose major version DigitalOcean upgrades in place (PUT /v2/databases/{id}/upgrade).
UPGRADABLE_ENGINES = ('pg',)
# Engines with daily backups (GET .../backups, restore through backup_restore).
BACKUP_ENGINES = ('pg', 'mysql')
EVICTION_POLICIES = ('noeviction', 'allkeys_lru', 'allkeys_random', 'volatile_lru', 'volatile_random', 'volatile_ttl')
WEEKDAYS = ('monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday')
TAG_PATTERN = re.compile(r'^[a-zA-Z0-9_\-:]+$')
MAX_TAG_LENGTH = 255
UUID_PATTERN = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
ONLINE = 'online'
# The fields do_database_cluster manages, in --diff order. Never a password.
MANAGED_FIELDS = ('name', 'engine', 'region', 'version', 'size', 'num_nodes', 'storage_size_mib', 'private_network_uuid',
                  'tags', 'project_id', 'maintenance_window', 'autoscale', 'eviction_policy')
# The managed fields that are plain attributes of the cluster object.
CLUSTER_FIELDS = MANAGED_FIELDS[:10]
# What do_database_info can read per cluster, and the engines each applies to (None: every engine).
GATHER_ITEMS = ('pools', 'firewall', 'users', 'dbs', 'ca', 'backups')
GATHER_ENGINES = {
    'pools': ('pg',),
    'firewall': None,
    'users': ('pg', 'mysql', 'opensearch', 'kafka', 'mongodb'),
    'dbs': ('pg', 'mysql', 'mongodb'),
    'ca': None,
    'backups': BACKUP_ENGINES,
}
# Keys whose values are secrets wherever they appear in DigitalOcean's database objects.
SECRET_KEYS = ('password', 'access_key')


# --------------------------------------------------------------------------------------------
# API helpers
# --------------------------------------------------------------------------------------------

def list_clusters(module, tag_name=None):
    """Every database cluster of the account, optionally only those with ``tag_name``.

    ``GET /v2/databases`` is not paginated (the spec has no page parameters); DigitalOcean answers
    ``{"databases": null}`` for an account without clusters.
    """
    kwargs = {'tag_name': tag_name} if tag_name else {}
    return module.call('list database clusters', module.client.databases.list_clusters, **kwargs).get('databases') or []


def find_cluster(module, name, clusters=None):
    """The cluster called ``name``, or None; fails when the name is ambiguous."""
    if clusters is None:
        clusters = list_clusters(module)
    return module.find_unique(clusters, 'database clusters', name=name)


def require_cluster(module, name, option='cluster', clusters=None):
    """The cluster called ``name``; fails naming the option and the clusters that do exist.

    ``clusters``: the cluster list when the caller has it already (saves a call).
    """
    if clusters is None:
        clusters = list_clusters(module)
    cluster = find_cluster(module, name, clusters)
    if cluster is None:
        existing = ', '.join(sorted(c.get('name', '?') for c in clusters)) or 'none'
        module.missing_dependency('%s %r: no database cluster of that name exists (existing clusters: %s)' % (option, name, existing))
    return cluster


def database_options(module):
    """``GET /v2/databases/options``: engines with their regions, versions and layouts (sizes per node count)."""
    return module.call('list database options', module.client.databases.list_options).get('options', {})


def get_cluster(module, cluster):
    """The cluster as it is now (``GET /v2/databases/{id}``)."""
    return module.call('get database cluster %s' % cluster['name'], module.client.databases.get_cluster, cluster['id'])['database']


def wait_for_cluster(module, cluster, what, is_done=None, timeout=None):
    """Poll the cluster until it is ``online`` and ``is_done(cluster)`` holds; return it.

    Uses the base's bounded, backed-off ``wait_for`` (``wait_timeout``); fails naming ``what``.
    """
    def done(current):
        return current.get('status') == ONLINE and (is_done is None or is_done(current))

    return module.wait_for('database cluster %s to be online%s' % (cluster['name'], ' ' + what if what else ''),
                           lambda: get_cluster(module, cluster), done, timeout=timeout,
                           describe=lambda c: 'status=%s, size=%s, num_nodes=%s, version=%s' % (
                               c.get('status'), c.get('size'), c.get('num_nodes'), c.get('version')))


def protect_secrets(module, value):
    """Keep the passwords found in ``value`` out of Ansible's output.

    Unless the task runs with ``no_log: true`` (then Ansible hides the whole result and the
    registered variable keeps the clear values), every password is added to ``no_log_values``:
    Ansible then replaces it everywhere in the result, including the registered variable.
    Returns True when the values were masked.
    """
    secrets = secret_values(value)
    if module.no_log or not secrets:
        return False
    module.no_log_values.update(secrets)
    return True


# --------------------------------------------------------------------------------------------
# Secrets (pure)
# --------------------------------------------------------------------------------------------

def uri_password(uri):
    """The password in a URI's userinfo (``scheme://user:password@host``), or None."""
    if not isinstance(uri, str) or '://' not in uri:
        return None
    try:
        return urlsplit(uri).password or None
    except ValueError:
        return None


def strip_uri_password(uri):
    """``uri`` without the password of its userinfo: ``postgresql://doadmin@host:25060/db``."""
    if uri_password(uri) is None:
        return uri
    parts = urlsplit(uri)
    userinfo, _sep, hostinfo = parts.netloc.rpartition('@')
    user = userinfo.split(':', 1)[0]
    return urlunsplit((parts.scheme, '%s@%s' % (user, hostinfo) if user else hostinfo, parts.path, parts.query, parts.fragment))


def secret_values(value):
    """Every secret string in ``value``: the values of ``password``/``access_key`` keys and URI passwords."""
    found = set()

    def walk(item):
        if isinstance(item, dict):
            for key, sub in item.items():
                if key in SECRET_KEYS and isinstance(sub, str) and sub:
                    found.add(sub)
                else:
                    walk(sub)
        elif isinstance(item, (list, tuple)):
            for sub in item:
                walk(sub)
        elif isinstance(item, str):
            password = uri_password(item)
            if password:
                found.add(password)

    walk(value)
    return found


def strip_secrets(value):
    """A copy of ``value`` without ``password``/``access_key`` keys and with passwords cut out of URIs."""
    if isinstance(value, dict):
        return dict((key, strip_secrets(sub)) for key, sub in value.items() if key not in SECRET_KEYS)
    if isinstance(value, (list, tuple)):
        return [strip_secrets(sub) for sub in value]
    if isinstance(value, str):
        return strip_uri_password(value)
    return value


def gather_applies(item, engine):
    """Whether a ``do_database_info`` gather item exists for clusters of ``engine``."""
    engines = GATHER_ENGINES[item]
    return engines is None or engine in engines


def decode_certificate(value):
    """The PEM text of DigitalOcean's base64-encoded CA certificate (returned unchanged if it is not base64)."""
    if not isinstance(value, str) or '-----BEGIN' in value:
        return value
    try:
        return base64.b64decode(value, validate=True).decode('ascii')
    except (binascii.Error, ValueError):
        return value


# --------------------------------------------------------------------------------------------
# Input checks (pure)
# --------------------------------------------------------------------------------------------

def version_key(version):
    """A sortable key for an engine version (``'16'`` < ``'17'``, ``'7.2'`` < ``'8'``)."""
    parts = []
    for piece in str(version).split('.'):
        parts.append((0, int(piece), '') if piece.isdigit() else (1, 0, piece))
    return tuple(parts)


def same_version(wanted, current):
    """True when ``wanted`` names ``current`` (``'16'`` matches ``'16'``; a major matches its minor release)."""
    if wanted is None or current is None:
        return wanted == current
    wanted, current = str(wanted), str(current)
    return wanted == current or current.startswith(wanted + '.')


def _listing(values):
    return ', '.join(str(v) for v in values) or 'none'


def option_errors(options, engine, region=None, version=None, num_nodes=None, size=None):
    """Check values against ``GET /v2/databases/options``; each message names the field, the value and
    the allowed values. Only the values given (not None) are checked."""
    name = ENGINE_NAMES.get(engine, engine)
    engine_options = (options or {}).get(engine)
    if not engine_options:
        return ['engine %r is not offered by DigitalOcean; allowed: %s' % (engine, _listing(sorted(options or {})))]
    errors = []
    regions = engine_options.get('regions') or []
    if region is not None and region not in regions:
        errors.append('region %r is not offered for %s clusters; allowed: %s' % (region, name, _listing(sorted(regions))))
    versions = engine_options.get('versions') or []
    if version is not None and str(version) not in [str(v) for v in versions]:
        errors.append('version %r is not offered for %s clusters; allowed: %s' % (
            str(version), name, _listing(sorted(versions, key=version_key))))
    layouts = engine_options.get('layouts') or []
    node_counts = sorted(layout.get('num_nodes') for layout in layouts)
    layout = next((item for item in layouts if item.get('num_nodes') == num_nodes), None)
    if num_nodes is not None and layout is None:
        errors.append('num_nodes %r is not offered for %s clusters; allowed: %s' % (num_nodes, name, _listing(node_counts)))
    elif size is not None:
        if layout is None:
            sizes = sorted(set(s for item in layouts for s in item.get('sizes') or []))
            where = '%s clusters' % name
        else:
            sizes = layout.get('sizes') or []
            where = '%s clusters of %d node(s)' % (name, num_nodes)
        if size not in sizes:
            errors.append('size %r is not offered for %s; allowed: %s' % (size, where, _listing(sizes)))
    return errors


def normalize_hour(value):
    """``'4'``, ``'04:00'`` or ``'04:00:00'`` → ``'04:00'``; None when ``value`` is not an hour of the day."""
    match = re.match(r'^\s*(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*$', str(value))
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return '%02d:%02d' % (hour, minute)


def param_errors(params):
    """Messages for inputs that are wrong whatever DigitalOcean offers (checked before any call)."""
    errors = []
    for tag in params.get('tags') or []:
        if not TAG_PATTERN.match(tag) or len(tag) > MAX_TAG_LENGTH:
            errors.append('tags: %r is not a valid tag; allowed: 1 to %d letters, digits, colons, dashes and underscores' % (
                tag, MAX_TAG_LENGTH))
    window = params.get('maintenance_window')
    if window and normalize_hour(window['hour']) is None:
        errors.append('maintenance_window.hour %r is not an hour of the day; allowed: HH:MM in UTC, 00:00 to 23:59' % window['hour'])
    if params.get('num_nodes') is not None and params['num_nodes'] < 1:
        errors.append('num_nodes %r must be at least 1' % params['num_nodes'])
    if params.get('storage_size_mib') is not None and params['storage_size_mib'] < 1:
        errors.append('storage_size_mib %r must be a positive number of MiB' % params['storage_size_mib'])
    autoscale = params.get('storage_autoscale')
    if autoscale:
        for key, low, high in (('threshold_percent', 15, 95), ('increment_gib', 10, 500)):
            if autoscale.get(key) is not None and not low <= autoscale[key] <= high:
                errors.append('storage_autoscale.%s %r is out of range; allowed: %d to %d' % (key, autoscale[key], low, high))
    restore = params.get('backup_restore')
    if restore:
        if restore['database_name'] == params['name']:
            errors.append('backup_restore.database_name %r is the cluster itself; a restore creates a new cluster from '
                          'another cluster\'s backup' % restore['database_name'])
        if restore.get('backup_created_at') and parse_time(restore['backup_created_at']) is None:
            errors.append('backup_restore.backup_created_at %r is not an ISO 8601 timestamp (e.g. 2026-03-01T04:12:00Z)' % (
                restore['backup_created_at']))
    return errors


def engine_errors(engine, desired):
    """Options that do not apply to clusters of ``engine`` (the eviction policy is Valkey's; Valkey has no disk)."""
    name = ENGINE_NAMES.get(engine, engine)
    errors = []
    if desired.get('eviction_policy') is not None and engine != 'valkey':
        errors.append('eviction_policy applies to Valkey clusters only, not %s' % name)
    if engine == 'valkey':
        for key, option in (('storage_size_mib', 'storage_size_mib'), ('autoscale', 'storage_autoscale')):
            if desired.get(key) is not None:
                errors.append('%s does not apply to Valkey clusters: they keep their data in memory' % option)
    return errors


def size_memory_gib(size):
    """The RAM (GiB) a size slug names (``db-s-2vcpu-4gb`` -> 4), or None."""
    match = re.search(r'-(\d+)gb$', str(size or ''))
    return int(match.group(1)) if match else None


def parse_time(value):
    """An aware datetime from an ISO 8601 timestamp (``Z`` accepted); None when unparsable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.strip().replace('Z', '+00:00').replace('z', '+00:00'))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


# --------------------------------------------------------------------------------------------
# Desired state, comparison and plan (pure)
# --------------------------------------------------------------------------------------------

def desired_cluster(params, vpc_id=None):
    """The managed fields a task asks for (None = leave as it is), in the API's vocabulary."""
    window = params.get('maintenance_window')
    autoscale = params.get('storage_autoscale')
    if autoscale:
        # Disabled autoscaling has no threshold or increment to compare.
        autoscale = dict((k, v) for k, v in autoscale.items() if v is not None and (autoscale['enabled'] or k == 'enabled'))
    return {
        'name': params['name'],
        'engine': params.get('engine'),
        'region': params.get('region'),
        'version': None if params.get('version') is None else str(params['version']),
        'size': params.get('size'),
        'num_nodes': params.get('num_nodes'),
        'storage_size_mib': params.get('storage_size_mib'),
        'private_network_uuid': vpc_id,
        'tags': None if params.get('tags') is None else sorted(set(params['tags'])),
        'project_id': params.get('project'),
        'maintenance_window': {'day': window['day'], 'hour': normalize_hour(window['hour'])} if window else None,
        'autoscale': {'storage': autoscale} if autoscale else None,
        'eviction_policy': params.get('eviction_policy'),
    }


def managed_view(cluster, autoscale=None, eviction_policy=None):
    """The managed fields of an existing cluster, comparable with ``desired_cluster``; {} for none.

    ``autoscale`` and ``eviction_policy`` come from their own endpoints (only read when managed).
    """
    if not cluster:
        return {}
    view = dict((key, cluster.get(key)) for key in CLUSTER_FIELDS if key in cluster)
    if 'version' in view and view['version'] is not None:
        view['version'] = str(view['version'])
    view['tags'] = sorted(set(cluster.get('tags') or []))
    window = cluster.get('maintenance_window')
    if window:
        view['maintenance_window'] = {'day': window.get('day'), 'hour': normalize_hour(window.get('hour')) or window.get('hour')}
    if autoscale is not None:
        view['autoscale'] = autoscale
    if eviction_policy is not None:
        view['eviction_policy'] = eviction_policy
    return view


def predicted_view(current_view, desired):
    """What the managed fields will be once ``desired`` is applied to ``current_view``."""
    after = dict(current_view)
    for key in MANAGED_FIELDS:
        value = desired.get(key)
        if value is None:
            continue
        if key == 'autoscale' and isinstance(after.get(key), dict):
            storage = dict((after[key] or {}).get('storage') or {})
            storage.update(value['storage'])
            after[key] = {'storage': storage if storage.get('enabled') else {'enabled': False}}
        elif key == 'version' and same_version(value, after.get('version')):
            continue
        else:
            after[key] = copy.deepcopy(value)
    return after


def immutable_errors(current, desired):
    """Why ``current`` cannot become ``desired`` in place (engine, region, VPC, tags, smaller nodes, version downgrade)."""
    name = current.get('name')
    errors = []
    for key, what in (('engine', 'engine'), ('region', 'region'), ('private_network_uuid', 'VPC (private_network_uuid)')):
        if desired.get(key) is not None and desired[key] != current.get(key):
            errors.append('%s cannot change (cluster %r has %s, %s was asked)' % (what, name, current.get(key), desired[key]))
    if desired.get('tags') is not None and desired['tags'] != sorted(set(current.get('tags') or [])):
        errors.append('tags cannot change in place (cluster %r has [%s], [%s] was asked): the DigitalOcean API offers no call '
                      'that retags an existing database cluster' % (
                          name, ', '.join(sorted(set(current.get('tags') or []))), ', '.join(desired['tags'])))
    smaller, bigger = size_memory_gib(desired.get('size')), size_memory_gib(current.get('size'))
    if smaller is not None and bigger is not None and smaller < bigger:
        errors.append('size %s is smaller than the %s of cluster %r: DigitalOcean cannot resize nodes to a smaller size '
                      '(create a new cluster and move the data instead)' % (desired['size'], current.get('size'), name))
    wanted, have = desired.get('version'), current.get('version')
    if wanted is not None and have is not None and not same_version(wanted, have):
        engine = current.get('engine')
        if version_key(wanted) < version_key(have):
            errors.append('version %s is lower than the version %s that cluster %r runs: DigitalOcean upgrades major versions '
                          'upward only, a downgrade is refused' % (wanted, have, name))
        elif engine not in UPGRADABLE_ENGINES:
            errors.append('version cannot change in place for %s clusters (cluster %r runs %s, %s was asked); DigitalOcean '
                          'upgrades major versions in place for PostgreSQL only' % (ENGINE_NAMES.get(engine, engine), name, have, wanted))
    return errors


def plan_changes(current, desired, autoscale=None, eviction_policy=None):
    """The in-place changes that turn ``current`` into ``desired``, in the order they are applied.

    A list of ``(step, body)``: ``resize`` (PUT .../resize), ``upgrade`` (PUT .../upgrade),
    ``maintenance`` (PUT .../maintenance), ``autoscale`` (PUT .../autoscale), ``eviction_policy``
    (PUT .../eviction_policy), ``project`` (assign to the project). Call ``immutable_errors`` first.
    """
    steps = []
    resize = dict((key, desired[key]) for key in ('size', 'num_nodes', 'storage_size_mib')
                  if desired.get(key) is not None and desired[key] != current.get(key))
    if resize:
        body = {'size': resize.get('size', current.get('size')), 'num_nodes': resize.get('num_nodes', current.get('num_nodes'))}
        if 'storage_size_mib' in resize:
            body['storage_size_mib'] = resize['storage_size_mib']
        steps.append(('resize', body))
    if desired.get('version') is not None and not same_version(desired['version'], current.get('version')):
        steps.append(('upgrade', {'version': desired['version']}))
    window = desired.get('maintenance_window')
    have_window = current.get('maintenance_window') or {}
    if window and (window['day'] != have_window.get('day') or window['hour'] != normalize_hour(have_window.get('hour'))):
        steps.append(('maintenance', dict(window)))
    wanted_autoscale = desired.get('autoscale')
    if wanted_autoscale and is_different(wanted_autoscale, autoscale or {}):
        storage = dict(((autoscale or {}).get('storage') or {}))
        storage.update(wanted_autoscale['storage'])
        if not storage.get('enabled'):
            storage = {'enabled': False}
        steps.append(('autoscale', {'storage': storage}))
    if desired.get('eviction_policy') is not None and desired['eviction_policy'] != eviction_policy:
        steps.append(('eviction_policy', {'eviction_policy': desired['eviction_policy']}))
    if desired.get('project_id') is not None and desired['project_id'] != current.get('project_id'):
        steps.append(('project', {'resources': ['do:dbaas:%s' % current.get('id')]}))
    return steps


def plan_option_checks(current, desired, steps):
    """Keyword arguments for ``option_errors``: the values about to be written (creation: all of them)."""
    if current is None:
        return dict((key, desired.get(key)) for key in ('region', 'version', 'num_nodes', 'size'))
    checks = {}
    for step, body in steps:
        if step == 'resize':
            checks.update(num_nodes=body['num_nodes'], size=body['size'])
        elif step == 'upgrade':
            checks['version'] = body['version']
    return checks


def restore_errors(target, source, backup_created_at=None):
    """Why the existing ``target`` cluster cannot count as the restore of ``source``'s backup; [] when it can.

    DigitalOcean does not record which backup a cluster came from. An existing target counts as that
    restore when it runs the source's engine and was created after the backup (after the source
    itself when no backup time is given); anything else would mean restoring over another cluster.
    """
    errors = []
    name = target.get('name')
    if source is not None and target.get('engine') != source.get('engine'):
        errors.append('cluster %r exists with engine %s, not the %s of %r' % (
            name, target.get('engine'), source.get('engine'), source.get('name')))
    created = parse_time(target.get('created_at'))
    reference = parse_time(backup_created_at) if backup_created_at else parse_time((source or {}).get('created_at'))
    if created is not None and reference is not None and created < reference:
        errors.append('cluster %r was created at %s, before the %s it would be restored from' % (
            name, target.get('created_at'), 'backup of %s' % backup_created_at if backup_created_at else 'source cluster'))
    return errors


def pick_backup(backups, backup_created_at=None):
    """``(backup, None)``: the backup taken at ``backup_created_at`` (the newest when None), else ``(None, message)``."""
    if not backups:
        return None, 'it has no backups yet'
    if backup_created_at is None:
        return max(backups, key=lambda b: parse_time(b.get('created_at')) or datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)), None
    wanted = parse_time(backup_created_at)
    for backup in backups:
        if parse_time(backup.get('created_at')) == wanted:
            return backup, None
    return None, 'it has no backup taken at %s; available backups: %s' % (
        backup_created_at, ', '.join(b.get('created_at', '?') for b in backups))
