# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""DNS records as DigitalOcean holds them: normalisation, validation, matching and planning.

Pure functions, no HTTP: ``do_domain`` and ``do_domain_records`` call them and unit tests drive them
directly. Vocabulary:

- *zone*: the domain DigitalOcean serves, e.g. ``example.com`` (lower case, no trailing dot);
- *name*: a record's owner relative to the zone, ``@`` for the apex (as DigitalOcean stores it);
- *pair*: ``(name, type)``, the set of records of one name and type (an RRset);
- *value*: what tells two records of one pair apart: the data plus the type's own fields
  (MX priority; SRV priority, weight and port; CAA flags and tag). The TTL is not part of it, so a
  new TTL updates a record in place.

Canonical forms used for every comparison: names in lower case without the zone suffix or trailing
dot; hostnames in data (CNAME, MX, NS, SRV) in lower case without the trailing dot, ``@`` meaning
the zone itself; TXT data as the text DNS serves (surrounding quotes removed, several quoted
strings joined, so a value split into 255-character strings equals the joined value); IP addresses
in their standard spelling.
"""

import ipaddress
import re

RECORD_TYPES = ('A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT')
HOSTNAME_TYPES = ('CNAME', 'MX', 'NS', 'SRV')
VALUE_FIELDS = {
    'MX': ('priority',),
    'SRV': ('priority', 'weight', 'port'),
    'CAA': ('flags', 'tag'),
}
OPTIONAL_FIELDS = ('priority', 'port', 'weight', 'flags', 'tag')
FIELD_RANGES = {'priority': (0, 65535), 'port': (0, 65535), 'weight': (0, 65535), 'flags': (0, 255)}
CAA_TAGS = ('issue', 'issuewild', 'iodef')
DEFAULT_TTL = 1800
MIN_TTL = 30
MAX_TTL = 2147483647
TXT_CHUNK = 255
DIGITALOCEAN_NAMESERVERS = ('ns1.digitalocean.com', 'ns2.digitalocean.com', 'ns3.digitalocean.com')
API_FIELDS = ('id', 'name', 'type', 'data', 'ttl', 'priority', 'port', 'weight', 'flags', 'tag')

_LABEL = re.compile(r'^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$')
_ZONE_LABEL = re.compile(r'^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$')


class DnsInputError(ValueError):
    """A value that cannot be a DNS name or record data; the message says why."""


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

def normalize_zone(zone):
    """``Example.COM.`` -> ``example.com``."""
    return (zone or '').strip().lower().rstrip('.')


def zone_error(zone):
    """None for a valid zone name, else a message naming the value and what is allowed."""
    name = normalize_zone(zone)
    labels = name.split('.')
    if len(labels) < 2 or len(name) > 253 or not all(_ZONE_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return ('domain %r is not a valid domain name; expected a name such as example.com: at least two dot-separated labels '
                'of letters, digits and dashes' % (zone,))
    return None


def relative_name(name, zone):
    """The record name relative to ``zone`` (``@`` for the apex).

    ``www``, ``www.example.com``, ``www.example.com.`` and ``WWW`` are the same name in the zone
    ``example.com``; ``@``, ``example.com`` and ``example.com.`` are the apex. A name ending with a
    dot outside the zone raises ``DnsInputError``.
    """
    if not isinstance(name, str):
        raise DnsInputError('must be a string')
    text = name.strip().lower()
    if not text:
        raise DnsInputError('is empty; use @ for the apex of %s' % zone)
    absolute = text.endswith('.')
    text = text.rstrip('.')
    if text in ('@', zone):
        return '@'
    if text.endswith('.' + zone):
        text = text[:-len(zone) - 1]
    elif absolute:
        raise DnsInputError('is not inside the zone %s' % zone)
    labels = text.split('.')
    if (len(text) + len(zone) + 1 > 253 or '*' in labels[1:]
            or not all(label == '*' or _LABEL.match(label) for label in labels)):
        raise DnsInputError("is not a valid record name; allowed: letters, digits, '-' and '_' in dot-separated labels of "
                            "at most 63 characters, '*' as the leftmost label, or @ for the apex")
    return text


def absolute_name(name, zone):
    """``www`` -> ``www.example.com``; ``@`` -> ``example.com``."""
    return zone if name == '@' else '%s.%s' % (name, zone)


def hostname(data, zone):
    """Canonical hostname for CNAME/MX/NS/SRV data: lower case, no trailing dot, ``@`` -> the zone."""
    text = data.strip().lower()
    if text == '@':
        return zone
    return text[:-1] if text.endswith('.') else text


def hostname_error(host):
    labels = host.split('.')
    if not host or len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        return 'is not a valid hostname'
    return None


# --------------------------------------------------------------------------------------------
# TXT values
# --------------------------------------------------------------------------------------------

def _parse_quoted(text):
    """The strings of ``"a" "b"`` (with \\" \\\\ and \\DDD escapes) or None when ``text`` is not only quoted strings."""
    parts = []
    index, length = 0, len(text)
    while index < length:
        if text[index].isspace():
            index += 1
            continue
        if text[index] != '"':
            return None
        index += 1
        chunk = []
        while True:
            if index >= length:
                return None
            char = text[index]
            if char == '\\' and index + 1 < length:
                digits = text[index + 1:index + 4]
                if len(digits) == 3 and digits.isdigit() and int(digits) < 256:
                    chunk.append(chr(int(digits)))
                    index += 4
                else:
                    chunk.append(text[index + 1])
                    index += 2
                continue
            if char == '"':
                index += 1
                break
            chunk.append(char)
            index += 1
        parts.append(''.join(chunk))
    return parts if parts else None


def txt_value(data):
    """The text a TXT record serves: ``"v=spf1 -all"`` -> ``v=spf1 -all``; ``"abc" "def"`` -> ``abcdef``.

    A value that is not made only of quoted strings is taken as it is.
    """
    if not isinstance(data, str):
        return data
    parts = _parse_quoted(data.strip()) if data.strip().startswith('"') else None
    return data if parts is None else ''.join(parts)


def txt_strings(value):
    """``value`` as DNS carries it: strings of at most 255 characters."""
    return [value[start:start + TXT_CHUNK] for start in range(0, max(len(value), 1), TXT_CHUNK)]


def is_spf(value):
    return isinstance(value, str) and (value.lower() == 'v=spf1' or value.lower().startswith('v=spf1 '))


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------

def canonical_data(record_type, data, zone):
    """The form of ``data`` every comparison uses; never raises (unparseable data stays as it is)."""
    if not isinstance(data, str):
        return data
    if record_type == 'A':
        try:
            return str(ipaddress.IPv4Address(data.strip()))
        except ValueError:
            return data.strip()
    if record_type == 'AAAA':
        try:
            return str(ipaddress.IPv6Address(data.strip()))
        except ValueError:
            return data.strip().lower()
    if record_type in HOSTNAME_TYPES:
        return hostname(data, zone)
    if record_type == 'TXT':
        return txt_value(data)
    if record_type == 'CAA':
        text = data.strip()
        return text[1:-1] if len(text) >= 2 and text.startswith('"') and text.endswith('"') else text
    return data


def wire_data(record, zone):
    """``data`` as DigitalOcean takes it: hostnames end with a dot (``@`` for the apex)."""
    if record['type'] in HOSTNAME_TYPES:
        return '@' if record['data'] == zone else record['data'] + '.'
    return record['data']


def stored_data(record, zone):
    """``data`` as DigitalOcean returns it: hostnames without the trailing dot."""
    if record['type'] in HOSTNAME_TYPES:
        return '@' if record['data'] == zone else record['data']
    return record['data']


def value_key(record):
    """What tells two records of one (name, type) pair apart (the TTL is not part of it)."""
    return (record['data'],) + tuple(record.get(field) for field in VALUE_FIELDS.get(record['type'], ()))


def pair_of(record):
    return (record['name'], record['type'])


def from_api(item, zone):
    """A record of ``GET /v2/domains/{zone}/records`` in canonical form, keeping ``id`` and the original."""
    record_type = str(item.get('type') or '').upper()
    try:
        name = relative_name(item.get('name') or '@', zone)
    except DnsInputError:
        name = str(item.get('name')).lower()
    record = {'id': item.get('id'), 'name': name, 'type': record_type,
              'data': canonical_data(record_type, item.get('data'), zone), 'ttl': item.get('ttl'), 'api': item}
    for field in OPTIONAL_FIELDS:
        record[field] = item.get(field) if field in VALUE_FIELDS.get(record_type, ()) else None
    if record_type == 'CAA' and isinstance(record['tag'], str):
        record['tag'] = record['tag'].lower()
    return record


def is_protected(record):
    """DigitalOcean's own records, never deleted: the SOA and its NS records at the apex."""
    if record['type'] == 'SOA':
        return True
    return record['type'] == 'NS' and record['name'] == '@' and record['data'] in DIGITALOCEAN_NAMESERVERS


def api_form(record, zone):
    """A record as DigitalOcean returns it (``id`` None for one not created yet)."""
    if 'api' in record and record.get('api') is not None and not record.get('changed'):
        return dict((key, record['api'].get(key)) for key in API_FIELDS)
    result = dict((key, record.get(key)) for key in API_FIELDS)
    result['data'] = stored_data(record, zone)
    return result


def describe(record, zone):
    """One zone-file line: ``www.example.com. 300 IN A 192.0.2.1``."""
    owner = absolute_name(record['name'], zone) + '.'
    record_type = record['type']
    data = record['data']
    if record_type in HOSTNAME_TYPES:
        data = data + '.'
    if record_type == 'TXT':
        data = ' '.join('"%s"' % part.replace('\\', '\\\\').replace('"', '\\"') for part in txt_strings(data))
    elif record_type == 'CAA':
        data = '%s %s "%s"' % (record.get('flags'), record.get('tag'), data)
    elif record_type == 'MX':
        data = '%s %s' % (record.get('priority'), data)
    elif record_type == 'SRV':
        data = '%s %s %s %s' % (record.get('priority'), record.get('weight'), record.get('port'), data)
    return '%s %s IN %s %s' % (owner, record.get('ttl'), record_type, data)


def label(record, zone=None):
    """Short text naming a record in messages: ``www A 192.0.2.1``."""
    name = record['name'] if zone is None else absolute_name(record['name'], zone)
    parts = [name, record['type']]
    if record.get('data') is not None:
        parts.append(str(record['data']))
    return ' '.join(parts)


# --------------------------------------------------------------------------------------------
# Validating the desired records
# --------------------------------------------------------------------------------------------

def _int_error(field, value, required, record_type):
    low, high = FIELD_RANGES[field]
    if value is None:
        return '%s is required for %s records (an integer from %d to %d)' % (field, record_type, low, high) if required else None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return '%s %r is invalid; allowed: an integer from %d to %d' % (field, value, low, high)
    return None


def _data_error(record_type, data, zone):
    if record_type == 'A':
        try:
            ipaddress.IPv4Address(data.strip())
        except ValueError:
            return 'data %r is not an IPv4 address; A records point to an IPv4 address such as 192.0.2.10' % data
    elif record_type == 'AAAA':
        try:
            ipaddress.IPv6Address(data.strip())
        except ValueError:
            return 'data %r is not an IPv6 address; AAAA records point to an IPv6 address such as 2001:db8::10' % data
    elif record_type in HOSTNAME_TYPES:
        problem = hostname_error(hostname(data, zone))
        if problem:
            return ('data %r %s; %s records point to a hostname such as mail.example.org (a trailing dot is optional) '
                    'or @ for the apex' % (data, problem, record_type))
    elif record_type == 'TXT' and not txt_value(data):
        return 'data %r is an empty TXT value; TXT records need some text' % data
    elif record_type == 'CAA' and not canonical_data('CAA', data, zone):
        return 'data %r is empty; CAA records name a certificate authority (issue, issuewild) or a URL (iodef)' % data
    return None


def _entry_errors(entry, zone, present):
    """Messages (without the record prefix) for one entry of ``records``."""
    errors = []
    record_type = entry.get('type')
    if record_type not in RECORD_TYPES:
        return ['type %r is not supported; allowed: %s' % (record_type, ', '.join(RECORD_TYPES))]
    try:
        name = relative_name(entry.get('name'), zone)
    except DnsInputError as exc:
        errors.append('name %r %s' % (entry.get('name'), exc))
        name = None
    data = entry.get('data')
    if data is None:
        if present:
            errors.append('data is required for %s records' % record_type)
    elif not isinstance(data, str):
        errors.append('data %r must be a string' % (data,))
    else:
        problem = _data_error(record_type, data, zone)
        if problem:
            errors.append(problem)
    ttl = entry.get('ttl')
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or not MIN_TTL <= ttl <= MAX_TTL):
        errors.append('ttl %r is invalid; allowed: an integer from %d to %d seconds' % (ttl, MIN_TTL, MAX_TTL))
    used = VALUE_FIELDS.get(record_type, ())
    for field in OPTIONAL_FIELDS:
        value = entry.get(field)
        if field not in used:
            if value is not None:
                owners = sorted(kind for kind, fields in VALUE_FIELDS.items() if field in fields)
                errors.append('%s %r is not used by %s records, only by %s records; remove it'
                              % (field, value, record_type, ' and '.join(owners)))
            continue
        if field == 'tag':
            if value is None and present:
                errors.append('tag is required for CAA records; allowed: %s' % ', '.join(CAA_TAGS))
            elif value is not None and str(value).lower() not in CAA_TAGS:
                errors.append('tag %r is invalid; allowed: %s' % (value, ', '.join(CAA_TAGS)))
            continue
        problem = _int_error(field, value, present, record_type)
        if problem:
            errors.append(problem)
    if present and record_type == 'CNAME' and name == '@':
        errors.append('a CNAME record cannot be at the apex of %s: the apex holds the SOA and NS records and a CNAME '
                      'cannot share its name with other records' % zone)
    return errors


