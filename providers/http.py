"""HTTP for provider clients: timeouts on every call, bodies read defensively, and one bounded
retry policy for transient failures (attempts and total time both capped)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from providers.base import ProviderUnavailable, RateLimited

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    total: float = 30.0
    base: float = 0.5
    cap: float = 8.0

    def delay(self, attempt: int, hint: float | None) -> float:
        backoff = min(self.cap, self.base * 2 ** (attempt - 1))
        return max(backoff, hint or 0.0)


async def with_retries(
    call: Callable[[], Awaitable[Any]],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """Retry rate limits and outages; anything else (and the last failure) goes to the caller."""
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except (RateLimited, ProviderUnavailable) as exc:
            hint = exc.retry_after if isinstance(exc, RateLimited) else None
            wait = policy.delay(attempt, hint)
            if attempt >= policy.attempts or clock() - started + wait > policy.total:
                raise
            log.info("provider call failed (%s); retry %d in %.1fs", exc.reason, attempt, wait)
            await sleep(wait)


async def read_json(response: aiohttp.ClientResponse, what: str) -> Any:
    """The body as JSON, or ProviderUnavailable: gateways answer 502/504 with HTML."""
    text = await response.text(errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        raise ProviderUnavailable(f"{what}: unreadable reply (HTTP {response.status})") from None


def transport_error(what: str, exc: BaseException) -> ProviderUnavailable:
    """Never embed the exception text: aiohttp puts the request URL (with query secrets) in it."""
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return ProviderUnavailable(f"{what}: timed out")
    return ProviderUnavailable(f"{what}: connection failed ({type(exc).__name__})")


def env_number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive")
    return value
