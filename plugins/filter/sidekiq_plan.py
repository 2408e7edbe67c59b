# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: sidekiq_plan
short_description: Normalise a plan of Mastodon Sidekiq processes and build each process's command
version_added: 0.1.0
author:
  - fediops.mastodon contributors (@fediops)
description:
  - Turns the C(sidekiq) role's C(sidekiq_processes) into a list of processes with their queues as
    C({name, weight}) dictionaries, their C(threads) and C(replicas) (defaults applied) and the command that
    starts them, C(bundle exec sidekiq -c <threads> -q <queue>[,<weight>] ...).
  - A queue is given as its name (C(push)), as C([name, weight]) (C([push, 6])) or as C({name, weight}).
    Without weights a process takes its queues in strict order, the first queue always first; with weights
    Sidekiq picks queues at random in proportion to them (a queue without a weight then counts 1).
  - Validate the plan with P(fediops.mastodon.sidekiq_plan_problems#filter) first; this filter assumes a valid plan.
positional: _input
options:
  _input:
    description: The processes, each a dictionary with C(name), C(queues), C(threads) (default 5) and C(replicas) (default 1).
    type: list
    elements: dict
    required: true
'''

EXAMPLES = r'''
- name: Commands of the processes
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.command | join(' ') }}"
  loop: >-
    {{ [{'name': 'default', 'queues': [['default', 8], ['ingress', 4]], 'threads': 15, 'replicas': 2}]
       | fediops.mastodon.sidekiq_plan }}
# default: bundle exec sidekiq -c 15 -q default,8 -q ingress,4
'''

RETURN = r'''
_value:
  description: The processes, in the order given.
  type: list
  elements: dict
  contains:
    name:
      description: Name of the process.
      type: str
    queues:
      description: The queues as C({name, weight}); C(weight) is null when not given.
      type: list
      elements: dict
    queue_names:
      description: The queue names in order.
      type: list
      elements: str
    weighted:
      description: Whether any queue of the process has a weight (weighted random order instead of strict order).
      type: bool
    threads:
      description: Sidekiq concurrency, also the process's E(DB_POOL).
      type: int
    replicas:
      description: Number of pods.
      type: int
    command:
      description: The container command, C([bundle, exec, sidekiq, -c, <threads>, -q, <queue>[,<weight>], ...]).
      type: list
      elements: str
    scheduler:
      description: Whether the process serves the C(scheduler) queue.
      type: bool
