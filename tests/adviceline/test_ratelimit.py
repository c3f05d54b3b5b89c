"""The token buckets behind the rate limits: burst, refill with the clock, memory bound."""

from __future__ import annotations

import pytest

from adviceline.clock import FrozenClock
from adviceline.config import RateLimitSettings
from adviceline.domain import RateLimited
from adviceline.ratelimit import RateLimiter


def test_a_burst_of_per_minute_then_one_every_interval(clock: FrozenClock) -> None:
    limiter = RateLimiter(RateLimitSettings(messages_per_minute=6), clock)
    assert [limiter.wait("messages", "a") for _ in range(6)] == [None] * 6
    assert limiter.wait("messages", "a") == 10     # 6 a minute: one every 10 s
    clock.advance(seconds=9)
    assert limiter.wait("messages", "a") == 1
    clock.advance(seconds=1)
    assert limiter.wait("messages", "a") is None
    assert limiter.wait("messages", "b") is None   # each address has its own bucket
    assert limiter.wait("conversations", "a") is None   # and each kind
    with pytest.raises(RateLimited) as refused:
        limiter.check("messages", "a")
    assert refused.value.status == 429 and refused.value.retry_after == 10


def test_zero_or_disabled_means_no_limit(clock: FrozenClock) -> None:
    off = RateLimiter(RateLimitSettings(enabled=False, messages_per_minute=1), clock)
    unlimited = RateLimiter(RateLimitSettings(logins_per_minute=0), clock)
    assert all(off.wait("messages", "a") is None for _ in range(50))
    assert all(unlimited.wait("logins", "a") is None for _ in range(50))
    assert len(off) == len(unlimited) == 0


def test_memory_is_bounded_by_forgetting_the_least_recently_seen(clock: FrozenClock) -> None:
    limiter = RateLimiter(RateLimitSettings(messages_per_minute=1), clock, max_addresses=100)
    assert limiter.wait("messages", "busy") is None
    for i in range(250):
        limiter.wait("messages", f"203.0.113.{i}")
        assert limiter.wait("messages", "busy") is not None   # kept: it keeps coming back
    assert len(limiter) == 100
