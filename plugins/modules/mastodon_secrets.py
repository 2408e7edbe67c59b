#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: mastodon_secrets
short_description: Keep Mastodon's long-lived secrets, generating only the missing ones
version_added: 0.1.0
description:
  - Computes the complete set of secrets a Mastodon 4.5+ instance needs and must never change
    (C(SECRET_KEY_BASE), the three C(ACTIVE_RECORD_ENCRYPTION_*) keys, the VAPID key pair) from what the
    cluster's Secret already holds and what the operator supplies, and generates only what is missing.
  - "Precedence: a supplied value wins; otherwise an existing value is kept exactly as it is, never
    regenerated; only a missing value is generated. A VAPID public key missing beside a kept private key is
    derived from it."
  - Generation happens here, in Python, without a Mastodon container
    (C(SECRET_KEY_BASE) is 128 hex characters, the Active Record keys 32 characters of C([A-Za-z0-9]), the
    VAPID private key the urlsafe base64 of a P-256 scalar and the public key the urlsafe base64 of the
    uncompressed point, as Mastodon's own generators do).
  - The module talks to no API and stores nothing; the caller writes RV(secrets) and the values it supplied into the
    Secret.
  - The result holds secrets. A task that calls this module must set C(no_log) to V(true)
    (the collection's convention for every task that returns secrets).
author:
  - fediops.mastodon contributors (@fediops)
requirements:
  - cryptography (for the VAPID keys)
options:
  existing_data:
    description:
      - The C(data) of the existing Secret as the Kubernetes API returns it (values in base64), for example
        C(existing.resources[0].data) of a M(kubernetes.core.k8s_info) result.
      - Keys other than the six secrets are ignored. Omit, or pass V({}), when the Secret does not exist yet.
    type: dict
    default: {}
  secret_key_base:
    description:
      - C(SECRET_KEY_BASE) supplied by the operator (for example from Ansible Vault when restoring an instance).
      - At least 64 characters without whitespace.
    type: str
  active_record_encryption_deterministic_key:
    description: C(ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY) supplied by the operator; letters and digits, at least 32.
    type: str
  active_record_encryption_key_derivation_salt:
    description: C(ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT) supplied by the operator; letters and digits, at least 32.
    type: str
  active_record_encryption_primary_key:
    description: C(ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY) supplied by the operator; letters and digits, at least 32.
    type: str
  vapid_private_key:
    description:
      - C(VAPID_PRIVATE_KEY) supplied by the operator; the urlsafe base64 of a 32-byte P-256 scalar.
      - Without O(vapid_public_key) the public key is derived from it.
    type: str
  vapid_public_key:
    description:
      - C(VAPID_PUBLIC_KEY) supplied by the operator; requires O(vapid_private_key) and must be its public key.
    type: str
notes:
  - Empty strings count as not supplied, so C("{{ my_var | default('') }}") is safe.
  - Values that the cluster holds but that do not look like what Mastodon generates are kept unchanged
    and reported as warnings (naming the key, never the value).
extends_documentation_fragment:
  - fediops.mastodon.attributes
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Nothing is stored either way; check mode computes the same result.
  diff_mode:
    support: none
'''

EXAMPLES = r'''
- name: Read the Secret the instance already has
  kubernetes.core.k8s_info:
    kind: Secret
    namespace: mastodon
    name: mastodon-secrets
  register: existing
  no_log: true

- name: Complete the set of secrets, generating only what is missing
  fediops.mastodon.mastodon_secrets:
    existing_data: "{{ existing.resources[0].data | default({}) if existing.resources else {} }}"
    secret_key_base: "{{ vault_mastodon_secret_key_base | default('') }}"
  register: mastodon_secret_set
  no_log: true   # the result holds the secrets
'''

RETURN = r'''
secrets:
  description:
    - The secrets kept from O(existing_data), generated or derived, by environment variable name (plain text, not
      base64).
    - Values supplied through the options are B(not) returned (Ansible masks the values of C(no_log) options in
      every result); RV(sources) lists them as V(supplied) and the caller already has them.
    - Secret material; only ever register it in a task with C(no_log=true).
  returned: success
  type: dict
  sample:
    SECRET_KEY_BASE: "(128 hex characters)"
    VAPID_PUBLIC_KEY: "(88 characters)"
sources:
  description:
    - Where each value came from, by name; one of V(supplied), V(existing), V(generated), V(derived).
    - Not secret.
  returned: success
  type: dict
  sample:
    SECRET_KEY_BASE: existing
    VAPID_PRIVATE_KEY: generated
    VAPID_PUBLIC_KEY: generated
generated:
  description: Names of the values that were generated or derived in this run (empty on a re-run). Not secret.
  returned: success
  type: list
  elements: str
  sample: [SECRET_KEY_BASE, VAPID_PRIVATE_KEY, VAPID_PUBLIC_KEY]
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.fediops.mastodon.plugins.module_utils import mastodon_secrets as ms

OPTION_NAMES = {
    'secret_key_base': ms.SECRET_KEY_BASE,
    'active_record_encryption_deterministic_key': ms.AR_DETERMINISTIC_KEY,
    'active_record_encryption_key_derivation_salt': ms.AR_KEY_DERIVATION_SALT,
    'active_record_encryption_primary_key': ms.AR_PRIMARY_KEY,
    'vapid_private_key': ms.VAPID_PRIVATE_KEY,
    'vapid_public_key': ms.VAPID_PUBLIC_KEY,
}


def main():
    argument_spec = dict(existing_data=dict(type='dict', default={}, no_log=True))
    argument_spec.update((option, dict(type='str', no_log=True)) for option in OPTION_NAMES)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)

    if not ms.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=str(ms.CRYPTOGRAPHY_IMPORT_ERROR))

    supplied = dict((name, module.params[option]) for option, name in OPTION_NAMES.items())
    try:
        existing = ms.decode_secret_data(module.params['existing_data'])
        values, sources = ms.resolve(existing, supplied)
    except ms.SecretError as exc:
        module.fail_json(msg='Mastodon secrets: %s' % exc)

    for warning in ms.existing_warnings(existing):
        module.warn(warning)
    generated = sorted(name for name, source in sources.items() if source in (ms.SOURCE_GENERATED, ms.SOURCE_DERIVED))
    # Supplied values are no_log options: Ansible would replace them in the result by a placeholder.
    returned = dict((name, value) for name, value in values.items() if sources[name] != ms.SOURCE_SUPPLIED)
    module.exit_json(changed=bool(generated), secrets=returned, sources=sources, generated=generated)


if __name__ == '__main__':
    main()
