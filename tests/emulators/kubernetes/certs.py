# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificates the emulated cert-manager issues (real X.509, signed by a CA made per stand-in)."""

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID


class Signer:
    """The stand-in's issuing CA (made on first use)."""

    def __init__(self, name="fediops sandbox emulated ACME CA"):
        self.name = name
        self._key = None
        self._cert = None

    def _ensure(self):
        if self._cert is None:
            self._key = ec.generate_private_key(ec.SECP256R1())
            subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.name)])
            now = datetime.datetime.now(datetime.timezone.utc)
            self._cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(self._key.public_key())
                          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                          .not_valid_after(now + datetime.timedelta(days=3650))
                          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                          .sign(self._key, hashes.SHA256()))
        return self._key, self._cert

    @property
    def ca_pem(self):
        return self._ensure()[1].public_bytes(serialization.Encoding.PEM)

    def issue(self, spec, self_signed, not_before, duration_seconds):
        """(certificate PEM, private key PEM) for a Certificate spec."""
        private_key = _private_key(spec.get("privateKey") or {})
        names = list(spec.get("dnsNames") or [])
        common_name = spec.get("commonName") or (names[0] if names else "")
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else [])
        if self_signed:
            signing_key, issuer = private_key, subject
        else:
            signing_key, ca_cert = self._ensure()
            issuer = ca_cert.subject
        start = datetime.datetime.fromtimestamp(not_before, tz=datetime.timezone.utc)
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(private_key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(start)
                   .not_valid_after(start + datetime.timedelta(seconds=duration_seconds))
                   .add_extension(x509.BasicConstraints(ca=bool(spec.get("isCA")), path_length=None), critical=True))
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False)
        algorithm = None if isinstance(signing_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
        cert = builder.sign(signing_key, algorithm)
        key_pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
                                            if (spec.get("privateKey") or {}).get("encoding") == "PKCS8" else serialization.PrivateFormat.TraditionalOpenSSL
                                            if not isinstance(private_key, ed25519.Ed25519PrivateKey) else serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
        return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _private_key(options):
    algorithm = options.get("algorithm", "RSA")
    if algorithm == "ECDSA":
        return ec.generate_private_key({384: ec.SECP384R1(), 521: ec.SECP521R1()}.get(options.get("size"), ec.SECP256R1()))
    if algorithm == "Ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=options.get("size") or 2048)


def account_key_pem():
    """An ACME account key, as cert-manager stores it in the issuer's privateKeySecretRef."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