'''

import re

from ansible.errors import AnsibleFilterError

# Mastodon 4.7's queues (config/sidekiq.yml), in its own order of priority.
MASTODON_QUEUES = ('default', 'push', 'ingress', 'mailers', 'pull', 'scheduler', 'fasp')
SCHEDULER_QUEUE = 'scheduler'
MIN_THREADS = 1
MAX_THREADS = 25
DEFAULT_THREADS = 5
DEFAULT_REPLICAS = 1
# The process name ends up in a Deployment name (<mastodon_name>-sidekiq-<name>) and a label value.
PROCESS_NAME = re.compile(r'^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$')


def _queue_entry(entry):
    """(name, weight, error) for one queue entry as given: a name, [name], [name, weight] or {name, weight}."""
    if isinstance(entry, str):
        return entry, None, None
    if isinstance(entry, dict):
        unknown = sorted(set(entry) - {'name', 'weight'})
        if unknown or 'name' not in entry:
            return None, None, 'a queue given as a dictionary needs name and an optional weight, got %r' % (entry,)
        return entry['name'], entry.get('weight'), None
    if isinstance(entry, (list, tuple)) and 1 <= len(entry) <= 2:
        return entry[0], (entry[1] if len(entry) == 2 else None), None
    return None, None, 'a queue is a name, [name, weight] or {name: ..., weight: ...}, got %r' % (entry,)


def _whole(value):
    """The int value of a whole number (int, or text of digits), else None; booleans are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r'^\s*-?\d+\s*$', value):
        return int(value)
    return None


def _process_label(process, index):
    name = process.get('name') if isinstance(process, dict) else None
    return "process %r" % name if name else 'process #%d' % (index + 1)


def _queue_problems(label, queues, known):
    """Problems of one process's queue list and the valid queue names in order; ``known=None`` accepts any name."""
    problems = []
    if not isinstance(queues, (list, tuple)) or not queues:
        return ['%s: queues must be a non-empty list (rule: every process serves at least one queue)' % label], []
    names = []
    for entry in queues:
        name, weight, error = _queue_entry(entry)
        if error:
            problems.append('%s: %s' % (label, error))
            continue
        if not isinstance(name, str) or not name or (known is not None and name not in known):
            problems.append("%s: unknown queue %r (rule: queues are Mastodon's: %s)" % (label, name, ', '.join(known or MASTODON_QUEUES)))
            continue
        if name in names:
            problems.append('%s: queue %r is listed twice (rule: a queue appears once per process; Sidekiq refuses duplicates)' % (label, name))
            continue
        if weight is not None and (_whole(weight) is None or _whole(weight) < 1):
            problems.append('%s: queue %r has weight %r (rule: a weight is a whole number of at least 1)' % (label, name, weight))
        names.append(name)
    return problems, names


def _process_problems(processes, known, max_threads):
    """Problems of each process on its own, and {queue: [(label, replicas)]} of the queues the processes serve."""
    problems = []
    seen = {}
    served = {}
    for index, process in enumerate(processes):
        label = _process_label(process, index)
        if not isinstance(process, dict):
            problems.append('%s: must be a dictionary with name, queues, threads and replicas, got %r' % (label, process))
            continue
        name = process.get('name')
        if not isinstance(name, str) or not PROCESS_NAME.match(name):
            problems.append('%s: invalid name (rule: a name is 1-40 lowercase letters, digits and dashes, starting and ending with a letter or digit)'
                            % label)
        elif name in seen:
            problems.append('%s: duplicate process name (rule: process names are unique; it is also process #%d)' % (label, seen[name] + 1))
        else:
            seen[name] = index
        threads = _whole(process.get('threads', DEFAULT_THREADS))
        if threads is None or not MIN_THREADS <= threads <= max_threads:
            problems.append('%s: threads %r is out of range (rule: threads between %d and %d; beyond about 20 threads a Sidekiq process only '
                            'burns CPU and database connections, so add a process or replicas instead)'
                            % (label, process.get('threads'), MIN_THREADS, max_threads))
        replicas = _whole(process.get('replicas', DEFAULT_REPLICAS))
        if replicas is None or replicas < 1:
            problems.append('%s: replicas %r is invalid (rule: at least 1 replica; remove the process to stop it)' % (label, process.get('replicas')))
        queue_problems, names = _queue_problems(label, process.get('queues'), known)
        problems.extend(queue_problems)
        for queue in names:
            served.setdefault(queue, []).append((label, replicas))
    return problems, served


def sidekiq_plan_problems(processes, known_queues=MASTODON_QUEUES, max_threads=MAX_THREADS):
    """Every rule the plan breaks, one message each naming the process and the rule; [] for a valid plan."""
    known = tuple(known_queues)
    if not isinstance(processes, (list, tuple)) or not processes:
        return ['the plan has no processes (rule: every queue (%s) is served by some process)' % ', '.join(known)]
    problems, served = _process_problems(processes, known, max_threads)
    for queue in known:
        if queue not in served:
            problems.append('queue %r is served by no process (rule: every queue (%s) is served by some process)' % (queue, ', '.join(known)))
    schedulers = served.get(SCHEDULER_QUEUE, [])
    if len(schedulers) > 1:
        problems.append("queue 'scheduler' is served by %d processes (%s) (rule: scheduler in exactly one process, or scheduled jobs run more than once)"
                        % (len(schedulers), ', '.join(label for label, _replicas in schedulers)))
    for label, replicas in schedulers:
        if replicas is not None and replicas != 1:
            problems.append("%s: serves 'scheduler' with %d replicas (rule: the scheduler process has exactly 1 replica)" % (label, replicas))
    return problems


def sidekiq_plan(processes):
    """The processes with queues as {name, weight}, defaults applied and their command (see DOCUMENTATION)."""
    if not isinstance(processes, (list, tuple)):
        raise AnsibleFilterError('sidekiq_plan: the input must be the list of processes, got %r' % (processes,))
    problems, _served = _process_problems(processes, None, MAX_THREADS)
    if problems:
        raise AnsibleFilterError('sidekiq_plan: invalid plan (check it with sidekiq_plan_problems first): %s' % '; '.join(problems))
    plan = []
    for process in processes:
        queues = []
        for entry in process['queues']:
            name, weight, _error = _queue_entry(entry)
            queues.append({'name': name, 'weight': _whole(weight) if weight is not None else None})
        threads = _whole(process.get('threads', DEFAULT_THREADS))
        command = ['bundle', 'exec', 'sidekiq', '-c', str(threads)]
        for queue in queues:
            command += ['-q', queue['name'] if queue['weight'] is None else '%s,%d' % (queue['name'], queue['weight'])]
        normalised = dict(process)
        normalised.update({
            'queues': queues,
            'queue_names': [queue['name'] for queue in queues],
            'weighted': any(queue['weight'] is not None for queue in queues),
            'threads': threads,
            'replicas': _whole(process.get('replicas', DEFAULT_REPLICAS)),
            'command': command,
            'scheduler': any(queue['name'] == SCHEDULER_QUEUE for queue in queues),
        })
        plan.append(normalised)
    return plan


class FilterModule(object):
    """fediops.mastodon.sidekiq_plan (sidekiq_plan_problems has its own file, for its documentation)"""

    def filters(self):
        return {'sidekiq_plan': sidekiq_plan}
