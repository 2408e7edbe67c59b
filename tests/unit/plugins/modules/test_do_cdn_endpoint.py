# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.fediops.mastodon.plugins.modules import do_cdn_endpoint as cdn

CERT = '892071a0-bb95-49bc-8021-3afd67a210bf'
OTHER = 'ba9b9c18-6c59-46c2-99df-70da170a42ba'


def params(**overrides):
    base = {'origin': None, 'bucket': 'mastodon-media', 'region': 'nyc3', 'state': 'present', 'ttl': None, 'custom_domain': None,
            'certificate': None, 'purge_cache': None}
    base.update(overrides)
    return base


@pytest.mark.parametrize('origin, expected', [
    ('mastodon-media.nyc3.digitaloceanspaces.com', ('mastodon-media', 'nyc3')),
    ('Mastodon-Media.TOR1.digitaloceanspaces.com.', ('mastodon-media', 'tor1')),
])
def test_origin_of_a_space(origin, expected):
    assert cdn.parse_origin(origin)[:2] == expected and cdn.parse_origin(origin)[2] is None


@pytest.mark.parametrize('origin, words', [
    ('media.example.com', "origin 'media.example.com' is not allowed"),
    ('media.mars1.digitaloceanspaces.com', 'region one of ams3'),
    ('a.nyc3.digitaloceanspaces.com', 'not a valid Spaces bucket name'),
])
def test_origins_that_are_not_spaces_are_refused(origin, words):
    assert words in cdn.parse_origin(origin)[2]


def test_origin_from_bucket_and_region():
    assert cdn.origin_of(params()) == 'mastodon-media.nyc3.digitaloceanspaces.com'
    assert cdn.origin_of(params(origin='X.sfo3.digitaloceanspaces.com.', bucket=None, region=None)) == 'x.sfo3.digitaloceanspaces.com'


@pytest.mark.parametrize('overrides, words', [
    ({'custom_domain': 'cdn.example.com'}, 'custom_domain cdn.example.com needs certificate'),
    ({'custom_domain': 'cdn.example.com', 'certificate': 'c'}, None),
    ({'custom_domain': '*.example.com', 'certificate': 'c'}, "custom_domain: '*.example.com' is not a fully qualified domain name"),
    ({'custom_domain': 'x.nyc3.digitaloceanspaces.com', 'certificate': 'c'}, 'must be a domain of your own'),
    ({'custom_domain': '', 'certificate': 'c'}, 'certificate is only used with a custom_domain'),
    ({'purge_cache': [' ']}, 'an empty path purges nothing'),
    ({'bucket': 'UPPER'}, "bucket 'UPPER' is not a valid Spaces bucket name"),
])
def test_validation(overrides, words):
    errors = cdn.validate(params(**overrides))
    if words is None:
        assert errors == []
    else:
        assert any(words in error for error in errors), errors


def test_absent_only_needs_the_origin():
    assert cdn.validate(params(state='absent', custom_domain='cdn.example.com')) == []


CURRENT = {'id': 'e', 'origin': 'o', 'ttl': 3600, 'custom_domain': 'cdn.example.com', 'certificate_id': CERT}


@pytest.mark.parametrize('ttl, domain, certificate_id, body', [
    (None, None, None, {}),
    (3600, 'CDN.example.com.', CERT, {}),
    (86400, None, None, {'ttl': 86400}),
    (None, None, OTHER, {'custom_domain': 'cdn.example.com', 'certificate_id': OTHER}),
    (None, 'static.example.com', CERT, {'custom_domain': 'static.example.com', 'certificate_id': CERT}),
    (600, '', None, {'ttl': 600, 'custom_domain': ''}),
])
def test_plan_update_sends_only_what_differs(ttl, domain, certificate_id, body):
    assert cdn.plan_update(CURRENT, ttl, domain, certificate_id) == body


def test_removing_an_absent_custom_domain_is_no_change():
    assert cdn.plan_update({'ttl': 3600}, None, '', None) == {}


class _Module:
    def __init__(self, **overrides):
        self.params = params(**overrides)

    def fail_json(self, **kwargs):
        raise AssertionError(kwargs)


@pytest.mark.parametrize('domain', [None, 'cdn.example.com', 'CDN.example.com.'])
def test_the_certificate_the_endpoint_uses_for_the_domain_is_not_read_again(monkeypatch, domain):
    def unexpected(*args, **kwargs):
        raise AssertionError('the certificate was read')
    monkeypatch.setattr(cdn.certs, 'find_certificate', unexpected)
    assert cdn.resolve_certificate(_Module(custom_domain=domain, certificate=CERT), CURRENT) == CERT


@pytest.mark.parametrize('params', [
    {'custom_domain': 'static.example.com', 'certificate': CERT},  # another domain: the certificate must cover it
    {'custom_domain': 'cdn.example.com', 'certificate': OTHER},    # another certificate
    {'custom_domain': 'cdn.example.com', 'certificate': 'mastodon-cdn'},  # a name: only a read tells its id
])
def test_another_certificate_or_domain_is_read_and_checked(monkeypatch, params):
    read = []
    monkeypatch.setattr(cdn.certs, 'find_certificate', lambda module, ref: read.append(ref) or {
        'id': OTHER, 'name': 'c', 'dns_names': [params['custom_domain']], 'state': 'verified'})
    assert cdn.resolve_certificate(_Module(**params), CURRENT) == OTHER and read == [params['certificate']]
