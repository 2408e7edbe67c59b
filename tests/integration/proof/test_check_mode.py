# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Proof: --check against a changed desired state reports the change and writes nothing, for every module and playbook.

Modules: ONE run converges a resource per module, then ONE run in --check asks each module for a changed
state; each parametrized test asserts its module reported the change, and one test proves that the check
run wrote nothing to the DigitalOcean, AWS or Kubernetes stand-ins.
Playbooks: provision.yml converges the sandbox inventory for real, then runs in --check with changed
inventory values (pool size, CORS origin, web replicas); destroy.yml runs in --check on what stands.
"""

# pylint: disable=redefined-outer-name

from __future__ import annotations

import json
import re

import pytest
import requests

from tests.integration.proof.conftest import NO_WRITES, run_playbook

ZONE = 'example.social'
CLUSTER = 'proof-pg'
WEB = 'https://example.social'
HTTPS = {'protocol': 'tcp', 'ports': '443', 'sources': {'addresses': ['0.0.0.0/0', '::/0']}}
SSH = {'protocol': 'tcp', 'ports': '22', 'sources': {'addresses': ['192.0.2.0/24']}}
ALL_OUT = {'protocol': 'tcp', 'ports': 'all', 'destinations': {'addresses': ['0.0.0.0/0', '::/0']}}


def task(name, module, args):
    return {'name': name, 'fediops.mastodon.' + module: args}


# (module, converged arguments, changed arguments for --check, whether the module can report a change)
MODULES = [
    ('do_vpc', {'name': 'proof-vpc', 'region': 'tor1', 'ip_range': '10.110.16.0/20', 'description': 'converged'},
     {'description': 'changed in check mode'}, True),
    ('do_domain', {'name': ZONE}, {'state': 'absent', 'force': True}, True),
    ('do_domain_records', {'domain': ZONE, 'records': [{'name': 'www', 'type': 'A', 'data': '192.0.2.1'}]},
     {'records': [{'name': 'www', 'type': 'A', 'data': '192.0.2.2'}]}, True),
    ('do_certificate', {'name': 'proof-cdn', 'dns_names': ['cdn.' + ZONE]},
     {'dns_names': ['cdn.' + ZONE, 'files.' + ZONE], 'replace': True}, True),
    ('do_cdn_endpoint', {'bucket': 'proof-media', 'region': 'nyc3', 'ttl': 3600}, {'ttl': 86400}, True),
    ('do_container_registry', {'name': 'proof-registry', 'region': 'nyc3', 'subscription_tier': 'basic'}, {'subscription_tier': 'professional'}, True),
    ('do_database_cluster', {'name': CLUSTER, 'engine': 'pg', 'region': 'tor1', 'size': 'db-s-1vcpu-1gb', 'version': '16'},
     {'size': 'db-s-1vcpu-2gb'}, True),
    ('do_database_db', {'cluster': CLUSTER, 'name': 'mastodon_production'}, {'name': 'mastodon_other'}, True),
    ('do_database_user', {'cluster': CLUSTER, 'name': 'mastodon'}, {'reset_password': True}, True),
    ('do_database_pool', {'cluster': CLUSTER, 'name': 'proof-pool', 'db': 'mastodon_production', 'user': 'mastodon', 'size': 10}, {'size': 12}, True),
    ('do_database_firewall', {'cluster': CLUSTER, 'rules': [{'type': 'ip_addr', 'value': '203.0.113.0/24'}]},
     {'rules': [{'type': 'ip_addr', 'value': '198.51.100.0/24'}]}, True),
    ('do_database_config', {'cluster': CLUSTER, 'config': {'work_mem': 16}}, {'config': {'work_mem': 32}}, True),
    ('do_database_info', {'name': CLUSTER}, {'gather': ['pools', 'users']}, False),
    ('do_firewall', {'name': 'proof-nodes', 'inbound_rules': [HTTPS], 'outbound_rules': [ALL_OUT], 'tags': ['mastodon']},
     {'inbound_rules': [HTTPS, SSH]}, True),
    ('do_kubernetes_cluster', {'name': 'proof-k8s', 'region': 'tor1', 'version': '1.35',
                               'node_pools': [{'name': 'web', 'size': 's-2vcpu-4gb', 'count': 2}]},
     {'node_pools': [{'name': 'web', 'size': 's-2vcpu-4gb', 'count': 3}]}, True),
    ('do_spaces_bucket', {'name': 'proof-media', 'region': 'nyc3', 'cors': [{'allowed_origins': [WEB], 'allowed_methods': ['GET', 'HEAD']}]},
     {'cors': [{'allowed_origins': [WEB, 'https://www.example.social'], 'allowed_methods': ['GET', 'HEAD']}]}, True),
    ('do_spaces_key', {'name': 'proof', 'grants': [{'bucket': 'proof-media', 'permission': 'readwrite'}]},
     {'grants': [{'bucket': 'proof-media', 'permission': 'read'}], 'replace_on_grant_change': True}, True),
    ('ses_email_identity', {'domain': 'mastodon.example', 'mail_from_domain': 'bounces.mastodon.example'},
     {'mail_from_domain': 'mail.mastodon.example'}, True),
    ('mastodon_secrets', {}, {'existing_data': {}}, True),
]


def set_cdn_rate_limit(control, enabled):
    response = requests.post(control.base_url + '/_emulator/config', json={'cdn_rate_limit': enabled}, verify=control.ca_bundle, timeout=10)
    assert response.status_code == 200, response.text


@pytest.fixture(scope='module')
def fast_emulator(standins):
    """Clusters, certificates and firewalls settle at once and the CDN's own rate limit is off; all restored afterwards."""
    previous = standins.do.config()
    standins.do.configure(provision_delay=0, family_provision_delay={'certificates': 0.2, 'firewalls': 0.2})
    set_cdn_rate_limit(standins.do, False)
    yield standins
    standins.do.configure(provision_delay=previous['provision_delay'], family_provision_delay=previous.get('family_provision_delay') or {})
    set_cdn_rate_limit(standins.do, True)


