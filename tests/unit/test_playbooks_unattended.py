# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every playbook runs unattended (AWX, Semaphore, CI): no vars_prompt, no interactive pause."""

from __future__ import annotations

import glob
import os

import pytest
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOKS = sorted(glob.glob(os.path.join(REPO_ROOT, 'playbooks', '*.yml')))
TASK_LISTS = ('tasks', 'pre_tasks', 'post_tasks', 'handlers', 'block', 'rescue', 'always')
PAUSE = {'pause', 'ansible.builtin.pause', 'ansible.legacy.pause'}


def prompts(node, where):
    """Yield a description of each vars_prompt and each pause that waits for input (a prompt or no duration)."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from prompts(item, '%s[%d]' % (where, index))
    elif isinstance(node, dict):
        if node.get('vars_prompt'):
            yield '%s: vars_prompt' % where
        for key in PAUSE & set(node):
            args = node[key] if isinstance(node[key], dict) else {}
            if 'prompt' in args or not ({'seconds', 'minutes'} & set(args)):
                yield '%s: %s waits for input' % (where, key)
        for key in TASK_LISTS:
            if key in node:
                yield from prompts(node[key], '%s.%s' % (where, key))


def test_there_are_playbooks():
    assert os.path.join(REPO_ROOT, 'playbooks', 'destroy.yml') in PLAYBOOKS


@pytest.mark.parametrize('path', PLAYBOOKS, ids=os.path.basename)
def test_playbook_never_prompts(path):
    with open(path, encoding='utf-8') as handle:
        plays = yaml.safe_load(handle)
    found = list(prompts(plays, os.path.basename(path)))
    assert not found, found


def test_the_check_finds_a_prompt():
    plays = [{'hosts': 'all', 'vars_prompt': [{'name': 'confirm'}],
              'tasks': [{'block': [{'ansible.builtin.pause': {'prompt': 'sure?'}}]}, {'pause': {'seconds': 5}}]}]
    assert list(prompts(plays, 'p')) == ['p[0]: vars_prompt', 'p[0].tasks[0].block[0]: ansible.builtin.pause waits for input']
