# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared logic of the modules that manage what lives inside a database cluster (pools, firewall,
users, databases, engine configuration): the cluster option, engine checks, names.

Secrets (passwords, URIs holding them) go through ``database.protect_secrets`` / ``strip_secrets``,
the one implementation the cluster modules use too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fediops.mastodon.plugins.module_utils.database import ENGINE_NAMES, require_cluster
from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanError

# Which engines have users, databases and connection pools (Caching/Redis and Valkey have none of them).
USER_ENGINES = ('pg', 'mysql', 'opensearch', 'kafka', 'mongodb')
DB_ENGINES = ('pg', 'mysql', 'mongodb')
POOL_ENGINES = ('pg',)
UUID_PATTERN = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', re.IGNORECASE)


def cluster_argument_spec():
    """The option every cluster-scoped module takes (documented in each module)."""
    return dict(cluster=dict(type='str', required=True))


def cluster_ref_argument_spec():
    """``cluster`` (a name) or ``cluster_id``: the options of the modules that also take the cluster by id.

    Pass ``CLUSTER_REF_CONSTRAINTS`` to the module as well (one of the two, not both).
    """
    return dict(cluster=dict(type='str'), cluster_id=dict(type='str'))


CLUSTER_REF_CONSTRAINTS = dict(mutually_exclusive=[('cluster', 'cluster_id')], required_one_of=[('cluster', 'cluster_id')])


def engine_name(engine):
    return ENGINE_NAMES.get(engine, engine)


def engine_error(cluster, engines, what):
    """None when the cluster's engine supports ``what``, else a message naming the cluster, its engine and the allowed ones."""
    engine = cluster.get('engine')
    if engine in engines:
        return None
    return '%s exist only on %s clusters; cluster %r is %s (engine %s)' % (
        what, ', '.join(engine_name(e) for e in engines), cluster.get('name'), engine_name(engine), engine)


def resolve_cluster(module, engines=None, what=None):
    """The cluster named by the ``cluster`` option; fails when it does not exist or its engine has no ``what``."""
    cluster = require_cluster(module, module.params['cluster'], option='cluster')
    if engines:
        message = engine_error(cluster, engines, what)
        if message:
            module.fail_json(msg=message)
    return cluster


class ClusterRef:
    """The cluster a module works in: by name (``cluster``: found at once, one list of the account's clusters)
    or by id (``cluster_id``: no request for the cluster itself until the module needs its engine or size).

    ``id`` and ``name`` (the id until the cluster was read) are always set. ``details()`` returns the cluster
    object, reading it by id the first time and checking its engine. ``call()`` runs a request on the cluster;
    when a cluster given by id refuses it, the cluster is read to say why (no such id, or the wrong engine).
    """

    def __init__(self, module, engines=None, what=None):
        self.module, self.engines, self.what = module, engines, what
        self.cluster = None
        if module.params.get('cluster_id'):
            self.id = self.name = module.params['cluster_id']
        else:
            self.cluster = resolve_cluster(module, engines, what)
            self.id, self.name = self.cluster['id'], self.cluster['name']

    @property
    def by_id(self):
        """True while the cluster, given by id, has not been read."""
        return self.cluster is None

    def details(self):
        """The cluster object; fails when the id names no cluster or its engine has no ``what``."""
        if self.cluster is None:
            module = self.module
            found = module.get_or_none('get database cluster %s' % self.id, module.client.databases.get_cluster, self.id)
            if not found or not found.get('database'):
                module.missing_dependency('cluster_id %r: no database cluster has that id' % self.id)
            self.cluster = found['database']
            self.name = self.cluster.get('name') or self.id
            message = engine_error(self.cluster, self.engines, self.what) if self.engines else None
            if message:
                module.fail_json(msg=message)
        return self.cluster

    def call(self, operation, fn, *args, **kwargs):
        """``module.call`` of an idempotent request on the cluster, with a clear message when a cluster given by id refuses it."""
        try:
            return self.module.api.call(operation, fn, *args, **kwargs)
        except DigitalOceanError as exc:
            if self.by_id and exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                self.details()  # fails naming the id or the engine when that is the cause
            self.module.fail_api(exc)


# What DigitalOcean accepts as the name of a database and of a database user (it answers 422 otherwise):
# checked before the create is sent, so a bad name never reaches the API.
DB_NAME = (re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_-]*$'), "letters, digits, '_' or '-', not starting with '-'")
USER_NAME = (re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*$'), "letters, digits, '_', '.' or '-', not starting with '.' or '-'")


def name_error(option, value, minimum=1, maximum=63, charset=None):
    """None for a usable name, else a message naming the option, the value and what is allowed.

    ``charset``: (compiled pattern, description) of the characters allowed, e.g. DB_NAME or USER_NAME.
    """
    if not isinstance(value, str) or not minimum <= len(value) <= maximum:
        return '%s %r is invalid; allowed: %d to %d characters' % (option, value, minimum, maximum)
    if charset and not charset[0].match(value):
        return '%s %r is invalid; allowed: %d to %d %s' % (option, value, minimum, maximum, charset[1])
    return None


def find_named(module, items, name, what):
    """The item called ``name`` in ``items``; fails when several are."""
    return module.find_unique(items or [], what, name=name)