def desired_record(entry, zone, default_ttl):
    """Canonical form of a validated ``records`` entry."""
    record_type = entry['type']
    record = {'name': relative_name(entry['name'], zone), 'type': record_type,
              'data': canonical_data(record_type, entry['data'], zone) if entry.get('data') is not None else None,
              'ttl': entry['ttl'] if entry.get('ttl') is not None else default_ttl}
    for field in OPTIONAL_FIELDS:
        record[field] = entry.get(field) if field in VALUE_FIELDS.get(record_type, ()) else None
    if record.get('tag') is not None:
        record['tag'] = str(record['tag']).lower()
    return record


def parse_records(entries, zone, default_ttl=DEFAULT_TTL):
    """Validate every entry, then check them against each other.

    Returns ``(present, absent, errors, warnings)``: canonical records to have and removal specs
    (``data`` None = the whole pair), each with its ``index`` in ``entries``. Every error message
    names the record (``records[3] (www A)``), the field, the value and what is allowed.
    """
    present, absent, errors, warnings = [], [], [], []
    for index, entry in enumerate(entries or []):
        entry = dict(entry or {})
        state = entry.get('state') or 'present'
        prefix = 'records[%d] (%s %s)' % (index, entry.get('name'), entry.get('type'))
        problems = _entry_errors(entry, zone, state == 'present')
        if problems:
            errors.extend('%s: %s' % (prefix, problem) for problem in problems)
            continue
        record = desired_record(entry, zone, default_ttl)
        record['index'] = index
        (present if state == 'present' else absent).append(record)
    if errors:
        return present, absent, errors, warnings

    def where(record):
        return 'records[%d] (%s)' % (record['index'], label(record, zone))

    seen = {}
    by_name = {}
    for record in present:
        key = pair_of(record) + value_key(record)
        if key in seen:
            errors.append('%s and %s are the same record (same name, type and value); list it once'
                          % (where(seen[key]), where(record)))
        else:
            seen[key] = record
        by_name.setdefault(record['name'], []).append(record)
    for name, records in sorted(by_name.items()):
        cnames = [record for record in records if record['type'] == 'CNAME']
        if cnames and len(records) > 1:
            others = [record for record in records if record is not cnames[0]]
            errors.append('%s: a CNAME cannot share its name with other records, but %s %s at %s'
                          % (where(cnames[0]), ', '.join(where(other) for other in others),
                             'is' if len(others) == 1 else 'are', absolute_name(name, zone)))
        spf = [record for record in records if record['type'] == 'TXT' and is_spf(record['data'])]
        if len(spf) > 1:
            errors.append('%s: %s has more than one SPF record (TXT starting with v=spf1): %s; a name may publish one SPF '
                          'record only, merge the mechanisms into one' % (where(spf[1]), absolute_name(name, zone),
                                                                          ', '.join(where(record) for record in spf)))
    ttls = {}
    for record in present:
        ttls.setdefault(pair_of(record), set()).add(record['ttl'])
    for pair, values in sorted(ttls.items()):
        if len(values) > 1:
            warnings.append('the %s records of %s have different TTLs (%s); DNS expects one TTL per name and type (RFC 2181)'
                            % (pair[1], absolute_name(pair[0], zone), ', '.join(str(v) for v in sorted(values))))
    present_pairs = dict((pair_of(record), record) for record in present)
    for spec in absent:
        if pair_of(spec) not in present_pairs:
            continue
        if spec['data'] is None:
            errors.append('%s removes every %s record of %s, but %s asks for one; drop one of the two'
                          % (where(spec), spec['type'], absolute_name(spec['name'], zone), where(present_pairs[pair_of(spec)])))
            continue
        clash = next((record for record in present if pair_of(record) == pair_of(spec) and _absent_matches(spec, record)), None)
        if clash is not None:
            errors.append('%s removes the record %s asks for; drop one of the two' % (where(spec), where(clash)))
    return present, absent, errors, warnings