@pytest.fixture(scope='module')
def checked(fast_emulator, module_playbook):
    """Converge one resource per module, then the same modules in --check with changed arguments."""
    standins = fast_emulator
    standins.reset()
    converge = module_playbook.run([task(module, module, args) for module, args, dummy, dummy2 in MODULES])
    assert converge.rc == 0, [(item.name, item.result.get('msg')) for item in converge.tasks if item.failed] or converge.stdout[-3000:]
    standins.clear_requests()
    run = module_playbook.run([task(module, module, dict(args, **changes)) for module, args, changes, dummy in MODULES], check=True, diff=True)
    return run, standins.writes()


def test_the_check_run_of_every_module_writes_nothing(checked):
    run, writes = checked
    assert run.rc == 0, [(item.name, item.result.get('msg')) for item in run.tasks if item.failed] or run.stdout[-3000:]
    assert writes == NO_WRITES


@pytest.mark.parametrize('module, can_change', [pytest.param(module, can_change, id=module) for module, dummy, dummy2, can_change in MODULES])
def test_check_mode_reports_the_change_of_each_module(checked, module, can_change):
    run, dummy = checked
    result = run.task(module)
    assert not result.get('failed'), result.get('msg')
    assert result.get('changed') is can_change, json.dumps(result)[:2000]


def recap(stdout):
    """(changed, failed) of the sandbox host from the PLAY RECAP."""
    match = re.search(r'sandbox\.fediops\.test\s*: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)', stdout.rsplit('PLAY RECAP', 1)[-1])
    assert match, stdout[-3000:]
    return int(match.group(1)), int(match.group(2))


# Inventory values changed for the check run: a bigger pool, another CORS origin, another web replica.
CHANGED_INVENTORY = {
    'platform_postgresql_pool_size': 22,
    'platform_media_cors_origins': ['https://sandbox.fediops.test', 'https://www.sandbox.fediops.test'],
    'mastodon_web_replicas': 3,
}


@pytest.fixture(scope='module')
def provisioned(standins, ansible_env):
    """The sandbox inventory provisioned for real (what test_provision.py proves converged)."""
    standins.reset()
    first = run_playbook(ansible_env, 'provision.yml')
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-2000:]
    return standins


def test_provision_in_check_mode_with_changed_inventory_values_writes_nothing(provisioned, ansible_env):
    provisioned.clear_requests()
    run = run_playbook(ansible_env, 'provision.yml', '--check', '-e', json.dumps(CHANGED_INVENTORY))
    writes = provisioned.writes()
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    changed, failed = recap(run.stdout)
    assert failed == 0 and changed > 0, 'the changed values must show as changes'
    assert writes == NO_WRITES


def test_destroy_in_check_mode_writes_nothing(provisioned, ansible_env):
    provisioned.clear_requests()
    run = run_playbook(ansible_env, 'destroy.yml', '--check', '-e', 'confirm_destroy=sandbox.fediops.test')
    writes = provisioned.writes()
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    changed, failed = recap(run.stdout)
    assert failed == 0 and changed > 0, 'the check must list what would go'
    assert writes == NO_WRITES
