# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared logic of the managed-database modules: finding a cluster by name, its options."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# DigitalOcean names engines differently in different places: the API's `engine` field uses
# `pg`, `valkey`, `opensearch`, ...; /v2/databases/options keys use the same slugs.
ENGINES = ('pg', 'valkey', 'opensearch')
ENGINE_NAMES = {'pg': 'PostgreSQL', 'valkey': 'Valkey', 'opensearch': 'OpenSearch'}


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


def require_cluster(module, name, option='cluster'):
    """The cluster called ``name``; fails naming the option and the clusters that do exist."""
    clusters = list_clusters(module)
    cluster = find_cluster(module, name, clusters)
    if cluster is None:
        existing = ', '.join(sorted(c.get('name', '?') for c in clusters)) or 'none'
        module.fail_json(msg='%s %r: no database cluster of that name exists (existing clusters: %s)' % (option, name, existing))
    return cluster


def database_options(module):
    """``GET /v2/databases/options``: engines with their regions, versions and layouts (sizes per node count)."""
    return module.call('list database options', module.client.databases.list_options).get('options', {})
