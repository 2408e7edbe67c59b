#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_certificate
short_description: Manage DigitalOcean TLS certificates (Let's Encrypt or uploaded)
version_added: 0.1.0
description:
  - Make sure a DigitalOcean certificate exists, found by its name (unique in the account), for example
    the certificate of a Spaces CDN custom domain (M(fediops.mastodon.do_cdn_endpoint)).
  - A V(lets_encrypt) certificate is obtained and renewed by DigitalOcean for O(dns_names). Every name's
    DNS zone must be hosted on DigitalOcean DNS (M(fediops.mastodon.do_domain)); the module checks this
    before any change. It is V(pending) until issued; the module waits for V(verified) by default.
  - A V(custom) certificate is uploaded from O(private_key), O(leaf_certificate) and O(certificate_chain).
  - DigitalOcean certificates cannot change. When the certificate named O(name) exists with other names
    (or, uploaded, another leaf certificate), the module fails and changes nothing, unless
    O(replace=true), with which it deletes that certificate and creates the new one under the same name.
    A certificate in use cannot be deleted; to move a CDN endpoint to new names without downtime, create
    the new certificate under another name, point the endpoint at it, then delete the old one.
  - Every input is validated before any call that changes something.
author:
  - fediops.mastodon contributors (@fediops)
options:
  name:
    description:
      - Name of the certificate, unique in the account.
    type: str
    required: true
  state:
    description:
      - V(present) makes sure the certificate exists as described, V(absent) deletes it.
      - A certificate used by a CDN endpoint cannot be deleted; the module then fails naming the endpoints.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - V(lets_encrypt) for a certificate DigitalOcean obtains from Let's Encrypt, V(custom) for an uploaded one.
      - Default V(custom) when O(leaf_certificate) is given, else V(lets_encrypt).
    type: str
    choices: [lets_encrypt, custom]
  dns_names:
    description:
      - Names a V(lets_encrypt) certificate covers, for example V(cdn.example.com) or V(*.example.com).
      - Required for V(lets_encrypt). Compared as a set, in lower case.
      - Not used for V(custom) certificates, whose names come from O(leaf_certificate).
    type: list
    elements: str
  private_key:
    description:
      - PEM private key of an uploaded certificate (without a passphrase). A secret, never logged nor returned.
      - Required for V(custom).
    type: str
  leaf_certificate:
    description:
      - PEM certificate to upload. Required for V(custom).
      - The existing certificate matches when its C(sha1_fingerprint) is this certificate's.
    type: str
  certificate_chain:
    description:
      - PEM certificates between the leaf and the root (intermediates), for V(custom).
    type: str
  replace:
    description:
      - When the certificate named O(name) exists but differs (other O(dns_names), another leaf certificate,
        another type, or a Let's Encrypt certificate that failed), delete it and create the new one.
      - When false, such a difference fails the task and nothing is changed.
    type: bool
    default: false
  wait:
    description:
      - Wait until a V(lets_encrypt) certificate is issued (state V(verified)); a certificate that fails
        (state V(error)) fails the task. Uploaded certificates are verified at once.
extends_documentation_fragment:
  - fediops.mastodon.digitalocean
  - fediops.mastodon.digitalocean_wait
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.DIGITALOCEAN
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
'''

EXAMPLES = r'''
- name: Let's Encrypt certificate for the media CDN (example.com is hosted on DigitalOcean DNS)
  fediops.mastodon.do_certificate:
    name: mastodon-cdn
    dns_names: [cdn.example.com]
  register: cdn_certificate  # cdn_certificate.certificate.id

- name: Upload a certificate bought elsewhere
  fediops.mastodon.do_certificate:
    name: media-2027
    type: custom
    private_key: "{{ vault_media_key }}"
    leaf_certificate: "{{ lookup('file', 'media.crt') }}"
    certificate_chain: "{{ lookup('file', 'media-chain.crt') }}"

- name: Cover one more name, replacing the certificate (it must not be in use)
  fediops.mastodon.do_certificate:
    name: mastodon-cdn
    dns_names: [cdn.example.com, files.example.com]
    replace: true

- name: Delete a certificate no endpoint uses any more
  fediops.mastodon.do_certificate:
    name: media-2026
    state: absent
'''

RETURN = r'''
certificate:
  description:
    - The certificate as DigitalOcean returns it. With O(state=absent), the certificate that was deleted, or V({}).
    - In check mode, the certificate as it would be (without RV(certificate.id) for one that would be created).
  returned: always
  type: dict
  contains:
    id:
      description: Unique id of the certificate, for example for O(fediops.mastodon.do_cdn_endpoint#module:certificate).
      type: str
      sample: 892071a0-bb95-49bc-8021-3afd67a210bf
    name:
      description: Name of the certificate.
      type: str
      sample: mastodon-cdn
    type:
      description: V(lets_encrypt) or V(custom).
      type: str
      sample: lets_encrypt
    state:
      description: V(pending), V(verified) or V(error).
      type: str
      sample: verified
    dns_names:
      description: Names the certificate covers.
      type: list
      elements: str
      sample: [cdn.example.com]
    not_after:
      description: When the certificate expires (ISO 8601); DigitalOcean renews Let's Encrypt certificates itself.
      type: str
      sample: "2026-06-11T19:20:47Z"
    sha1_fingerprint:
      description: SHA-1 fingerprint of the certificate.
      type: str
      sample: dfcc9f57d86bf58e321c2c6c31c7a971be244ac7
    created_at:
      description: When the certificate was created (ISO 8601).
      type: str
      sample: "2026-03-13T19:20:47Z"
replaced:
  description: The certificate that was deleted to make way for the new one (O(replace=true)).
  returned: when a certificate was replaced
  type: dict
  sample: {"id": "ba9b9c18-6c59-46c2-99df-70da170a42ba", "name": "mastodon-cdn", "dns_names": ["cdn.example.com"]}
'''

from ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean import DigitalOceanModule
from ansible_collections.fediops.mastodon.plugins.module_utils import certificates as certs

DIFF_FIELDS = ('name', 'type', 'dns_names', 'sha1_fingerprint')


def certificate_type(params):
    return params['type'] or ('custom' if params['leaf_certificate'] or params['private_key'] else 'lets_encrypt')


def validate(params):
    """Every problem with the options, checked before any API call."""
    errors = []
    kind = certificate_type(params)
    if not (params['name'] or '').strip():
        errors.append('name must not be empty')
    if kind == 'lets_encrypt':
        if params['private_key'] or params['leaf_certificate'] or params['certificate_chain']:
            errors.append('private_key, leaf_certificate and certificate_chain are for type custom; a lets_encrypt certificate '
                          'takes dns_names only')
        if not params['dns_names']:
            errors.append('dns_names is required for a lets_encrypt certificate: the names it must cover')
        errors.extend(e for e in (certs.hostname_error(name, 'dns_names') for name in params['dns_names'] or []) if e)
    else:
        if params['dns_names']:
            errors.append('dns_names is only for lets_encrypt certificates; a custom certificate covers the names of its leaf_certificate')
        missing = [option for option in ('private_key', 'leaf_certificate') if not params[option]]
        if missing:
            errors.append('%s %s required for a custom certificate' % (' and '.join(missing), 'are' if len(missing) > 1 else 'is'))
        else:
            errors.extend(certs.pem_errors(params['private_key'], params['leaf_certificate'], params['certificate_chain']))
            if not errors:
                errors.extend(certs.leaf_facts(params['private_key'], params['leaf_certificate'])[1])
    return errors


def wanted(params):
    """The managed facts of the certificate asked for (``dns_names`` of an upload only when cryptography reads them)."""
    kind = certificate_type(params)
    if kind == 'lets_encrypt':
        return {'name': params['name'], 'type': kind, 'dns_names': certs.normalize_names(params['dns_names'])}
    facts = certs.leaf_facts(params['private_key'], params['leaf_certificate'])[0] or {}
    result = {'name': params['name'], 'type': kind, 'sha1_fingerprint': certs.sha1_fingerprint(params['leaf_certificate'])}
    if facts.get('dns_names'):
        result['dns_names'] = facts['dns_names']
    return result


def differences(desired, current):
    """Why the existing certificate is not the one asked for (empty when it is)."""
    reasons = []
    if current.get('type') != desired['type']:
        reasons.append('it is of type %s, not %s' % (current.get('type'), desired['type']))
    elif desired['type'] == 'lets_encrypt' and certs.normalize_names(current.get('dns_names')) != desired['dns_names']:
        reasons.append('it covers %s, not %s' % (', '.join(certs.normalize_names(current.get('dns_names'))), ', '.join(desired['dns_names'])))
    elif desired['type'] == 'custom' and current.get('sha1_fingerprint') != desired['sha1_fingerprint']:
        reasons.append('it holds another leaf certificate (sha1_fingerprint %s, not %s)' % (
            current.get('sha1_fingerprint'), desired['sha1_fingerprint']))
    if current.get('state') == 'error':
        reasons.append('DigitalOcean failed to issue it (state error)')
    return reasons


def check_zones(module, names):
    """Let's Encrypt certificates need every name's zone on DigitalOcean DNS: fail before any write when one is not."""
    zones = [domain['name'] for domain in module.paginate('list domains', module.client.domains.list, 'domains')]
    missing = [name for name in names if certs.zone_of(name, zones) is None]
    if missing:
        module.missing_dependency("Nothing was changed: dns_names %s: no DigitalOcean DNS zone holds these names, and Let's Encrypt "
                                  "certificates from DigitalOcean need the zone hosted on DigitalOcean DNS (zones in this account: %s)"
                                  % (', '.join(missing), ', '.join(sorted(zones)) or 'none'))


def wait_verified(module, certificate):
    if not module.params['wait'] or certificate.get('state') == 'verified':
        return certificate
    return module.wait_for(
        'certificate %s to be issued' % certificate['name'],
        lambda: module.call('get certificate %s' % certificate['name'], module.client.certificates.get, certificate['id'])['certificate'],
        lambda current: current.get('state') == 'verified',
        is_failed=lambda current: 'DigitalOcean could not issue it (state error)' if current.get('state') == 'error' else None,
        describe=lambda current: 'state=%s' % current.get('state'))


def create(module, desired):
    params = module.params
    body = {'name': params['name'], 'type': desired['type']}
    if desired['type'] == 'lets_encrypt':
        body['dns_names'] = list(desired['dns_names'])
    else:
        body.update(private_key=params['private_key'], leaf_certificate=params['leaf_certificate'])
        if params['certificate_chain']:
            body['certificate_chain'] = params['certificate_chain']

    def lookup():
        found = [c for c in certs.certificates_named(module, params['name']) if not differences(desired, c)]
        return found[0] if found else None

    return module.create_with_lookup('create certificate %s' % params['name'], module.client.certificates.create, body,
                                     lookup=lookup, key='certificate')


def refuse_if_used(module, certificate, what):
    users = certs.endpoints_using(module, certificate['id'])
    if users:
        module.fail_json(msg='Nothing was changed: certificate %s cannot be %s while CDN endpoint(s) %s use it. Create the new certificate '
                             'under another name, point the endpoint(s) at it (do_cdn_endpoint), then delete this one.' % (
                                 certificate['name'], what, ', '.join('%s (%s)' % (u.get('custom_domain'), u.get('origin')) for u in users)))


def ensure_present(module, current):
    params = module.params
    desired = wanted(params)
    result = {}
    if current:
        reasons = differences(desired, current)
        if not reasons:
            return False, wait_verified(module, current), result
        if not params['replace']:
            module.fail_json(msg='Nothing was changed: certificate %s exists but %s. DigitalOcean certificates cannot change; set '
                                 'replace=true to delete it and create the new one, or choose another name.' % (params['name'], '; '.join(reasons)))
        refuse_if_used(module, current, 'replaced')
        result['replaced'] = current
    if desired['type'] == 'lets_encrypt':
        check_zones(module, desired['dns_names'])
    if module.check_mode:
        return True, dict(desired, state='verified' if desired['type'] == 'custom' else 'pending'), result
    if current:
        module.delete('delete certificate %s (replaced)' % params['name'], module.client.certificates.delete, current['id'])
    return True, wait_verified(module, create(module, desired)), result


def main():
    module = DigitalOceanModule(argument_spec=dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        type=dict(type='str', choices=list(certs.TYPES)),
        dns_names=dict(type='list', elements='str'),
        private_key=dict(type='str', no_log=True),
        leaf_certificate=dict(type='str'),
        certificate_chain=dict(type='str'),
        replace=dict(type='bool', default=False),
    ), supports_check_mode=True, wait=True)
    params = module.params
    if params['state'] == 'present':
        errors = validate(params)
        if errors:
            module.fail_json(msg='Nothing was changed: ' + '; '.join(errors))

    found = certs.certificates_named(module, params['name'])
    if len(found) > 1:
        module.fail_json(msg='Found %d certificates named %r (ids: %s); cannot tell which one to manage' % (
            len(found), params['name'], ', '.join(c['id'] for c in found)))
    current = found[0] if found else None

    if params['state'] == 'absent':
        if current:
            refuse_if_used(module, current, 'deleted')
            if not module.check_mode:
                module.delete('delete certificate %s' % params['name'], module.client.certificates.delete, current['id'])
        module.exit_json(changed=bool(current), certificate=current or {},
                         diff={'before': dict((k, current[k]) for k in DIFF_FIELDS if k in current) if current else {}, 'after': {}})

    changed, certificate, result = ensure_present(module, current)
    before = dict((k, current[k]) for k in DIFF_FIELDS if k in current) if current else {}
    after = dict((k, certificate[k]) for k in DIFF_FIELDS if k in certificate)
    if 'dns_names' in after:
        after['dns_names'] = certs.normalize_names(after['dns_names'])
    if 'dns_names' in before:
        before['dns_names'] = certs.normalize_names(before['dns_names'])
    module.exit_json(changed=changed, certificate=certificate, diff={'before': before, 'after': after}, **result)


if __name__ == '__main__':
    main()
