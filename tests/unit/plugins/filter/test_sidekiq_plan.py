# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sidekiq_plan_problems (one message per broken rule) and sidekiq_plan (commands) as pure functions."""

import copy
import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.fediops.mastodon.plugins.filter.sidekiq_plan import MASTODON_QUEUES, sidekiq_plan, sidekiq_plan_problems
from ansible_collections.fediops.mastodon.plugins.filter import sidekiq_plan_problems as problems_plugin

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def role_default_plan():
    with open(os.path.join(REPO_ROOT, 'roles', 'sidekiq', 'defaults', 'main.yml'), encoding='utf-8') as handle:
        return yaml.safe_load(handle)['sidekiq_processes']


VALID = [
    {'name': 'default', 'queues': ['default', 'ingress'], 'threads': 15, 'replicas': 2},
    {'name': 'federation', 'queues': [['push', 6], {'name': 'pull', 'weight': 2}, ['fasp']], 'threads': 15, 'replicas': 2},
    {'name': 'mailers', 'queues': ['mailers'], 'threads': 5, 'replicas': 1},
    {'name': 'scheduler', 'queues': ['scheduler'], 'threads': 5, 'replicas': 1},
]


def plan_with(change):
    plan = copy.deepcopy(VALID)
    change(plan)
    return plan


def test_the_roles_default_plan_breaks_no_rule():
    assert sidekiq_plan_problems(role_default_plan()) == []


def test_the_roles_default_queues_are_mastodons():
    with open(os.path.join(REPO_ROOT, 'roles', 'sidekiq', 'defaults', 'main.yml'), encoding='utf-8') as handle:
        assert tuple(yaml.safe_load(handle)['sidekiq_queues']) == MASTODON_QUEUES == ('default', 'push', 'ingress', 'mailers', 'pull', 'scheduler', 'fasp')


def test_a_valid_plan_with_weights_breaks_no_rule():
    assert sidekiq_plan_problems(VALID) == []


# Each case breaks exactly one rule, and gets exactly one message naming the process (or queue) and the rule.
@pytest.mark.parametrize('change, message', [
    pytest.param(lambda plan: plan.pop(2),
                 "queue 'mailers' is served by no process (rule: every queue (default, push, ingress, mailers, pull, scheduler, fasp) "
                 "is served by some process)", id='missing-queue'),
    pytest.param(lambda plan: plan[2]['queues'].append('scheduler'),
                 "queue 'scheduler' is served by 2 processes (process 'mailers', process 'scheduler') (rule: scheduler in exactly one process, "
                 "or scheduled jobs run more than once)", id='two-schedulers'),
    pytest.param(lambda plan: plan[3].update(replicas=2),
                 "process 'scheduler': serves 'scheduler' with 2 replicas (rule: the scheduler process has exactly 1 replica)",
                 id='scheduler-with-two-replicas'),
    pytest.param(lambda plan: plan[0].update(threads=40),
                 "process 'default': threads 40 is out of range (rule: threads between 1 and 25; beyond about 20 threads a Sidekiq process "
                 "only burns CPU and database connections, so add a process or replicas instead)", id='forty-threads'),
    pytest.param(lambda plan: plan[2]['queues'].append('emails'),
                 "process 'mailers': unknown queue 'emails' (rule: queues are Mastodon's: default, push, ingress, mailers, pull, scheduler, fasp)",
                 id='unknown-queue'),
    pytest.param(lambda plan: plan.append({'name': 'default', 'queues': ['push'], 'threads': 5}),
                 "process 'default': duplicate process name (rule: process names are unique; it is also process #1)", id='duplicate-name'),
    pytest.param(lambda plan: plan[0]['queues'].append('default'),
                 "process 'default': queue 'default' is listed twice (rule: a queue appears once per process; Sidekiq refuses duplicates)",
                 id='queue-twice-in-a-process'),
    pytest.param(lambda plan: plan[1]['queues'].__setitem__(0, ['push', 0]),
                 "process 'federation': queue 'push' has weight 0 (rule: a weight is a whole number of at least 1)", id='zero-weight'),
    pytest.param(lambda plan: plan[1].update(replicas=0),
                 "process 'federation': replicas 0 is invalid (rule: at least 1 replica; remove the process to stop it)", id='zero-replicas'),
    pytest.param(lambda plan: plan[0].update(threads=0),
                 "process 'default': threads 0 is out of range (rule: threads between 1 and 25; beyond about 20 threads a Sidekiq process "
                 "only burns CPU and database connections, so add a process or replicas instead)", id='zero-threads'),
    pytest.param(lambda plan: plan.append({'name': 'Extra_Workers', 'queues': ['push']}),
                 "process 'Extra_Workers': invalid name (rule: a name is 1-40 lowercase letters, digits and dashes, starting and ending with a "
                 "letter or digit)", id='invalid-name'),
    pytest.param(lambda plan: plan.append({'name': 'idle', 'queues': []}),
                 "process 'idle': queues must be a non-empty list (rule: every process serves at least one queue)", id='no-queues'),
    pytest.param(lambda plan: plan[2]['queues'].append({'queue': 'push'}),
                 "process 'mailers': a queue given as a dictionary needs name and an optional weight, got {'queue': 'push'}", id='bad-queue-entry'),
])
def test_each_broken_rule_has_its_own_message(change, message):
    assert sidekiq_plan_problems(plan_with(change)) == [message]


