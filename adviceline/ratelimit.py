"""Rate limits per client address: a token bucket per (kind, address), kept in memory.

Each kind (new conversations, parent messages, websockets, logins) allows `per_minute` requests
at once and refills at `per_minute` a minute. Buckets live in the process (with several service
processes each limits on its own) and are bounded: the least recently used address is forgotten
first. Time comes from the app's Clock, so tests move it instead of waiting.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from datetime import datetime

from adviceline.clock import Clock
from adviceline.config import RateLimitSettings
from adviceline.domain import RateLimited

KINDS = ("conversations", "messages", "websockets", "logins")
__all__ = ["KINDS", "RateLimited", "RateLimiter"]
MAX_ADDRESSES = 100_000

class RateLimiter:
    def __init__(self, settings: RateLimitSettings, clock: Clock,
                 max_addresses: int = MAX_ADDRESSES) -> None:
        self._settings = settings
        self._clock = clock
        self._max = max_addresses
        # (kind, address) -> (tokens left, when counted); oldest use first.
        self._buckets: OrderedDict[tuple[str, str], tuple[float, datetime]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, kind: str, address: str) -> None:
        """Count one request of `kind` from `address`; raises RateLimited when over the limit."""
        wait = self.wait(kind, address)
        if wait is not None:
            raise RateLimited(kind, wait)

    def wait(self, kind: str, address: str) -> int | None:
        """Count one request; None when allowed, else whole seconds until one is."""
        per_minute = self._settings.per_minute(kind)
        if not self._settings.enabled or per_minute <= 0:
            return None
        now = self._clock.now()
        rate = per_minute / 60.0   # tokens a second
        key = (kind, address)
        tokens, counted = self._buckets.pop(key, (float(per_minute), now))
        elapsed = max(0.0, (now - counted).total_seconds())   # a clock set back adds nothing
        tokens = min(float(per_minute), tokens + elapsed * rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        return None if allowed else max(1, math.ceil((1.0 - tokens) / rate))
