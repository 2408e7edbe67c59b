# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One managed database cluster: its state and how DigitalOcean renders it.

Connection details follow DigitalOcean's shapes: host ``<name>-do-user-<n>-0.<shard>.db.ondigitalocean.com``
(``private-`` in front for the VPC address, ``replica-`` for the standby nodes of a multi-node
cluster); PostgreSQL answers on 25060 (25061 for the PgBouncer pools) as ``doadmin`` with database
``defaultdb``, Valkey on 25061 as ``default`` over TLS (``rediss://``), OpenSearch over HTTPS on
25060 as ``doadmin``. Passwords look like DigitalOcean's (``AVNS_`` and 19 characters).
"""

import base64
import datetime
import hashlib
import math
import secrets
import string

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ..models import isoformat
from . import database_catalogue as catalogue

ACCOUNT_NUMBER = 19081923
DAY = 86400
BACKUP_RETENTION_DAYS = 7
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SHARDS = "bcdfghjklm"
_PASSWORD_ALPHABET = string.ascii_letters + string.digits
# engine -> (admin user, port, URI scheme, default database)
_ENDPOINTS = {
    "pg": ("doadmin", 25060, "postgresql", "defaultdb"),
    "valkey": ("default", 25061, "rediss", None),
    "opensearch": ("doadmin", 25060, "https", None),
}
POOL_PORT = 25061
METRICS_PORT = 9273


def new_password():
    return "AVNS_" + "".join(secrets.choice(_PASSWORD_ALPHABET) for dummy in range(19))


def _digest(text):
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)


def admin_user(engine):
    return _ENDPOINTS[engine][0]


def make_ca_certificate(project_id, now):
    """A self-signed CA like the project CA DigitalOcean signs its database certificates with (base64 of the PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "%s Project CA" % project_id)])
    start = datetime.datetime.fromtimestamp(now, tz=datetime.timezone.utc) - datetime.timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.PEM)).decode("ascii")


