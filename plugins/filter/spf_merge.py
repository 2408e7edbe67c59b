# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: spf_merge
short_description: Merge an C(include:) into the SPF record of a name, keeping its other TXT records
version_added: 0.1.0
author:
  - fediops.mastodon contributors (@fediops)
description:
  - Takes the TXT records of one DNS name (as M(fediops.mastodon.do_domain_records) returns them) and returns the
    TXT records that name should have so that its SPF policy also authorises O(include), in the input format of
    M(fediops.mastodon.do_domain_records). A name has at most one SPF record (RFC 7208 section 3.2), so the
    C(include:) is merged into the existing one, never added as a second record.
  - Every TXT record that is not SPF (site verifications and the like) is returned unchanged, with its TTL.
  - With no SPF record, a new one is added - C(v=spf1 include:<include> <all>).
  - With an SPF record that already has C(include:<include>), the record is returned unchanged.
  - Otherwise C(include:<include>) is inserted just before the C(all) term (or appended when there is none); the
    other terms and their qualifiers (C(-all), C(~all), C(?all), C(+mx), ...) are kept as they are.
  - Fails, naming the records, when there are several SPF records (already invalid), when the record uses
    C(redirect=) (merging would change what the redirect means; add the include where the redirect points),
    when it names O(include) with a qualifier other than C(+) (it explicitly refuses that sender), or when the
    merged record would need more than 10 DNS lookups (RFC 7208 section 4.6.4).
positional: _input
options:
  _input:
    description:
      - The TXT records of the name, each a dictionary with at least C(data) (C(name), C(ttl) are kept when
        present; other keys such as C(id) are dropped), or the TXT values as strings. Records of other types
        are ignored.
      - TXT values may be quoted (V("v=spf1 -all")) or split into several quoted strings; they are compared as the
        text DNS serves.
    type: list
    elements: raw
    required: true
  include:
    description: The domain to authorise with an C(include:) mechanism.
    type: str
    default: amazonses.com
  name:
    description: Name of the new SPF record, and of the input records that have no C(name).
    type: str
    default: '@'
  ttl:
    description: TTL of the new SPF record, and of input records that have no C(ttl). Omitted when not set.
    type: int
  all_term:
    description: The C(all) term of a new SPF record.
    type: str
    default: '~all'
    choices: ['~all', '-all', '?all']
'''

EXAMPLES = r'''
- name: TXT records of the apex with amazonses.com merged into its SPF record
  ansible.builtin.set_fact:
    apex_txt: >-
      {{ zone.records | selectattr('name', 'equalto', '@') | selectattr('type', 'equalto', 'TXT')
         | fediops.mastodon.spf_merge('amazonses.com', ttl=3600) }}

# [{'name': '@', 'type': 'TXT', 'data': 'v=spf1 include:_spf.example.net ~all', 'ttl': 1800},
#  {'name': '@', 'type': 'TXT', 'data': 'site-verification=abc', 'ttl': 300}] | fediops.mastodon.spf_merge
# -> [{'name': '@', 'type': 'TXT', 'data': 'v=spf1 include:_spf.example.net include:amazonses.com ~all', 'ttl': 1800},
#     {'name': '@', 'type': 'TXT', 'data': 'site-verification=abc', 'ttl': 300}]
'''

RETURN = r'''
_value:
  description: The TXT records the name should have, each with C(name), C(type) (C(TXT)), C(data) and C(ttl) (when known).
  type: list
  elements: dict
