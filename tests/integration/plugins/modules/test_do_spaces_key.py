# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fediops.mastodon.do_spaces_key through ansible-playbook against the sandbox's DigitalOcean emulator."""

from __future__ import annotations

MEDIA_RW = {'bucket': 'mastodon-media', 'permission': 'readwrite'}
BACKUPS_R = {'bucket': 'mastodon-backups', 'permission': 'read'}
BACKUPS_RW = {'bucket': 'mastodon-backups', 'permission': 'readwrite'}


def key_task(task_name='key', no_log=None, **args):
    args = dict({'name': 'mastodon', 'grants': [MEDIA_RW, BACKUPS_R]}, **args)
    task = {'name': task_name, 'fediops.mastodon.do_spaces_key': {k: v for k, v in args.items() if v is not None}, 'register': 'out'}
    if no_log is not None:
        task['no_log'] = no_log
    return task


def keep_secret(path):
    """A task writing the registered secret to a file (so the test can see what the play could use)."""
    return {'name': 'keep the secret', 'ansible.builtin.copy': {'content': '{{ out.key.secret_key }}', 'dest': path, 'mode': '0600'},
            'no_log': True}


def keys(emulator):
    return emulator.state()['spaces_keys']


def writes(emulator):
    return [(entry['method'], entry['operation_id']) for entry in emulator.requests() if entry['write']]


def test_lifecycle_secret_once_rerun_refused_grant_change_replacement_delete(do_emulator, playbook, tmp_path):
    secret_file = str(tmp_path / 'secret')
    created = playbook.run([key_task(no_log=True), keep_secret(secret_file)])
    assert created.rc == 0, created.stdout
    [stored] = keys(do_emulator)
    with open(secret_file, encoding='utf-8') as handle:
        assert handle.read() == stored['secret_key']  # usable by the play, with no_log: true on the task
    first = stored['access_key']

    do_emulator.clear_requests()
    rerun = playbook.run([key_task(grants=[BACKUPS_R, MEDIA_RW])])
    assert rerun.rc == 0 and rerun.changed == 0, rerun.stdout
    assert 'secret_key' not in rerun.task('key')['key']  # DigitalOcean shows it only once
    assert writes(do_emulator) == []

    refused = playbook.run([key_task(grants=[MEDIA_RW, BACKUPS_RW])])
    assert refused.rc != 0
    result = refused.task('key')
    assert 'Nothing was changed' in result['msg'] and 'replace_on_grant_change=true' in result['msg']
    assert 'mastodon-backups:read' in result['msg'] and 'mastodon-backups:readwrite' in result['msg']
    assert result['grant_changes'] == {'added': [BACKUPS_RW], 'removed': [BACKUPS_R]}
    checked = playbook.run([key_task(grants=[MEDIA_RW, BACKUPS_RW], replace_on_grant_change=True)], check=True, diff=True)
    assert checked.rc == 0 and checked.task('key')['changed'] is True, checked.stdout
    assert checked.task('key')['replaced_access_key'] == first
    assert writes(do_emulator) == [] and [k['access_key'] for k in keys(do_emulator)] == [first]

    replaced = playbook.run([key_task(grants=[MEDIA_RW, BACKUPS_RW], replace_on_grant_change=True, no_log=True), keep_secret(secret_file)])
    assert replaced.rc == 0, replaced.stdout
    [new] = keys(do_emulator)
    assert new['access_key'] != first and new['name'] == 'mastodon'
    assert sorted(g['permission'] for g in new['grants']) == ['readwrite', 'readwrite']
    with open(secret_file, encoding='utf-8') as handle:
        assert handle.read() == new['secret_key']
    assert writes(do_emulator) == [('POST', 'spacesKey_create'), ('DELETE', 'spacesKey_delete')]  # new key first, then the old one

    deleted = playbook.run([key_task(state='absent')])
    assert deleted.rc == 0 and deleted.task('key')['changed'] is True, deleted.stdout
    assert keys(do_emulator) == []
    do_emulator.clear_requests()
    again = playbook.run([key_task(state='absent')])
    assert again.rc == 0 and again.changed == 0, again.stdout
    assert writes(do_emulator) == []


def test_secret_never_appears_in_verbose_output(do_emulator, playbook):
    run = playbook.run([key_task(), {'name': 'show', 'ansible.builtin.debug': {'var': 'out'}}], text=True, verbosity=4, diff=True)
    assert run.rc == 0, run.stdout
    [stored] = keys(do_emulator)
    assert stored['secret_key'] not in run.stdout + run.stderr
    assert stored['access_key'] in run.stdout  # the access key id is not a secret


def test_check_mode_create_makes_no_write(do_emulator, playbook):
    run = playbook.run([key_task()], check=True, diff=True)
    assert run.rc == 0 and run.task('key')['changed'] is True, run.stdout
    assert run.task('key')['diff']['after']['grants'] == [BACKUPS_R, MEDIA_RW]
    assert writes(do_emulator) == [] and keys(do_emulator) == []


def test_full_access_and_invalid_grants(do_emulator, playbook):
    run = playbook.run([key_task(name='operator', grants=[{'permission': 'fullaccess'}])])
    assert run.rc == 0, run.stdout
    assert keys(do_emulator)[0]['grants'] == [{'bucket': '', 'permission': 'fullaccess'}]
    do_emulator.clear_requests()
    for grants, words in (([{'permission': 'fullaccess'}, MEDIA_RW], 'fullaccess cannot be mixed'),
                          ([{'bucket': 'Bad_Bucket', 'permission': 'read'}], "grants[0].bucket 'Bad_Bucket' is not a valid Spaces bucket name"),
                          ([MEDIA_RW, {'bucket': 'mastodon-media', 'permission': 'read'}], 'more than one permission')):
        run = playbook.run([key_task(name='bad', grants=grants)])
        assert run.rc != 0
        assert words in run.task('key')['msg'], run.task('key')['msg']
    assert writes(do_emulator) == []


def test_lost_create_response_and_faults_leave_one_key_whose_secret_is_returned(do_emulator, playbook, tmp_path):
    do_emulator.add_fault(kind='response_lost', method='POST', path='/v2/spaces/keys', count=1)
    do_emulator.add_fault(kind='429', method='GET', path='/v2/spaces/keys', count=1, retry_after=1)
    do_emulator.add_fault(kind='5xx', method='GET', path='/v2/spaces/keys', count=1, status=503)
    secret_file = str(tmp_path / 'secret')
    run = playbook.run([key_task(no_log=True), keep_secret(secret_file)])
    assert run.rc == 0, run.stdout
    [stored] = keys(do_emulator)
    with open(secret_file, encoding='utf-8') as handle:
        assert handle.read() == stored['secret_key']
    # the key whose secret was lost in transit is deleted and created again
    assert writes(do_emulator) == [('POST', 'spacesKey_create'), ('DELETE', 'spacesKey_delete'), ('POST', 'spacesKey_create')]


def test_rename_by_access_key(do_emulator, playbook):
    assert playbook.run([key_task()]).rc == 0
    access_key = keys(do_emulator)[0]['access_key']
    do_emulator.clear_requests()
    run = playbook.run([key_task(name='mastodon-media', access_key=access_key, grants=None)])
    assert run.rc == 0 and run.task('key')['changed'] is True, run.stdout
    assert writes(do_emulator) == [('PATCH', 'spacesKey_patch')]
    assert keys(do_emulator)[0]['name'] == 'mastodon-media'
