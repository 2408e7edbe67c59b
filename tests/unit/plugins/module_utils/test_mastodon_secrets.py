# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mastodon's long-lived secrets: formats, VAPID validity, precedence, never overwriting."""

import base64
import re

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ansible_collections.fediops.mastodon.plugins.module_utils import mastodon_secrets as ms


def b64(text):
    return base64.b64encode(text.encode()).decode()


def urlsafe_decode(text):
    return base64.urlsafe_b64decode(text.encode())


def public_key_of(private_b64):
    scalar = int.from_bytes(urlsafe_decode(private_b64), 'big')
    return ec.derive_private_key(scalar, ec.SECP256R1()).public_key()


@pytest.fixture(name='complete_set')
def fixture_complete_set():
    values, sources = ms.resolve({}, {})
    assert set(sources.values()) == {ms.SOURCE_GENERATED}
    return values


def test_secret_key_base_is_128_lowercase_hex():
    values = {ms.generate_secret_key_base() for dummy in range(20)}
    assert len(values) == 20
    for value in values:
        assert re.fullmatch(r'[0-9a-f]{128}', value)


def test_active_record_keys_are_32_alphanumerics_and_random():
    values = {ms.generate_active_record_key() for dummy in range(50)}
    assert len(values) == 50
    for value in values:
        assert re.fullmatch(r'[A-Za-z0-9]{32}', value)
    # Every class of character shows up over many keys (uniform over the 62 symbols).
    joined = ''.join(values)
    assert re.search('[a-z]', joined) and re.search('[A-Z]', joined) and re.search('[0-9]', joined)


def test_vapid_private_key_is_padded_urlsafe_base64_of_a_32_byte_scalar():
    for dummy in range(30):
        private = ms.generate_vapid_keypair()[0]
        assert len(private) == 44 and private.endswith('=')
        assert re.fullmatch(r'[A-Za-z0-9_-]{43}=', private)
        assert len(urlsafe_decode(private)) == 32


def test_vapid_public_key_is_padded_urlsafe_base64_of_the_uncompressed_point():
    private, public = ms.generate_vapid_keypair()
    raw = urlsafe_decode(public)
    assert len(public) == 88 and public.endswith('=')
    assert re.fullmatch(r'[A-Za-z0-9_-]{87}=', public)
    assert len(raw) == 65 and raw[0] == 4
    numbers = public_key_of(private).public_numbers()
    assert raw[1:33] == numbers.x.to_bytes(32, 'big')
    assert raw[33:] == numbers.y.to_bytes(32, 'big')


def test_vapid_pair_signs_and_verifies():
    private, public = ms.generate_vapid_keypair()
    scalar = int.from_bytes(urlsafe_decode(private), 'big')
    signer = ec.derive_private_key(scalar, ec.SECP256R1())
    verifier = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), urlsafe_decode(public))
    signature = signer.sign(b'web push', ec.ECDSA(hashes.SHA256()))
    verifier.verify(signature, b'web push', ec.ECDSA(hashes.SHA256()))  # raises when the pair does not match


def test_public_key_is_derived_from_a_private_key_without_padding_too():
    private, public = ms.generate_vapid_keypair()
    assert ms.vapid_public_from_private(private) == public
    assert ms.vapid_public_from_private(private.rstrip('=')) == public


def test_fresh_install_generates_the_complete_set(complete_set):
    assert set(complete_set) == set(ms.SECRET_NAMES)
    assert not ms.check_vapid_pair(complete_set[ms.VAPID_PRIVATE_KEY], complete_set[ms.VAPID_PUBLIC_KEY])
    assert len({complete_set[name] for name in ms.ACTIVE_RECORD_KEYS}) == 3


def test_existing_values_are_never_regenerated(complete_set):
    values, sources = ms.resolve(complete_set, {})
    assert values == complete_set
    assert set(sources.values()) == {ms.SOURCE_EXISTING}


def test_odd_looking_existing_values_are_kept_and_only_warned_about(complete_set):
    existing = dict(complete_set, SECRET_KEY_BASE='short', ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY='not-alnum!')
    values, sources = ms.resolve(existing, {})
    assert values['SECRET_KEY_BASE'] == 'short'
    assert values['ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY'] == 'not-alnum!'
    assert sources['SECRET_KEY_BASE'] == ms.SOURCE_EXISTING
    warnings = ms.existing_warnings(existing)
    assert any('SECRET_KEY_BASE' in warning for warning in warnings)
    assert any('ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY' in warning for warning in warnings)
    assert not any('short' in warning or 'not-alnum!' in warning for warning in warnings)


def test_only_missing_values_are_generated(complete_set):
    existing = {name: complete_set[name] for name in (ms.SECRET_KEY_BASE, ms.AR_PRIMARY_KEY)}
    values, sources = ms.resolve(existing, {})
    assert values[ms.SECRET_KEY_BASE] == complete_set[ms.SECRET_KEY_BASE]
    assert values[ms.AR_PRIMARY_KEY] == complete_set[ms.AR_PRIMARY_KEY]
    assert sources[ms.AR_DETERMINISTIC_KEY] == ms.SOURCE_GENERATED
    assert sources[ms.VAPID_PRIVATE_KEY] == ms.SOURCE_GENERATED


