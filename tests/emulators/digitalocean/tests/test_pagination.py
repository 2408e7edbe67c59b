# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DigitalOcean's pagination: page/per_page, per_page capped at 200, absolute links, meta.total."""

import pytest

EXTRA_VPCS = 205
SEEDED = 3


@pytest.fixture
def many_vpcs(api, control):
    control.configure(rate_limit_per_minute=10000)
    for index in range(EXTRA_VPCS):
        response = api.post("/v2/vpcs", json={"name": "vpc-%03d" % index, "region": "nyc3"})
        assert response.status_code == 201, response.text
    return SEEDED + EXTRA_VPCS


def test_more_than_200_vpcs_are_served_over_pages_with_links_and_total(api, many_vpcs, server):
    first = api.get("/v2/vpcs?per_page=200").json()
    assert len(first["vpcs"]) == 200
    assert first["meta"]["total"] == many_vpcs
    assert first["links"]["pages"] == {
        "next": server.url + "/v2/vpcs?page=2&per_page=200",
        "last": server.url + "/v2/vpcs?page=2&per_page=200",
    }
    second = api.get(first["links"]["pages"]["next"]).json()
    assert len(second["vpcs"]) == many_vpcs - 200
    assert second["meta"]["total"] == many_vpcs
    assert second["links"]["pages"] == {
        "first": server.url + "/v2/vpcs?page=1&per_page=200",
        "prev": server.url + "/v2/vpcs?page=1&per_page=200",
    }
    ids = [vpc["id"] for vpc in first["vpcs"] + second["vpcs"]]
    assert len(set(ids)) == many_vpcs


def test_following_next_links_with_the_default_page_size_visits_every_vpc_once(api, many_vpcs):
    seen, url, pages = [], "/v2/vpcs", 0
    while url:
        body = api.get(url).json()
        pages += 1
        seen.extend(vpc["id"] for vpc in body["vpcs"])
        url = body["links"].get("pages", {}).get("next")
    assert pages == -(-many_vpcs // 20)
    assert len(seen) == len(set(seen)) == many_vpcs


def test_per_page_above_200_is_capped_to_200_like_digitalocean(api, many_vpcs, server):
    body = api.get("/v2/vpcs?per_page=500").json()
    assert len(body["vpcs"]) == 200
    assert body["links"]["pages"]["next"] == server.url + "/v2/vpcs?page=2&per_page=200"
    assert body["meta"]["total"] == many_vpcs


def test_single_page_list_has_empty_links(api):
    body = api.get("/v2/regions?per_page=50").json()
    assert body["links"] == {}
    assert body["meta"]["total"] == len(body["regions"]) == 12


def test_middle_page_links_both_ways_and_keep_other_query_parameters(api, control, server):
    vpc_id = api.get("/v2/vpcs").json()["vpcs"][0]["id"]
    for index in range(5):
        control.attach_vpc_member(vpc_id, "do:droplet:%d" % index, "web-%d" % index)
    body = api.get("/v2/vpcs/%s/members?resource_type=droplet&per_page=2&page=2" % vpc_id).json()
    assert [member["name"] for member in body["members"]] == ["web-2", "web-3"]
    base = server.url + "/v2/vpcs/%s/members?page=%%d&per_page=2&resource_type=droplet" % vpc_id
    assert body["links"]["pages"] == {"first": base % 1, "prev": base % 1, "next": base % 3, "last": base % 3}
    assert body["meta"]["total"] == 5
