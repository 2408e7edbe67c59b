# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""DigitalOcean certificates: DNS names, PEM checks, coverage of a host, and lookups by name or id.

The pure helpers need only the standard library: PEM blocks are read with ``base64`` and the SHA-1
fingerprint DigitalOcean reports (``sha1_fingerprint``: hex SHA-1 of the leaf's DER) is computed with
``hashlib``. When ``cryptography`` is importable, ``leaf_facts`` also reads the names and the expiry of
an uploaded certificate and checks that the private key belongs to it, so a mismatch fails before any
call; without it, DigitalOcean's own check answers.
"""

import base64
import binascii
import datetime
import hashlib
import re

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID
    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False

LABEL = re.compile(r'^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$')
UUID_PATTERN = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
PEM_BLOCK = re.compile(r'-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----', re.S)
HOSTNAME_RULES = 'letters, digits and dashes in at least two dot-separated labels, for example cdn.example.com'
TYPES = ('lets_encrypt', 'custom')


# --------------------------------------------------------------------------------------------
# DNS names
# --------------------------------------------------------------------------------------------

def hostname_error(name, option, wildcard=True):
    """None for a valid fully qualified name (a leftmost ``*`` label when ``wildcard``), else a message."""
    text = str(name or '').lower().rstrip('.')
    labels = text.split('.')
    if wildcard and labels[0] == '*':
        labels = labels[1:]
    if len(labels) < 2 or len(text) > 253 or not all(LABEL.match(label) for label in labels) or labels[-1].isdigit():
        allowed = HOSTNAME_RULES + ('; a wildcard only as the leftmost label, as in *.example.com' if wildcard else '')
        return '%s: %r is not a fully qualified domain name; allowed: %s' % (option, name, allowed)
    return None


def normalize_names(names):
    """DNS names compared as DigitalOcean does: lower case, no trailing dot, sorted, once each."""
    return sorted(set(str(name).lower().rstrip('.') for name in names or []))


def covers(dns_names, host):
    """True when a certificate for ``dns_names`` is valid for ``host``: an exact name or a wildcard one label deep."""
    host = str(host).lower().rstrip('.')
    for name in normalize_names(dns_names):
        if name == host:
            return True
        if name.startswith('*.') and host.count('.') >= 2 and host.split('.', 1)[1] == name[2:]:
            return True
    return False


def zone_of(name, zones):
    """The DNS zone (among ``zones``) a name belongs to: the longest suffix that is a zone; None if none."""
    labels = str(name).lower().rstrip('.').split('.')
    if labels[0] == '*':
        labels = labels[1:]
    zones = set(str(zone).lower() for zone in zones)
    for start in range(len(labels) - 1):
        candidate = '.'.join(labels[start:])
        if candidate in zones:
            return candidate
    return None


# --------------------------------------------------------------------------------------------
# PEM
# --------------------------------------------------------------------------------------------

def pem_blocks(text, kind):
    """The DER bytes of every PEM block whose label is ``kind`` (e.g. ``CERTIFICATE``) or ends with it (``PRIVATE KEY``)."""
    blocks = []
    for label, body in PEM_BLOCK.findall(text or ''):
        if label == kind or label.endswith(' ' + kind):
            try:
                blocks.append(base64.b64decode(''.join(body.split()), validate=True))
            except (binascii.Error, ValueError):
                return None
    return blocks


def sha1_fingerprint(leaf_pem):
    """DigitalOcean's ``sha1_fingerprint`` of a PEM certificate (hex SHA-1 of its DER), or None if unreadable."""
    blocks = pem_blocks(leaf_pem, 'CERTIFICATE')
    if not blocks:
        return None
    return hashlib.sha1(blocks[0], usedforsecurity=False).hexdigest()  # the API's identifier of the certificate


def pem_errors(private_key, leaf_certificate, certificate_chain):
    """Messages for PEM inputs that are not what DigitalOcean accepts (checked without cryptography)."""
    errors = []
    if not pem_blocks(private_key, 'PRIVATE KEY'):
        errors.append('private_key is not a PEM private key (-----BEGIN PRIVATE KEY-----, or RSA/EC PRIVATE KEY)')
    if 'ENCRYPTED' in (private_key or ''):
        errors.append('private_key is encrypted; DigitalOcean needs the key without a passphrase')
    leaf = pem_blocks(leaf_certificate, 'CERTIFICATE')
    if not leaf:
        errors.append('leaf_certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----)')
    elif len(leaf) > 1:
        errors.append('leaf_certificate holds %d certificates; give the leaf alone and the rest in certificate_chain' % len(leaf))
    if certificate_chain and not pem_blocks(certificate_chain, 'CERTIFICATE'):
        errors.append('certificate_chain is not a list of PEM certificates (-----BEGIN CERTIFICATE-----)')
    return errors


def leaf_facts(private_key, leaf_certificate, now=None):
    """``(facts, errors)`` read with cryptography: facts ``{dns_names, not_after}`` of the leaf; errors when the key does
    not match it or it has expired. ``(None, [])`` when cryptography is not installed or the PEM cannot be read."""
    if not HAS_CRYPTOGRAPHY:
        return None, []
    try:
        leaf = x509.load_pem_x509_certificate(leaf_certificate.encode('utf-8'))
        key = serialization.load_pem_private_key(private_key.encode('utf-8'), password=None)
    except (ValueError, TypeError) as exc:
        return None, ['private_key or leaf_certificate cannot be read: %s' % exc]
    errors = []
    public = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*public) != leaf.public_key().public_bytes(*public):
        errors.append('private_key does not belong to leaf_certificate (their public keys differ)')
    not_after = leaf.not_valid_after_utc
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if not_after <= now:
        errors.append('leaf_certificate expired on %s' % not_after.strftime('%Y-%m-%dT%H:%M:%SZ'))
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        names = [attribute.value for attribute in leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return {'dns_names': normalize_names(names), 'not_after': not_after.strftime('%Y-%m-%dT%H:%M:%SZ')}, errors


# --------------------------------------------------------------------------------------------
# Lookups (through a DigitalOceanModule)
# --------------------------------------------------------------------------------------------

def certificates_named(module, name):
    """Certificates of the account with this exact name (the API filters on ``name``)."""
    found = module.paginate('list certificates', module.client.certificates.list, 'certificates', name=name)
    return [certificate for certificate in found if certificate.get('name') == name]


def find_certificate(module, reference, option='certificate'):
    """A certificate by id (a UUID) or by name; fails naming ``option`` when there is none."""
    reference = str(reference)
    if UUID_PATTERN.match(reference):
        found = module.get_or_none('get certificate %s' % reference, module.client.certificates.get, reference)
        if found:
            return found['certificate']
    matches = certificates_named(module, reference)
    if len(matches) > 1:
        module.fail_json(msg='%s: %d certificates are named %r (ids: %s); give the id instead' % (
            option, len(matches), reference, ', '.join(match['id'] for match in matches)))
    if not matches:
        module.missing_dependency('%s: no certificate with the id or name %r in this account; create it first (do_certificate)' % (
            option, reference))
    return matches[0]


def endpoints_using(module, certificate_id):
    """CDN endpoints whose custom domain uses this certificate."""
    endpoints = module.paginate('list CDN endpoints', module.client.cdn.list_endpoints, 'endpoints')
    return [endpoint for endpoint in endpoints if endpoint.get('certificate_id') == certificate_id]
