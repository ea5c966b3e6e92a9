"""Token buckets: a minute's worth at once, then the limit's pace; all or nothing; bounded."""

import pytest

from app.errors import RateLimited
from app.http.rate_limit import RateLimits, TokenBuckets, charge
from app.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limits(clock: Clock, **overrides: int) -> RateLimits:
    return RateLimits(Settings(_env_file=None, **overrides), clock)  # type: ignore[call-arg]


def test_a_burst_of_a_minutes_worth_then_the_limits_pace() -> None:
    clock = Clock()
    rate = limits(clock, rate_limit_address_requests_per_minute=60)
    for _ in range(60):
        rate.admit_address("10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        rate.admit_address("10.0.0.1")
    assert refused.value.retry_after == 1
    rate.admit_address("10.0.0.2")  # another caller has its own bucket
    clock.now += 1.0
    rate.admit_address("10.0.0.1")


def test_retry_after_is_the_wait_for_the_missing_tokens() -> None:
    clock = Clock()
    rate = limits(clock, rate_limit_visitor_events_per_minute=6)  # one every 10 s
    rate.admit_events("key", "10.0.0.1", ["v"] * 6)
    with pytest.raises(RateLimited) as refused:
        rate.admit_events("key", "10.0.0.1", ["v"] * 2)
    assert refused.value.retry_after == 20


def test_a_refusal_takes_nothing_from_any_bucket() -> None:
    clock = Clock()
    rate = limits(clock, rate_limit_visitor_events_per_minute=5,
                  rate_limit_address_events_per_minute=100)
    with pytest.raises(RateLimited):
        rate.admit_events("key", "10.0.0.1", ["a"] * 3 + ["b"] * 6)
    rate.admit_events("key", "10.0.0.1", ["a"] * 5)  # "a" was not charged for the refusal
    assert rate.address_events.wait("10.0.0.1", 95, clock.now) == 0.0


def test_more_than_a_minutes_worth_at_once_is_always_refused() -> None:
    buckets = TokenBuckets(per_minute=10)
    with pytest.raises(RateLimited) as refused:
        charge([(buckets, "caller", 11)], now=0.0)
    assert refused.value.retry_after == 60


def test_zero_means_no_limit_and_none_is_not_limited_by_address() -> None:
    clock = Clock()
    rate = limits(clock, rate_limit_key_requests_per_minute=0,
                  rate_limit_address_requests_per_minute=1)
    for _ in range(1000):
        rate.admit_key("key")
        rate.admit_address(None)
    assert len(rate.key_requests) == 0 and len(rate.address_requests) == 0


def test_buckets_are_bounded_and_forget_the_least_recently_seen() -> None:
    buckets = TokenBuckets(per_minute=1, max_buckets=3)
    for caller in ("a", "b", "c"):
        charge([(buckets, caller, 1)], now=0.0)
    charge([(buckets, "a", 0)], now=0.0)  # "a" seen again: "b" is now the oldest
    charge([(buckets, "d", 1)], now=0.0)
    assert len(buckets) == 3
    assert buckets.wait("b", 1, now=0.0) == 0.0  # forgotten: full again
    assert buckets.wait("a", 1, now=0.0) > 0.0