def _absent_matches(spec, record):
    """Whether a removal spec (``state: absent``) covers ``record``."""
    if pair_of(spec) != pair_of(record):
        return False
    if spec['data'] is not None and spec['data'] != record['data']:
        return False
    return all(spec.get(field) is None or spec.get(field) == record.get(field) for field in VALUE_FIELDS.get(spec['type'], ()))


# --------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------

def _sort_key(record):
    return (record['name'], record['type'], str(record.get('data')),
            tuple(-1 if record.get(field) is None else record.get(field) for field in ('priority', 'weight', 'port', 'flags')),
            str(record.get('tag')), record.get('ttl') or 0)


def _update_body(current, desired, zone):
    """The PATCH body turning ``current`` into ``desired`` (``type`` is always sent: the API requires it)."""
    body = {}
    if current['data'] != desired['data']:
        body['data'] = wire_data(desired, zone)
    for field in VALUE_FIELDS.get(desired['type'], ()):
        if current.get(field) != desired.get(field):
            body[field] = desired[field]
    if current.get('ttl') != desired['ttl']:
        body['ttl'] = desired['ttl']
    if body:
        body['type'] = desired['type']
    return body


def match_pair(desired, current):
    """Match the desired records of one pair to its current records.

    Returns ``(matches, creates, deletes)``: ``matches`` are ``(desired, current)`` pairs (an update
    when they differ, e.g. in TTL), ``creates`` desired records without a current one, ``deletes``
    current records nothing asks for. Matching takes, in order: the same value; then the same data
    (e.g. an MX whose priority changed); then what is left, both sides sorted, so that a changed
    value updates a record in place instead of deleting one and creating another. DigitalOcean's own
    records (``is_protected``) only ever match the same value and are never deleted.
    """
    remaining = sorted(current, key=_sort_key)
    matches, unmatched = [], []
    for record in sorted(desired, key=_sort_key):
        found = next((other for other in remaining if value_key(other) == value_key(record)), None)
        if found is None:
            unmatched.append(record)
        else:
            remaining.remove(found)
            matches.append((record, found))
    remaining = [record for record in remaining if not is_protected(record)]
    still = []
    for record in unmatched:
        found = next((other for other in remaining if other['data'] == record['data']), None)
        if found is None:
            still.append(record)
        else:
            remaining.remove(found)
            matches.append((record, found))
    creates = []
    for record in still:
        if remaining:
            matches.append((record, remaining.pop(0)))
        else:
            creates.append(record)
    return matches, creates, remaining


