"""MediaGo: an API token exchanged for a one-hour access token, then the account list.

MediaGo documents one "API token" where the product it is modelled on shows a key and a secret
(research/mediago.md §2, §8). A profile holds either: a single token (in `secret`), or a key and
secret pair. How they become the Basic credential is decided in `basic_credentials`, the one
place to change once a real pair is seen. A new access token invalidates the previous one, so
each profile has one live token, renewed ahead of expiry and never by two callers at once; what
the replies mean is read in `providers.mediago_replies`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import aiohttp

from providers import mediago_replies as replies
from providers.base import (
    AccountInfo,
    AccountListing,
    Credentials,
    CredentialsInvalid,
    MemoryTokenCache,
    Provider,
    ProviderUnavailable,
    RateLimited,
    TokenCache,
    TokenContention,
)
from providers.http import RetryPolicy, env_number, transport_error, with_retries
from providers.ratelimit import TokenBucket, paced

DEFAULT_API_URL = "https://api.mediago.io"
RENEW_AHEAD = timedelta(seconds=60)
# Client level first, then account level, as newsbreakmaster's auth_level="auto" does.
LEVELS = {"client": "/data/v1/client/authentication", "account": "/data/v1/authentication"}
CLIENT_ACCOUNTS = "/data/v1/client/accounts"
ACCOUNTS = "/manage/v1/account"


@dataclass(frozen=True)
class MediaGoConfig:
    api_url: str = DEFAULT_API_URL
    rate_limit: float = 5.0
    timeout: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MediaGoConfig:
        url = (env.get("MEDIAGO_API_URL", "").strip() or DEFAULT_API_URL).rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ValueError("MEDIAGO_API_URL must be an http(s) URL")
        return cls(
            api_url=url,
            rate_limit=env_number(env, "MEDIAGO_RATE_LIMIT", 5.0),
            timeout=env_number(env, "MEDIAGO_TIMEOUT", 20.0),
        )


def _looks_base64(value: str) -> bool:
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return bool(decoded) and decoded.isprintable()


def basic_credentials(key: str | None, secret: str) -> list[tuple[str, str]]:
    """Candidate `Authorization: Basic` values, most likely first.

    A single token goes as issued when it already is Base64 (MediaGo's docs say the account
    manager issues it so), else Base64-encoded, then the other way round (clients differ:
    research §2.2). A key and secret pair is first tried as `base64(key:secret)`, HTTP Basic's
    own form (an unconfirmed hypothesis, research §6), then the secret alone as a token, which
    is how profiles saved with a label in the key field work. A lone token is never paired."""
    secret = secret.removeprefix("Basic ").removeprefix("basic ").strip()
    encoded = base64.b64encode(secret.encode()).decode()
    candidates = [("as_is", secret), ("base64", encoded)]
    if not _looks_base64(secret):
        candidates.reverse()
    if key:
        candidates.insert(0, ("pair", base64.b64encode(f"{key}:{secret}".encode()).decode()))
    return candidates


class MediaGoProvider(Provider):
    name: ClassVar[str] = "mediago"
    display_name: ClassVar[str] = "MediaGo"
    uses_oauth: ClassVar[bool] = False
    session_tokens: ClassVar[bool] = True
    Config = MediaGoConfig

    def __init__(
        self,
        config: MediaGoConfig,
        *,
        session: aiohttp.ClientSession | None = None,
        token_cache: TokenCache | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        retry: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        self._session = session
        self._owns_session = session is None
        self._cache = token_cache or MemoryTokenCache()
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self._retry = retry or RetryPolicy()
        self._locks: dict[str, asyncio.Lock] = {}
        self.limiter = TokenBucket(paced(config.rate_limit), clock=clock, sleep=sleep)

    async def validate(self, credentials: Credentials) -> AccountListing:
        """Exchange and list: a token that authenticates but reaches no MediaGo data is not a
        valid MediaGo credential (research §2.3)."""
        token, meta = await self._exchange(credentials)
        accounts = await self._list(token, meta)
        if credentials.profile_ref:
            await self._cache.set(credentials.profile_ref, token, meta["expires_at"])
        return AccountListing(accounts, meta={k: meta[k] for k in ("level", "form")})

    async def probe(self, credentials: Credentials) -> None:
        await self.validate(credentials)

    async def list_accounts(
        self, credentials: Credentials, *, skip_details: Collection[str] = ()
    ) -> AccountListing:
        meta = dict(credentials.meta)
        token, _renewed = await self._token(credentials)
        try:
            return AccountListing(await self._list(token, meta))
        except replies.Expired:
            token, renewed = await self._token(credentials, stale=token)
        try:
            accounts = await self._list(token, meta)
        except replies.Expired:
            raise TokenContention(
                "MediaGo refused its access token again right after it was renewed: another "
                "tool using the same API token renews it too, and each renewal cancels the "
                "other's"
            ) from None
        return AccountListing(accounts, forced_renewals=1 if renewed else 0)

    async def _token(
        self, credentials: Credentials, *, stale: str | None = None
    ) -> tuple[str, bool]:
        """The live access token, and whether it had to be renewed because `stale` (the one
        just refused) was still the one stored."""
        ref = credentials.profile_ref
        if ref is None:
            token, _meta = await self._exchange(credentials)
            return token, stale is not None
        async with self._locks.setdefault(ref, asyncio.Lock()):
            cached = await self._cache.get(ref)
            if cached and cached[0] != stale and cached[1] - RENEW_AHEAD > self._now():
                return cached[0], False
            token, meta = await self._exchange(credentials)
            await self._cache.set(ref, token, meta["expires_at"])
            return token, bool(cached and stale is not None and cached[0] == stale)

    async def _exchange(self, credentials: Credentials) -> tuple[str, dict[str, Any]]:
        """Try each credential form at each level, the ones that worked before first. Only when
        every attempt was refused are the credentials invalid: an attempt that failed for
        another reason (a 5xx at the client level, say) might have been the right one."""
        known = credentials.meta
        forms = basic_credentials(credentials.key, credentials.secret)
        forms.sort(key=lambda item: item[0] != known.get("form"))
        levels = sorted(LEVELS, key=lambda level: level != known.get("level"))
        refused: CredentialsInvalid | None = None
        unsure: ProviderUnavailable | None = None
        for form, value in forms:
            for level in levels:
                try:
                    token, seconds = await self._post_auth(LEVELS[level], value)
                except CredentialsInvalid as exc:
                    refused = exc
                    continue
                except ProviderUnavailable as exc:
                    if (form, level) == (known.get("form"), known.get("level")):
                        raise
                    unsure = unsure or exc
                    continue
                expires_at = self._now() + timedelta(seconds=seconds)
                return token, {"level": level, "form": form, "expires_at": expires_at}
        if unsure is not None:
            raise unsure
        raise CredentialsInvalid(f"MediaGo: {refused.reason if refused else 'refused'}")

    async def _post_auth(self, path: str, basic: str) -> tuple[str, float]:
        async def once() -> tuple[str, float]:
            status, body, parsed = await self._request(
                "POST",
                path,
                headers={
                    "Authorization": f"Basic {basic}",
                    "Content-Type": "application/x-www-form-urlencoded;charset=utf-8",
                },
                what="authentication",
            )
            outcome = replies.auth_outcome(status, body, parsed=parsed)
            if isinstance(outcome, Exception):
                raise outcome
            try:
                seconds = float(body.get("expires_in", 3600))
            except (TypeError, ValueError):
                seconds = 3600.0
            return outcome, seconds

        return await with_retries(once, self._retry, sleep=self._sleep, clock=self._clock)

    async def _list(self, token: str, meta: Mapping[str, Any]) -> list[AccountInfo]:
        """A client-level token lists the client's accounts; when that listing fails or is
        empty, the account-level listing is asked too (newsbreakmaster `get_accounts`)."""
        if meta.get("level") != "client":
            return await self._list_at(ACCOUNTS, token)
        try:
            accounts = await self._list_at(CLIENT_ACCOUNTS, token)
        except ProviderUnavailable as first:
            try:
                return await self._list_at(ACCOUNTS, token)
            except (ProviderUnavailable, RateLimited):
                raise first from None
        if accounts:
            return accounts
        try:
            return await self._list_at(ACCOUNTS, token)
        except (ProviderUnavailable, RateLimited):
            return accounts

    async def _list_at(self, path: str, token: str) -> list[AccountInfo]:
        async def once() -> list[AccountInfo]:
            status, body, parsed = await self._request(
                "GET", path, headers={"Authorization": f"Bearer {token}"}, what="account list"
            )
            outcome = replies.listing(status, body, parsed=parsed)
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        return await with_retries(once, self._retry, sleep=self._sleep, clock=self._clock)

    async def _request(
        self, method: str, path: str, *, headers: dict[str, str], what: str
    ) -> tuple[int, Any, bool]:
        """Status, body, and whether the body was JSON at all."""
        await self.limiter.acquire()
        try:
            async with self._http().request(
                method,
                self.config.api_url + path,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.config.timeout),
            ) as response:
                text = await response.text(errors="replace")
                status = response.status
        except (aiohttp.ClientError, OSError) as exc:
            raise transport_error(f"MediaGo {what}", exc) from None
        try:
            return status, json.loads(text), True
        except ValueError:
            return status, None, False

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None
