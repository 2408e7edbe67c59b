# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.fediops.mastodon.plugins.modules import do_database_firewall as firewall
from ansible_collections.fediops.mastodon.tests.unit.plugins.modules.do_database_fake import install, run_module

K8S_ID = 'bd5f5959-5e1e-4205-a714-a914373942af'
APP_ID = 'c2a93513-8d9b-4223-9d61-5e7272c81cf5'
RULES = [{'type': 'k8s', 'value': K8S_ID}, {'type': 'ip_addr', 'value': '203.0.113.0/24'}]


@pytest.fixture
def cloud(monkeypatch, clean_do_env, fake_pydo):
    return install(monkeypatch, fake_pydo)


@pytest.fixture
def cluster(cloud):
    return cloud.add_cluster('pg')


def run(check_mode=False, **args):
    args.setdefault('cluster', 'pg')
    return run_module(firewall.main, args, check_mode=check_mode)


def pairs(rules):
    return sorted((r['type'], r['value']) for r in rules)


# ---------------------------------------------------------------------------------------------
# pure functions
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    ('2001:db8::1', 'is IPv6'),
    ('2001:db8::/32', 'is IPv6'),
    ('300.1.1.1', 'is not valid'),
    ('10.0.0.0/33', 'is not valid'),
    ('example.com', 'is not valid'),
    ('10.0.0.5/24', 'has host bits set; use the network address 10.0.0.0/24'),
])
def test_invalid_ip_values_name_the_field_value_and_what_is_allowed(value, expected):
    message = firewall.ip_error(value)
    assert message.startswith('rules: ip_addr value %r' % value) and expected in message
    if 'host bits' not in message:
        assert 'IPv4 address (203.0.113.7) or IPv4 network in CIDR notation' in message and 'no IPv6' in message


@pytest.mark.parametrize('value', ['203.0.113.7', '203.0.113.0/24', '10.0.0.0/8', '0.0.0.0/0', '10.1.2.3/32'])
def test_valid_ip_values(value):
    assert firewall.ip_error(value) is None


@pytest.mark.parametrize('rule, expected', [
    ({'type': 'droplet', 'value': 'web-1'}, "droplet value 'web-1' is invalid; allowed: the numeric id"),
    ({'type': 'tag', 'value': 'has space'}, "tag value 'has space' is invalid"),
    ({'type': 'app', 'value': 'my-app'}, "app value 'my-app' is invalid; allowed: the id (a UUID)"),
    ({'type': 'tag', 'value': ''}, 'a tag rule has an empty value'),
])
def test_invalid_rule_values_are_named(rule, expected):
    assert expected in ' '.join(firewall.rule_errors([rule]))


