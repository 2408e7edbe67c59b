# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rate limits: DigitalOcean's headers on every response, 429 + retry-after when a budget is spent."""

import time

from tests.emulators.digitalocean.models import FakeClock
from tests.emulators.digitalocean.ratelimit import RateLimiter

HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")


def test_every_api_response_carries_the_rate_limit_headers(api):
    responses = [
        api.get("/v2/account"),
        api.post("/v2/vpcs", json={"region": "tor1"}),
        api.get("/v2/nothing"),
        api.get("/v2/account", token=""),
    ]
    assert [response.status_code for response in responses] == [200, 422, 404, 401]
    for response in responses:
        for header in HEADERS:
            assert response.headers[header].isdigit(), (response.status_code, header)
    assert responses[0].headers["ratelimit-limit"] == "5000"
    assert int(responses[0].headers["ratelimit-reset"]) >= int(time.time())


def test_remaining_counts_down_per_request(api):
    remaining = [int(api.get("/v2/account").headers["ratelimit-remaining"]) for dummy in range(3)]
    assert remaining == [4999, 4998, 4997]


def test_spent_minute_budget_answers_429_with_retry_after_and_applies_nothing(api, control):
    control.configure(rate_limit_per_minute=3)
    assert [api.get("/v2/account").status_code for dummy in range(3)] == [200, 200, 200]
    response = api.post("/v2/vpcs", json={"name": "over-budget", "region": "tor1"})
    assert response.status_code == 429
    assert response.json()["id"] == "too_many_requests"
    assert response.json()["message"] == "API rate limit exceeded."
    assert 1 <= int(response.headers["retry-after"]) <= 60
    for header in HEADERS:
        assert header in response.headers
    assert "over-budget" not in [vpc["name"] for vpc in control.state()["vpcs"]]


def test_spent_hour_budget_answers_429_until_the_oldest_request_expires(api, control):
    control.configure(rate_limit_per_hour=2)
    assert [api.get("/v2/account").status_code for dummy in range(2)] == [200, 200]
    response = api.get("/v2/account")
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 60
    assert response.headers["ratelimit-remaining"] == "0"


def test_sliding_minute_window_frees_slots_as_requests_age():
    clock = FakeClock(1000.0)
    limiter = RateLimiter(per_minute=2, per_hour=100, clock=clock.now)
    assert limiter.hit("t").allowed
    clock.advance(30)
    assert limiter.hit("t").allowed
    refused = limiter.hit("t")
    assert not refused.allowed
    assert refused.retry_after == 30
    clock.advance(30)
    assert limiter.hit("t").allowed
    assert not limiter.hit("t").allowed


def test_reset_header_is_when_the_oldest_counted_request_leaves_the_hour():
    clock = FakeClock(1000.0)
    limiter = RateLimiter(per_minute=10, per_hour=10, clock=clock.now)
    limiter.hit("t")
    clock.advance(5)
    decision = limiter.hit("t")
    assert decision.headers == {"ratelimit-limit": "10", "ratelimit-remaining": "8", "ratelimit-reset": str(1000 + 3600)}


def test_tokens_have_separate_budgets():
    limiter = RateLimiter(per_minute=1, per_hour=10, clock=FakeClock().now)
    assert limiter.hit("a").allowed
    assert limiter.hit("b").allowed
    assert not limiter.hit("a").allowed
