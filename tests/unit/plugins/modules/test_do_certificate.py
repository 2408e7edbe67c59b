# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
import trustme

from ansible_collections.fediops.mastodon.plugins.module_utils import certificates as certs
from ansible_collections.fediops.mastodon.plugins.modules import do_certificate


@pytest.fixture(scope='module')
def upload():
    authority = trustme.CA()
    leaf = authority.issue_cert('cdn.example.com')
    return {'private_key': leaf.private_key_pem.bytes().decode(), 'leaf_certificate': leaf.cert_chain_pems[0].bytes().decode(),
            'certificate_chain': authority.cert_pem.bytes().decode()}


def params(**overrides):
    base = {'name': 'mastodon-cdn', 'type': None, 'dns_names': None, 'private_key': None, 'leaf_certificate': None,
            'certificate_chain': None, 'replace': False}
    base.update(overrides)
    return base


def test_type_is_inferred_from_the_options(upload):
    assert do_certificate.certificate_type(params(dns_names=['cdn.example.com'])) == 'lets_encrypt'
    assert do_certificate.certificate_type(params(**upload)) == 'custom'
    assert do_certificate.certificate_type(params(type='lets_encrypt', **upload)) == 'lets_encrypt'


@pytest.mark.parametrize('overrides, words', [
    ({}, 'dns_names is required for a lets_encrypt certificate'),
    ({'dns_names': ['*.*.example.com']}, "dns_names: '*.*.example.com' is not a fully qualified domain name"),
    ({'type': 'custom'}, 'private_key and leaf_certificate are required'),
    ({'type': 'custom', 'private_key': 'x', 'leaf_certificate': 'y', 'dns_names': ['a.example.com']}, 'dns_names is only for lets_encrypt'),
    ({'type': 'custom', 'private_key': 'x', 'leaf_certificate': 'y'}, 'private_key is not a PEM private key'),
    ({'name': ' ', 'dns_names': ['cdn.example.com']}, 'name must not be empty'),
])
def test_validation_messages(overrides, words):
    errors = do_certificate.validate(params(**overrides))
    assert any(words in error for error in errors), errors


def test_lets_encrypt_with_upload_fields_is_refused(upload):
    errors = do_certificate.validate(params(type='lets_encrypt', dns_names=['cdn.example.com'], **upload))
    assert any('are for type custom' in error for error in errors)


def test_a_valid_upload_has_no_errors_and_is_known_by_fingerprint_and_names(upload):
    assert do_certificate.validate(params(**upload)) == []
    desired = do_certificate.wanted(params(**upload))
    assert desired == {'name': 'mastodon-cdn', 'type': 'custom', 'sha1_fingerprint': certs.sha1_fingerprint(upload['leaf_certificate']),
                       'dns_names': ['cdn.example.com']}


def test_differences_explain_why_a_certificate_must_be_replaced():
    desired = do_certificate.wanted(params(dns_names=['B.example.com', 'a.example.com']))
    current = {'type': 'lets_encrypt', 'dns_names': ['a.example.com', 'b.example.com'], 'state': 'verified'}
    assert do_certificate.differences(desired, current) == []
    assert do_certificate.differences(desired, dict(current, state='pending')) == []
    assert do_certificate.differences(desired, dict(current, dns_names=['a.example.com'])) == ['it covers a.example.com, not a.example.com, b.example.com']
    assert do_certificate.differences(desired, dict(current, type='custom')) == ['it is of type custom, not lets_encrypt']
    assert do_certificate.differences(desired, dict(current, state='error')) == ['DigitalOcean failed to issue it (state error)']
    uploaded = {'name': 'x', 'type': 'custom', 'sha1_fingerprint': 'aa'}
    assert 'another leaf certificate' in do_certificate.differences(uploaded, {'type': 'custom', 'sha1_fingerprint': 'bb'})[0]
