#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_spaces_key
short_description: Manage DigitalOcean Spaces access keys and their bucket grants
version_added: 0.1.0
description:
  - Make sure a Spaces access key exists, found by its name, with per-bucket grants (V(read), V(readwrite))
    or full access to every bucket (V(fullaccess)).
  - DigitalOcean returns the secret key only once, when the key is created; the module returns it then
    (RV(key.secret_key)) and never again. Store it right away, for example in a Kubernetes Secret.
  - DigitalOcean can only rename a key; its grants cannot change. When the grants differ, the module fails
    and changes nothing, saying what would change, unless O(replace_on_grant_change=true), with which it
    creates a new key with the same name and the new grants first (returning its secret), and deletes the old
    key after. Whatever used the old key must get the new one.
  - Every input is validated before any call that changes something.
author:
  - fediops.mastodon contributors (@fediops)
options:
  name:
    description:
      - Name of the key. Names need not be unique at DigitalOcean; the module manages the one key of that name
        (several keys of one name fail the task, except to finish an interrupted replacement).
    type: str
    required: true
  state:
    description:
      - V(present) makes sure the key exists with O(grants); V(absent) deletes every key of that name (or the key
        O(access_key)).
    type: str
    choices: [present, absent]
    default: present
  grants:
    description:
      - Every grant of the key, compared as a set. A V(fullaccess) grant covers every bucket and stands alone.
      - Omit to leave the grants of an existing key unchecked (a new key then has no grants).
    type: list
    elements: dict
    suboptions:
      bucket:
        description:
          - Name of the bucket. Omit (or V("")) for V(fullaccess).
        type: str
      permission:
        description:
          - What the key may do in the bucket.
        type: str
        choices: [read, readwrite, fullaccess]
        required: true
  replace_on_grant_change:
    description:
      - When the existing key has other grants, create a key with the new grants (same name) and then delete the
        old one. The new secret is returned; the old key stops working.
      - When false, different grants fail the task and nothing is changed.
    type: bool
    default: false
  access_key:
    description:
      - The access key id of the key to manage, when it is known. The key is found by it instead of by name,
        and renamed to O(name) when its name differs (the one change DigitalOcean allows in place).
      - The access key id is not a secret (the secret key is).
    type: str
extends_documentation_fragment:
  - fediops.mastodon.digitalocean
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.DIGITALOCEAN
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
'''

EXAMPLES = r'''
- name: Key for Mastodon's media bucket (read-write) and the backups bucket (read)
  fediops.mastodon.do_spaces_key:
    name: mastodon
    grants:
      - bucket: mastodon-media
        permission: readwrite
      - bucket: mastodon-backups
        permission: read
  register: spaces_key
  no_log: true  # only then is key.secret_key returned in clear

- name: Keep the secret (only returned when the key was created)
  ansible.builtin.copy:
    content: "{{ spaces_key.key.secret_key }}"
    dest: /etc/mastodon/spaces-secret
    mode: "0600"
  when: spaces_key.key.secret_key is defined
  no_log: true

- name: Give the key write access to the backups too (a new key replaces the old one)
  fediops.mastodon.do_spaces_key:
    name: mastodon
    grants:
      - {bucket: mastodon-media, permission: readwrite}
      - {bucket: mastodon-backups, permission: readwrite}
    replace_on_grant_change: true
  register: spaces_key
  no_log: true

- name: Full access key for an operator
  fediops.mastodon.do_spaces_key:
    name: operator
    grants:
      - permission: fullaccess
'''

RETURN = r'''
key:
  description:
    - The key as DigitalOcean returns it. With O(state=absent), the key that was deleted (the last one when
      several had the name), or V({}).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the key.
      type: str
      sample: mastodon
    access_key:
      description: The access key id (not a secret).
      type: str
      sample: DO00QWERTYUIOPASDFGH
    secret_key:
      description:
        - The secret key. B(Returned only when the key was created by this task) (also by a replacement).
        - Masked unless the task runs with C(no_log=true).
      type: str
      returned: when the key was created
      sample: "********"
    grants:
      description: Grants of the key.
      type: list
      elements: dict
      sample: [{"bucket": "mastodon-media", "permission": "readwrite"}]
    created_at:
      description: When the key was created (ISO 8601).
      type: str
      sample: "2026-03-13T19:20:47Z"
