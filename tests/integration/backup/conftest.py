# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the real backup round trip: a throwaway PostgreSQL 15 with TLS, a heartbeat recorder,
moto's S3 and the Kubernetes stand-in."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import tempfile
import threading

import boto3
import pytest
from botocore.config import Config
from kubernetes import config as kube_config
from kubernetes import dynamic

from tests.emulators.aws.control import AwsEmulatorControl
from tests.emulators.kubernetes.control import KubernetesControl

PG_BIN = '/usr/lib/postgresql/15/bin'
RCLONE = '/usr/bin/rclone'
ADMIN_PASSWORD = 'admin-pw-4f1c0c2d'
APP_PASSWORD = 'app-pw-93b1e7aa51'
NAMESPACE = 'mastodon'


def missing_tools():
    """Why the round trip cannot run here (empty when it can)."""
    reasons = []
    if not os.path.exists(os.path.join(PG_BIN, 'initdb')):
        reasons.append('PostgreSQL 15 server binaries missing in %s: install the Debian package postgresql-15' % PG_BIN)
    if not os.path.exists(RCLONE):
        reasons.append('%s missing: install the Debian package rclone' % RCLONE)
    return '; '.join(reasons)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Postgres:
    """A PostgreSQL cluster on 127.0.0.1 with TLS (the sandbox's server certificate, signed by its CA)."""

    def __init__(self, ca_bundle):
        self.ca_bundle = ca_bundle
        self.port = free_port()
        # Not under pytest's tmp (root-only when running as root): the postgres user must reach the data dir.
        self.root = tempfile.mkdtemp(prefix='fediops-pg-')
        os.chmod(self.root, 0o755)
        self.datadir = os.path.join(self.root, 'data')
        self.as_postgres = os.geteuid() == 0

    def _run(self, command, **kwargs):
        if self.as_postgres:
            command = ['runuser', '-u', 'postgres', '--'] + command
        return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)

    def _own(self, path):
        if self.as_postgres:
            shutil.chown(path, 'postgres', 'postgres')

    def start(self):
        pwfile = os.path.join(self.root, 'pw')
        with open(pwfile, 'w', encoding='utf-8') as handle:
            handle.write(ADMIN_PASSWORD)
        self._own(pwfile)
        self._own(self.root)
        self._run([os.path.join(PG_BIN, 'initdb'), '-D', self.datadir, '-U', 'postgres', '--auth=scram-sha-256',
                   '--pwfile=' + pwfile, '--encoding=UTF8', '--locale=C.UTF-8'])
        ca_dir = os.path.dirname(self.ca_bundle)
        for name in ('server.pem', 'server-key.pem'):
            target = os.path.join(self.datadir, name)
            shutil.copy(os.path.join(ca_dir, name), target)
            os.chmod(target, 0o600)
            self._own(target)
        with open(os.path.join(self.datadir, 'postgresql.conf'), 'a', encoding='utf-8') as handle:
            handle.write("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nssl = on\n"
                         "ssl_cert_file = 'server.pem'\nssl_key_file = 'server-key.pem'\n" % (self.port, self.root))
        with open(os.path.join(self.datadir, 'pg_hba.conf'), 'w', encoding='utf-8') as handle:
            handle.write('hostssl all all 127.0.0.1/32 scram-sha-256\n')
        self._run([os.path.join(PG_BIN, 'pg_ctl'), '-D', self.datadir, '-l', os.path.join(self.root, 'log'), '-w', 'start'])

    def stop(self):
        try:
            self._run([os.path.join(PG_BIN, 'pg_ctl'), '-D', self.datadir, '-m', 'fast', '-w', 'stop'])
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def env(self, database='postgres', user='postgres', password=ADMIN_PASSWORD):
        env = dict(os.environ)
        env.update({'PGHOST': '127.0.0.1', 'PGPORT': str(self.port), 'PGDATABASE': database, 'PGUSER': user,
                    'PGPASSWORD': password, 'PGSSLMODE': 'verify-full', 'PGSSLROOTCERT': self.ca_bundle})
        return env

    def psql(self, sql, database='postgres', user='postgres', password=ADMIN_PASSWORD):
        """Run SQL; returns the unaligned, tuples-only output."""
        proc = subprocess.run(['psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], env=self.env(database, user, password),
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise AssertionError('psql failed: %s' % proc.stderr)
        return proc.stdout.strip()


SCHEMA = r"""
CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    username text NOT NULL,
    display_name text NOT NULL DEFAULT '',
    note text,
    created_at timestamptz NOT NULL);
CREATE UNIQUE INDEX index_accounts_on_username ON accounts (lower(username));
CREATE TABLE statuses (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    text text NOT NULL,
    visibility integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL);
CREATE INDEX index_statuses_on_account_id_and_id ON statuses (account_id, id DESC);
CREATE TABLE media_attachments (
    id bigserial PRIMARY KEY,
    status_id bigint REFERENCES statuses (id) ON DELETE SET NULL,
    file_file_name text,
    blurhash text,
    thumbnail bytea);
INSERT INTO accounts
  SELECT n, 'user' || n, 'Zoë 🐘 ' || n || ' — ñandú', CASE WHEN n % 3 = 0 THEN NULL ELSE 'note «' || n || '»' END,
         timestamptz '2024-01-01 00:00:00+00' + n * interval '1 hour'
  FROM generate_series(1, 60) AS n;
INSERT INTO statuses (account_id, text, visibility, created_at)
  SELECT 1 + n % 60, 'Toot ' || n || ' ✨ 日本語 ' || md5(n::text), n % 4, timestamptz '2024-02-01 00:00:00+00' + n * interval '1 minute'
  FROM generate_series(1, 400) AS n;
INSERT INTO media_attachments (status_id, file_file_name, blurhash, thumbnail)
  SELECT n * 3, 'image' || n || '.png', 'LEHV6nWB2yk8pyo0adR*.7kCMdnj', decode(md5(n::text) || '00ff', 'hex')
  FROM generate_series(1, 120) AS n;
"""

TABLES = ('accounts', 'statuses', 'media_attachments')


def checksums(postgres, database):
    """md5 of every table's rows ordered by primary key, row counts and the sequences' positions."""
    result = {}
    for table in TABLES:
        result[table] = postgres.psql("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY id)), '') FROM %s t" % table,
                                      database=database)
    for sequence in ('statuses_id_seq', 'media_attachments_id_seq'):
        result[sequence] = postgres.psql('SELECT last_value FROM %s' % sequence, database=database)
    result['indexes'] = postgres.psql("SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'",
                                      database=database)
    return result


@pytest.fixture(scope='session')
def postgres(sandbox):
    """The throwaway cluster, with database mastodon_production (owner mastodon) loaded with a Mastodon-like schema."""
    if missing_tools():
        pytest.skip(missing_tools())
    server = Postgres(sandbox.ca_bundle)
    server.start()
    try:
        server.psql("CREATE ROLE mastodon LOGIN PASSWORD '%s'" % APP_PASSWORD)
        server.psql('CREATE DATABASE mastodon_production OWNER mastodon')
        server.psql(SCHEMA, database='mastodon_production', user='mastodon', password=APP_PASSWORD)
        yield server
    finally:
        server.stop()


class Heartbeats:
    """A tiny HTTP server on 127.0.0.1 that records the paths it is asked for."""

    def __init__(self):
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  pylint: disable=invalid-name
                hits.append(self.path)
                self.send_response(200)
                self.send_header('Content-Length', '2')
                self.end_headers()
                self.wfile.write(b'OK')

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def heartbeats():
    server = Heartbeats()
    yield server
    server.close()


@pytest.fixture
def k8s(sandbox):
    """The Kubernetes stand-in, reset, with Mastodon's namespace and Secret."""
    control = KubernetesControl(sandbox.k8s_url, sandbox.ca_bundle)
    control.reset()
    client = dynamic.DynamicClient(kube_config.new_client_from_config(config_file=sandbox.kubeconfig))
    for body in ({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': NAMESPACE}},
                 {'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': 'mastodon-secrets', 'namespace': NAMESPACE},
                  'stringData': {'SECRET_KEY_BASE': 'skb-' + 'a1' * 60, 'OTP_SECRET': 'otp-plaintext-marker-7731',
                                 'VAPID_PRIVATE_KEY': 'vapid-private-Ünïcode-key'}}):
        client.resources.get(api_version=body['apiVersion'], kind=body['kind']).create(body=body, namespace=body['metadata'].get('namespace'))
    control.clear_requests()
    yield control
    control.clear_faults()


@pytest.fixture
def s3(sandbox):
    """moto's S3, reset, as a boto3 client with the sandbox's AWS keys."""
    AwsEmulatorControl(sandbox.aws_url, sandbox.ca_bundle).reset()
    return boto3.session.Session().client(
        's3', region_name='us-east-1', endpoint_url=sandbox.aws_url, verify=sandbox.ca_bundle,
        aws_access_key_id=sandbox.env['AWS_ACCESS_KEY_ID'], aws_secret_access_key=sandbox.env['AWS_SECRET_ACCESS_KEY'],
        config=Config(s3={'addressing_style': 'path'}, signature_version='s3v4'))
