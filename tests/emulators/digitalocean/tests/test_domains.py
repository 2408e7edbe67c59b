# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DigitalOcean's DNS zones and records, through pydo and plain requests."""

import pytest
import requests
from azure.core.exceptions import HttpResponseError

ZONE = "example.com"
RECORDS = "/v2/domains/%s/records" % ZONE


@pytest.fixture
def zone(api):
    response = api.post("/v2/domains", json={"name": ZONE})
    assert response.status_code == 201, response.text
    return ZONE


def _records(api, zone_name=ZONE, **query):
    response = api.get("/v2/domains/%s/records" % zone_name, params=dict({"per_page": 200}, **query))
    assert response.status_code == 200, response.text
    return response.json()["domain_records"]


def _create(api, **body):
    return api.post(RECORDS, json=body)


def _state_records(control, zone_name=ZONE):
    return next(domain for domain in control.state()["domains"] if domain["name"] == zone_name)["records"]


# -- zones -----------------------------------------------------------------------------------

def test_new_zone_has_soa_and_three_digitalocean_ns_records_at_the_apex(do_client):
    created = do_client.domains.create(body={"name": ZONE})
    assert created == {"domain": {"name": ZONE, "ttl": 1800, "zone_file": None}}
    records = do_client.domains.list_records(ZONE)["domain_records"]
    assert [(r["type"], r["name"], r["data"], r["ttl"]) for r in records] == [
        ("SOA", "@", "1800", 1800),
        ("NS", "@", "ns1.digitalocean.com", 1800),
        ("NS", "@", "ns2.digitalocean.com", 1800),
        ("NS", "@", "ns3.digitalocean.com", 1800),
    ]
    assert all(isinstance(r["id"], int) for r in records)


def test_ip_address_on_creation_adds_an_a_record_at_the_apex_and_shows_in_the_zone_file(do_client):
    do_client.domains.create(body={"name": ZONE, "ip_address": "192.0.2.10"})
    records = do_client.domains.list_records(ZONE, type="A")["domain_records"]
    assert [(r["name"], r["data"], r["ttl"]) for r in records] == [("@", "192.0.2.10", 1800)]
    zone_file = do_client.domains.get(ZONE)["domain"]["zone_file"]
    assert "example.com. 1800 IN A 192.0.2.10" in zone_file
    assert "example.com. 1800 IN NS ns1.digitalocean.com." in zone_file
    assert zone_file.startswith("$ORIGIN example.com.\n$TTL 1800\nexample.com. IN SOA ns1.digitalocean.com. hostmaster.example.com. ")


@pytest.mark.parametrize("body, words", [
    ({"name": "example.com."}, ["not a valid domain name"]),
    ({"name": "localhost"}, ["not a valid domain name"]),
    ({"name": "bad_label.com"}, ["not a valid domain name"]),
    ({}, ["name is required"]),
    ({"name": "ok.example", "ip_address": "2001:db8::1"}, ["ip_address", "IPv4"]),
])
def test_invalid_zone_creation_is_refused(api, control, body, words):
    response = api.post("/v2/domains", json=body)
    assert response.status_code == 422
    for word in words:
        assert word in response.json()["message"]
    assert control.state()["domains"] == []


def test_duplicate_zone_is_refused_and_names_are_case_insensitive(api, zone):
    response = api.post("/v2/domains", json={"name": "Example.COM"})
    assert response.status_code == 422 and "already exists" in response.json()["message"]
    assert api.get("/v2/domains/EXAMPLE.com").json()["domain"]["name"] == zone


def test_deleting_a_zone_deletes_its_records(api, control, zone):
    assert _create(api, type="A", name="www", data="192.0.2.1").status_code == 201
    assert api.delete("/v2/domains/" + zone).status_code == 204
    assert api.get("/v2/domains/" + zone).status_code == 404
    assert api.get(RECORDS).status_code == 404
    assert control.state()["domains"] == []


def test_unknown_zone_is_404_and_pydo_returns_the_error_body(do_client):
    body = do_client.domains.get("nowhere.example")
    assert body["id"] == "not_found"