def plan_records(present, absent, current, zone, purge=False):
    """What to create, update and delete so that the zone holds ``present``.

    ``current`` are records from ``from_api``. Every pair (name, type) of ``present`` is owned: its
    current records not asked for are deleted. ``absent`` removes records (a whole pair when its
    ``data`` is None). With ``purge`` every record of a pair not in ``present`` is deleted too.
    DigitalOcean's SOA and apex NS records are never deleted.

    Returns a dict: ``create`` (desired records), ``update`` (dicts ``current``, ``desired``,
    ``body``), ``delete`` (current records), ``unchanged`` (current records), ``conflicts``
    (messages; nothing may be written when there are any).
    """
    desired_pairs = {}
    for record in present:
        desired_pairs.setdefault(pair_of(record), []).append(record)
    current_pairs = {}
    for record in current:
        current_pairs.setdefault(pair_of(record), []).append(record)

    creates, updates, deletes, unchanged = [], [], [], []
    for pair in sorted(desired_pairs):
        matches, new, gone = match_pair(desired_pairs[pair], current_pairs.get(pair, []))
        creates.extend(new)
        deletes.extend(gone)
        for wanted, existing in matches:
            body = _update_body(existing, wanted, zone)
            if body:
                updates.append({'current': existing, 'desired': wanted, 'body': body})
            else:
                unchanged.append(existing)
    deleted_ids = set(id(record) for record in deletes)
    handled = set(id(record) for record in unchanged) | set(id(update['current']) for update in updates) | deleted_ids
    for record in sorted(current, key=_sort_key):
        if id(record) in handled:
            continue
        removable = not is_protected(record) and (
            any(_absent_matches(spec, record) for spec in absent) or (purge and pair_of(record) not in desired_pairs))
        if removable:
            deletes.append(record)
        else:
            unchanged.append(record)
    plan = {'create': sorted(creates, key=_sort_key), 'update': updates, 'delete': sorted(deletes, key=_sort_key),
            'unchanged': unchanged}
    plan['conflicts'] = cname_conflicts(plan, zone)
    return plan


