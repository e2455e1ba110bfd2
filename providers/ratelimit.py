"""A token bucket shared by every profile of one provider app: the provider's limit is per app,
so all profiles draw from one budget.

The bucket holds one token by default, i.e. requests are paced evenly at the rate. A bigger burst
would let a full second's worth go out at once on top of the steady rate, which a provider that
counts requests over a sliding second (as TikTok's QPS limit does) refuses.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

# Requests are timed here as they leave and counted by the provider as they arrive: paced at
# exactly the limit, two sent a second apart can arrive closer than that, and one is refused.
HEADROOM = 0.95


def paced(limit: float) -> float:
    """The rate to send at for a provider that allows `limit` requests a second."""
    return limit * HEADROOM


class TokenBucket:
    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = burst if burst is not None else 1.0
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait for a token. Waiters queue on the lock, so the order is first come, first
        served and the rate holds however many callers there are."""
        async with self._lock:
            while True:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await self._sleep((1 - self._tokens) / self.rate)