def test_domains_are_listed_with_their_zone_file(api, zone):
    body = api.get("/v2/domains").json()
    assert [d["name"] for d in body["domains"]] == [zone] and body["meta"]["total"] == 1
    assert "IN SOA" in body["domains"][0]["zone_file"]


# -- records: types and validation -------------------------------------------------------------

@pytest.mark.parametrize("body, stored", [
    ({"type": "A", "name": "www", "data": "192.0.2.1"}, {"name": "www", "data": "192.0.2.1", "ttl": 1800}),
    ({"type": "AAAA", "name": "www", "data": "2001:DB8:0::1", "ttl": 300}, {"name": "www", "data": "2001:db8::1", "ttl": 300}),
    ({"type": "CNAME", "name": "media", "data": "bucket.nyc3.cdn.digitaloceanspaces.com."},
     {"name": "media", "data": "bucket.nyc3.cdn.digitaloceanspaces.com"}),
    ({"type": "CNAME", "name": "www", "data": "@"}, {"data": "@"}),
    ({"type": "MX", "data": "feedback-smtp.us-east-1.amazonses.com.", "priority": 10},
     {"name": "@", "data": "feedback-smtp.us-east-1.amazonses.com", "priority": 10}),
    ({"type": "TXT", "name": "_dmarc", "data": "v=DMARC1; p=none"}, {"name": "_dmarc", "data": "v=DMARC1; p=none"}),
    ({"type": "CAA", "name": "@", "data": "letsencrypt.org", "flags": 0, "tag": "issue"},
     {"name": "@", "flags": 0, "tag": "issue", "priority": None}),
    ({"type": "SRV", "name": "_sip._tcp", "data": "sip.example.com.", "priority": 10, "port": 5060, "weight": 5},
     {"data": "sip.example.com", "priority": 10, "port": 5060, "weight": 5}),
    ({"type": "NS", "name": "sub", "data": "ns1.other.example."}, {"name": "sub", "data": "ns1.other.example"}),
    ({"type": "A", "name": "WWW.Example.com.", "data": "192.0.2.1"}, {"name": "www"}),
    ({"type": "A", "name": "*.apps", "data": "192.0.2.1"}, {"name": "*.apps"}),
])
def test_records_of_every_type_are_created_and_returned_as_digitalocean_stores_them(do_client, zone, body, stored):
    created = do_client.domains.create_record(zone, body=body)["domain_record"]
    assert isinstance(created["id"], int)
    for key, value in stored.items():
        assert created[key] == value, key
    assert do_client.domains.get_record(zone, created["id"])["domain_record"] == created


@pytest.mark.parametrize("body, words", [
    ({"type": "A", "name": "www", "data": "2001:db8::1"}, ["IPv4"]),
    ({"type": "AAAA", "name": "www", "data": "192.0.2.1"}, ["IPv6"]),
    ({"type": "CNAME", "name": "www", "data": "example.org"}, ["Data needs to end with a dot (.)"]),
    ({"type": "MX", "name": "@", "data": "mail.example.org"}, ["priority"]),
    ({"type": "MX", "name": "@", "data": "mail.example.org", "priority": 10}, ["end with a dot"]),
    ({"type": "MX", "name": "@", "data": "mail.example.org.", "priority": 70000}, ["priority", "65535"]),
    ({"type": "SRV", "name": "_sip._tcp", "data": "sip.example.com.", "priority": 10}, ["port", "weight"]),
    ({"type": "CAA", "name": "@", "data": "letsencrypt.org", "tag": "issue"}, ["flags"]),
    ({"type": "CAA", "name": "@", "data": "letsencrypt.org", "flags": 0, "tag": "wildissue"}, ["tag", "issuewild"]),
    ({"type": "CAA", "name": "@", "data": "letsencrypt.org", "flags": 256, "tag": "issue"}, ["flags", "255"]),
    ({"type": "TXT", "name": "www", "data": "x", "ttl": 29}, ["ttl", "at least 30"]),
    ({"type": "TXT", "name": "www"}, ["data"]),
    ({"type": "SOA", "ttl": 3600}, ["SOA"]),
    ({"type": "A", "name": "www.other.example.", "data": "192.0.2.1"}, ["not within the zone"]),
    ({"type": "A", "name": "bad name", "data": "192.0.2.1"}, ["not a valid record name"]),
    ({"type": "A", "name": "a.*", "data": "192.0.2.1"}, ["not a valid record name"]),
])
def test_records_breaking_digitaloceans_rules_are_refused_with_422(api, control, zone, body, words):
    before = _state_records(control)
    response = _create(api, **body)
    assert response.status_code == 422, response.text
    assert response.json()["id"] == "unprocessable_entity"
    for word in words:
        assert word in response.json()["message"]
    assert _state_records(control) == before


