# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Mastodon's long-lived application secrets, as pure functions.

Mastodon 4.7 needs six values that must never change once an instance runs:

- ``SECRET_KEY_BASE``: 128 hex characters (what ``secrets.token_hex(64)`` / ``rails secret`` give);
- ``ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY``, ``..._KEY_DERIVATION_SALT``, ``..._PRIMARY_KEY``:
  32 characters of ``[A-Za-z0-9]`` each (what ``rails db:encryption:init`` prints). From 4.7 they
  encrypt the accounts' signing keys: losing or changing one breaks federation;
- ``VAPID_PRIVATE_KEY`` / ``VAPID_PUBLIC_KEY``: a P-256 key pair for Web Push; the private key is the
  urlsafe base64 (with padding) of the 32-byte scalar, the public key the urlsafe base64 (with
  padding) of the 65-byte uncompressed point.

``resolve`` merges what the cluster already holds, what the operator supplied and what has to be
generated, in that order of precedence: supplied > existing > generated. It never replaces an
existing value by a generated one. Values are never put in exception messages.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import re
import secrets
import string

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - the module reports it with missing_required_lib
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc

SECRET_KEY_BASE = 'SECRET_KEY_BASE'
AR_DETERMINISTIC_KEY = 'ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY'
AR_KEY_DERIVATION_SALT = 'ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT'
AR_PRIMARY_KEY = 'ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY'
VAPID_PRIVATE_KEY = 'VAPID_PRIVATE_KEY'
VAPID_PUBLIC_KEY = 'VAPID_PUBLIC_KEY'

ACTIVE_RECORD_KEYS = (AR_DETERMINISTIC_KEY, AR_KEY_DERIVATION_SALT, AR_PRIMARY_KEY)
SECRET_NAMES = (SECRET_KEY_BASE,) + ACTIVE_RECORD_KEYS + (VAPID_PRIVATE_KEY, VAPID_PUBLIC_KEY)

SECRET_KEY_BASE_LENGTH = 128
ACTIVE_RECORD_KEY_LENGTH = 32
ALPHANUMERIC = string.ascii_letters + string.digits
P256_SCALAR_BYTES = 32
P256_POINT_BYTES = 65

_HEX = re.compile(r'^[0-9a-f]+$')
_ALNUM = re.compile(r'^[A-Za-z0-9]+$')
_B64URL = re.compile(r'^[A-Za-z0-9_-]+={0,2}$')

SOURCE_SUPPLIED = 'supplied'
SOURCE_EXISTING = 'existing'
SOURCE_GENERATED = 'generated'
SOURCE_DERIVED = 'derived'


class SecretError(ValueError):
    """A supplied or stored value is unusable. The message names the variable, never its value."""


# ---------------------------------------------------------------------------------------- generation

def generate_secret_key_base():
    """128 lowercase hex characters (64 random bytes)."""
    return secrets.token_hex(SECRET_KEY_BASE_LENGTH // 2)


def generate_active_record_key():
    """32 characters drawn uniformly from [A-Za-z0-9]."""
    return ''.join(secrets.choice(ALPHANUMERIC) for dummy in range(ACTIVE_RECORD_KEY_LENGTH))


def _b64url(raw):
    return base64.urlsafe_b64encode(raw).decode('ascii')


def _b64url_decode(text):
    text = text.strip()
    if not _B64URL.match(text):
        raise SecretError('not urlsafe base64')
    padded = text + '=' * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode('ascii'))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise SecretError('not urlsafe base64')


def _require_cryptography():
    if not HAS_CRYPTOGRAPHY:
        raise SecretError('the cryptography library is required for VAPID keys: %s' % CRYPTOGRAPHY_IMPORT_ERROR)


def _private_key_from_scalar(raw):
    _require_cryptography()
    if len(raw) != P256_SCALAR_BYTES:
        raise SecretError('a P-256 private key is a %d-byte scalar, this one has %d bytes' % (P256_SCALAR_BYTES, len(raw)))
    value = int.from_bytes(raw, 'big')
    try:
        return ec.derive_private_key(value, ec.SECP256R1())
    except ValueError:
        raise SecretError('the scalar is not a valid P-256 private key (zero or not below the group order)')


