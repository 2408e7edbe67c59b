# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS certificates (``/v2/certificates``): state and DigitalOcean's rules.

From the contract and DigitalOcean's documentation:
- two types: ``custom`` (uploaded: ``private_key``, ``leaf_certificate`` and optionally
  ``certificate_chain``, all PEM) and ``lets_encrypt`` (``dns_names``; DigitalOcean obtains it, which
  needs every name's zone hosted on DigitalOcean DNS). The name is unique in the account;
- a Let's Encrypt certificate is ``pending`` until issued, then ``verified`` (``error`` when issuance
  fails); an uploaded one is ``verified`` at once, with ``not_after``, ``sha1_fingerprint`` and
  ``dns_names`` read from the leaf certificate;
- certificates are immutable (the API has no update); one in use cannot be deleted — DigitalOcean
  answers 422 "This certificate is being used by an active Load Balancer. You must make sure no Load
  Balancer is using it before deleting." (seen for a CDN endpoint's certificate as well).
Not stated by the contract, so chosen here and documented in the README: a duplicate name is 422; an
omitted ``type`` means ``custom``; the key must match the leaf certificate, the leaf must not be
expired, and the first certificate of the chain must be the leaf's issuer (422 otherwise); a pending
Let's Encrypt certificate answers ``not_after`` ``0001-01-01T00:00:00Z`` and an empty
``sha1_fingerprint`` (Go's zero time, what DigitalOcean's services render for "not yet"); issuance
fails (``error``) when a name's zone left DigitalOcean DNS before it settled; a Let's Encrypt
certificate is valid 90 days from issuance; at most 100 names.
"""

import hashlib
import re
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from ..errors import NotFound, UnprocessableEntity
from ..models import Family, Page, Result, isoformat

ZERO_TIME = "0001-01-01T00:00:00Z"
LETS_ENCRYPT_DAYS = 90
MAX_NAMES = 100
LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
IN_USE_MESSAGE = ("This certificate is being used by an active Load Balancer. You must make sure no Load Balancer is using it before "
                  "deleting. (In use by CDN endpoint %s.)")


def hostname_error(name, wildcard=True):
    """None for a valid DNS name (a leftmost ``*`` label when ``wildcard``), else why not."""
    if not isinstance(name, str) or not name:
        return "%r is not a domain name" % (name,)
    labels = name.lower().split(".")
    if wildcard and labels[0] == "*":
        labels = labels[1:]
    if len(labels) < 2 or len(name) > 253 or not all(LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return "%r is not a fully qualified domain name (letters, digits and dashes in dot-separated labels%s)" % (
            name, "; a wildcard only as the leftmost label, as in *.example.com" if wildcard else "")
    return None


def covers(dns_names, host):
    """True when a certificate for ``dns_names`` is valid for ``host`` (exact, or a wildcard one label deep)."""
    host = host.lower().rstrip(".")
    for name in dns_names:
        name = name.lower()
        if name == host:
            return True
        if name.startswith("*.") and host.count(".") >= 2 and host.split(".", 1)[1] == name[2:]:
            return True
    return False


def _load_pem_certificates(text, field):
    blocks = PEM_CERTIFICATE.findall(text or "")
    if not blocks:
        raise UnprocessableEntity("%s is not a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)" % field)
    certificates = []
    for block in blocks:
        try:
            certificates.append(x509.load_pem_x509_certificate(block.encode("ascii")))
        except ValueError as exc:
            raise UnprocessableEntity("%s could not be parsed as an X.509 certificate: %s" % (field, exc)) from None
    return certificates


def _certificate_names(certificate):
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        names = []
    if not names:
        names = [attribute.value for attribute in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return [str(name).lower() for name in names]


def _public_der(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class CertificatesFamily(Family):
    name = "certificates"
    operations = {
        "certificates_list": "list_certificates",
        "certificates_create": "create_certificate",
        "certificates_get": "get_certificate",
        "certificates_delete": "delete_certificate",
    }

    def seed(self):
        """A fresh account has no certificates."""
        self.certificates = {}

    # -- queries -----------------------------------------------------------------------------

    def find(self, certificate_id):
        record = self.certificates.get(str(certificate_id).lower())
        if record is None:
            raise NotFound()
        return record

    def find_by_name(self, name):
        return next((record for record in self.certificates.values() if record["name"] == name), None)

    def state_of(self, record):
        if record["transition"] is None:
            return "verified"
        status = record["transition"].status(self.now())
        return "error" if status == "verified" and record["failed"] else status

    def render(self, record):
        state = self.state_of(record)
        issued = state == "verified"
        return {
            "id": record["id"],
            "name": record["name"],
            "not_after": isoformat(record["not_after"]) if issued else ZERO_TIME,
            "sha1_fingerprint": record["sha1_fingerprint"] if issued else "",
            "created_at": isoformat(record["created_at"]),
            "dns_names": list(record["dns_names"]),
            "state": state,
            "type": record["type"],
        }

    def _zones(self):
        family = self.backend.families.get("domains")
        return None if family is None else set(family.domains)

    @staticmethod
    def zone_of(name, zones):
        """The hosted zone a DNS name belongs to (the longest matching suffix), or None."""
        labels = name.lower().lstrip("*.").split(".")
        for start in range(len(labels) - 1):
            candidate = ".".join(labels[start:])
            if candidate in zones:
                return candidate
        return None

    def _cdn_users(self, record):
        family = self.backend.families.get("cdn")
        return [] if family is None else family.endpoints_using(record["id"])

    # -- rules -------------------------------------------------------------------------------

    def _check_name(self, name):
        if not isinstance(name, str) or not name.strip():
            raise UnprocessableEntity("name is required: a unique name for the certificate")
        if self.find_by_name(name) is not None:
            raise UnprocessableEntity("name %r is already in use by another certificate in this account; certificate names must be unique"
                                      % name)

    def _lets_encrypt(self, body):
        names = body.get("dns_names")
        if not names:
            raise UnprocessableEntity("dns_names is required for a lets_encrypt certificate: the names it must cover")
        names = [name.lower() for name in names]
        for name in names:
            error = hostname_error(name)
            if error:
                raise UnprocessableEntity("dns_names: " + error)
        if len(set(names)) > MAX_NAMES:
            raise UnprocessableEntity("dns_names: a Let's Encrypt certificate covers at most %d names (got %d)" % (MAX_NAMES, len(set(names))))
        zones = self._zones()
        if zones is not None:
            missing = [name for name in names if self.zone_of(name, zones) is None]
            if missing:
                raise UnprocessableEntity("dns_names: %s: the domain is not managed by DigitalOcean DNS; Let's Encrypt certificates need "
                                          "every name's zone hosted on DigitalOcean (add the domain first)" % ", ".join(missing))
        unique = []
        for name in names:
            if name not in unique:
                unique.append(name)
        return unique

    def _custom(self, body):
        leaf = _load_pem_certificates(body.get("leaf_certificate"), "leaf_certificate")[0]
        try:
            key = serialization.load_pem_private_key((body.get("private_key") or "").encode("utf-8"), password=None)
        except (ValueError, TypeError) as exc:
            raise UnprocessableEntity("private_key is not an unencrypted PEM private key: %s" % exc) from None
        if _public_der(key.public_key()) != _public_der(leaf.public_key()):
            raise UnprocessableEntity("private_key does not match the public key of leaf_certificate")
        not_after = leaf.not_valid_after_utc.timestamp()
        if not_after <= self.now():
            raise UnprocessableEntity("leaf_certificate expired on %s" % isoformat(not_after))
        if body.get("certificate_chain"):
            chain = _load_pem_certificates(body["certificate_chain"], "certificate_chain")
            if chain[0].subject != leaf.issuer:
                raise UnprocessableEntity("certificate_chain does not start with the issuer of leaf_certificate (%s)" % leaf.issuer.rfc4514_string())
        return {
            "dns_names": _certificate_names(leaf),
            "not_after": not_after,
            "sha1_fingerprint": leaf.fingerprint(hashes.SHA1()).hex(),  # nosec - DigitalOcean's own identifier, not security
        }

    # -- operations --------------------------------------------------------------------------

    def list_certificates(self, call):
        records = list(self.certificates.values())
        if call.query.get("name"):
            records = [record for record in records if record["name"] == call.query["name"]]
        return Page("certificates", [self.render(record) for record in records])

    def create_certificate(self, call):
        body = call.body or {}
        self._check_name(body.get("name"))
        kind = body.get("type") or "custom"
        record = {"id": str(uuid.uuid4()), "name": body["name"], "type": kind, "created_at": self.now(), "failed": False, "transition": None}
        if kind == "lets_encrypt":
            if body.get("private_key") or body.get("leaf_certificate"):
                raise UnprocessableEntity("a lets_encrypt certificate takes dns_names only; private_key and leaf_certificate are for type custom")
            record["dns_names"] = self._lets_encrypt(body)
            record["sha1_fingerprint"] = hashlib.sha1(("lets_encrypt:" + record["id"]).encode("ascii")).hexdigest()  # nosec
            record["not_after"] = self.now() + self.provision_delay() + LETS_ENCRYPT_DAYS * 86400

            def settle():
                zones = self._zones()
                record["failed"] = zones is not None and any(self.zone_of(name, zones) is None for name in record["dns_names"])

            record["transition"] = self.begin_transition("pending", "verified", on_settle=settle)
        else:
            if body.get("dns_names"):
                raise UnprocessableEntity("dns_names is only for type lets_encrypt; a custom certificate's names come from leaf_certificate")
            record.update(self._custom(body))
        self.certificates[record["id"]] = record
        return Result(201, {"certificate": self.render(record)})

    def get_certificate(self, call):
        return Result(200, {"certificate": self.render(self.find(call.path_params["certificate_id"]))})

    def delete_certificate(self, call):
        record = self.find(call.path_params["certificate_id"])
        users = self._cdn_users(record)
        if users:
            raise UnprocessableEntity(IN_USE_MESSAGE % ", ".join(users))
        del self.certificates[record["id"]]
        return Result(204)

    def state(self):
        return {"certificates": [dict(self.render(record), in_use_by=self._cdn_users(record)) for record in self.certificates.values()]}