def test_a_cname_cannot_share_its_name_with_any_other_record(api, zone):
    assert _create(api, type="A", name="www", data="192.0.2.1").status_code == 201
    refused = _create(api, type="CNAME", name="www", data="web.example.org.")
    assert refused.status_code == 422 and "CNAME" in refused.json()["message"] and "www.example.com" in refused.json()["message"]
    assert _create(api, type="CNAME", name="media", data="cdn.example.org.").status_code == 201
    assert _create(api, type="TXT", name="media", data="hello").status_code == 422
    assert _create(api, type="CNAME", name="media", data="other.example.org.").status_code == 422


def test_a_cname_at_the_apex_is_refused_because_of_the_ns_and_soa_records(api, zone):
    response = _create(api, type="CNAME", name="@", data="example.org.")
    assert response.status_code == 422 and "NS" in response.json()["message"] and "SOA" in response.json()["message"]


def test_several_values_at_one_name_are_allowed_but_identical_records_are_not(api, control, zone):
    assert _create(api, type="TXT", name="@", data="v=spf1 include:amazonses.com ~all").status_code == 201
    assert _create(api, type="TXT", name="@", data="google-site-verification=abc").status_code == 201
    twice = _create(api, type="TXT", name="@", data="google-site-verification=abc", ttl=300)
    assert twice.status_code == 422 and "identical" in twice.json()["message"]
    assert len([r for r in _state_records(control) if r["type"] == "TXT"]) == 2


# -- records: listing ----------------------------------------------------------------------------

def test_records_are_filtered_by_fully_qualified_name_and_type(api, zone):
    _create(api, type="A", name="www", data="192.0.2.1")
    _create(api, type="AAAA", name="www", data="2001:db8::1")
    _create(api, type="A", name="api", data="192.0.2.2")
    assert {r["type"] for r in _records(api, name="www.example.com")} == {"A", "AAAA"}
    assert [r["data"] for r in _records(api, name="www.example.com", type="A")] == ["192.0.2.1"]
    assert _records(api, name="www") == []
    assert [r["type"] for r in _records(api, name="example.com", type="NS")] == ["NS", "NS", "NS"]
    assert api.get(RECORDS, params={"type": "SPF"}).status_code == 400


def test_records_are_paginated_like_every_list(api, control, zone, server):
    control.configure(rate_limit_per_minute=10000)
    for index in range(250):
        assert _create(api, type="A", name="host-%03d" % index, data="192.0.2.%d" % (index % 250 + 1)).status_code == 201
    first = api.get(RECORDS + "?per_page=200").json()
    assert len(first["domain_records"]) == 200 and first["meta"]["total"] == 254
    assert first["links"]["pages"]["next"] == server.url + RECORDS + "?page=2&per_page=200"
    second = api.get(first["links"]["pages"]["next"]).json()
    ids = [r["id"] for r in first["domain_records"] + second["domain_records"]]
    assert len(ids) == len(set(ids)) == 254


# -- records: updates and deletion ----------------------------------------------------------------

def test_patch_changes_only_the_fields_sent_and_does_not_recheck_stored_hostnames(do_client, zone):
    record = do_client.domains.create_record(zone, body={"type": "CNAME", "name": "media", "data": "cdn.example.org."})["domain_record"]
    patched = do_client.domains.patch_record(zone, record["id"], body={"type": "CNAME", "ttl": 300})["domain_record"]
    assert (patched["data"], patched["ttl"]) == ("cdn.example.org", 300)