def test_more_than_100_distinct_rules_are_refused():
    rules = [{'type': 'ip_addr', 'value': '10.0.%d.%d' % (i // 256, i % 256)} for i in range(101)]
    assert firewall.rule_errors(rules) == ['rules: 101 distinct rules given; DigitalOcean allows at most 100']
    assert firewall.rule_errors(rules[:100]) == []


def test_rules_compare_as_sets_with_canonical_addresses():
    current = [{'type': 'ip_addr', 'value': '10.1.2.3', 'uuid': 'x'}, {'type': 'tag', 'value': 'web'}]
    desired = [{'type': 'tag', 'value': 'web'}, {'type': 'ip_addr', 'value': '10.1.2.3/32'}]
    assert firewall.rule_changes(desired, current) == ([], [])


def test_rule_changes_lists_added_and_removed():
    current = [{'type': 'tag', 'value': 'old', 'uuid': 'u1'}, {'type': 'k8s', 'value': K8S_ID, 'uuid': 'u2'}]
    added, removed = firewall.rule_changes(RULES, current)
    assert added == [{'type': 'ip_addr', 'value': '203.0.113.0/24'}]
    assert removed == [{'type': 'tag', 'value': 'old'}]


def test_duplicates_are_dropped_keeping_order():
    rules = [{'type': 'tag', 'value': 'b'}, {'type': 'tag', 'value': 'a'}, {'type': 'tag', 'value': 'b'}]
    assert firewall.unique_rules(rules) == [{'type': 'tag', 'value': 'b'}, {'type': 'tag', 'value': 'a'}]


def test_k8s_names_resolve_to_ids_and_unknown_names_fail_listing_clusters():
    clusters = [{'id': K8S_ID, 'name': 'mastodon'}, {'id': 'other', 'name': 'staging'}]
    rules, errors = firewall.resolve_k8s_names([{'type': 'k8s', 'value': 'mastodon'}, {'type': 'tag', 'value': 't'}], clusters)
    assert rules == [{'type': 'k8s', 'value': K8S_ID}, {'type': 'tag', 'value': 't'}] and errors == []
    rules, errors = firewall.resolve_k8s_names([{'type': 'k8s', 'value': 'prod'}], clusters)
    assert "k8s value 'prod'" in errors[0] and 'clusters: mastodon, staging' in errors[0]


# ---------------------------------------------------------------------------------------------
# module runs
# ---------------------------------------------------------------------------------------------

def test_first_run_puts_the_whole_set_once(cloud, cluster):
    result = run(rules=RULES)
    assert result['changed'] is True
    assert cloud.writes == [('PUT', '/v2/databases/%s/firewall' % cluster['id'], {'rules': RULES})]
    assert pairs(result['rules']) == pairs(RULES) and all(r.get('uuid') for r in result['rules'])
    assert result['diff'] == {'before': {'rules': []}, 'after': {'rules': ['ip_addr 203.0.113.0/24', 'k8s %s' % K8S_ID]}}


def test_rerun_in_another_order_makes_no_write_calls(cloud, cluster):
    run(rules=RULES)
    cloud.log.clear()
    result = run(rules=list(reversed(RULES)))
    assert result['changed'] is False and cloud.writes == [] and result['rules_added'] == [] and result['rules_removed'] == []


def test_rule_outside_the_set_is_purged_and_the_diff_lists_it(cloud, cluster):
    for rule in RULES:
        cloud.add_rule(cluster, rule['type'], rule['value'])
    cloud.add_rule(cluster, 'ip_addr', '198.51.100.4')
    result = run(rules=RULES)
    assert result['changed'] is True and result['rules_removed'] == [{'type': 'ip_addr', 'value': '198.51.100.4'}]
    assert 'ip_addr 198.51.100.4' in result['diff']['before']['rules'] and 'ip_addr 198.51.100.4' not in result['diff']['after']['rules']
    assert cloud.writes[0][2] == {'rules': RULES} and pairs(cloud.rules[cluster['id']]) == pairs(RULES)


def test_check_mode_shows_the_change_without_writing(cloud, cluster):
    cloud.add_rule(cluster, 'tag', 'old')
    result = run(check_mode=True, rules=RULES)
    assert result['changed'] is True and cloud.writes == [] and pairs(cloud.rules[cluster['id']]) == [('tag', 'old')]
    assert result['rules_removed'] == [{'type': 'tag', 'value': 'old'}] and pairs(result['rules']) == pairs(RULES)


def test_empty_set_is_refused_without_allow_all(cloud, cluster):
    cloud.add_rule(cluster, 'tag', 'old')
    result = run(rules=[])
    assert result['failed'] and 'accepts connections from anywhere' in result['msg'] and 'allow_all' in result['msg']
    assert cloud.log == []


def test_allow_all_removes_every_rule_then_changes_nothing(cloud, cluster):
    cloud.add_rule(cluster, 'tag', 'old')
    result = run(allow_all=True)
    assert result['changed'] is True and cloud.writes[0][2] == {'rules': []} and cloud.rules[cluster['id']] == []
    cloud.log.clear()
    assert run(allow_all=True)['changed'] is False and cloud.writes == []


def test_allow_all_with_rules_is_contradictory(cloud, cluster):
    result = run(allow_all=True, rules=RULES)
    assert result['failed'] and 'cannot be combined with rules' in result['msg'] and cloud.log == []


def test_invalid_ip_fails_before_any_call(cloud, cluster):
    result = run(rules=[{'type': 'ip_addr', 'value': '2001:db8::1'}])
    assert result['failed'] and "'2001:db8::1' is IPv6" in result['msg'] and cloud.log == []


def test_k8s_cluster_name_is_resolved_through_the_kubernetes_list(cloud, cluster):
    cloud.k8s_clusters.append({'id': K8S_ID, 'name': 'mastodon-tor1'})
    result = run(rules=[{'type': 'k8s', 'value': 'mastodon-tor1'}])
    assert result['changed'] is True and cloud.writes[0][2] == {'rules': [{'type': 'k8s', 'value': K8S_ID}]}
    cloud.log.clear()
    assert run(rules=[{'type': 'k8s', 'value': 'mastodon-tor1'}])['changed'] is False and cloud.writes == []


def test_k8s_ids_need_no_kubernetes_lookup(cloud, cluster):
    run(rules=RULES)
    assert not [p for m, p, b in cloud.log if p.startswith('/v2/kubernetes')]


def test_unknown_k8s_name_fails_before_writing(cloud, cluster):
    result = run(rules=[{'type': 'k8s', 'value': 'nope'}])
    assert result['failed'] and "k8s value 'nope'" in result['msg'] and cloud.writes == []


def test_server_error_on_the_put_is_retried(cloud, cluster):
    cloud.inject('update_rules', cloud.error(503, 'service_unavailable', 'try again'))
    result = run(rules=RULES + [{'type': 'app', 'value': APP_ID}])
    assert result['changed'] is True and [m for m, p, b in cloud.writes] == ['PUT', 'PUT'] and len(cloud.rules[cluster['id']]) == 3


# ---------------------------------------------------------------------------------------------
# cluster_id and a Kubernetes cluster id: one read, of the trusted sources
# ---------------------------------------------------------------------------------------------

def run_by_id(cluster_id, check_mode=False, **args):
    return run_module(firewall.main, dict(args, cluster_id=cluster_id), check_mode=check_mode)


def test_by_ids_rerun_reads_only_the_trusted_sources(cloud, cluster):
    cloud.add_rule(cluster, 'k8s', K8S_ID)
    result = run_by_id(cluster['id'], rules=[{'type': 'k8s', 'value': K8S_ID}])
    assert result['changed'] is False
    assert cloud.log == [('GET', '/v2/databases/%s/firewall' % cluster['id'], None)]


def test_by_id_replaces_the_rules_once(cloud, cluster):
    result = run_by_id(cluster['id'], rules=RULES)
    assert result['changed'] is True and pairs(cloud.rules[cluster['id']]) == pairs(RULES)
    assert [m for m, p, b in cloud.writes] == ['PUT']


def test_by_id_unknown_fails_naming_the_id_before_any_write(cloud, cluster):
    result = run_by_id('00000000-0000-4000-8000-000000000000', rules=RULES)
    assert result['failed'] and "cluster_id '00000000-0000-4000-8000-000000000000'" in result['msg'] and cloud.writes == []
