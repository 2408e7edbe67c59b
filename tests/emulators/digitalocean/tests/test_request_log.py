# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request log: what tests assert on (e.g. zero writes on a re-run)."""


def test_log_entry_records_method_path_query_operation_status_write_and_body(api, control):
    api.get("/v2/vpcs?per_page=5")
    api.post("/v2/vpcs", json={"name": "logged", "region": "sfo3"})
    listed, created = control.requests()
    assert listed["method"] == "GET"
    assert listed["path"] == "/v2/vpcs"
    assert listed["query"] == {"per_page": "5"}
    assert listed["operation_id"] == "vpcs_list"
    assert (listed["status"], listed["write"], listed["body"], listed["fault"]) == (200, False, None, None)
    assert created["operation_id"] == "vpcs_create"
    assert (created["status"], created["write"]) == (201, True)
    assert created["body"] == {"name": "logged", "region": "sfo3"}
    assert created["contract_violation"] is None
    assert created["seq"] > listed["seq"]
    assert isinstance(created["time"], float)


def test_writes_lists_only_post_put_patch_delete(api, control):
    vpc_id = api.post("/v2/vpcs", json={"name": "w", "region": "tor1"}).json()["vpc"]["id"]
    api.get("/v2/vpcs/" + vpc_id)
    api.patch("/v2/vpcs/" + vpc_id, json={"description": "d"})
    api.put("/v2/vpcs/" + vpc_id, json={"name": "w2"})
    api.delete("/v2/vpcs/" + vpc_id)
    assert [entry["method"] for entry in control.writes()] == ["POST", "PATCH", "PUT", "DELETE"]


def test_read_only_run_makes_no_write_calls(api, control):
    api.get("/v2/vpcs")
    api.get("/v2/regions")
    assert control.writes() == []


def test_since_returns_only_newer_entries(api, control):
    api.get("/v2/account")
    mark = control.last_seq()
    api.get("/v2/regions")
    assert [entry["operation_id"] for entry in control.requests(since=mark)] == ["regions_list"]


def test_control_api_calls_are_not_logged(control):
    control.state()
    control.faults()
    control.config()
    assert control.requests() == []


def test_clearing_the_log_empties_it_and_sequence_numbers_keep_growing(api, control):
    api.get("/v2/account")
    before = control.last_seq()
    control.clear_requests()
    assert control.requests() == []
    api.get("/v2/account")
    assert control.requests()[0]["seq"] > before