replaced_access_key:
  description: The access key id of the key deleted because its grants changed (O(replace_on_grant_change=true)).
  returned: when a key was replaced
  type: str
  sample: DO00ZXCVBNMLKJHGFDSA
grant_changes:
  description: Grants that were (or, when the task failed or ran in check mode, would be) added and removed.
  returned: when the grants of an existing key differ
  type: dict
  sample: {"added": [{"bucket": "mastodon-backups", "permission": "readwrite"}], "removed": [{"bucket": "mastodon-backups", "permission": "read"}]}
'''

from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanModule
from ansible_collections.fediops.mastodon.plugins.module_utils.spaces import bucket_name_error

PERMISSIONS = ('read', 'readwrite', 'fullaccess')


def normalize_grants(grants):
    """Grants as a sorted list of ``{bucket, permission}`` (a full-access grant's bucket is ``""``), once each."""
    unique = set()
    for grant in grants or []:
        permission = grant.get('permission')
        unique.add(('' if permission == 'fullaccess' else grant.get('bucket') or '', permission))
    return [{'bucket': bucket, 'permission': permission} for bucket, permission in sorted(unique)]


def grant_errors(grants):
    """Every problem with the grants, naming the grant, the value and what is allowed."""
    errors = []
    for index, grant in enumerate(grants or []):
        where = 'grants[%d]' % index
        if grant.get('permission') == 'fullaccess':
            if grant.get('bucket'):
                errors.append('%s: a fullaccess grant covers every bucket; omit bucket (got %r)' % (where, grant['bucket']))
        elif grant.get('permission') not in PERMISSIONS:
            errors.append('%s.permission %r is not allowed; allowed: %s' % (where, grant.get('permission'), ', '.join(PERMISSIONS)))
        else:
            error = bucket_name_error(grant.get('bucket'), '%s.bucket' % where)
            if error:
                errors.append(error)
    if errors:
        return errors
    normalized = normalize_grants(grants)
    if any(grant['permission'] == 'fullaccess' for grant in normalized) and len(normalized) > 1:
        errors.append('grants: fullaccess cannot be mixed with per-bucket grants (DigitalOcean refuses it); use one or the other')
    buckets = [grant['bucket'] for grant in normalized]
    twice = sorted(set(bucket for bucket in buckets if buckets.count(bucket) > 1))
    if twice:
        errors.append('grants: bucket %s has more than one permission; allowed: one grant per bucket' % ', '.join(twice))
    return errors


def grant_changes(desired, current):
    """``{added, removed}`` between two grant lists (compared as sets)."""
    wanted, have = normalize_grants(desired), normalize_grants(current)
    return {'added': [g for g in wanted if g not in have], 'removed': [g for g in have if g not in wanted]}


def describe_grants(grants):
    return ', '.join('%s:%s' % (grant['bucket'] or '*', grant['permission']) for grant in normalize_grants(grants)) or 'none'


def protect(module, key):
    """Keep the secret out of Ansible's output unless the whole task is no_log (then it is returned usable)."""
    if key.get('secret_key') and not module.no_log:
        module.no_log_values.add(key['secret_key'])


def keys_named(module, name):
    keys = module.paginate('list Spaces keys', module.client.spaces_key.list, 'keys', name=name)
    return [key for key in keys if key.get('name') == name]


def get_key(module, access_key):
    body = module.get_or_none('get Spaces key %s' % access_key, module.client.spaces_key.get, access_key)
    if not body:
        return None
    if isinstance(body.get('key'), dict):
        return body['key']
    keys = body.get('keys') or []  # the contract's schema names a list
    return keys[0] if keys else None


def create_key(module, grants, exclude=None):
    """Create the key; a key found after a lost response has no secret, so it is deleted and created again (once)."""
    name = module.params['name']
    body = {'name': name, 'grants': grants}

    def lookup():
        found = [key for key in keys_named(module, name) if key['access_key'] != exclude and normalize_grants(key.get('grants')) == grants]
        return found[0] if found else None

    for dummy in range(2):
        key = module.create_with_lookup('create Spaces key %s' % name, module.client.spaces_key.create, body, lookup=lookup, key='key')
        if key.get('secret_key'):
            return key
        # Created, but the answer with its only copy of the secret was lost: start again.
        module.delete('delete Spaces key %s (its secret was lost in transit)' % key['access_key'], module.client.spaces_key.delete, key['access_key'])
    module.fail_json(msg='create Spaces key %s: the answer carrying the secret key was lost twice; no key was left behind' % name)


def ensure_present(module, keys):
    params = module.params
    grants = None if params['grants'] is None else normalize_grants(params['grants'])
    result = {}
    if len(keys) > 1:
        matching = [key for key in keys if grants is not None and normalize_grants(key.get('grants')) == grants]
        if not (params['replace_on_grant_change'] and len(matching) == 1):
            module.fail_json(msg='Nothing was changed: %d Spaces keys are named %r (%s); give access_key to pick one' % (
                len(keys), params['name'], ', '.join('%s: %s' % (k['access_key'], describe_grants(k.get('grants'))) for k in keys)))
        # An interrupted replacement: the new key exists, the old one was not deleted yet.
        for key in keys:
            if key is not matching[0] and not module.check_mode:
                module.delete('delete replaced Spaces key %s' % key['access_key'], module.client.spaces_key.delete, key['access_key'])
        result['replaced_access_key'] = ', '.join(key['access_key'] for key in keys if key is not matching[0])
        return True, matching[0], result
    if not keys:
        body = {'name': params['name'], 'grants': grants or []}
        if module.check_mode:
            return True, body, result
        return True, create_key(module, grants or []), result

    current = keys[0]
    if grants is not None and normalize_grants(current.get('grants')) != grants:
        result['grant_changes'] = grant_changes(grants, current.get('grants'))
        if not params['replace_on_grant_change']:
            module.fail_json(msg='Nothing was changed: Spaces key %s (%s) has the grants %s, not %s. DigitalOcean cannot change the '
                                 'grants of a key; set replace_on_grant_change=true to create a new key with these grants (a new '
                                 'secret) and delete this one.' % (params['name'], current['access_key'],
                                                                   describe_grants(current.get('grants')), describe_grants(grants)), **result)
        result['replaced_access_key'] = current['access_key']
        if module.check_mode:
            return True, {'name': params['name'], 'grants': grants}, result
        key = create_key(module, grants, exclude=current['access_key'])
        module.delete('delete replaced Spaces key %s' % current['access_key'], module.client.spaces_key.delete, current['access_key'])
        return True, key, result
    if current['name'] != params['name']:
        if module.check_mode:
            return True, dict(current, name=params['name']), result
        renamed = module.call('rename Spaces key %s' % current['access_key'], module.client.spaces_key.patch, current['access_key'],
                              {'name': params['name']})
        return True, renamed.get('key') or dict(current, name=params['name']), result
    return False, current, result


def view(key):
    return {'name': key['name'], 'grants': normalize_grants(key.get('grants'))} if key else {}


def main():
    module = DigitalOceanModule(argument_spec=dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        grants=dict(type='list', elements='dict', options=dict(
            bucket=dict(type='str'),
            permission=dict(type='str', required=True, choices=list(PERMISSIONS)),
        )),
        replace_on_grant_change=dict(type='bool', default=False),
        access_key=dict(type='str', no_log=False),
    ), supports_check_mode=True)
    params = module.params
    errors = grant_errors(params['grants']) if params['state'] == 'present' else []
    if not (params['name'] or '').strip():
        errors.insert(0, 'name must not be empty')
    if errors:
        module.fail_json(msg='Nothing was changed: ' + '; '.join(errors))

    if params['access_key']:
        found = get_key(module, params['access_key'])
        keys = [found] if found else []
        if not keys and params['state'] == 'present':
            module.fail_json(msg='Nothing was changed: no Spaces key has the access_key %s; omit access_key to create a key' % params['access_key'])
    else:
        keys = keys_named(module, params['name'])

    if params['state'] == 'absent':
        if not module.check_mode:
            for key in keys:
                module.delete('delete Spaces key %s' % key['access_key'], module.client.spaces_key.delete, key['access_key'])
        last = keys[-1] if keys else {}
        module.exit_json(changed=bool(keys), key=last, diff={'before': view(last), 'after': {}})

    changed, key, result = ensure_present(module, keys)
    protect(module, key)
    before = view(keys[0]) if len(keys) == 1 else {}
    module.exit_json(changed=changed, key=key, diff={'before': before, 'after': view(key)}, **result)


if __name__ == '__main__':
    main()
