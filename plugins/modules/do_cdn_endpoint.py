#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_cdn_endpoint
short_description: Manage DigitalOcean Spaces CDN endpoints
version_added: 0.1.0
description:
  - Create, update and delete the CDN endpoint of a Spaces bucket, found by its origin
    (C(<bucket>.<region>.digitaloceanspaces.com)); its content is served from
    C(<bucket>.<region>.cdn.digitaloceanspaces.com), or from a custom domain of your own.
  - Changes the cache TTL, the custom domain and its certificate in place.
  - A custom domain needs a DigitalOcean certificate that covers it (M(fediops.mastodon.do_certificate)),
    given by name or id; the module checks that it covers the domain and is issued before any change.
    Point the custom domain at the CDN host with a CNAME record (M(fediops.mastodon.do_domain_records)).
  - O(purge_cache) purges cached paths on request. A purge is an action, not configuration, so it is not
    part of the diff; the task reports a change when it purged something (never in check mode).
  - DigitalOcean limits CDN endpoints to 5 requests per 10 seconds and cache purges to 50 files per 20
    seconds; the module sends purges in batches of 50 and waits as long as the API asks when it answers
    HTTP 429 (within O(max_retry_time)).
  - Every input is validated before any call that changes something.
author:
  - fediops.mastodon contributors (@fediops)
options:
  origin:
    description:
      - Fully qualified name of the Space the endpoint serves, C(<bucket>.<region>.digitaloceanspaces.com).
      - Give either O(origin) or O(bucket) with O(region).
    type: str
  bucket:
    description:
      - Name of the Spaces bucket the endpoint serves (with O(region)), instead of O(origin).
    type: str
  region:
    description:
      - Spaces region of O(bucket).
    type: str
    choices: [ams3, atl1, blr1, fra1, lon1, nyc3, sfo2, sfo3, sgp1, syd1, tor1]
  state:
    description:
      - V(present) creates or updates the endpoint, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  ttl:
    description:
      - Seconds the CDN's edge servers cache content.
      - Omit to leave it as it is (a new endpoint gets 3600).
    type: int
    choices: [60, 600, 3600, 86400, 604800]
  custom_domain:
    description:
      - A domain of your own serving the endpoint's content, for example V(cdn.example.com). Needs O(certificate).
      - V("") removes the custom domain (and its certificate). Omit to leave it as it is.
    type: str
  certificate:
    description:
      - The DigitalOcean certificate for O(custom_domain), by name or id. It must cover the domain (exactly or
        through a wildcard) and be issued (state V(verified)).
      - Given without O(custom_domain), it replaces the certificate of the endpoint's current custom domain.
      - The id of the certificate the endpoint already uses for the same domain is not read again (no request).
    type: str
  purge_cache:
    description:
      - Paths to purge from the CDN's cache after the endpoint is in place, for example V(media_attachments/*)
        (a trailing V(*) purges a directory recursively) or V(*) for everything.
      - Purged on every run that lists paths; leave it out of tasks meant to be idempotent.
    type: list
    elements: str
extends_documentation_fragment:
  - fediops.mastodon.digitalocean
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.DIGITALOCEAN
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
'''

EXAMPLES = r'''
- name: CDN for Mastodon's media bucket, on its own domain
  fediops.mastodon.do_cdn_endpoint:
    bucket: mastodon-media
    region: nyc3
    ttl: 86400
    custom_domain: cdn.example.com
    certificate: mastodon-cdn   # do_certificate name (or its id)
  register: media_cdn            # media_cdn.endpoint.endpoint is the CNAME target

