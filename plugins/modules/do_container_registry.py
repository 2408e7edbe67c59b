#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_container_registry
short_description: Manage the DigitalOcean Container Registry of the account
version_added: 0.1.0
description:
  - Make sure the account's container registry exists with a name, a region and a subscription tier, or
    delete it. An account has one registry (DigitalOcean's single-registry API, C(/v2/registry)); its name
    is unique across DigitalOcean and part of every image reference (C(registry.digitalocean.com/<name>/<image>)).
  - Changes the subscription tier in place. The name and the region cannot change; asking for others fails
    and changes nothing.
  - Optionally returns Docker credentials (O(docker_credentials=true)), a Docker C(config.json) ready to be
    the C(.dockerconfigjson) of a Kubernetes image pull Secret. Fetching them is a read, not a change;
    DigitalOcean issues new credentials on every request.
  - Every input is validated before any call that changes something.
author:
  - fediops.mastodon contributors (@fediops)
options:
  name:
    description:
      - Name of the registry. 1-63 lowercase letters, digits and dashes, not starting or ending with a dash.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the registry, V(absent) deletes it (with every image in it).
      - V(absent) only deletes a registry of that name; another registry of the account is left alone.
    type: str
    choices: [present, absent]
    default: present
  region:
    description:
      - Region where the registry stores its data. Omit to let DigitalOcean choose on creation.
      - Cannot change once the registry exists.
    type: str
    choices: [nyc3, sfo3, ams3, sgp1, fra1]
  subscription_tier:
    description:
      - V(starter) (free, 1 repository, 500 MiB), V(basic) (5 repositories, 5 GiB) or V(professional)
        (unlimited repositories, 100 GiB). Required to create the registry; omit to leave it as it is.
    type: str
    choices: [starter, basic, professional]
  docker_credentials:
    description:
      - Return Docker credentials for the registry (RV(docker_credentials)).
    type: bool
    default: false
  read_write:
    description:
      - With O(docker_credentials=true), credentials that can push images (default read-only, enough to pull).
    type: bool
    default: false
  expiry_seconds:
    description:
      - With O(docker_credentials=true), seconds the credentials are valid; V(0) means they do not expire.
    type: int
    default: 0
extends_documentation_fragment:
  - fediops.mastodon.digitalocean
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.DIGITALOCEAN
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
'''

EXAMPLES = r'''
- name: Registry for custom Mastodon images
  fediops.mastodon.do_container_registry:
    name: fediops-example
    region: nyc3
    subscription_tier: basic

- name: Pull credentials for an image pull Secret
  fediops.mastodon.do_container_registry:
    name: fediops-example
    docker_credentials: true
  register: registry
  no_log: true  # keeps registry.docker_credentials usable

- name: Store them in the cluster
  kubernetes.core.k8s:
    state: present
    definition:
      apiVersion: v1
      kind: Secret
      type: kubernetes.io/dockerconfigjson
      metadata: {name: registry-fediops-example, namespace: mastodon}
      data:
        .dockerconfigjson: "{{ registry.docker_credentials.docker_config_json | b64encode }}"
  no_log: true

- name: Delete the registry and its images
  fediops.mastodon.do_container_registry:
    name: fediops-example
    state: absent
'''

RETURN = r'''
registry:
  description:
    - The registry as DigitalOcean returns it. With O(state=absent), the registry that was deleted, or V({}).
    - In check mode, the registry as it would be.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the registry.
      type: str
      sample: fediops-example
    region:
      description: Region of the registry.
      type: str
      sample: nyc3
    created_at:
      description: When the registry was created (ISO 8601).
      type: str
      sample: "2026-03-13T19:20:47Z"
    storage_usage_bytes:
      description: Storage used, in bytes.
      type: int
      sample: 0
    subscription:
      description: The subscription, with its C(tier) (C(slug), C(name), C(included_repositories), ...).
      type: dict
      sample: {"tier": {"slug": "basic", "name": "Basic", "included_repositories": 5}}
docker_credentials:
  description:
    - Docker credentials for the registry (a secret; masked unless the task runs with C(no_log=true)).
    - Not returned in check mode for a registry that does not exist yet.
  returned: when O(docker_credentials=true)
  type: dict
  contains:
    docker_config:
      description: The Docker C(config.json) as a dictionary (C(auths) by registry host).
      type: dict
      sample: {"auths": {"registry.digitalocean.com": {"auth": "********"}}}
    docker_config_json:
      description: The same as a JSON string, the C(.dockerconfigjson) of a C(kubernetes.io/dockerconfigjson) Secret.
      type: str
      sample: '{"auths": {"registry.digitalocean.com": {"auth": "********"}}}'
    registry_host:
      description: The host of image references.
      type: str
      sample: registry.digitalocean.com
    read_write:
      description: Whether the credentials can push.
      type: bool
      sample: false
    expiry_seconds:
      description: Seconds the credentials are valid (V(0) = no expiry).
      type: int
      sample: 0
'''

import base64
import binascii
import json
import re

from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanModule

NAME_PATTERN = re.compile(r'^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$')
REGIONS = ('nyc3', 'sfo3', 'ams3', 'sgp1', 'fra1')
TIERS = ('starter', 'basic', 'professional')
REGISTRY_HOST = 'registry.digitalocean.com'


def validate(params):
    errors = []
    if not NAME_PATTERN.match(params['name'] or ''):
        errors.append('name %r is invalid; allowed: 1-63 lowercase letters, digits and dashes, not starting or ending with a dash'
                      % params['name'])
    if params['expiry_seconds'] < 0:
        errors.append('expiry_seconds must be 0 (no expiry) or more (got %d)' % params['expiry_seconds'])
    return errors


def tier_of(registry):
    return (((registry or {}).get('subscription') or {}).get('tier') or {}).get('slug')


def view(registry):
    if not registry:
        return {}
    return {'name': registry.get('name'), 'region': registry.get('region'), 'subscription_tier': tier_of(registry)}


def immutable_errors(current, params):
    errors = []
    if current['name'] != params['name']:
        errors.append("this account's registry is named %s; an account has one registry and its name cannot change "
                      "(delete it first, or use name %s)" % (current['name'], current['name']))
    if params['region'] and params['region'] != current.get('region'):
        errors.append('registry %s is in %s and its region cannot change (%s was asked)' % (current['name'], current.get('region'), params['region']))
    return errors


def secrets_of(config):
    """Every secret string in a Docker config: each ``auth`` value and the password inside it."""
    found = []
    for entry in ((config or {}).get('auths') or {}).values():
        auth = (entry or {}).get('auth')
        if not auth:
            continue
        found.append(auth)
        try:
            user, dummy, password = base64.b64decode(auth).decode('utf-8').partition(':')
        except (binascii.Error, ValueError):
            continue
        found.extend(value for value in (user, password) if len(value) >= 8)
    return found


def get_registry(module):
    body = module.get_or_none('get container registry', module.client.registry.get)
    return (body or {}).get('registry')


def docker_credentials(module):
    params = module.params
    config = module.call('get registry Docker credentials', module.client.registry.get_docker_credentials,
                         read_write=params['read_write'], expiry_seconds=params['expiry_seconds'])
    text = json.dumps(config, sort_keys=True)
    if not module.no_log:
        module.no_log_values.update(secrets_of(config))
        module.no_log_values.add(text)
    return {'docker_config': config, 'docker_config_json': text, 'registry_host': REGISTRY_HOST,
            'read_write': params['read_write'], 'expiry_seconds': params['expiry_seconds']}


def ensure_present(module, current):
    params = module.params
    if current:
        errors = immutable_errors(current, params)
        if errors:
            module.fail_json(msg='Nothing was changed: ' + '; '.join(errors))
        if not params['subscription_tier'] or params['subscription_tier'] == tier_of(current):
            return False, current
        if module.check_mode:
            return True, dict(current, subscription=dict(current.get('subscription') or {}, tier={'slug': params['subscription_tier']}))
        subscription = module.call('change the registry subscription to %s' % params['subscription_tier'],
                                   module.client.registry.update_subscription, {'tier_slug': params['subscription_tier']})['subscription']
        return True, dict(current, subscription=subscription)
    if not params['subscription_tier']:
        module.fail_json(msg='Nothing was changed: subscription_tier is required to create registry %s; allowed: %s'
                             % (params['name'], ', '.join(TIERS)))
    body = {'name': params['name'], 'subscription_tier_slug': params['subscription_tier']}
    if params['region']:
        body['region'] = params['region']
    if module.check_mode:
        return True, {'name': params['name'], 'region': params['region'], 'subscription': {'tier': {'slug': params['subscription_tier']}}}

    def lookup():
        found = get_registry(module)
        return found if found and found.get('name') == params['name'] else None

    return True, module.create_with_lookup('create container registry %s' % params['name'], module.client.registry.create, body,
                                           lookup=lookup, key='registry')


def main():
    module = DigitalOceanModule(argument_spec=dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        region=dict(type='str', choices=list(REGIONS)),
        subscription_tier=dict(type='str', choices=list(TIERS)),
        docker_credentials=dict(type='bool', default=False),
        read_write=dict(type='bool', default=False),
        expiry_seconds=dict(type='int', default=0),
    ), supports_check_mode=True)
    params = module.params
    errors = validate(params)
    if errors:
        module.fail_json(msg='Nothing was changed: ' + '; '.join(errors))
    current = get_registry(module)

    if params['state'] == 'absent':
        mine = current if current and current.get('name') == params['name'] else None
        if current and not mine:
            module.warn("registry %s was not deleted: this account's registry is %s" % (params['name'], current.get('name')))
        if mine and not module.check_mode:
            module.delete('delete container registry %s' % params['name'], module.client.registry.delete)
        module.exit_json(changed=bool(mine), registry=mine or {}, diff={'before': view(mine), 'after': {}})

    changed, registry = ensure_present(module, current)
    result = dict(changed=changed, registry=registry, diff={'before': view(current), 'after': view(registry)})
    if params['docker_credentials'] and not (module.check_mode and not current):
        result['docker_credentials'] = docker_credentials(module)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