def _encode_public(private_key):
    point = private_key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return _b64url(point)


def generate_vapid_keypair():
    """A fresh P-256 key pair as (private, public), both urlsafe base64 with padding."""
    _require_cryptography()
    private_key = ec.generate_private_key(ec.SECP256R1())
    scalar = private_key.private_numbers().private_value.to_bytes(P256_SCALAR_BYTES, 'big')
    return _b64url(scalar), _encode_public(private_key)


def vapid_public_from_private(private_b64):
    """The public key (urlsafe base64 of the uncompressed point) that belongs to this private key."""
    return _encode_public(_private_key_from_scalar(_b64url_decode(private_b64)))


# ---------------------------------------------------------------------------------------- checks

def check_secret_key_base(value):
    """Problems with a SECRET_KEY_BASE (empty list when fine).

    Older installs may hold keys made another way; anything of at least 64 characters without
    whitespace is accepted, since changing it would log everybody out.
    """
    if len(value) < 64:
        return ['must be at least 64 characters (Mastodon generates 128 hex characters)']
    if any(char.isspace() for char in value):
        return ['must not contain whitespace']
    return []


def check_active_record_key(value):
    if not _ALNUM.match(value):
        return ['must contain only letters and digits (Mastodon generates 32 of [A-Za-z0-9])']
    if len(value) < ACTIVE_RECORD_KEY_LENGTH:
        return ['must be at least %d characters' % ACTIVE_RECORD_KEY_LENGTH]
    return []


def check_vapid_pair(private_b64, public_b64):
    """Problems with a VAPID pair: the private key must be a P-256 scalar and the public key its point."""
    try:
        expected = vapid_public_from_private(private_b64)
    except SecretError as exc:
        return ['%s: %s' % (VAPID_PRIVATE_KEY, exc)]
    try:
        raw_public = _b64url_decode(public_b64)
    except SecretError as exc:
        return ['%s: %s' % (VAPID_PUBLIC_KEY, exc)]
    if len(raw_public) != P256_POINT_BYTES or raw_public[:1] != b'\x04':
        return ['%s: must be the 65-byte uncompressed P-256 point (0x04 || X || Y)' % VAPID_PUBLIC_KEY]
    if _b64url_decode(expected) != raw_public:
        return ['%s does not belong to %s' % (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY)]
    return []


def is_hex(value):
    return bool(_HEX.match(value))


# ---------------------------------------------------------------------------------------- merge

def decode_secret_data(data):
    """A Secret's ``data`` (base64 values, as the API returns them) as text, for the names we manage.

    Other keys are ignored. A value that is not base64 of UTF-8 raises SecretError naming the key.
    """
    decoded = {}
    for name in SECRET_NAMES:
        value = (data or {}).get(name)
        if value in (None, ''):
            continue
        try:
            decoded[name] = base64.b64decode(value, validate=True).decode('utf-8')
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise SecretError('key %s of the existing Secret is not base64 of UTF-8 text' % name)
    return decoded


def _clean(values):
    """Drop unset entries (None, empty or whitespace-only strings) and strip the rest."""
    result = {}
    for name, value in (values or {}).items():
        if value is None:
            continue
        text = str(value).strip()
        if text:
            result[name] = text
    return result


def validate_supplied(supplied):
    """Problems with supplied values, each naming the variable (never the value)."""
    problems = []
    for name, value in supplied.items():
        if name not in SECRET_NAMES:
            problems.append('%s is not a secret this module manages (expected one of %s)' % (name, ', '.join(SECRET_NAMES)))
        elif name == SECRET_KEY_BASE:
            problems.extend('%s %s' % (name, problem) for problem in check_secret_key_base(value))
        elif name in ACTIVE_RECORD_KEYS:
            problems.extend('%s %s' % (name, problem) for problem in check_active_record_key(value))
    if VAPID_PUBLIC_KEY in supplied and VAPID_PRIVATE_KEY not in supplied:
        problems.append('%s was supplied without %s: supply both, or only the private key' % (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY))
    elif VAPID_PRIVATE_KEY in supplied:
        if VAPID_PUBLIC_KEY in supplied:
            problems.extend(check_vapid_pair(supplied[VAPID_PRIVATE_KEY], supplied[VAPID_PUBLIC_KEY]))
        else:
            try:
                vapid_public_from_private(supplied[VAPID_PRIVATE_KEY])
            except SecretError as exc:
                problems.append('%s: %s' % (VAPID_PRIVATE_KEY, exc))
    return problems


