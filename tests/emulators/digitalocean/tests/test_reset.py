# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reset: back to the seed account, with log, faults and rate-limit counters cleared."""


def test_seed_has_one_default_vpc_per_seed_region_with_distinct_10_x_slash_20_ranges(control):
    vpcs = control.state()["vpcs"]
    assert sorted((vpc["name"], vpc["region"], vpc["default"]) for vpc in vpcs) == [
        ("default-nyc3", "nyc3", True), ("default-sfo3", "sfo3", True), ("default-tor1", "tor1", True)]
    ranges = [vpc["ip_range"] for vpc in vpcs]
    assert len(set(ranges)) == 3
    assert all(ip_range.startswith("10.") and ip_range.endswith("/20") for ip_range in ranges)


def test_reset_restores_the_seed_and_clears_log_faults_and_rate_limits(api, control):
    seed = control.state()
    control.configure(rate_limit_per_minute=2)
    api.post("/v2/vpcs", json={"name": "temporary", "region": "tor1"})
    api.get("/v2/account")
    assert api.get("/v2/account").status_code == 429
    control.add_fault("5xx")
    vpc_id = seed["vpcs"][0]["id"]
    control.attach_vpc_member(vpc_id, "do:droplet:1", "web-1")

    control.reset()

    assert control.state() == seed
    assert control.requests() == []
    assert control.faults() == []
    assert api.get("/v2/account").status_code == 200
    assert control.config()["rate_limit_per_minute"] == 2  # settings survive a reset


def test_seeded_vpc_ids_are_stable_across_resets(control):
    first = [vpc["id"] for vpc in control.state()["vpcs"]]
    control.reset()
    assert [vpc["id"] for vpc in control.state()["vpcs"]] == first
