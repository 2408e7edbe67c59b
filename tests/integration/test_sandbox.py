# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a user gets from `source .sandbox/env`: every client reaches its stand-in with no other setup."""

from __future__ import annotations

import os
import stat

import boto3
import yaml


def test_k8s_info_lists_namespaces_with_only_the_sandbox_env(playbook):
    run = playbook.run([{'name': 'namespaces', 'kubernetes.core.k8s_info': {'kind': 'Namespace'}, 'register': 'out'}])
    assert run.rc == 0, run.stdout
    names = {item['metadata']['name'] for item in run.task('namespaces')['resources']}
    assert {'default', 'kube-system', 'kube-public'} <= names


def test_boto3_reaches_the_aws_stand_in_from_the_env(sandbox):
    s3 = boto3.client('s3', region_name='nyc3', endpoint_url=sandbox.env['SPACES_ENDPOINT_URL'], verify=sandbox.ca_bundle,
                      aws_access_key_id=sandbox.env['SPACES_ACCESS_KEY_ID'], aws_secret_access_key=sandbox.env['SPACES_SECRET_ACCESS_KEY'])
    assert 'Buckets' in s3.list_buckets()


def test_sandbox_kubeconfig_has_the_doks_shape_and_is_private(sandbox):
    with open(sandbox.kubeconfig, encoding='utf-8') as handle:
        config = yaml.safe_load(handle)
    assert stat.S_IMODE(os.stat(sandbox.kubeconfig).st_mode) == 0o600
    assert config['current-context'] == 'do-tor1-sandbox'
    assert config['clusters'][0]['cluster']['certificate-authority-data']
    assert config['users'][0]['user']['token']


def test_a_doks_kubeconfig_reaches_the_kubernetes_stand_in(do_emulator, playbook, tmp_path):
    kubeconfig = str(tmp_path / 'doks.yaml')
    run = playbook.run([
        {'name': 'cluster', 'fediops.mastodon.do_kubernetes_cluster': {
            'name': 'wired', 'region': 'tor1', 'version': 'latest', 'kubeconfig_path': kubeconfig,
            'node_pools': [{'name': 'workers', 'size': 's-2vcpu-4gb', 'count': 1}]}},
        {'name': 'namespaces', 'kubernetes.core.k8s_info': {'kind': 'Namespace', 'kubeconfig': kubeconfig}, 'register': 'out'},
    ])
    assert run.rc == 0, run.stdout
    assert 'kube-system' in {item['metadata']['name'] for item in run.task('namespaces')['resources']}
