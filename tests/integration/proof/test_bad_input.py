# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Proof: bad input fails before any write, with a message naming the field, the value and what is allowed.

Modules and roles: every case is one task (roles through include_role inside block/rescue) of ONE
shared ansible-playbook run against the sandbox with nothing but the fixtures the cases need; each
parametrized test asserts that its case failed and that the message holds the field, the bad value
and the allowed values, and one test proves that the whole run wrote nothing to any stand-in.
Playbooks: playbooks/provision.yml on inventories/sandbox with one bad inventory value per run.

A case whose message misses one of the three is a product bug: it is marked xfail(strict=True) with
what is missing, so the suite turns red once the product is fixed and the mark must go.
"""

# pylint: disable=redefined-outer-name

from __future__ import annotations

import copy
import json

import pytest
import requests
from kubernetes import config as kube_config
from kubernetes import dynamic

from tests.integration.proof.conftest import NO_WRITES, run_playbook

ZONE = 'example.social'
CLUSTER = 'proof-pg'
K8S_ID = 'bd5f5959-5e1e-4205-a714-a914373942af'
REDIS_PASSWORD = 'valkey-Passw0rd-proof-8b2d51aa'
BAD_VAPID = 'bm90LWEta2V5-proof-not-a-P256-scalar'
BAD_KEY_BASE = 'proofKeyBase0123'


class Case:
    """One bad input: the task, and the words its failure message must hold (field, value, allowed)."""

    def __init__(self, case_id, task, field, value, allowed, product_bug=None, hidden=()):
        self.id = case_id
        self.task = task
        self.words = [field, value] + (allowed if isinstance(allowed, list) else [allowed])
        self.product_bug = product_bug
        self.hidden = list(hidden)  # secrets: must NOT be in the message

    def param(self):
        marks = [pytest.mark.xfail(strict=True, reason='product: ' + self.product_bug)] if self.product_bug else []
        return pytest.param(self, id=self.id, marks=marks)


def module(case_id, name, args, field, value, allowed, **kwargs):
    task = {'name': case_id, 'fediops.mastodon.' + name: args, 'ignore_errors': True}
    return Case(case_id, task, field, value, allowed, **kwargs)


def role(case_id, name, variables, field, value, allowed, **kwargs):
    """include_role in a block whose rescue task (named after the case) shows the failed result."""
    task = {'name': 'block ' + case_id,
            'block': [{'name': 'include ' + case_id, 'ansible.builtin.include_role': {'name': 'fediops.mastodon.' + name}, 'vars': variables}],
            'rescue': [{'name': case_id, 'ansible.builtin.debug': {'var': 'ansible_failed_result'}}]}
    return Case(case_id, task, field, value, allowed, **kwargs)


VPC = {'name': 'proof-vpc', 'region': 'tor1', 'ip_range': '10.110.16.0/20'}
DOKS = {'name': 'proof-k8s', 'region': 'tor1', 'version': '1.35', 'node_pools': [{'name': 'web', 'size': 's-2vcpu-4gb', 'count': 2}]}
PG = {'name': CLUSTER, 'engine': 'pg', 'region': 'tor1', 'size': 'db-s-1vcpu-1gb', 'version': '16'}
POOL = {'cluster': CLUSTER, 'name': 'proof-pool', 'db': 'mastodon_production', 'user': 'mastodon', 'size': 10}
HTTPS = {'protocol': 'tcp', 'ports': '443', 'sources': {'addresses': ['0.0.0.0/0']}}
FIREWALL = {'name': 'proof-nodes', 'inbound_rules': [HTTPS], 'tags': ['mastodon']}
BUCKET = {'name': 'proof-media', 'region': 'nyc3'}
IDENTITY = {'domain': 'mastodon.example', 'mail_from_domain': 'bounces.mastodon.example'}

MASTODON = {
    'mastodon_local_domain': 'sandbox.fediops.test',
    'mastodon_version': 'v4.7.2',
    'mastodon_db': {'host': 'private-pg.db.ondigitalocean.com', 'name': 'mastodon_production', 'pool_name': 'mastodon-pool',
                    'user': 'mastodon', 'password': 'db-Passw0rd-proof-4f1c9e27'},
    'mastodon_redis': {'url': 'rediss://default:%s@private-valkey.db.ondigitalocean.com:25061' % REDIS_PASSWORD},
    'mastodon_s3': {'bucket': 'sandbox-media', 'region': 'nyc3', 'endpoint': 'https://nyc3.digitaloceanspaces.com',
                    'alias_host': 'media.sandbox.fediops.test', 'access_key_id': 'DO00SANDBOXKEY', 'secret_access_key': 'spaces-Secret-proof'},
    'mastodon_smtp': {'server': 'email-smtp.us-east-1.amazonaws.com', 'login': 'AKIASANDBOXSMTP', 'password': 'smtp-Passw0rd-proof',
                      'from_address': 'no-reply@sandbox.fediops.test'},
}
SIDEKIQ_PLAN = [
    {'name': 'default', 'queues': ['default', 'ingress'], 'threads': 10, 'replicas': 2},
    {'name': 'federation', 'queues': ['push', 'pull', 'fasp'], 'threads': 10, 'replicas': 1},
    {'name': 'mailers', 'queues': ['mailers'], 'threads': 2},
    {'name': 'scheduler', 'queues': ['scheduler'], 'threads': 2, 'replicas': 1},
]
GATEWAY = {'cilium_gateway_web_domain': 'example.social', 'cilium_gateway_acme_email': 'admin@example.social',
           'cilium_gateway_digitalocean_token': 'dop_v1_proof_not_a_real_token_0123456789'}
BACKUP = {'rclone_backup_database': {'host': 'private-pg.db.ondigitalocean.com', 'name': 'mastodon_production', 'user': 'mastodon',
                                     'password': 'db-Passw0rd-proof-4f1c9e27'},
          'rclone_backup_remotes': [{'name': 'spaces', 'type': 's3', 'path': 'proof-backups', 'options': {'provider': 'DigitalOcean'}}]}
EMAIL = {'email_dns_domain': 'example.social', 'email_dns_ses_region': 'us-east-1'}


def merged(base, **changes):
    result = copy.deepcopy(base)
    result.update(changes)
    return result


def plan_changing(index, **changes):
    plan = copy.deepcopy(SIDEKIQ_PLAN)
    plan[index].update(changes)
    return plan


MODULE_CASES = [
    # do_vpc
    module('vpc-region', 'do_vpc', merged(VPC, region='mars1'), 'region', 'mars1', 'tor1'),
    module('vpc-prefix', 'do_vpc', merged(VPC, ip_range='10.0.0.0/33'), 'ip_range', '10.0.0.0/33', 'a prefix from /16 to /28'),
    module('vpc-public-range', 'do_vpc', merged(VPC, ip_range='8.8.8.0/24'), 'ip_range', '8.8.8.0/24', '10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16'),
    module('vpc-overlap', 'do_vpc', merged(VPC, ip_range='10.118.0.0/24'), 'ip_range', '10.118.0.0/24', ['default-tor1', 'must not overlap']),
    module('vpc-name', 'do_vpc', merged(VPC, name='proof vpc!'), 'name', 'proof vpc!', 'allowed: letters, digits, dashes (-) and periods (.)'),
    module('vpc-wait-type', 'do_vpc', merged(VPC, wait='maybe'), 'wait', 'maybe', 'Valid booleans'),
    # do_kubernetes_cluster
    module('doks-region', 'do_kubernetes_cluster', merged(DOKS, region='mars1'), 'region', 'mars1', 'tor1'),
    module('doks-version', 'do_kubernetes_cluster', merged(DOKS, version='1.29'), 'version', '1.29', '1.33'),
    module('doks-size', 'do_kubernetes_cluster', merged(DOKS, node_pools=[{'name': 'web', 'size': 's-1vcpu-1gb', 'count': 2}]),
           'size', 's-1vcpu-1gb', 's-2vcpu-4gb'),
    module('doks-window', 'do_kubernetes_cluster', merged(DOKS, maintenance_policy={'start_time': '25:00', 'day': 'any'}),
           'start_time', '25:00', 'HH:MM'),
    module('doks-taint-effect', 'do_kubernetes_cluster',
           merged(DOKS, node_pools=[{'name': 'web', 'size': 's-2vcpu-4gb', 'count': 2, 'taints': [{'key': 'a', 'effect': 'Sometimes'}]}]),
           'effect', 'Sometimes', 'NoSchedule'),
    module('doks-count-type', 'do_kubernetes_cluster', merged(DOKS, node_pools=[{'name': 'web', 'size': 's-2vcpu-4gb', 'count': 'two'}]),
           'count', 'two', 'cannot be converted to an int'),
    module('doks-subnet-overlap', 'do_kubernetes_cluster', merged(DOKS, cluster_subnet='10.118.0.0/16'), 'cluster_subnet', '10.118.0.0/16',
           'default-tor1'),
    module('doks-autoscale-bounds', 'do_kubernetes_cluster',
           merged(DOKS, node_pools=[{'name': 'web', 'size': 's-2vcpu-4gb', 'count': 6, 'auto_scale': True, 'min_nodes': 3, 'max_nodes': 5}]),
           'count', '6', ['min_nodes 3', 'max_nodes 5']),
    # do_database_cluster
    module('db-engine', 'do_database_cluster', merged(PG, name='proof-other', engine='mysql'), 'engine', 'mysql', 'pg, valkey, opensearch'),
    module('db-size', 'do_database_cluster', merged(PG, name='proof-other', size='db-s-64vcpu-1tb'), 'size', 'db-s-64vcpu-1tb',
           'db-s-1vcpu-1gb'),
    module('db-version', 'do_database_cluster', merged(PG, name='proof-other', version='9'), 'version', '9', '14, 15, 16, 17, 18'),
    module('db-region', 'do_database_cluster', merged(PG, name='proof-other', region='mars1'), 'region', 'mars1', 'tor1'),
    module('db-num-nodes', 'do_database_cluster', merged(PG, name='proof-other', num_nodes=4), 'num_nodes', '4', '1, 2, 3'),
    module('db-window-day', 'do_database_cluster', merged(PG, name='proof-other', maintenance_window={'day': 'someday', 'hour': '03:00'}),
           'day', 'someday', 'monday'),
    module('db-eviction', 'do_database_cluster', merged(PG, name='proof-valkey', engine='valkey', version=None, eviction_policy='lru'),
           'eviction_policy', 'lru', 'allkeys_lru'),
    module('db-downgrade', 'do_database_cluster', merged(PG, version='14'), 'version', '14', ['version 16', 'upward only']),
    # do_database_pool
    module('pool-mode', 'do_database_pool', merged(POOL, mode='fast'), 'mode', 'fast', 'session, transaction, statement'),
    module('pool-over-budget', 'do_database_pool', merged(POOL, size=500), 'size', '500', ['limit 22', 'db-s-1vcpu-1gb']),
    module('pool-size-zero', 'do_database_pool', merged(POOL, size=0), 'size', '0', 'a whole number of at least 1'),
    # do_database_firewall
    module('dbfw-type', 'do_database_firewall', {'cluster': CLUSTER, 'rules': [{'type': 'vpc', 'value': K8S_ID}]}, 'type', 'vpc',
           'k8s, droplet, tag, ip_addr, app'),
    module('dbfw-ipv6', 'do_database_firewall', {'cluster': CLUSTER, 'rules': [{'type': 'ip_addr', 'value': '2001:db8::/64'}]},
           'ip_addr', '2001:db8::/64', 'allowed: an IPv4 address'),
    module('dbfw-address', 'do_database_firewall', {'cluster': CLUSTER, 'rules': [{'type': 'ip_addr', 'value': '300.1.1.1'}]},
           'ip_addr', '300.1.1.1', 'allowed: an IPv4 address'),
    # do_database_config, do_database_db, do_database_user, do_database_info
    module('dbconfig-key', 'do_database_config', {'cluster': CLUSTER, 'config': {'maxmemory_policy': 'allkeys_lru'}}, 'maxmemory_policy',
           'maxmemory_policy', ['valid keys', 'work_mem']),
    module('dbconfig-value', 'do_database_config', {'cluster': CLUSTER, 'config': {'work_mem': 'lots'}}, 'work_mem', 'lots', 'allowed: an integer'),
    module('dbinfo-gather', 'do_database_info', {'name': CLUSTER, 'gather': ['everything']}, 'gather', 'everything', 'pools, firewall'),
    # do_domain
    module('domain-localhost', 'do_domain', {'name': 'localhost'}, 'name', 'localhost', 'domain name'),
    module('domain-double-dot', 'do_domain', {'name': 'bad..example.com'}, 'name', 'bad..example.com', 'domain name'),
    module('domain-ipv6', 'do_domain', {'name': 'proof.example', 'ip_address': '2001:db8::1'}, 'ip_address', '2001:db8::1', 'IPv4'),
    # do_domain_records
    module('records-type', 'do_domain_records', {'domain': ZONE, 'records': [{'name': 'x', 'type': 'SPF', 'data': 'v=spf1 -all'}]},
           'type', 'SPF', 'A, AAAA, CAA, CNAME, MX, NS, SRV, TXT'),
    module('records-ttl', 'do_domain_records', {'domain': ZONE, 'records': [{'name': 'x', 'type': 'TXT', 'data': 'y', 'ttl': 10}]},
           'ttl', '10', 'from 30'),
    module('records-priority', 'do_domain_records',
           {'domain': ZONE, 'records': [{'name': '@', 'type': 'MX', 'data': 'mx.example.org', 'priority': 70000}]}, 'priority', '70000',
           '65535'),
    module('records-a-ipv6', 'do_domain_records', {'domain': ZONE, 'records': [{'name': 'web', 'type': 'A', 'data': '2001:db8::1'}]},
           'data', '2001:db8::1', 'IPv4'),
    module('records-outside-zone', 'do_domain_records',
           {'domain': ZONE, 'records': [{'name': 'www.other.example.', 'type': 'A', 'data': '192.0.2.1'}]}, 'name', 'www.other.example.',
           'inside the zone example.social'),
    module('records-caa-tag', 'do_domain_records',
           {'domain': ZONE, 'records': [{'name': '@', 'type': 'CAA', 'data': 'letsencrypt.org', 'flags': 0, 'tag': 'allow'}]}, 'tag', 'allow',
           'issue, issuewild, iodef'),
    module('records-default-ttl', 'do_domain_records', {'domain': ZONE, 'default_ttl': 'long', 'records': []}, 'default_ttl', 'long',
           'cannot be converted to an int'),
    # do_firewall
    module('firewall-port', 'do_firewall', merged(FIREWALL, inbound_rules=[merged(HTTPS, ports='70000')]), 'ports', '70000', '1-65535'),
    module('firewall-protocol', 'do_firewall', merged(FIREWALL, inbound_rules=[merged(HTTPS, protocol='sctp')]), 'protocol', 'sctp',
           'tcp, udp, icmp'),
    module('firewall-address', 'do_firewall', merged(FIREWALL, inbound_rules=[merged(HTTPS, sources={'addresses': ['300.0.0.0/8']})]),
           'addresses', '300.0.0.0/8', 'IPv4 or IPv6 address or CIDR network'),
    module('firewall-tags', 'do_firewall', merged(FIREWALL, tags=['a', 'b', 'c', 'd', 'e', 'f']), 'tags', '6 tags', 'allowed: at most 5'),
    module('firewall-name', 'do_firewall', merged(FIREWALL, name='bad name'), 'name', 'bad name', 'letters, digits, periods and dashes'),
    # do_spaces_bucket
    module('bucket-name', 'do_spaces_bucket', merged(BUCKET, name='Media_Bucket'), 'name', 'Media_Bucket', '3 to 63 characters'),
    module('bucket-region', 'do_spaces_bucket', merged(BUCKET, region='mars1'), 'region', 'mars1', 'nyc3'),
    module('bucket-cors-method', 'do_spaces_bucket',
           merged(BUCKET, cors=[{'allowed_origins': ['https://example.social'], 'allowed_methods': ['PATCH']}]), 'allowed_methods', 'PATCH',
           'GET, HEAD, PUT, POST, DELETE'),
    module('bucket-acl', 'do_spaces_bucket', merged(BUCKET, acl='public-write'), 'acl', 'public-write', 'private, public-read'),
    module('bucket-lifecycle-days', 'do_spaces_bucket', merged(BUCKET, lifecycle=[{'expiration_days': -1}]), 'expiration_days', '-1',
           'allowed: a whole number of days, 1 or more'),
    # do_spaces_key
    module('key-permission', 'do_spaces_key', {'name': 'proof', 'grants': [{'bucket': 'proof-media', 'permission': 'write'}]}, 'permission',
           'write', 'read, readwrite, fullaccess'),
    module('key-bucket', 'do_spaces_key', {'name': 'proof', 'grants': [{'bucket': 'Bad_Bucket', 'permission': 'read'}]}, 'bucket', 'Bad_Bucket',
           'Spaces bucket name'),
    # do_cdn_endpoint
    module('cdn-ttl', 'do_cdn_endpoint', {'bucket': 'proof-media', 'region': 'nyc3', 'ttl': 5}, 'ttl', '5', '60, 600, 3600, 86400, 604800'),
    module('cdn-region', 'do_cdn_endpoint', {'bucket': 'proof-media', 'region': 'mars1'}, 'region', 'mars1', 'nyc3'),
    # do_certificate
    module('certificate-type', 'do_certificate', {'name': 'proof-cert', 'type': 'self_signed', 'dns_names': ['cdn.example.social']}, 'type',
           'self_signed', 'lets_encrypt, custom'),
    module('certificate-dns-name', 'do_certificate', {'name': 'proof-cert', 'dns_names': ['cdn..example.social']}, 'dns_names',
           'cdn..example.social', 'fully qualified domain name'),
    # do_container_registry
    module('registry-name', 'do_container_registry', {'name': '-bad-', 'region': 'nyc3', 'subscription_tier': 'basic'}, 'name', '-bad-',
           'lowercase'),
    module('registry-region', 'do_container_registry', {'name': 'proof', 'region': 'tor1', 'subscription_tier': 'basic'}, 'region', 'tor1',
           'nyc3, sfo3, ams3, sgp1, fra1'),
    module('registry-tier', 'do_container_registry', {'name': 'proof', 'region': 'nyc3', 'subscription_tier': 'gold'}, 'subscription_tier',
           'gold', 'starter, basic, professional'),
    # ses_email_identity
    module('ses-domain', 'ses_email_identity', {'domain': 'not a domain'}, 'domain', 'not a domain', 'domain name'),
    module('ses-mail-from', 'ses_email_identity', merged(IDENTITY, mail_from_domain='bounces.elsewhere.example'), 'mail_from_domain',
           'bounces.elsewhere.example', 'subdomain of mastodon.example'),
    module('ses-mx-failure', 'ses_email_identity', merged(IDENTITY, behavior_on_mx_failure='Bounce'), 'behavior_on_mx_failure', 'Bounce',
           'UseDefaultValue, RejectMessage'),
    module('ses-ttl', 'ses_email_identity', merged(IDENTITY, dns_ttl=5), 'dns_ttl', '5', 'allowed: 30 seconds or more'),
    # mastodon_secrets: the bad value is a secret, so the message names the variable and the rule but must not echo it
    module('secrets-vapid', 'mastodon_secrets', {'vapid_private_key': BAD_VAPID}, 'VAPID_PRIVATE_KEY', 'VAPID_PRIVATE_KEY', 'P-256',
           hidden=[BAD_VAPID]),
    module('secrets-key-base', 'mastodon_secrets', {'secret_key_base': BAD_KEY_BASE}, 'SECRET_KEY_BASE', 'SECRET_KEY_BASE', 'at least 64 characters',
           hidden=[BAD_KEY_BASE]),
]

ROLE_CASES = [
    # platform (argument_specs, then the first module)
    role('platform-cdn-ttl', 'platform', {'platform_cdn_ttl': 5}, 'platform_cdn_ttl', '5', '60, 600, 3600, 86400, 604800'),
    role('platform-eviction', 'platform', {'platform_valkey_eviction_policy': 'lru'}, 'platform_valkey_eviction_policy', 'lru', 'noeviction'),
    role('platform-registry-region', 'platform', {'platform_registry_region': 'tor1'}, 'platform_registry_region', 'tor1',
         'nyc3, sfo3, ams3, sgp1, fra1'),
    role('platform-registry-tier', 'platform', {'platform_registry_tier': 'gold'}, 'platform_registry_tier', 'gold', 'starter, basic, professional'),
    role('platform-pool-size-type', 'platform', {'platform_postgresql_pool_size': 'many'}, 'platform_postgresql_pool_size', 'many',
         'cannot be converted to an int'),
    role('platform-region', 'platform', {'platform_region': 'mars1'}, 'region', 'mars1', 'allowed: ams3'),
    role('platform-vpc-range', 'platform', {'platform_vpc_ip_range': '10.0.0.0/33'}, 'ip_range', '10.0.0.0/33', 'a prefix from /16 to /28'),
    # mastodon
    role('mastodon-version', 'mastodon', merged(MASTODON, mastodon_version='v4.4.3'), 'mastodon_version', 'v4.4.3', 'Mastodon 4.5 or later'),
    role('mastodon-domain', 'mastodon', merged(MASTODON, mastodon_local_domain='https://Social.Example'), 'mastodon_local_domain',
         'https://Social.Example', 'lowercase DNS name'),
    role('mastodon-cron', 'mastodon', merged(MASTODON, mastodon_maintenance_cronjobs={'media-remove': {'enabled': True, 'schedule': '61 * * * *'}}),
         'mastodon_maintenance_cronjobs.media-remove', '61 * * * *', 'five fields'),
    role('mastodon-redis-scheme', 'mastodon', merged(MASTODON, mastodon_redis={'url': 'redis://valkey:6379'}), 'mastodon_redis.url',
         'redis://', 'rediss://'),
    role('mastodon-replicas-type', 'mastodon', merged(MASTODON, mastodon_web_replicas='two'), 'mastodon_web_replicas', 'two', 'cannot be converted to an int'),
    role('mastodon-log-level', 'mastodon', merged(MASTODON, mastodon_log_level='loud'), 'mastodon_log_level', 'loud', 'debug'),
    role('mastodon-extra-env', 'mastodon', merged(MASTODON, mastodon_extra_env={'DB_PASS': 'x'}), 'mastodon_extra_env.DB_PASS', 'DB_PASS',
         'belongs in the Secret'),
    # sidekiq
    role('sidekiq-two-schedulers', 'sidekiq', {'sidekiq_processes': plan_changing(2, queues=['mailers', 'scheduler'])}, "queue 'scheduler'",
         "process 'mailers'", 'scheduler in exactly one process'),
    role('sidekiq-scheduler-replicas', 'sidekiq', {'sidekiq_processes': plan_changing(3, replicas=2)}, "process 'scheduler'", '2 replicas',
         'exactly 1 replica'),
    role('sidekiq-threads', 'sidekiq', {'sidekiq_processes': plan_changing(0, threads=40)}, 'threads', '40', 'between 1 and 25'),
    role('sidekiq-unknown-queue', 'sidekiq', {'sidekiq_processes': plan_changing(2, queues=['mailers', 'emails'])}, 'queue', "'emails'",
         "queues are Mastodon's"),
    role('sidekiq-over-budget', 'sidekiq',
         {'sidekiq_budget_database_size': 'db-s-1vcpu-1gb', 'sidekiq_budget_pools': [{'name': 'mastodon', 'size': 20}]},
         'pool mastodon (20)', '28 > limit 22', 'db-s-1vcpu-1gb: 1 GiB RAM x 25 per GiB - 3 reserved'),
    role('sidekiq-client-connections', 'sidekiq', {'sidekiq_budget_web_replicas': 100, 'sidekiq_budget_client_connection_limit': 1000},
         'PgBouncer client connections', 'web (100 replicas', 'over budget by 90'),
    # cilium_gateway
    role('gateway-email', 'cilium_gateway', merged(GATEWAY, cilium_gateway_acme_email='not-an-email'), 'cilium_gateway_acme_email', 'not-an-email',
         'email address'),
    role('gateway-domain', 'cilium_gateway', merged(GATEWAY, cilium_gateway_web_domain='Social.Example'), 'hosts', 'Social.Example',
         'lowercase DNS names'),
    role('gateway-environment', 'cilium_gateway', merged(GATEWAY, cilium_gateway_acme_environment='test'), 'cilium_gateway_acme_environment',
         'test', 'production, staging'),
    role('gateway-certificate-mode', 'cilium_gateway', merged(GATEWAY, cilium_gateway_certificate_mode='manual'), 'cilium_gateway_certificate_mode',
         'manual', 'certificate, annotation'),
    # email_dns
    role('email-domain', 'email_dns', merged(EMAIL, email_dns_domain='VMST.IO'), 'email_dns_domain', 'VMST.IO', 'lower-case domain name'),
    role('email-region', 'email_dns', merged(EMAIL, email_dns_ses_region='mars-1'), 'email_dns_ses_region', 'mars-1', 'us-east-1'),
    role('email-dmarc-policy', 'email_dns', merged(EMAIL, email_dns_dmarc_policy='block'), 'email_dns_dmarc_policy', 'block',
         'none, quarantine, reject'),
    role('email-ttl', 'email_dns', merged(EMAIL, email_dns_dns_ttl=10), 'email_dns_dns_ttl', '10', 'at least 30'),
    role('email-dmarc-pct', 'email_dns', merged(EMAIL, email_dns_dmarc_extra={'pct': 200}), 'email_dns_dmarc_extra.pct', '200', '0 to 100'),
    role('email-from-address', 'email_dns', merged(EMAIL, email_dns_from_address='no-reply@elsewhere.example'), 'email_dns_from_address',
         'no-reply@elsewhere.example', 'an address at "example.social"'),
    # rclone_backup
    role('backup-cron', 'rclone_backup', merged(BACKUP, rclone_backup_schedules={'database': '61 * * * *', 'media': '47 3 * * *', 'secrets': '7 4 * * 0'}),
         'rclone_backup_schedules.database', '61', '0-59'),
    role('backup-job', 'rclone_backup', merged(BACKUP, rclone_backup_jobs=['database', 'logs']), 'rclone_backup_jobs', 'logs', 'database, media, secrets'),
    role('backup-pull-policy', 'rclone_backup', merged(BACKUP, rclone_backup_image_pull_policy='Sometimes'), 'rclone_backup_image_pull_policy',
         'Sometimes', 'IfNotPresent'),
]

CASES = MODULE_CASES + ROLE_CASES

# Names DigitalOcean also checks (it answers 422): the modules check them first, so no create is sent.
# Run apart from CASES; each asserts no write to its path.
API_CHECKED_CASES = [
    module('dbdb-name', 'do_database_db', {'cluster': CLUSTER, 'name': 'bad name;'}, 'name', 'bad name;', '1 to 63 letters'),
    module('dbuser-name', 'do_database_user', {'cluster': CLUSTER, 'name': 'bad user;'}, 'name', 'bad user;', '1 to 63 letters'),
]
API_CHECKED_PATHS = {'dbdb-name': '/dbs', 'dbuser-name': '/users'}

# provision.yml on the sandbox inventory with one bad value each (-e): (id, extra vars, field, value, allowed, product bug).
PLAYBOOK_CASES = [
    ('provision-region', {'platform_region': 'mars1'}, 'region', 'mars1', 'tor1', None),
    ('provision-cdn-ttl', {'platform_cdn_ttl': 5}, 'platform_cdn_ttl', '5', '60, 600, 3600, 86400, 604800', None),
    ('provision-vpc-overlap', {'platform_vpc_ip_range': '10.118.0.0/24'}, 'ip_range', '10.118.0.0/24', 'default-tor1', None),
    ('provision-kubernetes-version', {'platform_kubernetes_version': '1.20'}, 'version', '1.20', '1.33', None),
    ('provision-postgresql-size', {'platform_postgresql_size': 'db-s-64vcpu-1tb'}, 'size', 'db-s-64vcpu-1tb', 'db-s-1vcpu-1gb', None),
    ('provision-registry-region', {'platform_registry_region': 'tor1'}, 'platform_registry_region', 'tor1', 'nyc3, sfo3, ams3, sgp1, fra1', None),
]


def api(sandbox, method, path, body=None):
    response = requests.request(method, sandbox.do_url + path, json=body, timeout=30, verify=sandbox.ca_bundle,
                                headers={'Authorization': 'Bearer %s' % sandbox.do_token})
    assert response.status_code < 400, '%s %s answered %d: %s' % (method, path, response.status_code, response.text)
    return response.json() if response.content else None


def arrange(sandbox):
    """What the cases need to exist: a PostgreSQL cluster with a database and a user, a DNS zone, and the
    Kubernetes objects the sidekiq role reads (its Namespace, ConfigMap and Secret)."""
    cluster = api(sandbox, 'POST', '/v2/databases', {'name': CLUSTER, 'engine': 'pg', 'version': '16', 'size': 'db-s-1vcpu-1gb',
                                                     'region': 'tor1', 'num_nodes': 1})['database']
    api(sandbox, 'POST', '/v2/databases/%s/dbs' % cluster['id'], {'name': 'mastodon_production'})
    api(sandbox, 'POST', '/v2/databases/%s/users' % cluster['id'], {'name': 'mastodon'})
    api(sandbox, 'POST', '/v2/domains', {'name': ZONE})
    client = dynamic.DynamicClient(kube_config.new_client_from_config(config_file=sandbox.kubeconfig))
    for body in (
        {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'mastodon'}},
        {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'mastodon-env', 'namespace': 'mastodon'}, 'data': {'LOCAL_DOMAIN': ZONE}},
        {'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': 'mastodon-secrets', 'namespace': 'mastodon'}, 'stringData': {'X': 'y'}},
    ):
        client.resources.get(api_version=body['apiVersion'], kind=body['kind']).create(body=body, namespace=body['metadata'].get('namespace'))


@pytest.fixture(scope='module')
def bad_run(standins, module_playbook, sandbox):
    """ONE ansible-playbook run holding every module and role case, on a fresh sandbox with only the fixtures above."""
    standins.reset()
    arrange(sandbox)
    standins.clear_requests()
    run = module_playbook.run([case.task for case in CASES])
    return run, standins.writes()


@pytest.fixture(scope='module')
def api_checked_run(bad_run, standins, module_playbook):  # pylint: disable=unused-argument
    """The cases only the API checks, in a run of their own after the main one (bad_run: its fixtures, and first)."""
    standins.clear_requests()
    run = module_playbook.run([case.task for case in API_CHECKED_CASES])
    return run, standins.do.writes()


def failure_text(run, case):
    """The failure message of a case: the module's msg, or the failed role task's msg (with failed loop items)."""
    result = run.task(case.id)
    if case.task.get('block'):
        result = result.get('ansible_failed_result') or {}
    else:
        assert result.get('failed') is True, 'the case did not fail: %s' % json.dumps(result)[:2000]
    texts = [str(result.get('msg', ''))]
    texts += [str(item.get('msg', '')) for item in result.get('results', []) if isinstance(item, dict) and item.get('failed')]
    return ' | '.join(texts)


def test_the_run_of_every_module_and_role_case_writes_nothing(bad_run):
    run, writes = bad_run
    assert [task.name for task in run.tasks if task.name in {case.id for case in CASES}], run.stdout[-3000:]
    assert len(CASES) + len(API_CHECKED_CASES) + len(PLAYBOOK_CASES) >= 60 and len(set(case.id for case in CASES)) == len(CASES)
    assert writes == NO_WRITES


@pytest.mark.parametrize('case', [case.param() for case in CASES])
def test_bad_input_fails_naming_field_value_and_allowed(bad_run, case):
    run, dummy = bad_run
    message = failure_text(run, case)
    missing = [word for word in case.words if word not in message]
    assert not missing, 'missing %s in: %s' % (missing, message)
    leaked = [secret for secret in case.hidden if secret in message or secret in run.stdout]
    assert not leaked, 'secret value printed'


@pytest.mark.parametrize('case', [case.param() for case in API_CHECKED_CASES])
def test_names_only_the_api_checks_fail_before_any_write(api_checked_run, case):
    run, writes = api_checked_run
    message = failure_text(run, case)
    missing = [word for word in case.words if word not in message]
    assert not missing, 'missing %s in: %s' % (missing, message)
    sent = [(entry['method'], entry['path']) for entry in writes if entry['path'].endswith(API_CHECKED_PATHS[case.id])]
    assert sent == [], 'written before the input was checked'


@pytest.mark.parametrize('extra, field, value, allowed', [
    pytest.param(extra, field, value, allowed, id=case_id,
                 marks=[pytest.mark.xfail(strict=True, reason='product: ' + bug)] if bug else [])
    for case_id, extra, field, value, allowed, bug in PLAYBOOK_CASES])
def test_provision_with_a_bad_inventory_value_fails_before_any_write(standins, ansible_env, extra, field, value, allowed):
    standins.reset()
    run = run_playbook(ansible_env, 'provision.yml', '-e', json.dumps(extra))
    writes = standins.writes()
    assert run.returncode != 0, run.stdout[-3000:]
    failed = '\n'.join(line for line in run.stdout.splitlines() if 'fatal:' in line or '"msg"' in line or 'msg:' in line)
    for word in (field, value, allowed):
        assert word in failed, 'missing %r in: %s' % (word, failed[-3000:])
    assert writes == NO_WRITES
