# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: sidekiq_plan_problems
short_description: List every rule a plan of Mastodon Sidekiq processes breaks
version_added: 0.1.0
author:
  - fediops.mastodon contributors (@fediops)
description:
  - Checks the C(sidekiq) role's C(sidekiq_processes) and returns one message per broken rule, each naming
    the process (or the queue) and the rule. An empty list means the plan is valid.
  - "The rules: every queue of O(known_queues) is served by some process; C(scheduler) is in exactly one
    process and that process has exactly one replica (scheduled jobs would otherwise run more than once);
    threads are between 1 and O(max_threads) (beyond about 20 threads a Sidekiq process only burns CPU and
    database connections: add processes or replicas instead); queue names are known; a queue appears once
    per process; weights are whole numbers of at least 1; process names are unique, 1-40 lowercase letters,
    digits and dashes; every process has at least one replica and one queue."
  - P(fediops.mastodon.sidekiq_plan#filter) then turns a valid plan into commands.
positional: _input
options:
  _input:
    description: The processes, each a dictionary with C(name), C(queues), C(threads) (default 5) and C(replicas) (default 1).
    type: list
    elements: dict
    required: true
  known_queues:
    description:
      - Every queue the application has; each must be served and no other is accepted.
      - Mastodon 4.7's queues (C(config/sidekiq.yml)) by default.
    type: list
    elements: str
    default: [default, push, ingress, mailers, pull, scheduler, fasp]
  max_threads:
    description: Most threads (Sidekiq concurrency) a process may have.
    type: int
    default: 25
'''

EXAMPLES = r'''
- name: Refuse a plan that breaks a rule, before anything is applied
  vars:
    problems: "{{ sidekiq_processes | fediops.mastodon.sidekiq_plan_problems }}"
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
    quiet: true

# [{'name': 'all', 'queues': ['default', 'push'], 'threads': 40}] | fediops.mastodon.sidekiq_plan_problems
# -> ["process 'all': threads 40 is out of range (rule: threads between 1 and 25; ...)",
#     "queue 'ingress' is served by no process (rule: every queue (...) is served by some process)", ...]
'''

RETURN = r'''
_value:
  description: One message per broken rule; empty when the plan is valid.
  type: list
  elements: str
'''

from ansible_collections.fediops.mastodon.plugins.filter.sidekiq_plan import sidekiq_plan_problems


class FilterModule(object):
    """fediops.mastodon.sidekiq_plan_problems"""

    def filters(self):
        return {'sidekiq_plan_problems': sidekiq_plan_problems}
