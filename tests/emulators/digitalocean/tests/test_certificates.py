# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS certificates: uploaded ones read from their PEM, Let's Encrypt ones pending until issued, in-use ones kept."""

import datetime
import hashlib

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ZONE = "example.com"


@pytest.fixture(scope="module")
def authority():
    return trustme.CA()


@pytest.fixture(scope="module")
def uploaded(authority):
    leaf = authority.issue_cert("cdn.example.com", "*.media.example.com")
    return {
        "private_key": leaf.private_key_pem.bytes().decode(),
        "leaf_certificate": leaf.cert_chain_pems[0].bytes().decode(),
        "certificate_chain": authority.cert_pem.bytes().decode(),
    }


def _expired_pair():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old.example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=30))
                   .not_valid_after(now - datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return key_pem.decode(), certificate.public_bytes(serialization.Encoding.PEM).decode()


def _zone(api, name=ZONE):
    assert api.post("/v2/domains", json={"name": name}).status_code == 201


def test_custom_certificate_is_verified_at_once_with_facts_read_from_the_pem(do_client, uploaded):
    created = do_client.certificates.create(body=dict(uploaded, name="cdn-upload", type="custom"))["certificate"]
    leaf = x509.load_pem_x509_certificate(uploaded["leaf_certificate"].encode())
    assert created["state"] == "verified" and created["type"] == "custom"
    assert created["dns_names"] == ["cdn.example.com", "*.media.example.com"]
    assert created["sha1_fingerprint"] == hashlib.sha1(leaf.public_bytes(serialization.Encoding.DER)).hexdigest()
    assert created["not_after"] == leaf.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert do_client.certificates.get(created["id"])["certificate"] == created


def test_key_that_does_not_match_the_leaf_is_refused(api, control, authority, uploaded):
    other = authority.issue_cert("other.example.com")
    body = dict(uploaded, name="mismatch", private_key=other.private_key_pem.bytes().decode())
    response = api.post("/v2/certificates", json=body)
    assert response.status_code == 422
    assert "private_key does not match" in response.json()["message"]
    assert control.state()["certificates"] == []


def test_expired_leaf_and_foreign_chain_are_refused(api, uploaded):
    key, leaf = _expired_pair()
    response = api.post("/v2/certificates", json={"name": "old", "private_key": key, "leaf_certificate": leaf})
    assert response.status_code == 422 and "expired" in response.json()["message"]
    foreign_chain = trustme.CA().cert_pem.bytes().decode()
    response = api.post("/v2/certificates", json=dict(uploaded, name="chain", certificate_chain=foreign_chain))
    assert response.status_code == 422 and "certificate_chain" in response.json()["message"]
    response = api.post("/v2/certificates", json=dict(uploaded, name="garbage", leaf_certificate="not a pem"))
    assert response.status_code == 422 and "leaf_certificate" in response.json()["message"]


def test_lets_encrypt_needs_every_zone_on_digitalocean_dns(api, control):
    _zone(api)
    response = api.post("/v2/certificates", json={"name": "le", "type": "lets_encrypt",
                                                  "dns_names": ["cdn.example.com", "www.elsewhere.org"]})
    assert response.status_code == 422
    message = response.json()["message"]
    assert "www.elsewhere.org" in message and "DigitalOcean DNS" in message and "cdn.example.com" not in message
    assert control.state()["certificates"] == []


def test_lets_encrypt_is_pending_then_verified(do_client, api, control):
    control.configure(family_provision_delay={"certificates": 30})
    _zone(api)
    created = do_client.certificates.create(body={"name": "le", "type": "lets_encrypt",
                                                  "dns_names": ["CDN.example.com", "*.example.com"]})["certificate"]
    assert created["state"] == "pending"
    assert created["dns_names"] == ["cdn.example.com", "*.example.com"]
    assert created["not_after"] == "0001-01-01T00:00:00Z" and created["sha1_fingerprint"] == ""
    control.advance_clock(31)
    issued = do_client.certificates.get(created["id"])["certificate"]
    assert issued["state"] == "verified"
    assert len(issued["sha1_fingerprint"]) == 40 and issued["not_after"] > issued["created_at"]


def test_lets_encrypt_fails_when_the_zone_leaves_before_issuance(do_client, api, control):
    control.configure(family_provision_delay={"certificates": 30})
    _zone(api)
    created = do_client.certificates.create(body={"name": "le", "type": "lets_encrypt", "dns_names": ["cdn.example.com"]})["certificate"]
    assert api.delete("/v2/domains/%s" % ZONE).status_code == 204
    control.advance_clock(31)
    assert do_client.certificates.get(created["id"])["certificate"]["state"] == "error"


def test_names_are_unique_and_types_take_their_own_fields(api, uploaded):
    _zone(api)
    assert api.post("/v2/certificates", json={"name": "le", "type": "lets_encrypt", "dns_names": ["a.example.com"]}).status_code == 201
    response = api.post("/v2/certificates", json={"name": "le", "type": "lets_encrypt", "dns_names": ["b.example.com"]})
    assert response.status_code == 422 and "already in use" in response.json()["message"]
    response = api.post("/v2/certificates", json=dict(uploaded, name="x", type="lets_encrypt"))
    assert response.status_code == 422 and "dns_names" in response.json()["message"]
    response = api.post("/v2/certificates", json={"name": "bad", "type": "lets_encrypt", "dns_names": ["not..valid"]})
    assert response.status_code == 422 and "not..valid" in response.json()["message"]


def test_list_filters_on_name_and_paginates(do_client, api, uploaded):
    _zone(api)
    for number in range(3):
        do_client.certificates.create(body={"name": "le-%d" % number, "type": "lets_encrypt", "dns_names": ["n%d.example.com" % number]})
    assert [c["name"] for c in do_client.certificates.list(name="le-1")["certificates"]] == ["le-1"]
    page = api.get("/v2/certificates?per_page=2").json()
    assert page["meta"]["total"] == 3 and len(page["certificates"]) == 2


def test_certificate_in_use_by_a_cdn_endpoint_cannot_be_deleted(do_client, api, control, uploaded):
    certificate = do_client.certificates.create(body=dict(uploaded, name="cdn-upload"))["certificate"]
    endpoint = do_client.cdn.create_endpoint(body={"origin": "media.nyc3.digitaloceanspaces.com", "custom_domain": "cdn.example.com",
                                                   "certificate_id": certificate["id"]})["endpoint"]
    response = api.delete("/v2/certificates/%s" % certificate["id"])
    assert response.status_code == 422
    assert "being used" in response.json()["message"] and endpoint["id"] in response.json()["message"]
    assert control.state()["certificates"][0]["in_use_by"] == [endpoint["id"]]
    do_client.cdn.delete_endpoint(endpoint["id"])
    assert api.delete("/v2/certificates/%s" % certificate["id"]).status_code == 204
    assert api.get("/v2/certificates/%s" % certificate["id"]).status_code == 404
