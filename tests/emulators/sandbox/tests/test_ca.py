# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime
import ipaddress
import os
import stat

from cryptography import x509

from tests.emulators.sandbox.ca import ensure_certificates


def _load(path):
    with open(path, 'rb') as handle:
        return x509.load_pem_x509_certificate(handle.read())


def _read(path):
    with open(path, 'rb') as handle:
        return handle.read()


def test_private_keys_are_written_with_mode_0600(tmp_path):
    paths = ensure_certificates(str(tmp_path / 'ca'))
    assert stat.S_IMODE(os.stat(paths.ca_key).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(paths.server_key).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(paths.directory).st_mode) == 0o700
    assert [os.path.basename(p) for p in (paths.ca_cert, paths.ca_key, paths.server_cert, paths.server_key)] == [
        'ca.pem', 'ca-key.pem', 'server.pem', 'server-key.pem']
    assert paths.bundle == paths.ca_cert


def test_ca_is_a_ten_year_signing_ca(tmp_path):
    ca = _load(ensure_certificates(str(tmp_path / 'ca')).ca_cert)
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert constraints.critical and constraints.value.ca
    assert usage.value.key_cert_sign
    lifetime = ca.not_valid_after_utc - ca.not_valid_before_utc
    assert datetime.timedelta(days=3649) < lifetime < datetime.timedelta(days=3651)


def test_server_certificate_is_signed_by_the_ca_for_loopback_and_localhost_only(tmp_path):
    paths = ensure_certificates(str(tmp_path / 'ca'))
    ca, server = _load(paths.ca_cert), _load(paths.server_cert)
    server.verify_directly_issued_by(ca)
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ['localhost']
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.IPv4Address('127.0.0.1')]
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_valid_certificates_are_reused(tmp_path):
    paths = ensure_certificates(str(tmp_path / 'ca'))
    before = {p: _read(p) for p in (paths.ca_cert, paths.ca_key, paths.server_cert, paths.server_key)}
    ensure_certificates(str(tmp_path / 'ca'))
    assert {p: _read(p) for p in before} == before


def test_missing_server_certificate_is_regenerated_under_the_same_ca(tmp_path):
    paths = ensure_certificates(str(tmp_path / 'ca'))
    ca_before, server_before = _read(paths.ca_cert), _read(paths.server_cert)
    os.unlink(paths.server_key)
    ensure_certificates(str(tmp_path / 'ca'))
    assert _read(paths.ca_cert) == ca_before
    assert _read(paths.server_cert) != server_before
    _load(paths.server_cert).verify_directly_issued_by(_load(paths.ca_cert))


def test_corrupt_ca_regenerates_ca_and_server_certificate(tmp_path):
    paths = ensure_certificates(str(tmp_path / 'ca'))
    server_before = _read(paths.server_cert)
    with open(paths.ca_cert, 'w', encoding='utf-8') as handle:
        handle.write('not a certificate\n')
    ensure_certificates(str(tmp_path / 'ca'))
    assert _read(paths.server_cert) != server_before
    _load(paths.server_cert).verify_directly_issued_by(_load(paths.ca_cert))


def test_expired_ca_is_regenerated(tmp_path):
    paths = ensure_certificates(str(tmp_path / 'ca'))
    ca_before = _read(paths.ca_cert)
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3651)
    ensure_certificates(str(tmp_path / 'ca'), now=later)
    assert _read(paths.ca_cert) != ca_before
    assert _load(paths.ca_cert).not_valid_after_utc > later


def test_expired_server_certificate_is_regenerated_but_ca_kept(tmp_path):
    paths = ensure_certificates(str(tmp_path / 'ca'))
    ca_before, server_before = _read(paths.ca_cert), _read(paths.server_cert)
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=900)
    ensure_certificates(str(tmp_path / 'ca'), now=later)
    assert _read(paths.ca_cert) == ca_before
    assert _read(paths.server_cert) != server_before


def test_server_certificate_from_another_ca_is_replaced(tmp_path):
    first = ensure_certificates(str(tmp_path / 'one'))
    second = ensure_certificates(str(tmp_path / 'two'))
    with open(second.server_cert, 'wb') as handle:
        handle.write(_read(first.server_cert))
    with open(second.server_key, 'wb') as handle:
        handle.write(_read(first.server_key))
    ensure_certificates(str(tmp_path / 'two'))
    _load(second.server_cert).verify_directly_issued_by(_load(second.ca_cert))