- name: Purge what a migration rewrote
  fediops.mastodon.do_cdn_endpoint:
    origin: mastodon-media.nyc3.digitaloceanspaces.com
    purge_cache:
      - cache/custom_emojis/*
      - site_uploads/*

- name: Serve from the CDN host only
  fediops.mastodon.do_cdn_endpoint:
    bucket: mastodon-media
    region: nyc3
    custom_domain: ""

- name: Delete the endpoint
  fediops.mastodon.do_cdn_endpoint:
    bucket: mastodon-media
    region: nyc3
    state: absent
'''

RETURN = r'''
endpoint:
  description:
    - The CDN endpoint as DigitalOcean returns it. With O(state=absent), the endpoint that was deleted, or V({}).
    - In check mode, the endpoint as it would be (without RV(endpoint.id) for one that would be created).
  returned: always
  type: dict
  contains:
    id:
      description: Unique id of the endpoint.
      type: str
      sample: 19f06b6a-3ace-4315-b086-499a0e521b76
    origin:
      description: The Space the endpoint serves.
      type: str
      sample: mastodon-media.nyc3.digitaloceanspaces.com
    endpoint:
      description: Host the CDN serves the content from (the target of a custom domain's CNAME record).
      type: str
      sample: mastodon-media.nyc3.cdn.digitaloceanspaces.com
    ttl:
      description: Cache TTL in seconds.
      type: int
      sample: 3600
    custom_domain:
      description: The custom domain, when there is one.
      type: str
      sample: cdn.example.com
    certificate_id:
      description: Id of the certificate of the custom domain, when there is one.
      type: str
      sample: 892071a0-bb95-49bc-8021-3afd67a210bf
    created_at:
      description: When the endpoint was created (ISO 8601).
      type: str
      sample: "2026-03-13T19:20:47Z"
purged:
  description:
    - The paths purged from the cache by this task.
    - In check mode none are purged (the task still reports the change it would make).
  returned: when O(purge_cache) is given
  type: list
  elements: str
  sample: ["cache/custom_emojis/*"]
'''

import re

from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanModule
from ansible_collections.fediops.mastodon.plugins.module_utils import certificates as certs
from ansible_collections.fediops.mastodon.plugins.module_utils.spaces import (
    SPACES_DOMAIN,
    SPACES_REGIONS,
    bucket_name_error,
    cdn_hostname,
    origin_hostname,
)

TTLS = (60, 600, 3600, 86400, 604800)
DEFAULT_TTL = 3600
PURGE_BATCH = 50
DIFF_FIELDS = ('origin', 'ttl', 'custom_domain', 'certificate_id')
ORIGIN = re.compile(r'^(?P<bucket>[^.]+)\.(?P<region>[a-z]+[0-9])\.' + re.escape(SPACES_DOMAIN) + r'$')


def parse_origin(origin):
    """(bucket, region, None) for a Space's FQDN, else (None, None, message naming the value and what is allowed)."""
    allowed = 'the FQDN of a Space, <bucket>.<region>.%s, with region one of %s' % (SPACES_DOMAIN, ', '.join(SPACES_REGIONS))
    match = ORIGIN.match(str(origin or '').lower().rstrip('.'))
    if not match or match.group('region') not in SPACES_REGIONS:
        return None, None, 'origin %r is not allowed; DigitalOcean CDN origins are %s' % (origin, allowed)
    error = bucket_name_error(match.group('bucket'), 'origin bucket')
    if error:
        return None, None, error
    return match.group('bucket'), match.group('region'), None


def origin_of(params):
    """The origin FQDN from O(origin) or O(bucket) + O(region) (inputs already validated)."""
    if params['origin']:
        return params['origin'].lower().rstrip('.')
    return origin_hostname(params['bucket'], params['region'])


def validate(params):
    """Every problem with the options, checked before any API call."""
    errors = []
    if params['origin']:
        errors.append(parse_origin(params['origin'])[2])
    else:
        errors.append(bucket_name_error(params['bucket'], 'bucket'))
    if params['state'] == 'absent':
        return [e for e in errors if e]
    if params['custom_domain']:
        errors.append(certs.hostname_error(params['custom_domain'], 'custom_domain', wildcard=False))
        if params['custom_domain'].lower().rstrip('.').endswith('.' + SPACES_DOMAIN):
            errors.append('custom_domain %r must be a domain of your own, not under %s' % (params['custom_domain'], SPACES_DOMAIN))
        if not params['certificate']:
            errors.append('custom_domain %s needs certificate: the name or id of a DigitalOcean certificate covering it '
                          '(do_certificate)' % params['custom_domain'])
    elif params['custom_domain'] == '' and params['certificate']:
        errors.append('certificate is only used with a custom_domain; custom_domain "" removes the domain and its certificate')
    for path in params['purge_cache'] or []:
        if not path.strip():
            errors.append('purge_cache: an empty path purges nothing; use * to purge everything')
    return [e for e in errors if e]


def plan_update(current, ttl, custom_domain, certificate_id):
    """The body of the PUT that makes ``current`` have these values (None = leave as is); {} when nothing differs.

    ``custom_domain`` "" removes the custom domain with its certificate. A new domain or certificate is sent
    together with the other of the pair, as DigitalOcean expects.
    """
    body = {}
    if ttl is not None and ttl != current.get('ttl'):
        body['ttl'] = ttl
    if custom_domain == '':
        if current.get('custom_domain'):
            body['custom_domain'] = ''
        return body
    domain = custom_domain.lower().rstrip('.') if custom_domain else current.get('custom_domain')
    if certificate_id is not None and (domain != current.get('custom_domain') or certificate_id != current.get('certificate_id')):
        body.update(custom_domain=domain, certificate_id=certificate_id)
    return body


def resolve_certificate(module, current):
    """The certificate id to use, checked to cover the custom domain and be issued; None when no certificate is asked."""
    params = module.params
    if not params['certificate'] or params['custom_domain'] == '':
        return None
    domain = params['custom_domain'] or (current or {}).get('custom_domain')
    if not domain:
        module.fail_json(msg='Nothing was changed: certificate is given but the endpoint has no custom domain; set custom_domain too')
    if current and params['certificate'] == current.get('certificate_id') and domain.lower().rstrip('.') == current.get('custom_domain'):
        return current['certificate_id']  # in use for this very domain: nothing to check, nothing changes
    certificate = certs.find_certificate(module, params['certificate'])
    if not certs.covers(certificate.get('dns_names'), domain):
        module.fail_json(msg='Nothing was changed: certificate %s covers %s, not custom_domain %s' % (
            certificate['name'], ', '.join(certificate.get('dns_names') or []) or 'no names', domain))
    if certificate.get('state') != 'verified':
        module.fail_json(msg='Nothing was changed: certificate %s is %s; a CDN endpoint can only use an issued (verified) certificate. '
                             'do_certificate waits for it by default.' % (certificate['name'], certificate.get('state')))
    return certificate['id']


def find_endpoint(module, origin):
    endpoints = module.paginate('list CDN endpoints', module.client.cdn.list_endpoints, 'endpoints')
    return module.find_unique(endpoints, 'CDN endpoints', origin=origin)


def ensure_present(module, current, origin):
    params = module.params
    certificate_id = resolve_certificate(module, current)
    if current is None:
        body = {'origin': origin, 'ttl': params['ttl'] or DEFAULT_TTL}
        if params['custom_domain']:
            body.update(custom_domain=params['custom_domain'].lower().rstrip('.'), certificate_id=certificate_id)
        if module.check_mode:
            bucket, region = parse_origin(origin)[:2]
            return True, dict(body, endpoint=cdn_hostname(bucket, region))
        return True, module.create_with_lookup('create CDN endpoint for %s' % origin, module.client.cdn.create_endpoint, body,
                                               lookup=lambda: find_endpoint(module, origin), key='endpoint')
    body = plan_update(current, params['ttl'], params['custom_domain'], certificate_id)
    if not body:
        return False, current
    if module.check_mode:
        preview = dict(current, **body)
        if body.get('custom_domain') == '':
            preview.pop('custom_domain', None)
            preview.pop('certificate_id', None)
        return True, preview
    return True, module.call('update CDN endpoint %s' % origin, module.client.cdn.update_endpoints, current['id'], body)['endpoint']


def purge(module, endpoint):
    paths = list(module.params['purge_cache'] or [])
    if not paths or module.check_mode:
        return []
    for start in range(0, len(paths), PURGE_BATCH):
        batch = paths[start:start + PURGE_BATCH]
        module.call('purge the cache of CDN endpoint %s' % endpoint['origin'], module.client.cdn.purge_cache, endpoint['id'], {'files': batch})
    return paths


def main():
    module = DigitalOceanModule(
        argument_spec=dict(
            origin=dict(type='str'),
            bucket=dict(type='str'),
            region=dict(type='str', choices=list(SPACES_REGIONS)),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            ttl=dict(type='int', choices=list(TTLS)),
            custom_domain=dict(type='str'),
            certificate=dict(type='str'),
            purge_cache=dict(type='list', elements='str'),
        ),
        mutually_exclusive=[('origin', 'bucket'), ('origin', 'region')],
        required_one_of=[('origin', 'bucket')],
        required_together=[('bucket', 'region')],
        supports_check_mode=True,
    )
    params = module.params
    errors = validate(params)
    if errors:
        module.fail_json(msg='Nothing was changed: ' + '; '.join(errors))
    origin = origin_of(params)
    current = find_endpoint(module, origin)
    before = dict((k, current[k]) for k in DIFF_FIELDS if k in current) if current else {}

    if params['state'] == 'absent':
        if current and not module.check_mode:
            module.delete('delete CDN endpoint %s' % origin, module.client.cdn.delete_endpoint, current['id'])
        module.exit_json(changed=bool(current), endpoint=current or {}, diff={'before': before, 'after': {}})

    changed, endpoint = ensure_present(module, current, origin)
    result = dict(changed=changed, endpoint=endpoint, diff={'before': before, 'after': dict((k, endpoint[k]) for k in DIFF_FIELDS if k in endpoint)})
    if params['purge_cache'] is not None:
        result['purged'] = purge(module, endpoint)
        # a purge is an action: it changes the task's outcome (also in check mode, where it would happen) but not the diff
        result['changed'] = changed or bool(params['purge_cache'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