'''

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.fediops.mastodon.plugins.module_utils.dns import is_spf, txt_value

MAX_LOOKUPS = 10
LOOKUP_MECHANISMS = ('include', 'a', 'mx', 'ptr', 'exists')
ALL_TERMS = ('~all', '-all', '?all')
_QUALIFIED = re.compile(r'^(?P<qualifier>[-+~?]?)(?P<mechanism>[a-z0-9]+)(?P<rest>[:/].*)?$', re.IGNORECASE)


def _term(term):
    """(qualifier, mechanism in lower case, argument) of an SPF term; modifiers give ('', 'name=', value)."""
    if '=' in term.split(':', 1)[0]:
        name, value = term.split('=', 1)
        return '', name.lower() + '=', value
    match = _QUALIFIED.match(term)
    if not match:
        return '', term.lower(), ''
    rest = match.group('rest') or ''
    return match.group('qualifier'), match.group('mechanism').lower(), rest[1:] if rest.startswith(':') else rest


def _domain(text):
    return text.strip().lower().rstrip('.')


def lookups(terms):
    """How many DNS lookups the terms of an SPF record need (RFC 7208 section 4.6.4)."""
    count = 0
    for term in terms:
        _qualifier, mechanism, _argument = _term(term)
        if mechanism in LOOKUP_MECHANISMS or mechanism == 'redirect=':
            count += 1
    return count


def merge_spf(value, include, label='the SPF record'):
    """``value`` (an SPF record's text) with ``include:<include>`` merged in; ``value`` itself when already there."""
    terms = value.split()
    wanted = _domain(include)
    for term in terms[1:]:
        qualifier, mechanism, argument = _term(term)
        if mechanism == 'redirect=':
            raise AnsibleFilterError(
                'spf_merge: %s %r uses %s, so include:%s cannot be merged into it without changing what the redirect means; '
                'allowed: an SPF record without redirect= (add include:%s to the record the redirect points to, or replace '
                'redirect= with include: and an all term)' % (label, value, term, wanted, wanted))
        if mechanism == 'include' and _domain(argument) == wanted:
            if qualifier in ('', '+'):
                return value
            raise AnsibleFilterError(
                'spf_merge: %s %r has %s, which refuses mail sent through %s; allowed: include:%s without a qualifier '
                '(or with +). Remove that term first.' % (label, value, term, wanted, wanted))
    position = len(terms)
    for index, term in enumerate(terms[1:], start=1):
        if term.lower().lstrip('+-~?') == 'all':
            position = index
            break
    merged = terms[:position] + ['include:' + wanted] + terms[position:]
    if lookups(merged[1:]) > MAX_LOOKUPS:
        raise AnsibleFilterError(
            'spf_merge: merging include:%s into %s %r would make it need %d DNS lookups; allowed: at most %d '
            '(RFC 7208 section 4.6.4), or receivers reject it with a permerror. Flatten some includes first.'
            % (wanted, label, value, lookups(merged[1:]), MAX_LOOKUPS))
    return ' '.join(merged)


def _as_record(item, name, ttl):
    if isinstance(item, dict):
        if 'data' not in item:
            raise AnsibleFilterError('spf_merge: every record needs a data key, got %r' % (item,))
        record = {'name': item.get('name') or name, 'type': 'TXT', 'data': item['data']}
        item_ttl = item.get('ttl')
        if item_ttl is None:
            item_ttl = ttl
    elif isinstance(item, str):
        record = {'name': name, 'type': 'TXT', 'data': item}
        item_ttl = ttl
    else:
        raise AnsibleFilterError('spf_merge: every element must be a record (a dictionary with data) or a TXT value (a string), got %r' % (item,))
    if item_ttl is not None:
        record['ttl'] = int(item_ttl)
    return record


def spf_merge(records, include='amazonses.com', name='@', ttl=None, all_term='~all'):
    """The TXT records of one name with ``include:<include>`` merged into its single SPF record."""
    if not isinstance(records, (list, tuple)):
        raise AnsibleFilterError('spf_merge: the input must be the list of TXT records of one name, got %r' % (records,))
    if not isinstance(include, str) or not _domain(include) or ' ' in include.strip():
        raise AnsibleFilterError('spf_merge: include %r is invalid; allowed: a domain name such as amazonses.com' % (include,))
    if all_term not in ALL_TERMS:
        raise AnsibleFilterError('spf_merge: all_term %r is invalid; allowed: %s' % (all_term, ', '.join(ALL_TERMS)))
    txt = [_as_record(item, name, ttl) for item in records
           if not (isinstance(item, dict) and str(item.get('type', 'TXT')).upper() != 'TXT')]
    spf = [record for record in txt if is_spf(txt_value(record['data']))]
    if len(spf) > 1:
        raise AnsibleFilterError(
            'spf_merge: %s has %d SPF records (%s); allowed: exactly one SPF record per name (RFC 7208 section 3.2: with '
            'several, receivers fail every check). Merge them into one first.'
            % (spf[0]['name'], len(spf), '; '.join(repr(txt_value(record['data'])) for record in spf)))
    if not spf:
        new = {'name': name, 'type': 'TXT', 'data': 'v=spf1 include:%s %s' % (_domain(include), all_term)}
        if ttl is not None:
            new['ttl'] = int(ttl)
        return txt + [new]
    record = spf[0]
    current = txt_value(record['data'])
    merged = merge_spf(current, include, label='the SPF record of %s' % record['name'])
    if merged != current:
        record['data'] = merged
    return txt


class FilterModule(object):
    """fediops.mastodon.spf_merge"""

    def filters(self):
        return {'spf_merge': spf_merge}
