# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Spaces CDN endpoints: origins, custom domains with certificates, cache purges and the CDN's own rate limits."""

import pytest
import requests
import trustme

ORIGIN = "media.nyc3.digitaloceanspaces.com"


def set_cdn_rate_limit(control, enabled):
    """``cdn_rate_limit`` through the control API (``POST /_emulator/config``)."""
    response = requests.post(control.base_url + "/_emulator/config", json={"cdn_rate_limit": enabled}, verify=control.ca_bundle, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def cdn_limits(control):
    """The CDN limits on (DigitalOcean's behaviour, and the default)."""
    set_cdn_rate_limit(control, True)
    yield
    set_cdn_rate_limit(control, True)


@pytest.fixture
def no_cdn_limits(control):
    set_cdn_rate_limit(control, False)
    yield
    set_cdn_rate_limit(control, True)


@pytest.fixture(scope="module")
def pem():
    authority = trustme.CA()
    leaf = authority.issue_cert("cdn.example.com", "*.media.example.com")
    return {"private_key": leaf.private_key_pem.bytes().decode(), "leaf_certificate": leaf.cert_chain_pems[0].bytes().decode()}


@pytest.fixture
def certificate(do_client, pem, no_cdn_limits):
    del no_cdn_limits
    return do_client.certificates.create(body=dict(pem, name="cdn-cert"))["certificate"]


def test_rate_limit_setting_defaults_to_on(control):
    assert control.config()["cdn_rate_limit"] is True


def test_endpoint_of_a_space_is_served_from_its_cdn_host(do_client, no_cdn_limits):
    created = do_client.cdn.create_endpoint(body={"origin": ORIGIN})["endpoint"]
    assert created["endpoint"] == "media.nyc3.cdn.digitaloceanspaces.com"
    assert created["ttl"] == 3600
    assert "custom_domain" not in created and "certificate_id" not in created
    assert do_client.cdn.get_endpoint(created["id"])["endpoint"] == created
    assert do_client.cdn.list_endpoints()["endpoints"] == [created]


@pytest.mark.parametrize("origin", ["media.example.com", "media.mars1.digitaloceanspaces.com", "Bad_Bucket.nyc3.digitaloceanspaces.com"])
def test_origin_must_be_a_space(api, control, no_cdn_limits, origin):
    response = api.post("/v2/cdn/endpoints", json={"origin": origin})
    assert response.status_code == 422
    assert "origin" in response.json()["message"]
    assert control.state()["cdn_endpoints"] == []


def test_one_endpoint_per_origin(api, no_cdn_limits):
    assert api.post("/v2/cdn/endpoints", json={"origin": ORIGIN}).status_code == 201
    response = api.post("/v2/cdn/endpoints", json={"origin": ORIGIN})
    assert response.status_code == 422 and "already has a CDN endpoint" in response.json()["message"]


def test_ttl_outside_the_allowed_values_is_refused_by_the_contract(api, no_cdn_limits):
    response = api.post("/v2/cdn/endpoints", json={"origin": ORIGIN, "ttl": 120})
    assert response.status_code == 422 and "ttl" in response.json()["message"]


def test_custom_domain_and_certificate_go_together_and_must_match(api, certificate):
    cases = [
        ({"custom_domain": "cdn.example.com"}, "needs a certificate_id"),
        ({"certificate_id": certificate["id"]}, "only used with a custom_domain"),
        ({"custom_domain": "static.example.com", "certificate_id": certificate["id"]}, "not custom_domain static.example.com"),
        ({"custom_domain": "cdn.example.com", "certificate_id": "5a4981aa-9653-4bd1-bef5-d6bff52042e4"}, "not a certificate"),
        ({"custom_domain": "x.digitaloceanspaces.com", "certificate_id": certificate["id"]}, "domain of your own"),
    ]
    for extra, words in cases:
        response = api.post("/v2/cdn/endpoints", json=dict({"origin": ORIGIN}, **extra))
        assert response.status_code == 422, extra
        assert words in response.json()["message"], (extra, response.json())


def test_custom_domain_with_a_covering_certificate(do_client, certificate):
    created = do_client.cdn.create_endpoint(body={"origin": ORIGIN, "ttl": 86400, "custom_domain": "img.media.example.com",
                                                  "certificate_id": certificate["id"]})["endpoint"]
    assert created["custom_domain"] == "img.media.example.com"
    assert created["certificate_id"] == certificate["id"]
    assert created["ttl"] == 86400


def test_pending_lets_encrypt_certificate_cannot_be_used_yet(do_client, api, control, no_cdn_limits):
    control.configure(family_provision_delay={"certificates": 30})
    assert api.post("/v2/domains", json={"name": "example.com"}).status_code == 201
    pending = do_client.certificates.create(body={"name": "le", "type": "lets_encrypt", "dns_names": ["cdn.example.com"]})["certificate"]
    body = {"origin": ORIGIN, "custom_domain": "cdn.example.com", "certificate_id": pending["id"]}
    response = api.post("/v2/cdn/endpoints", json=body)
    assert response.status_code == 422 and "pending" in response.json()["message"]
    control.advance_clock(31)
    assert api.post("/v2/cdn/endpoints", json=body).status_code == 201


def test_put_changes_ttl_alone_then_removes_the_custom_domain(do_client, certificate):
    endpoint = do_client.cdn.create_endpoint(body={"origin": ORIGIN, "custom_domain": "cdn.example.com",
                                                   "certificate_id": certificate["id"]})["endpoint"]
    updated = do_client.cdn.update_endpoints(endpoint["id"], body={"ttl": 600})["endpoint"]
    assert updated["ttl"] == 600 and updated["custom_domain"] == "cdn.example.com"
    cleared = do_client.cdn.update_endpoints(endpoint["id"], body={"custom_domain": ""})["endpoint"]
    assert "custom_domain" not in cleared and "certificate_id" not in cleared and cleared["ttl"] == 600
    readded = do_client.cdn.update_endpoints(endpoint["id"], body={"custom_domain": "cdn.example.com",
                                                                   "certificate_id": certificate["id"]})["endpoint"]
    assert readded["custom_domain"] == "cdn.example.com"


def test_purge_is_recorded_and_limited_to_fifty_files_per_twenty_seconds(do_client, api, control, cdn_limits):
    endpoint = do_client.cdn.create_endpoint(body={"origin": ORIGIN})["endpoint"]
    path = "/v2/cdn/endpoints/%s/cache" % endpoint["id"]
    response = api.delete(path, json={"files": ["f%d" % number for number in range(51)]})
    assert response.status_code == 422 and "at most 50 files" in response.json()["message"]
    assert api.delete(path, json={"files": ["f%d" % number for number in range(30)]}).status_code == 204
    control.advance_clock(10)  # a fresh request window; the purge window still holds the 30 files
    response = api.delete(path, json={"files": ["g%d" % number for number in range(30)]})
    assert response.status_code == 429
    assert response.json()["id"] == "too_many_requests"
    assert 1 <= int(response.headers["retry-after"]) <= 10
    assert response.headers["ratelimit-limit"] == "50"
    control.advance_clock(int(response.headers["retry-after"]))
    assert api.delete(path, json={"files": ["assets/*"]}).status_code == 204
    assert [purge["files"] for purge in control.state()["cdn_purges"]] == [["f%d" % number for number in range(30)], ["assets/*"]]


def test_more_than_five_requests_in_ten_seconds_are_refused_with_retry_after(api, control, cdn_limits):
    for dummy in range(5):
        assert api.get("/v2/cdn/endpoints").status_code == 200
    response = api.get("/v2/cdn/endpoints")
    assert response.status_code == 429
    assert response.headers["ratelimit-limit"] == "5" and response.headers["ratelimit-remaining"] == "0"
    assert 1 <= int(response.headers["retry-after"]) <= 10
    assert api.get("/v2/vpcs").status_code == 200  # other families are not affected
    control.advance_clock(10)
    assert api.get("/v2/cdn/endpoints").status_code == 200


def test_the_limit_can_be_switched_off(api, no_cdn_limits):
    for dummy in range(12):
        assert api.get("/v2/cdn/endpoints").status_code == 200


def test_unknown_endpoint_is_404(api, no_cdn_limits):
    assert api.get("/v2/cdn/endpoints/5a4981aa-9653-4bd1-bef5-d6bff52042e4").status_code == 404
    assert api.delete("/v2/cdn/endpoints/5a4981aa-9653-4bd1-bef5-d6bff52042e4").status_code == 404
