# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault injection: 429 and 5xx answered, connection reset, and the lost response after a write."""

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from tests.emulators.digitalocean.control import EmulatorControlError


def _names(control):
    return [vpc["name"] for vpc in control.state()["vpcs"]]


def test_429_fault_answers_count_times_with_retry_after_then_lets_requests_through(api, control):
    control.add_fault("429", method="POST", path="/v2/vpcs", count=2, retry_after=7)
    first = api.post("/v2/vpcs", json={"name": "retry-me", "region": "tor1"})
    second = api.post("/v2/vpcs", json={"name": "retry-me", "region": "tor1"})
    assert [first.status_code, second.status_code] == [429, 429]
    assert first.headers["retry-after"] == "7"
    assert first.json()["id"] == "too_many_requests"
    assert "retry-me" not in _names(control)
    assert api.post("/v2/vpcs", json={"name": "retry-me", "region": "tor1"}).status_code == 201
    assert [entry["fault"] for entry in control.requests()] == ["429", "429", None]
    assert control.faults() == []


def test_5xx_fault_answers_the_chosen_status_and_applies_nothing(api, control):
    control.add_fault("5xx", method="POST", path="/v2/vpcs*", status=502)
    response = api.post("/v2/vpcs", json={"name": "flaky", "region": "tor1"})
    assert response.status_code == 502
    assert set(response.json()) == {"id", "message", "request_id"}
    assert "flaky" not in _names(control)
    assert control.requests()[-1]["fault"] == "5xx"


def test_fault_only_hits_matching_method_and_path(api, control):
    control.add_fault("5xx", method="POST", path="/v2/vpcs")
    assert api.get("/v2/vpcs").status_code == 200
    assert api.get("/v2/account").status_code == 200
    assert len(control.faults()) == 1
    assert control.faults()[0]["remaining"] == 1


def test_reset_fault_drops_the_connection_before_applying(api, control):
    control.add_fault("reset", method="POST", path="/v2/vpcs")
    with pytest.raises(requests.ConnectionError):
        api.post("/v2/vpcs", json={"name": "never-made", "region": "tor1"})
    assert "never-made" not in _names(control)
    entry = control.requests()[-1]
    assert (entry["fault"], entry["status"], entry["write"]) == ("reset", None, True)
    assert api.get("/v2/account").status_code == 200  # the emulator keeps serving


def test_response_lost_applies_the_write_then_drops_the_connection(api, control):
    control.add_fault("response_lost", method="POST", path="/v2/vpcs")
    with pytest.raises(requests.ConnectionError):
        api.post("/v2/vpcs", json={"name": "lost-answer", "region": "tor1"})
    assert _names(control).count("lost-answer") == 1
    entry = control.requests()[-1]
    assert (entry["fault"], entry["status"]) == ("response_lost", 201)


def test_blind_retry_after_a_lost_response_finds_the_vpc_already_exists(do_client, control):
    control.add_fault("response_lost", method="POST", path="/v2/vpcs")
    with pytest.raises((ServiceResponseError, ServiceRequestError)):
        do_client.vpcs.create(body={"name": "once-only", "region": "tor1"})
    with pytest.raises(HttpResponseError) as refused:
        do_client.vpcs.create(body={"name": "once-only", "region": "tor1"})
    assert refused.value.status_code == 422
    assert _names(control).count("once-only") == 1


def test_seeded_rate_fault_fires_on_the_same_requests_every_run(api, control):
    def run():
        control.reset()
        control.add_fault("5xx", path="/v2/account", rate=0.5, seed=7)
        return [api.get("/v2/account").status_code for dummy in range(20)]

    first, second = run(), run()
    assert first == second
    assert 0 < first.count(503) < 20
    assert control.faults()[0]["rate"] == 0.5


def test_faults_are_listed_and_cleared(control):
    control.add_fault("429", path="/v2/vpcs*", count=3)
    control.add_fault("reset", method="DELETE")
    listed = control.faults()
    assert [(rule["kind"], rule["remaining"]) for rule in listed] == [("429", 3), ("reset", 1)]
    control.clear_faults()
    assert control.faults() == []


def test_invalid_fault_rule_is_refused(control):
    with pytest.raises(EmulatorControlError, match="kind"):
        control.add_fault("meteor")
    with pytest.raises(EmulatorControlError, match="status"):
        control.add_fault("5xx", status=418)