class Cluster:
    """A database cluster. ``transition`` is its current status change (creating/forking/resizing/migrating -> online)."""

    def __init__(self, cluster_id, body, created_at, transition):
        self.id = cluster_id
        self.name = body["name"]
        self.engine = body["engine"]
        self.version = body["version"]
        self.size = body["size"]
        self.num_nodes = body["num_nodes"]
        self.region = body["region"]
        self.vpc_id = body["vpc_id"]
        self.tags = list(body["tags"])
        self.project_id = body["project_id"]
        self.storage_mib = body["storage_mib"]
        self.created_at = created_at
        self.transition = transition
        self.first_online = int(math.ceil(transition.deadline))
        shard = _SHARDS[_digest(cluster_id) % len(_SHARDS)]
        self.host = "%s-do-user-%d-0.%s.db.ondigitalocean.com" % (self.name, ACCOUNT_NUMBER, shard)
        self.dashboard_host = "%s-dashboard-do-user-%d-0.%s.db.ondigitalocean.com" % (self.name, ACCOUNT_NUMBER, shard)
        seed = _digest("maintenance:" + cluster_id)
        self.maintenance = {"day": WEEKDAYS[seed % 7], "hour": "%02d:%02d:%02d" % (seed // 7 % 24, seed // 168 % 60, seed // 10080 % 60)}
        self.backup_time = (seed // 604800 % 24, seed // 14515200 % 60)
        self.users = {admin_user(self.engine): {"name": admin_user(self.engine), "role": "primary", "password": new_password()}}
        self.dbs = ["defaultdb"] if self.engine == "pg" else []
        self.pools = {}
        self.rules = []
        self.autoscale = {"storage": {"enabled": False}}
        self.config = {}
        self.restored_from = None

    # -- status ------------------------------------------------------------------------------

    def status(self, now):
        return self.transition.status(now)

    @property
    def admin(self):
        return self.users[admin_user(self.engine)]

    # -- rendering ---------------------------------------------------------------------------

    def endpoint(self, prefix="", port=None, user=None, password=None, database=None):
        """A connection block (``connection``, ``private_connection``, ... or a pool's) for ``prefix`` + host."""
        default_user, default_port, scheme, default_database = _ENDPOINTS[self.engine]
        host = prefix + self.host
        port = port or default_port
        user = user or default_user
        password = password if password is not None else self.admin["password"]
        database = database or default_database
        uri = "%s://%s:%s@%s:%d" % (scheme, user, password, host, port)
        block = {"host": host, "port": port, "user": user, "password": password, "ssl": True}
        if database is not None:
            uri += "/%s?sslmode=require" % database
            block["database"] = database
        block["uri"] = uri
        return block

    def connections(self, **kwargs):
        """Every connection block of the cluster (or of a pool, given its port, user, password and database)."""
        blocks = {"connection": self.endpoint("", **kwargs), "private_connection": self.endpoint("private-", **kwargs)}
        if self.num_nodes > 1:
            blocks["standby_connection"] = self.endpoint("replica-", **kwargs)
            blocks["standby_private_connection"] = self.endpoint("private-replica-", **kwargs)
        return blocks

    @staticmethod
    def render_user(user):
        rendered = {"name": user["name"], "role": user["role"], "password": user["password"]}
        settings = user.get("settings") or {}
        if settings.get("pg_allow_replication") or settings.get("opensearch_acl"):
            rendered["settings"] = {key: value for key, value in settings.items() if value}
        return rendered

    def render_pool(self, pool):
        user = self.users.get(pool.get("user") or "") or self.admin
        rendered = {"name": pool["name"], "mode": pool["mode"], "size": pool["size"], "db": pool["db"]}
        if pool.get("user"):
            rendered["user"] = pool["user"]
        rendered.update(self.connections(port=POOL_PORT, user=user["name"], password=user["password"], database=pool["name"]))
        return rendered

    def render_rule(self, rule):
        rendered = {"uuid": rule["uuid"], "cluster_uuid": self.id, "type": rule["type"], "value": rule["value"],
                    "created_at": isoformat(rule["created_at"])}
        if rule.get("description"):
            rendered["description"] = rule["description"]
        return rendered

    def render(self, now):
        status = self.status(now)  # first: settling a transition may change what follows
        semantic, available_until, supported_until = catalogue.version_row(self.engine, self.version)[1:]
        rendered = {
            "id": self.id,
            "name": self.name,
            "engine": self.engine,
            "version": self.version,
            "semantic_version": semantic,
            "num_nodes": self.num_nodes,
            "size": self.size,
            "region": self.region,
            "status": status,
            "created_at": isoformat(self.created_at),
            "private_network_uuid": self.vpc_id,
            "tags": list(self.tags),
            "db_names": sorted(self.dbs) if self.engine == "pg" else None,
            "users": [self.render_user(user) for name, user in sorted(self.users.items())],
            "maintenance_window": dict(self.maintenance, pending=False, description=[]),
            "project_id": self.project_id,
            "storage_size_mib": self.storage_mib,
            "metrics_endpoints": [{"host": self.host, "port": METRICS_PORT}],
        }
        rendered.update(self.connections())
        if self.num_nodes > 1:
            rendered["metrics_endpoints"].append({"host": "replica-" + self.host, "port": METRICS_PORT})
        if self.engine == "opensearch":
            password = self.admin["password"]
            rendered["ui_connection"] = {"uri": "https://doadmin:%s@%s:443" % (password, self.dashboard_host), "host": self.dashboard_host,
                                         "port": 443, "user": "doadmin", "password": password, "ssl": True}
        if supported_until:
            rendered["version_end_of_life"] = supported_until
        if available_until:
            rendered["version_end_of_availability"] = available_until
        return rendered

    # -- backups -----------------------------------------------------------------------------

    def backup_schedule(self):
        if self.engine == "pg":
            return self.config.get("backup_hour", self.backup_time[0]), self.config.get("backup_minute", self.backup_time[1])
        return self.backup_time

    def backup_times(self, now):
        """Whole-second times of the backups kept now: one when the cluster first came online, then one a day
        at the scheduled hour and minute, for the last 7 days."""
        if now < self.first_online:
            return []
        hour, minute = self.backup_schedule()
        times = [self.first_online]
        moment = self.first_online // DAY * DAY + hour * 3600 + minute * 60
        while moment <= now:
            if moment > self.first_online:
                times.append(moment)
            moment += DAY
        return [moment for moment in times if now - moment <= BACKUP_RETENTION_DAYS * DAY]

    def backups(self, now):
        return [{"created_at": isoformat(moment), "size_gigabytes": round(0.03 + (moment // DAY % 97) / 10000.0, 8), "incremental": False}
                for moment in self.backup_times(now)]

    # -- the emulator's own view -------------------------------------------------------------

    def state(self, now):
        rendered = self.render(now)
        rendered.update({
            "users": [dict(user) for name, user in sorted(self.users.items())],
            "dbs": sorted(self.dbs),
            "pools": [self.render_pool(pool) for pool in self.pools.values()],
            "firewall_rules": [self.render_rule(rule) for rule in self.rules],
            "config": dict(self.config),
            "eviction_policy": self.config.get("valkey_maxmemory_policy"),
            "autoscale": dict(self.autoscale),
            "backups": self.backups(now),
            "restored_from": self.restored_from,
            "transition": {"status": rendered["status"], "remaining": self.transition.remaining(now)},
        })
        return rendered
