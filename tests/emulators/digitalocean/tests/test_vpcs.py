# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DigitalOcean's VPC rules, read from the contract's descriptions."""

import ipaddress

import pytest

from tests.emulators.digitalocean.control import EmulatorControlError


def _create(api, **body):
    return api.post("/v2/vpcs", json=body)


def _default_of(api, region):
    return next(vpc for vpc in api.get("/v2/vpcs?per_page=200").json()["vpcs"] if vpc["region"] == region and vpc["default"])


def _count(control, name):
    return [vpc["name"] for vpc in control.state()["vpcs"]].count(name)


def test_overlapping_ip_range_is_refused_naming_the_other_vpc(api, control):
    assert _create(api, name="a", region="tor1", ip_range="10.200.0.0/24").status_code == 201
    response = _create(api, name="b", region="nyc3", ip_range="10.200.0.128/25")
    assert response.status_code == 422
    assert "overlaps" in response.json()["message"]
    assert "'a'" in response.json()["message"]
    assert _count(control, "b") == 0


def test_range_overlapping_a_seeded_default_vpc_is_refused(api):
    default_range = _default_of(api, "tor1")["ip_range"]
    response = _create(api, name="clash", region="tor1", ip_range=default_range)
    assert response.status_code == 422
    assert "default-tor1" in response.json()["message"]


@pytest.mark.parametrize("ip_range, reason", [
    ("10.201.0.0/29", "smaller than /28"),
    ("10.0.0.0/15", "larger than /16"),
    ("8.8.8.0/24", "RFC1918"),
    ("10.201.0.1/24", "not a valid network"),
    ("fd00::/64", "RFC1918"),
])
def test_ip_range_outside_digitaloceans_rules_is_refused(api, control, ip_range, reason):
    response = _create(api, name="bad-range", region="tor1", ip_range=ip_range)
    assert response.status_code == 422
    assert reason in response.json()["message"]
    assert "ip_range" in response.json()["message"]
    assert _count(control, "bad-range") == 0


@pytest.mark.parametrize("ip_range", ["10.201.0.0/16", "172.16.5.0/28", "192.168.10.0/24"])
def test_private_ranges_between_slash_16_and_slash_28_are_accepted(api, ip_range):
    response = _create(api, name="ok-range", region="tor1", ip_range=ip_range)
    assert response.status_code == 201
    assert response.json()["vpc"]["ip_range"] == ip_range


def test_duplicate_name_is_refused_with_422(api, control):
    assert _create(api, name="twice", region="tor1").status_code == 201
    response = _create(api, name="twice", region="nyc3")
    assert response.status_code == 422
    assert response.json()["id"] == "unprocessable_entity"
    assert "twice" in response.json()["message"]
    assert _count(control, "twice") == 1


def test_rename_onto_an_existing_name_is_refused(api):
    vpc_id = _create(api, name="first", region="tor1").json()["vpc"]["id"]
    assert api.patch("/v2/vpcs/" + vpc_id, json={"name": "default-tor1"}).status_code == 422
    assert api.get("/v2/vpcs/" + vpc_id).json()["vpc"]["name"] == "first"


def test_unknown_region_is_refused_listing_valid_slugs(api):
    response = _create(api, name="nowhere", region="mars1")
    assert response.status_code == 422
    assert "mars1" in response.json()["message"]
    assert "tor1" in response.json()["message"] and "atl1" in response.json()["message"]


def test_omitted_ip_range_gets_a_deterministic_free_slash_20_in_10_x(api):
    first = _create(api, name="auto-1", region="tor1").json()["vpc"]["ip_range"]
    second = _create(api, name="auto-2", region="tor1").json()["vpc"]["ip_range"]
    assert (first, second) == ("10.10.0.0/20", "10.10.16.0/20")
    existing = [ipaddress.ip_network(vpc["ip_range"]) for vpc in api.get("/v2/vpcs").json()["vpcs"]]
    assert not any(a.overlaps(b) for index, a in enumerate(existing) for b in existing[index + 1:])


def test_first_vpc_of_a_region_becomes_its_default(api):
    first = _create(api, name="ams-one", region="ams3").json()["vpc"]
    second = _create(api, name="ams-two", region="ams3").json()["vpc"]
    assert (first["default"], second["default"]) == (True, False)


