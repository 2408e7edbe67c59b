# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The demo's closing summary shows what stands and never a secret the stand-ins hold."""

from __future__ import annotations

from tests.tools.sandbox_summary import digitalocean_lines, kubernetes_lines

DB_PASSWORD = 'AVNS_summaryTestPassw0rd'
KEY_SECRET = 'spaces/SecretKeyForSummaryTest0123456789'
K8S_TOKEN = 'sandbox-k8s-token-summary-0123456789abcdef'

STATE = {
    'vpcs': [{'name': 'default-tor1', 'region': 'tor1', 'ip_range': '10.118.0.0/20', 'default': True},
             {'name': 'sandbox-vpc', 'region': 'tor1', 'ip_range': '10.110.16.0/20', 'default': False}],
    'kubernetes_clusters': [{'name': 'sandbox-k8s', 'region': 'tor1', 'version': '1.36.2-do.0',
                             'node_pools': [{'name': 'workers', 'count': 2, 'size': 's-4vcpu-8gb'}]}],
    'kubernetes_credentials': [{'token': K8S_TOKEN}],
    'database_clusters': [{
        'name': 'sandbox-pg', 'engine': 'pg', 'version': '17', 'region': 'tor1', 'size': 'db-s-1vcpu-2gb',
        'users': [{'name': 'mastodon', 'password': DB_PASSWORD}],
        'private_connection': {'host': 'private-pg.example', 'port': 25060, 'password': DB_PASSWORD,
                               'uri': 'postgresql://doadmin:%s@private-pg.example:25060/defaultdb' % DB_PASSWORD},
        'pools': [{'name': 'mastodon', 'mode': 'transaction', 'size': 20, 'db': 'mastodon',
                   'connection': {'password': DB_PASSWORD}}],
    }],
    'spaces_keys': [{'name': 'media', 'grants': [{'bucket': 'media', 'permission': 'readwrite'}],
                     'access_key': 'DO00KEY', 'secret_key': KEY_SECRET}],
    'domains': [{'name': 'sandbox.fediops.test', 'records': [
        {'type': 'SOA', 'name': '@', 'data': '1800'},
        {'type': 'A', 'name': '@', 'data': '203.0.113.2'},
        {'type': 'TXT', 'name': '@', 'data': 'v=spf1 include:amazonses.com ~all'}]}],
}


def test_summary_lists_resources_with_their_endpoints():
    text = '\n'.join(digitalocean_lines(STATE))
    assert 'sandbox-vpc tor1 10.110.16.0/20' in text
    assert 'default-tor1' not in text  # DigitalOcean's default VPC is not ours
    assert 'sandbox-k8s tor1 1.36.2-do.0 (workers 2xs-4vcpu-8gb)' in text
    assert 'private private-pg.example:25060' in text
    assert 'pool       mastodon transaction size 20 -> mastodon' in text
    assert 'A      @ -> 203.0.113.2' in text
    assert 'SOA ' not in text and '1800' not in text


def test_summary_never_prints_a_secret_the_state_holds():
    text = '\n'.join(digitalocean_lines(STATE))
    for secret in (DB_PASSWORD, KEY_SECRET, K8S_TOKEN):
        assert secret not in text


def test_workloads_show_image_and_replicas_or_schedule():
    objects = {
        'deployments.apps': [{'metadata': {'name': 'mastodon-web', 'namespace': 'mastodon'},
                              'spec': {'replicas': 2, 'template': {'spec': {'containers': [{'image': 'ghcr.io/mastodon/mastodon:v4.7.2'}]}}}},
                             {'metadata': {'name': 'cert-manager', 'namespace': 'cert-manager'}, 'spec': {}}],
        'cronjobs.batch': [{'metadata': {'name': 'backup-database', 'namespace': 'mastodon'},
                            'spec': {'schedule': '15 3 * * *', 'jobTemplate': {'spec': {'template': {'spec': {
                                'containers': [{'image': 'rclone/rclone:1.71'}]}}}}}}],
    }
    lines = kubernetes_lines(objects)
    assert lines == ["Deployment   mastodon/mastodon-web ghcr.io/mastodon/mastodon:v4.7.2, 2 replicas",
                     "CronJob      mastodon/backup-database rclone/rclone:1.71, schedule '15 3 * * *'"]
