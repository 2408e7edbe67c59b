# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What DigitalOcean offers for managed databases: engines, versions, node sizes and layouts.

``GET /v2/databases/options`` is rendered from these tables and every create, resize and upgrade is
checked against them, so the options a client reads are exactly what the emulator accepts.
The shape follows the contract's example response: PostgreSQL and Valkey run 1 to 3 nodes and the
smallest size (1 GiB) only on a single node; OpenSearch runs 1, 3 or 6 nodes, never on 1 GiB.
"""

ENGINES = ("pg", "valkey", "opensearch")
ENGINE_NAMES = {"pg": "PostgreSQL", "valkey": "Valkey", "opensearch": "OpenSearch"}
# Engines of the contract that the emulator does not offer, with what DigitalOcean says about them.
UNOFFERED_ENGINES = {
    "redis": "Caching cluster creates are no longer supported as of 2025-04-30T00:00:00Z; create a valkey cluster instead",
}

# slug -> (vCPUs, RAM GiB, included storage GiB, maximum storage GiB); storage grows in 10 GiB steps.
SIZES = {
    "db-s-1vcpu-1gb": (1, 1, 10, 30),
    "db-s-1vcpu-2gb": (1, 2, 30, 90),
    "db-s-2vcpu-4gb": (2, 4, 60, 180),
    "db-s-4vcpu-8gb": (4, 8, 140, 420),
    "db-s-6vcpu-16gb": (6, 16, 290, 870),
    "gd-2vcpu-8gb": (2, 8, 60, 600),
    "gd-4vcpu-16gb": (4, 16, 120, 1200),
    "m-2vcpu-16gb": (2, 16, 0, 0),
    "m-4vcpu-32gb": (4, 32, 0, 0),
}
STORAGE_STEP_MIB = 10240

_BASIC = ("db-s-1vcpu-1gb", "db-s-1vcpu-2gb", "db-s-2vcpu-4gb", "db-s-4vcpu-8gb", "db-s-6vcpu-16gb")
_PG_SIZES = _BASIC + ("gd-2vcpu-8gb", "gd-4vcpu-16gb")
_VALKEY_SIZES = _BASIC + ("m-2vcpu-16gb", "m-4vcpu-32gb")
_SEARCH_SIZES = ("db-s-1vcpu-2gb", "db-s-2vcpu-4gb", "db-s-4vcpu-8gb", "gd-2vcpu-8gb", "gd-4vcpu-16gb")

# engine -> ((num_nodes, sizes), ...)
LAYOUTS = {
    "pg": ((1, _PG_SIZES), (2, _PG_SIZES[1:]), (3, _PG_SIZES[1:])),
    "valkey": ((1, _VALKEY_SIZES), (2, _VALKEY_SIZES[1:]), (3, _VALKEY_SIZES[1:])),
    "opensearch": ((1, _SEARCH_SIZES), (3, _SEARCH_SIZES[1:]), (6, _SEARCH_SIZES[3:])),
}

# engine -> ((version, semantic version, end of availability, end of life), ...), oldest first.
VERSIONS = {
    "pg": (
        ("14", "14.19", "2026-05-12T00:00:00Z", "2026-11-12T00:00:00Z"),
        ("15", "15.14", "2027-05-12T00:00:00Z", "2027-11-11T00:00:00Z"),
        ("16", "16.10", "2028-05-09T00:00:00Z", "2028-11-09T00:00:00Z"),
        ("17", "17.6", "2029-05-08T00:00:00Z", "2029-11-08T00:00:00Z"),
        ("18", "18.0", "2030-05-13T00:00:00Z", "2030-11-13T00:00:00Z"),
    ),
    "valkey": (("8", "8.1.3", None, None),),
    "opensearch": (("2", "2.19.2", None, None),),
}
DEFAULT_VERSIONS = {"pg": "17", "valkey": "8", "opensearch": "2"}
# Engines whose clusters have disk storage that can be sized (Valkey keeps its data in memory).
STORAGE_ENGINES = ("pg", "opensearch")
# Engines with backups (the API lists backups of PostgreSQL and MySQL clusters only).
BACKUP_ENGINES = ("pg",)

CONNECTIONS_PER_GIB = 25
RESERVED_CONNECTIONS = 3


def versions(engine):
    return [row[0] for row in VERSIONS[engine]]


def version_row(engine, version):
    return next((row for row in VERSIONS[engine] if row[0] == version), None)


def version_key(version):
    return tuple(int(part) for part in str(version).split(".") if part.isdigit())


def layout_sizes(engine, num_nodes):
    """Sizes offered for ``num_nodes`` nodes, or None when the engine has no such layout."""
    return next((list(sizes) for nodes, sizes in LAYOUTS[engine] if nodes == num_nodes), None)


def node_counts(engine):
    return [nodes for nodes, dummy in LAYOUTS[engine]]


def memory_gib(size):
    return SIZES[size][1]


def included_storage_mib(size):
    return SIZES[size][2] * 1024


def maximum_storage_mib(size):
    return SIZES[size][3] * 1024


def pool_connection_limit(size):
    """Backend connections the pools of a PostgreSQL cluster share: 25 per GiB of RAM, 3 reserved."""
    return CONNECTIONS_PER_GIB * memory_gib(size) - RESERVED_CONNECTIONS


def options(offered_regions):
    """The body of ``GET /v2/databases/options``; every region of the catalogue offers every engine."""
    offered = list(offered_regions)
    engines = {}
    availability = {}
    for engine in ENGINES:
        engines[engine] = {
            "regions": list(offered),
            "versions": versions(engine),
            "layouts": [{"num_nodes": nodes, "sizes": list(sizes)} for nodes, sizes in LAYOUTS[engine]],
            "default_version": DEFAULT_VERSIONS[engine],
        }
        availability[engine] = [
            {"version": version, "end_of_availability": available_until, "end_of_life": supported_until,
             "default": version == DEFAULT_VERSIONS[engine]}
            for version, dummy, available_until, supported_until in VERSIONS[engine]
        ]
    return {"options": engines, "version_availability": availability}
