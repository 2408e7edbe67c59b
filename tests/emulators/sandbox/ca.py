# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox certificate authority.

Every stand-in speaks HTTPS with one server certificate for ``127.0.0.1`` and ``localhost``,
signed by a CA generated here. Clients trust the sandbox the standard way: they point
``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE`` / ``AWS_CA_BUNDLE`` at :attr:`CertPaths.bundle`.

The files live in ``<state-dir>/ca/``. They are reused while they are still valid (so a client
that already trusts the CA keeps working) and regenerated otherwise.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import os
import secrets
import tempfile

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_VALIDITY = datetime.timedelta(days=3650)
SERVER_VALIDITY = datetime.timedelta(days=825)
# A certificate that expires within this margin is treated as expired and regenerated.
RENEW_MARGIN = datetime.timedelta(days=7)
# Tolerates a little clock skew between the launcher and the clients.
BACKDATE = datetime.timedelta(minutes=5)

SERVER_DNS_NAMES = ('localhost',)
SERVER_IP_ADDRESSES = (ipaddress.IPv4Address('127.0.0.1'),)


@dataclasses.dataclass(frozen=True)
class CertPaths:
    """Where the sandbox CA and the server certificate live."""

    directory: str
    ca_cert: str
    ca_key: str
    server_cert: str
    server_key: str

    @property
    def bundle(self) -> str:
        """The CA bundle clients trust (the sandbox CA alone)."""
        return self.ca_cert

    @classmethod
    def in_directory(cls, directory: str) -> CertPaths:
        directory = os.path.abspath(directory)
        return cls(
            directory=directory,
            ca_cert=os.path.join(directory, 'ca.pem'),
            ca_key=os.path.join(directory, 'ca-key.pem'),
            server_cert=os.path.join(directory, 'server.pem'),
            server_key=os.path.join(directory, 'server-key.pem'),
        )


def ensure_certificates(directory: str, now: datetime.datetime | None = None) -> CertPaths:
    """Return the sandbox CA and server certificate in ``directory``, creating them when needed.

    The CA is kept while it is valid; the server certificate is kept while it is valid, names
    ``127.0.0.1`` and ``localhost`` and was signed by that CA. Anything else is regenerated.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    paths = CertPaths.in_directory(directory)
    os.makedirs(paths.directory, mode=0o700, exist_ok=True)

    ca = _load_valid_ca(paths, now)
    if ca is None:
        ca = _generate_ca(now)
        _write_key(paths.ca_key, ca[1])
        _write_cert(paths.ca_cert, ca[0])
        server_ok = False
    else:
        server_ok = _server_is_valid(paths, ca[0], now)

    if not server_ok:
        cert, key = _generate_server(ca[0], ca[1], now)
        _write_key(paths.server_key, key)
        _write_cert(paths.server_cert, cert)
    return paths


def _load_valid_ca(paths: CertPaths, now: datetime.datetime):
    try:
        cert = _read_cert(paths.ca_cert)
        key = _read_key(paths.ca_key)
    except (OSError, ValueError, TypeError):
        return None
    if not _within_validity(cert, now) or not _key_matches(cert, key):
        return None
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if not constraints.ca or not usage.key_cert_sign:
        return None
    return cert, key


def _server_is_valid(paths: CertPaths, ca_cert: x509.Certificate, now: datetime.datetime) -> bool:
    try:
        cert = _read_cert(paths.server_cert)
        key = _read_key(paths.server_key)
    except (OSError, ValueError, TypeError):
        return False
    if not _within_validity(cert, now) or not _key_matches(cert, key):
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return (set(san.get_values_for_type(x509.DNSName)) == set(SERVER_DNS_NAMES)
            and set(san.get_values_for_type(x509.IPAddress)) == set(SERVER_IP_ADDRESSES))


def _within_validity(cert: x509.Certificate, now: datetime.datetime) -> bool:
    return cert.not_valid_before_utc <= now and now + RENEW_MARGIN < cert.not_valid_after_utc


def _key_matches(cert: x509.Certificate, key) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert.public_key().public_bytes(*fmt) == key.public_key().public_bytes(*fmt)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _generate_ca(now: datetime.datetime):
    key = _new_key()
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'fediops.mastodon sandbox'),
        x509.NameAttribute(NameOID.COMMON_NAME, 'fediops.mastodon sandbox CA %s' % secrets.token_hex(4)),
    ])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _generate_server(ca_cert: x509.Certificate, ca_key, now: datetime.datetime):
    key = _new_key()
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    not_after = min(now + SERVER_VALIDITY, ca_cert.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'fediops.mastodon sandbox'),
            x509.NameAttribute(NameOID.COMMON_NAME, SERVER_DNS_NAMES[0]),
        ]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(n) for n in SERVER_DNS_NAMES] + [x509.IPAddress(ip) for ip in SERVER_IP_ADDRESSES]
        ), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _read_cert(path: str) -> x509.Certificate:
    with open(path, 'rb') as handle:
        return x509.load_pem_x509_certificate(handle.read())


def _read_key(path: str):
    with open(path, 'rb') as handle:
        return serialization.load_pem_private_key(handle.read(), password=None)


def _write_cert(path: str, cert: x509.Certificate) -> None:
    write_file_atomic(path, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _write_key(path: str, key) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    write_file_atomic(path, data, 0o600)


def write_file_atomic(path: str, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` through a temporary file, so readers never see half a file.

    The temporary file is created with mode 0600 and only widened to ``mode`` before it is renamed.
    """
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.%s.' % os.path.basename(path))
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
