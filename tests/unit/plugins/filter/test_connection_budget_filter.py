# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection_budget filter as a pure function: both budgets, every term in the message."""

import os
import subprocess
import sys

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fediops.mastodon.plugins.filter.connection_budget import FilterModule, connection_budget
from ansible_collections.fediops.mastodon.plugins.module_utils.connection_budget import pool_budget

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

PLAN = [
    {'name': 'default', 'queues': ['default', 'ingress'], 'threads': 15, 'replicas': 2},
    {'name': 'federation', 'queues': ['push', 'pull', 'fasp'], 'threads': 15, 'replicas': 2},
    {'name': 'mailers', 'queues': ['mailers'], 'threads': 5, 'replicas': 1},
    {'name': 'scheduler', 'queues': ['scheduler'], 'threads': 5},
]
WEB = {'replicas': 2, 'concurrency': 2, 'max_threads': 5}
STREAMING = {'replicas': 2, 'db_pool': 10}
POOLS = [{'name': 'mastodon', 'size': 40}]
DIRECT = [{'name': 'migration Job', 'connections': 2}, {'name': 'pg_dump backup', 'connections': 1}, {'name': 'tootctl', 'connections': 5}]


def budget(**overrides):
    args = dict(web=WEB, streaming=STREAMING, pools=POOLS, direct=DIRECT, cluster_size='db-s-2vcpu-4gb')
    args.update(overrides)
    plan = args.pop('plan', PLAN)
    return connection_budget(plan, **args)


def test_a_plan_under_budget_fits_with_every_term_and_the_headroom():
    result = budget()
    assert result['fits']
    assert result['app'] == {'web': 20, 'streaming': 20, 'sidekiq': 70}
    assert result['clients']['total'] == 110 and result['clients']['limit'] == 5000 and result['clients']['fits']
    assert result['backend']['total'] == 48 and result['backend']['limit'] == 97 and result['backend']['headroom'] == 49
    for text in ('web (2 replicas x 2 WEB_CONCURRENCY x 5 MAX_THREADS) (20)', 'streaming (2 replicas x 10 DB_POOL) (20)',
                 'sidekiq default (2 replicas x 15 threads) (30)', 'sidekiq federation (2 replicas x 15 threads) (30)',
                 'sidekiq mailers (1 replica x 5 threads) (5)', 'sidekiq scheduler (1 replica x 5 threads) (5)', '= 110 <= limit 5000',
                 'pool mastodon (40)', 'migration Job (2)', 'pg_dump backup (1)', 'tootctl (5)', '= 48 <= limit 97',
                 'db-s-2vcpu-4gb: 4 GiB RAM x 25 per GiB - 3 reserved by DigitalOcean = 97', '49 to spare'):
        assert text in result['message'], text


def test_over_the_backend_limit_fails_naming_every_term_the_total_and_the_derivation():
    result = budget(pools=[{'name': 'mastodon', 'size': 80}, {'name': 'analytics', 'size': 15}])
    assert not result['fits'] and result['clients']['fits'] and not result['backend']['fits']
    assert result['backend']['total'] == 103 and result['backend']['headroom'] == -6
    message = result['message']
    assert ('backend connections over budget by 6: pool mastodon (80) + pool analytics (15) + migration Job (2) + pg_dump backup (1)'
            ' + tootctl (5) = 103 > limit 97 (db-s-2vcpu-4gb: 4 GiB RAM x 25 per GiB - 3 reserved by DigitalOcean = 97)') in message
    # The client side is still explained, term by term.
    assert 'sidekiq default (2 replicas x 15 threads) (30)' in message


def test_over_the_client_limit_fails_naming_every_process():
    plan = [dict(process, replicas=40) if process['name'] != 'scheduler' else process for process in PLAN]
    result = budget(plan=plan, client_connection_limit=1000)
    assert not result['fits'] and not result['clients']['fits'] and result['backend']['fits']
    assert result['clients']['total'] == 20 + 20 + 40 * 15 * 2 + 40 * 5 + 5
    assert result['message'].startswith('PgBouncer client connections over budget by 445: web (2 replicas x 2 WEB_CONCURRENCY x 5 MAX_THREADS) (20) + ')
    assert 'sidekiq federation (40 replicas x 15 threads) (600)' in result['message']
    assert '= 1445 > limit 1000 (client connections of pool mastodon)' in result['message']


