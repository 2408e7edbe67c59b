# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import datetime

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ansible_collections.fediops.mastodon.plugins.module_utils import certificates as certs


@pytest.fixture(scope='module')
def authority():
    return trustme.CA()


@pytest.fixture(scope='module')
def pair(authority):
    leaf = authority.issue_cert('cdn.example.com', '*.media.example.com')
    return leaf.private_key_pem.bytes().decode(), leaf.cert_chain_pems[0].bytes().decode()


@pytest.mark.parametrize('name, wildcard, ok', [
    ('cdn.example.com', True, True), ('*.example.com', True, True), ('*.example.com', False, False), ('CDN.Example.com.', True, True),
    ('example', True, False), ('cdn..example.com', True, False), ('a.*.example.com', True, False), ('-bad.example.com', True, False),
    ('cdn.example.123', True, False), ('x' * 64 + '.example.com', True, False),
])
def test_hostname_rules(name, wildcard, ok):
    error = certs.hostname_error(name, 'dns_names', wildcard=wildcard)
    assert (error is None) is ok, error
    if error:
        assert error.startswith("dns_names: %r" % name) and 'allowed' in error


def test_names_compare_as_a_lower_case_set():
    assert certs.normalize_names(['B.example.com', 'a.example.com.', 'b.example.com']) == ['a.example.com', 'b.example.com']


@pytest.mark.parametrize('names, host, covered', [
    (['cdn.example.com'], 'CDN.example.com', True),
    (['*.example.com'], 'cdn.example.com', True),
    (['*.example.com'], 'a.cdn.example.com', False),
    (['*.example.com'], 'example.com', False),
    (['example.com'], 'cdn.example.com', False),
])
def test_coverage_is_exact_or_one_wildcard_label(names, host, covered):
    assert certs.covers(names, host) is covered


def test_zone_of_takes_the_longest_hosted_suffix():
    zones = ['example.com', 'media.example.com']
    assert certs.zone_of('cdn.media.example.com', zones) == 'media.example.com'
    assert certs.zone_of('*.example.com', zones) == 'example.com'
    assert certs.zone_of('example.com', zones) == 'example.com'
    assert certs.zone_of('cdn.example.org', zones) is None


def test_sha1_fingerprint_is_the_sha1_of_the_der(pair):
    leaf = x509.load_pem_x509_certificate(pair[1].encode())
    assert certs.sha1_fingerprint(pair[1]) == leaf.fingerprint(hashes.SHA1()).hex()
    assert certs.sha1_fingerprint('not a pem') is None


def test_pem_errors(pair):
    key, leaf = pair
    assert certs.pem_errors(key, leaf, None) == []
    assert any('private_key is not a PEM private key' in e for e in certs.pem_errors('secret', leaf, None))
    assert any('leaf_certificate is not a PEM certificate' in e for e in certs.pem_errors(key, 'garbage', None))
    assert any('holds 2 certificates' in e for e in certs.pem_errors(key, leaf + leaf, None))
    assert any('certificate_chain' in e for e in certs.pem_errors(key, leaf, 'garbage'))
    broken = leaf.replace(leaf.splitlines()[2], '!!!!')
    assert any('leaf_certificate' in e for e in certs.pem_errors(key, broken, None))


def test_leaf_facts_read_names_and_refuse_a_foreign_key_or_an_expired_leaf(authority, pair):
    key, leaf = pair
    facts, errors = certs.leaf_facts(key, leaf)
    assert errors == [] and facts['dns_names'] == ['*.media.example.com', 'cdn.example.com']
    other_key = authority.issue_cert('other.example.com').private_key_pem.bytes().decode()
    assert certs.leaf_facts(other_key, leaf)[1] == ['private_key does not belong to leaf_certificate (their public keys differ)']
    later = x509.load_pem_x509_certificate(leaf.encode()).not_valid_after_utc + datetime.timedelta(days=1)
    assert any('expired' in error for error in certs.leaf_facts(key, leaf, now=later)[1])


def test_leaf_facts_without_cryptography_defer_to_the_api(monkeypatch, pair):
    monkeypatch.setattr(certs, 'HAS_CRYPTOGRAPHY', False)
    assert certs.leaf_facts(*pair) == (None, [])


def test_pem_blocks_finds_keys_of_every_kind(pair):
    key = serialization.load_pem_private_key(pair[0].encode(), password=None)
    traditional = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption()).decode()
    assert len(certs.pem_blocks(traditional, 'PRIVATE KEY')) == 1
    assert len(certs.pem_blocks(pair[0], 'PRIVATE KEY')) == 1