def records_after(plan):
    """The records of the zone once ``plan`` is applied (canonical form)."""
    after = list(plan['unchanged'])
    for update in plan['update']:
        merged = dict(update['current'])
        merged.update(dict((key, update['desired'][key]) for key in ('data', 'ttl') + OPTIONAL_FIELDS))
        merged['changed'] = True
        merged['source'] = update['desired']
        after.append(merged)
    after.extend(plan['create'])
    return sorted(after, key=_sort_key)


def cname_conflicts(plan, zone):
    """Messages for every name where the plan would leave a CNAME beside another record."""
    after = records_after(plan)
    touched = list(plan['create']) + [update['desired'] for update in plan['update']]
    messages = []
    seen = set()
    for record in touched:
        name = record['name']
        if name in seen:
            continue
        at_name = [other for other in after if other['name'] == name]
        if not any(other['type'] == 'CNAME' for other in at_name) or len(at_name) < 2:
            continue
        seen.add(name)
        if record['type'] == 'CNAME':
            others = [other for other in at_name if other['type'] != 'CNAME']
            messages.append('records[%d] (%s): a CNAME cannot share its name with other records, and %s keeps %s; remove %s '
                            'with state: absent (or purge: true) in this task' % (
                                record['index'], label(record, zone), absolute_name(name, zone),
                                ', '.join(label(other) for other in others), 'it' if len(others) == 1 else 'them'))
        else:
            cname = next(other for other in at_name if other['type'] == 'CNAME')
            messages.append('records[%d] (%s): %s has a CNAME record (%s), which cannot share its name with other records; '
                            'remove it with state: absent (or purge: true) in this task'
                            % (record['index'], label(record, zone), absolute_name(name, zone), label(cname)))
    return messages


def diff_text(records, zone):
    """Zone-file lines of ``records``, sorted, for ``--diff``."""
    lines = sorted(describe(record, zone) for record in records)
    return ''.join(line + '\n' for line in lines)


def in_scope(record, present, absent, purge):
    """Whether ``record`` is one the task manages (shown in ``--diff``)."""
    if pair_of(record) in set(pair_of(other) for other in present):
        return True
    if any(_absent_matches(spec, record) for spec in absent):
        return True
    return purge and not is_protected(record)