def resolve(existing, supplied):
    """The complete set of Mastodon secrets.

    ``existing``: decoded values the cluster's Secret holds; ``supplied``: the operator's values.
    Returns ``(values, sources)`` where ``sources[name]`` is one of ``supplied``, ``existing``,
    ``generated`` or ``derived`` (a VAPID public key computed from a kept private key).

    Rules: a supplied value wins; otherwise an existing value is kept as it is (never regenerated,
    even when it looks odd); only a missing value is generated. The VAPID pair is handled as one:
    when the private key comes from the operator or the cluster, the public key is taken from the
    same place or derived from it, never generated independently.
    Raises SecretError (naming variables only) when a supplied value is unusable.
    """
    existing = _clean(existing)
    supplied = _clean(supplied)
    problems = validate_supplied(supplied)
    if problems:
        raise SecretError('; '.join(problems))

    values, sources = {}, {}
    generators = {SECRET_KEY_BASE: generate_secret_key_base}
    generators.update((name, generate_active_record_key) for name in ACTIVE_RECORD_KEYS)
    for name, generate in generators.items():
        if name in supplied:
            values[name], sources[name] = supplied[name], SOURCE_SUPPLIED
        elif name in existing:
            values[name], sources[name] = existing[name], SOURCE_EXISTING
        else:
            values[name], sources[name] = generate(), SOURCE_GENERATED

    if VAPID_PRIVATE_KEY in supplied:
        origin, pair = SOURCE_SUPPLIED, supplied
    elif VAPID_PRIVATE_KEY in existing:
        origin, pair = SOURCE_EXISTING, existing
    else:
        origin, pair = None, {}
    if origin is None:
        values[VAPID_PRIVATE_KEY], values[VAPID_PUBLIC_KEY] = generate_vapid_keypair()
        sources[VAPID_PRIVATE_KEY] = sources[VAPID_PUBLIC_KEY] = SOURCE_GENERATED
    else:
        values[VAPID_PRIVATE_KEY], sources[VAPID_PRIVATE_KEY] = pair[VAPID_PRIVATE_KEY], origin
        if VAPID_PUBLIC_KEY in pair:
            values[VAPID_PUBLIC_KEY], sources[VAPID_PUBLIC_KEY] = pair[VAPID_PUBLIC_KEY], origin
        else:
            try:
                values[VAPID_PUBLIC_KEY] = vapid_public_from_private(pair[VAPID_PRIVATE_KEY])
            except SecretError as exc:
                raise SecretError('the %s %s cannot give a public key: %s' % (origin, VAPID_PRIVATE_KEY, exc))
            sources[VAPID_PUBLIC_KEY] = SOURCE_DERIVED
    return values, sources


def existing_warnings(existing):
    """Remarks about kept values that do not look like what Mastodon generates (they are kept anyway)."""
    existing = _clean(existing)
    warnings = []
    for name, value in existing.items():
        if name == SECRET_KEY_BASE:
            problems = check_secret_key_base(value)
        elif name in ACTIVE_RECORD_KEYS:
            problems = check_active_record_key(value)
        else:
            problems = []
        warnings.extend('the existing %s %s; it is kept unchanged' % (name, problem) for problem in problems)
    if VAPID_PRIVATE_KEY in existing and VAPID_PUBLIC_KEY in existing:
        warnings.extend('the existing VAPID keys: %s; they are kept unchanged' % problem
                        for problem in check_vapid_pair(existing[VAPID_PRIVATE_KEY], existing[VAPID_PUBLIC_KEY]))
    return warnings