def test_put_needs_every_field_of_the_type(api, zone):
    record = _create(api, type="MX", name="@", data="mx1.example.org.", priority=10).json()["domain_record"]
    path = "%s/%d" % (RECORDS, record["id"])
    refused = api.put(path, json={"type": "MX", "ttl": 600})
    assert refused.status_code == 422 and "data" in refused.json()["message"]
    updated = api.put(path, json={"type": "MX", "data": "mx2.example.org.", "priority": 20}).json()["domain_record"]
    assert (updated["name"], updated["data"], updated["priority"], updated["ttl"]) == ("@", "mx2.example.org", 20, 1800)


def test_rejected_updates_change_nothing(api, zone):
    record = _create(api, type="A", name="www", data="192.0.2.1").json()["domain_record"]
    path = "%s/%d" % (RECORDS, record["id"])
    for body in ({"type": "A", "data": "not-an-ip"}, {"type": "AAAA", "data": "2001:db8::1"}, {"type": "A", "ttl": 10},
                 {"type": "CNAME", "data": "x.example.org."}):
        assert api.patch(path, json=body).status_code == 422, body
    assert api.get(path).json()["domain_record"] == record


def test_renaming_onto_a_cname_name_is_refused(api, zone):
    _create(api, type="CNAME", name="media", data="cdn.example.org.")
    record = _create(api, type="A", name="www", data="192.0.2.1").json()["domain_record"]
    assert api.patch("%s/%d" % (RECORDS, record["id"]), json={"type": "A", "name": "media"}).status_code == 422


def test_the_soa_record_only_takes_a_new_ttl_and_cannot_be_deleted(api, zone):
    soa = _records(api, type="SOA")[0]
    path = "%s/%d" % (RECORDS, soa["id"])
    assert api.patch(path, json={"type": "SOA", "data": "x"}).status_code == 422
    assert api.patch(path, json={"type": "SOA", "ttl": 3600}).json()["domain_record"]["ttl"] == 3600
    assert api.delete(path).status_code == 422
    assert len(_records(api, type="SOA")) == 1


def test_deleted_records_are_gone_and_unknown_ids_are_404(do_client, api, zone):
    record = do_client.domains.create_record(zone, body={"type": "TXT", "name": "x", "data": "y"})["domain_record"]
    do_client.domains.delete_record(zone, record["id"])
    assert do_client.domains.get_record(zone, record["id"])["id"] == "not_found"
    assert api.delete("%s/%d" % (RECORDS, record["id"])).status_code == 404
    assert do_client.domains.patch_record(zone, record["id"], body={"type": "TXT", "ttl": 60})["id"] == "not_found"
    with pytest.raises(HttpResponseError) as refused:
        do_client.domains.create_record(zone, body={"type": "TXT", "name": "x", "data": "y", "ttl": 5})
    assert refused.value.status_code == 422


def test_long_txt_values_are_split_into_255_character_strings_in_the_zone_file(api, zone):
    value = "v=DKIM1; k=rsa; p=" + "A" * 400
    stored = _create(api, type="TXT", name="sel._domainkey", data=value).json()["domain_record"]
    assert stored["data"] == value
    zone_file = api.get("/v2/domains/" + zone).json()["domain"]["zone_file"]
    assert 'sel._domainkey.example.com. 1800 IN TXT "%s" "%s"' % (value[:255], value[255:]) in zone_file


def test_a_lost_create_response_leaves_one_record_and_a_blind_retry_is_refused(api, control, zone):
    control.add_fault(kind="response_lost", method="POST", path=RECORDS, count=1)
    body = {"type": "TXT", "name": "_dmarc", "data": "v=DMARC1; p=none"}
    with pytest.raises(requests.exceptions.ConnectionError):  # the connection is reset without an answer
        _create(api, **body)
    assert _create(api, **body).status_code == 422
    assert [r["data"] for r in _state_records(control) if r["type"] == "TXT"] == ["v=DMARC1; p=none"]