def test_sidekiq_clients_are_replicas_times_threads_with_the_roles_defaults():
    result = budget(plan=[{'name': 'all', 'queues': ['default']}])
    assert result['clients']['terms'][-1] == {'name': 'sidekiq all (1 replica x 5 threads)', 'connections': 5}


def test_web_and_streaming_default_to_mastodons_defaults():
    result = budget(web={}, streaming={})
    assert result['app']['web'] == 1 * 2 * 5 and result['app']['streaming'] == 1 * 10


def test_the_backend_limit_is_the_pool_modules_arithmetic():
    pools = [{'name': 'mastodon', 'size': 40}, {'name': 'other', 'size': 7}]
    ours = budget(pools=pools, direct=[{'name': 'reserve for direct connections', 'connections': 8}])
    module = pool_budget(pools, 8, 'db-s-2vcpu-4gb')
    assert (ours['backend']['total'], ours['backend']['limit'], ours['backend']['derivation']) == (module['total'], module['limit'], module['derivation'])


def test_direct_connections_may_be_a_mapping():
    result = budget(direct={'migration Job': 2, 'tootctl': 5})
    assert [term['name'] for term in result['backend']['terms']] == ['pool mastodon', 'migration Job', 'tootctl']


def test_memory_may_be_given_instead_of_the_size():
    result = budget(cluster_size=None, memory_gib=16)
    assert result['backend']['limit'] == 397 and result['backend']['derivation'].startswith('16 GiB RAM x 25 per GiB')


def test_the_app_pool_names_the_client_limit():
    result = budget(pools=[{'name': 'other', 'size': 5}, {'name': 'mastodon', 'size': 40}], app_pool='mastodon')
    assert result['clients']['derivation'] == 'client connections of pool mastodon'


@pytest.mark.parametrize('overrides, expected', [
    ({'pools': []}, 'pools must list every PgBouncer pool'),
    ({'pools': [{'name': 'mastodon'}]}, 'each pool needs name and size'),
    ({'pools': [{'name': 'mastodon', 'size': 0}]}, 'size of pool mastodon must be a whole number >= 1'),
    ({'cluster_size': None}, 'exactly one of cluster_size'),
    ({'memory_gib': 4}, 'exactly one of cluster_size'),
    ({'cluster_size': 'custom'}, "'custom' names no RAM"),
    ({'web': {'replica': 2}}, 'unknown web keys replica'),
    ({'streaming': {'db_pool': -1}}, 'streaming.db_pool must be a whole number >= 0'),
    ({'web': {'replicas': True}}, 'web.replicas must be a whole number'),
    ({'direct': [{'name': 'tootctl'}]}, 'each direct connection needs name and connections'),
    ({'direct': 'tootctl'}, 'direct must be a list'),
    ({'app_pool': 'nope'}, "app_pool 'nope' is not one of the pools"),
    ({'client_connection_limit': 0}, 'client_connection_limit must be a whole number >= 1'),
    ({'plan': [{'name': 'x', 'threads': 'many'}]}, 'threads of Sidekiq process x must be a whole number'),
    ({'plan': 'default'}, 'the input must be the list of Sidekiq processes'),
])
def test_invalid_inputs_are_refused_with_a_clear_message(overrides, expected):
    with pytest.raises(AnsibleFilterError) as error:
        budget(**overrides)
    assert expected in str(error.value)


def test_numbers_given_as_text_are_accepted():
    result = budget(web={'replicas': '3'}, plan=[{'name': 'all', 'queues': ['default'], 'threads': '10', 'replicas': '2'}])
    assert result['app'] == {'web': 30, 'streaming': 20, 'sidekiq': 20}


def test_the_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {'connection_budget': connection_budget}


def test_ansible_doc_renders_the_filters_documentation():
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, 'ansible.cfg'), ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO_ROOT, '.venv', 'collections'),
               ANSIBLE_NOCOLOR='1')
    ansible_doc = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')
    proc = subprocess.run([ansible_doc, '-t', 'filter', 'fediops.mastodon.connection_budget'], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    for text in ('fediops.mastodon.connection_budget', 'client_connection_limit', 'cluster_size', 'EXAMPLES', 'RETURN'):
        assert text in proc.stdout, text
