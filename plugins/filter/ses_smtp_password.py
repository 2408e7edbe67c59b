# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: ses_smtp_password
short_description: Derive the Amazon SES SMTP password of an IAM secret access key
version_added: 0.1.0
author:
  - fediops.mastodon contributors (@fediops)
description:
  - Turns the secret access key of an IAM user into the password of the SES SMTP interface in one region, with the
    algorithm AWS documents in "Obtaining Amazon SES SMTP credentials" (Signature Version 4 - an HMAC-SHA256 chain
    over C(AWS4<secret>), the date C(11111111), the region, C(ses), C(aws4_request) and C(SendRawEmail), prefixed
    with the version byte C(0x04), then base64).
  - The SMTP user name is the access key id. The password only works in O(region); the IAM user needs permission
    for C(ses:SendRawEmail).
  - The result is a secret - use it in tasks with C(no_log=true).
positional: _input, region
options:
  _input:
    description: The secret access key, as IAM returned it when the key was created.
    type: str
    required: true
  region:
    description: The AWS region of the SES SMTP endpoint, for example V(eu-west-1).
    type: str
    required: true
'''

EXAMPLES = r'''
- name: SMTP credentials of a new access key
  no_log: true
  ansible.builtin.set_fact:
    smtp_login: "{{ new_key.access_key_id }}"
    smtp_password: "{{ new_key.secret_access_key | fediops.mastodon.ses_smtp_password('eu-west-1') }}"
'''

RETURN = r'''
_value:
  description: The SMTP password, 44 characters of base64 (33 bytes, the first one C(0x04)).
  type: str
'''

import base64
import hashlib
import hmac
import re

from ansible.errors import AnsibleFilterError

DATE = '11111111'
SERVICE = 'ses'
TERMINAL = 'aws4_request'
MESSAGE = 'SendRawEmail'
VERSION = b'\x04'
REGION_PATTERN = re.compile(r'^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$')
REGION_RULE = 'an AWS region name such as us-east-1 or eu-west-1'


def _sign(key, message):
    return hmac.new(key, message.encode('utf-8'), hashlib.sha256).digest()


def ses_smtp_password(secret_access_key, region):
    """The SES SMTP password (SigV4, version 4) of ``secret_access_key`` in ``region``."""
    if not isinstance(secret_access_key, str) or not secret_access_key:
        # Never echo the value: it is a secret.
        raise AnsibleFilterError('ses_smtp_password: the input must be a non-empty secret access key (a string), got %s'
                                 % ('an empty string' if secret_access_key == '' else type(secret_access_key).__name__))
    if not isinstance(region, str) or not REGION_PATTERN.match(region):
        raise AnsibleFilterError('ses_smtp_password: region %r is invalid; allowed: %s' % (region, REGION_RULE))
    key = _sign(('AWS4' + secret_access_key).encode('utf-8'), DATE)
    for message in (region, SERVICE, TERMINAL, MESSAGE):
        key = _sign(key, message)
    return base64.b64encode(VERSION + key).decode('ascii')


class FilterModule(object):
    """fediops.mastodon.ses_smtp_password"""

    def filters(self):
        return {'ses_smtp_password': ses_smtp_password}