def test_supplied_values_win_over_existing_ones(complete_set):
    other, dummy = ms.resolve({}, {})
    supplied = {ms.SECRET_KEY_BASE: other[ms.SECRET_KEY_BASE], ms.VAPID_PRIVATE_KEY: other[ms.VAPID_PRIVATE_KEY]}
    values, sources = ms.resolve(complete_set, supplied)
    assert values[ms.SECRET_KEY_BASE] == other[ms.SECRET_KEY_BASE]
    assert sources[ms.SECRET_KEY_BASE] == ms.SOURCE_SUPPLIED
    # The pair stays a pair: the public key follows the supplied private key, not the stored one.
    assert values[ms.VAPID_PUBLIC_KEY] == other[ms.VAPID_PUBLIC_KEY]
    assert sources[ms.VAPID_PUBLIC_KEY] == ms.SOURCE_DERIVED
    assert values[ms.AR_PRIMARY_KEY] == complete_set[ms.AR_PRIMARY_KEY]


def test_blank_supplied_values_count_as_not_supplied(complete_set):
    values, sources = ms.resolve(complete_set, {name: '  ' for name in ms.SECRET_NAMES})
    assert values == complete_set
    assert set(sources.values()) == {ms.SOURCE_EXISTING}


def test_missing_public_key_beside_a_stored_private_key_is_derived_not_regenerated(complete_set):
    existing = dict(complete_set)
    del existing[ms.VAPID_PUBLIC_KEY]
    values, sources = ms.resolve(existing, {})
    assert values[ms.VAPID_PRIVATE_KEY] == complete_set[ms.VAPID_PRIVATE_KEY]
    assert values[ms.VAPID_PUBLIC_KEY] == complete_set[ms.VAPID_PUBLIC_KEY]
    assert sources[ms.VAPID_PUBLIC_KEY] == ms.SOURCE_DERIVED


@pytest.mark.parametrize('supplied, expected', [
    ({'SECRET_KEY_BASE': 'abc'}, 'SECRET_KEY_BASE must be at least 64 characters'),
    ({'ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY': 'a' * 31}, 'ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY must be at least 32'),
    ({'ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY': 'a-b' * 20}, 'must contain only letters and digits'),
    ({'VAPID_PUBLIC_KEY': 'BAAA'}, 'VAPID_PUBLIC_KEY was supplied without VAPID_PRIVATE_KEY'),
    ({'VAPID_PRIVATE_KEY': base64.urlsafe_b64encode(b'\x01' * 31).decode()}, 'is a 32-byte scalar, this one has 31 bytes'),
    ({'VAPID_PRIVATE_KEY': base64.urlsafe_b64encode(b'\x00' * 32).decode()}, 'not a valid P-256 private key'),
    ({'VAPID_PRIVATE_KEY': base64.urlsafe_b64encode(b'\xff' * 32).decode()}, 'not a valid P-256 private key'),
    ({'VAPID_PRIVATE_KEY': '***'}, 'not urlsafe base64'),
])
def test_unusable_supplied_values_are_refused_naming_the_variable_only(supplied, expected):
    with pytest.raises(ms.SecretError) as info:
        ms.resolve({}, supplied)
    assert expected in str(info.value)
    for value in supplied.values():
        if len(value) > 4:
            assert value not in str(info.value)


def test_a_supplied_public_key_must_belong_to_the_supplied_private_key():
    first, dummy = ms.generate_vapid_keypair()
    dummy, second_public = ms.generate_vapid_keypair()
    with pytest.raises(ms.SecretError) as info:
        ms.resolve({}, {ms.VAPID_PRIVATE_KEY: first, ms.VAPID_PUBLIC_KEY: second_public})
    assert 'VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY' in str(info.value)
    assert first not in str(info.value) and second_public not in str(info.value)


def test_a_supplied_matching_pair_is_used_as_is():
    private, public = ms.generate_vapid_keypair()
    values, sources = ms.resolve({}, {ms.VAPID_PRIVATE_KEY: private, ms.VAPID_PUBLIC_KEY: public})
    assert (values[ms.VAPID_PRIVATE_KEY], values[ms.VAPID_PUBLIC_KEY]) == (private, public)
    assert sources[ms.VAPID_PUBLIC_KEY] == ms.SOURCE_SUPPLIED


def test_secret_data_is_decoded_from_base64_and_other_keys_ignored(complete_set):
    data = {name: b64(value) for name, value in complete_set.items()}
    data['DB_PASS'] = b64('hunter2')
    assert ms.decode_secret_data(data) == complete_set
    assert ms.decode_secret_data(None) == {}


def test_undecodable_secret_data_names_the_key():
    with pytest.raises(ms.SecretError) as info:
        ms.decode_secret_data({'SECRET_KEY_BASE': 'not base64!'})
    assert 'SECRET_KEY_BASE' in str(info.value)