def test_setting_default_moves_it_from_the_previous_default_of_the_region(api):
    previous = _default_of(api, "tor1")
    vpc_id = _create(api, name="new-default", region="tor1").json()["vpc"]["id"]
    assert api.patch("/v2/vpcs/" + vpc_id, json={"default": True}).json()["vpc"]["default"] is True
    assert api.get("/v2/vpcs/" + previous["id"]).json()["vpc"]["default"] is False
    assert _default_of(api, "nyc3")["name"] == "default-nyc3"


def test_default_cannot_be_unset(api):
    default = _default_of(api, "tor1")
    response = api.patch("/v2/vpcs/" + default["id"], json={"default": False})
    assert response.status_code == 422
    assert "default" in response.json()["message"]
    assert api.get("/v2/vpcs/" + default["id"]).json()["vpc"]["default"] is True


def test_put_requires_name_and_keeps_description_when_omitted(api):
    vpc_id = _create(api, name="put-me", region="tor1", description="kept").json()["vpc"]["id"]
    assert api.put("/v2/vpcs/" + vpc_id, json={"description": "only"}).status_code == 422
    updated = api.put("/v2/vpcs/" + vpc_id, json={"name": "put-renamed"}).json()["vpc"]
    assert (updated["name"], updated["description"]) == ("put-renamed", "kept")


def test_default_vpc_of_a_region_cannot_be_deleted(api, control):
    default = _default_of(api, "tor1")
    response = api.delete("/v2/vpcs/" + default["id"])
    assert response.status_code == 403
    assert response.json()["id"] == "forbidden"
    assert "default" in response.json()["message"]
    assert _count(control, "default-tor1") == 1


def test_vpc_with_members_cannot_be_deleted_until_they_are_detached(api, control):
    vpc_id = _create(api, name="busy", region="tor1").json()["vpc"]["id"]
    control.attach_vpc_member(vpc_id, "do:droplet:123", "web-1")
    response = api.delete("/v2/vpcs/" + vpc_id)
    assert response.status_code == 403
    assert response.json()["id"] == "forbidden"
    assert "member" in response.json()["message"]
    assert _count(control, "busy") == 1

    control.detach_vpc_member(vpc_id, "do:droplet:123")
    assert api.delete("/v2/vpcs/" + vpc_id).status_code == 204
    assert _count(control, "busy") == 0
    assert api.get("/v2/vpcs/" + vpc_id).status_code == 404


def test_members_are_listed_and_filtered_by_resource_type(api, control):
    vpc_id = _create(api, name="mixed", region="tor1").json()["vpc"]["id"]
    control.attach_vpc_member(vpc_id, "do:droplet:1", "web-1")
    control.attach_vpc_member(vpc_id, "do:loadbalancer:2", "lb-1")
    listed = api.get("/v2/vpcs/%s/members" % vpc_id).json()
    assert sorted(member["urn"] for member in listed["members"]) == ["do:droplet:1", "do:loadbalancer:2"]
    droplets = api.get("/v2/vpcs/%s/members?resource_type=droplet" % vpc_id).json()
    assert [member["name"] for member in droplets["members"]] == ["web-1"]
    assert control.state()["vpc_members"][vpc_id][0]["urn"] in ("do:droplet:1", "do:loadbalancer:2")


def test_members_registered_by_a_family_source_block_deletion(api, server):
    vpc_id = _create(api, name="db-home", region="tor1").json()["vpc"]["id"]
    with server.app.lock:
        server.app.backend.members.add_source(lambda: [(vpc_id, {"urn": "do:dbaas:abc", "name": "pg", "created_at": "2026-01-01T00:00:00Z"})])
    assert api.delete("/v2/vpcs/" + vpc_id).status_code == 403
    assert [member["urn"] for member in api.get("/v2/vpcs/%s/members" % vpc_id).json()["members"]] == ["do:dbaas:abc"]


def test_a_urn_can_be_a_member_of_one_vpc_only(api, control):
    first = _create(api, name="one", region="tor1").json()["vpc"]["id"]
    second = _create(api, name="two", region="tor1").json()["vpc"]["id"]
    control.attach_vpc_member(first, "do:droplet:9", "web-9")
    with pytest.raises(EmulatorControlError) as refused:
        control.attach_vpc_member(second, "do:droplet:9", "web-9")
    assert refused.value.status == 409


def test_attaching_to_an_unknown_vpc_is_404(control):
    with pytest.raises(EmulatorControlError) as refused:
        control.attach_vpc_member("5a4981aa-9653-4bd1-bef5-d6bff52042e4", "do:droplet:1", "web-1")
    assert refused.value.status == 404