def test_every_broken_rule_is_reported_at_once():
    plan = plan_with(lambda plan: (plan[0].update(threads=40), plan[3].update(replicas=3), plan[2]['queues'].__setitem__(0, 'emails')))
    problems = sidekiq_plan_problems(plan)
    assert len(problems) == 4
    assert any("'default': threads 40" in problem for problem in problems)
    assert any("'scheduler': serves 'scheduler' with 3 replicas" in problem for problem in problems)
    assert any("unknown queue 'emails'" in problem for problem in problems)
    assert any("queue 'mailers' is served by no process" in problem for problem in problems)


def test_a_plan_without_processes_is_refused():
    assert sidekiq_plan_problems([]) == ['the plan has no processes (rule: every queue (default, push, ingress, mailers, pull, scheduler, fasp) '
                                         'is served by some process)']


def test_known_queues_and_max_threads_can_follow_a_newer_mastodon():
    plan = plan_with(lambda plan: (plan[2]['queues'].append('search'), plan[0].update(threads=30)))
    assert sidekiq_plan_problems(plan, known_queues=list(MASTODON_QUEUES) + ['search'], max_threads=30) == []
    assert sidekiq_plan_problems(plan_with(lambda plan: None), known_queues=list(MASTODON_QUEUES) + ['search']) == [
        "queue 'search' is served by no process (rule: every queue (default, push, ingress, mailers, pull, scheduler, fasp, search) "
        "is served by some process)"]


def test_the_plan_builds_each_processs_command_with_weights_and_db_pool():
    plan = sidekiq_plan(VALID)
    assert [process['command'] for process in plan] == [
        ['bundle', 'exec', 'sidekiq', '-c', '15', '-q', 'default', '-q', 'ingress'],
        ['bundle', 'exec', 'sidekiq', '-c', '15', '-q', 'push,6', '-q', 'pull,2', '-q', 'fasp'],
        ['bundle', 'exec', 'sidekiq', '-c', '5', '-q', 'mailers'],
        ['bundle', 'exec', 'sidekiq', '-c', '5', '-q', 'scheduler'],
    ]
    assert [process['weighted'] for process in plan] == [False, True, False, False]
    assert [process['scheduler'] for process in plan] == [False, False, False, True]
    assert plan[1]['queues'] == [{'name': 'push', 'weight': 6}, {'name': 'pull', 'weight': 2}, {'name': 'fasp', 'weight': None}]
    assert plan[1]['queue_names'] == ['push', 'pull', 'fasp']


def test_the_plan_applies_the_roles_defaults_and_keeps_other_keys():
    plan = sidekiq_plan([{'name': 'all', 'queues': ['default'], 'resources': {'requests': {'cpu': '1'}}}])
    assert plan[0]['threads'] == 5 and plan[0]['replicas'] == 1 and plan[0]['resources'] == {'requests': {'cpu': '1'}}
    assert plan[0]['command'] == ['bundle', 'exec', 'sidekiq', '-c', '5', '-q', 'default']


def test_the_plan_refuses_a_structurally_invalid_plan():
    with pytest.raises(AnsibleFilterError) as error:
        sidekiq_plan([{'name': 'x', 'queues': [['push', 'high']]}])
    assert "queue 'push' has weight 'high'" in str(error.value)


def test_the_problems_filter_has_its_own_plugin_file():
    assert problems_plugin.FilterModule().filters() == {'sidekiq_plan_problems': sidekiq_plan_problems}
