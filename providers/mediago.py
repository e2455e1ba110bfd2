"""MediaGo: API credentials exchanged for a one-hour access token, then the account list.

Provisional (research/mediago.md §7): MediaGo documents one "API token" where the product shows a
key and a secret. How the two fields become the Basic credential is decided in
`basic_credentials`, the one place to change once a real token is seen. A new access token
invalidates the previous one, so each profile has one live token, renewed ahead of expiry and
never by two callers at once.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import aiohttp

from providers.base import (
    AccountInfo,
    AccountListing,
    Credentials,
    CredentialsInvalid,
    MemoryTokenCache,
    Provider,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    TokenCache,
)
from providers.http import RetryPolicy, read_json, transport_error, with_retries
from providers.ratelimit import TokenBucket, paced
from providers.tiktok import _number

DEFAULT_API_URL = "https://api.mediago.io"
RENEW_AHEAD = timedelta(seconds=60)
LEVELS = {"client": "/data/v1/client/authentication", "account": "/data/v1/authentication"}
ACCOUNT_PATHS = {"client": "/data/v1/client/accounts", "account": "/manage/v1/account"}
NOT_FOR_MEDIAGO = "not authorized for mediago"


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
            rate_limit=_number(env, "MEDIAGO_RATE_LIMIT", 5.0),
            timeout=_number(env, "MEDIAGO_TIMEOUT", 20.0),
        )


def _looks_base64(value: str) -> bool:
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return bool(decoded) and decoded.isprintable()


def basic_credentials(key: str | None, secret: str) -> list[tuple[str, str]]:
    """Candidate `Authorization: Basic` values, most likely first: the secret as issued when it
    is already Base64, else its Base64; then the other; then `base64(key:secret)` when a key is
    given (the unconfirmed key+secret hypothesis)."""
    encoded = base64.b64encode(secret.encode()).decode()
    candidates = [("as_is", secret), ("base64", encoded)]
    if not _looks_base64(secret):
        candidates.reverse()
    if key:
        candidates.append(("pair", base64.b64encode(f"{key}:{secret}".encode()).decode()))
    return candidates


def _message(body: Any) -> str:
    if isinstance(body, dict):
        for field in ("errmsg", "error", "message", "msg"):
            if isinstance(body.get(field), str) and body[field]:
                return body[field][:200]
    return ""


def _account_rows(body: Any) -> list[dict[str, Any]]:
    """A bare list, or rows under data / accounts / results / list, possibly nested once."""
    if isinstance(body, list):
        return [r for r in body if isinstance(r, dict)]
    if isinstance(body, dict):
        for field in ("data", "accounts", "results", "list"):
            if field in body:
                return _account_rows(body[field])
    return []


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
        listing = await self._list(token, meta)
        if credentials.profile_ref:
            await self._cache.set(credentials.profile_ref, token, meta["expires_at"])
        return AccountListing(listing, meta={k: meta[k] for k in ("level", "form")})

    async def list_accounts(
        self, credentials: Credentials, *, skip_details: Collection[str] = ()
    ) -> AccountListing:
        meta = dict(credentials.meta)
        token = await self._token(credentials)
        try:
            accounts = await self._list(token, meta)
        except _Expired:
            token = await self._token(credentials, stale=token)
            try:
                accounts = await self._list(token, meta)
            except _Expired:
                raise ProviderUnavailable(
                    "MediaGo: token renewed but still refused (another holder renewed it)"
                ) from None
        return AccountListing(accounts)

    async def _token(self, credentials: Credentials, *, stale: str | None = None) -> str:
        ref = credentials.profile_ref
        if ref is None:
            token, _meta = await self._exchange(credentials)
            return token
        async with self._locks.setdefault(ref, asyncio.Lock()):
            cached = await self._cache.get(ref)
            if cached and cached[0] != stale and cached[1] - RENEW_AHEAD > self._now():
                return cached[0]
            token, meta = await self._exchange(credentials)
            await self._cache.set(ref, token, meta["expires_at"])
            return token

    async def _exchange(self, credentials: Credentials) -> tuple[str, dict[str, Any]]:
        known = credentials.meta
        forms = basic_credentials(credentials.key, credentials.secret)
        levels = list(LEVELS)
        if known.get("form") in dict(forms):
            forms.sort(key=lambda item: item[0] != known["form"])
        if known.get("level") in LEVELS:
            levels.sort(key=lambda level: level != known["level"])
        refusal = "credentials rejected"
        for form, value in forms:
            for level in levels:
                try:
                    body = await self._post_auth(LEVELS[level], value)
                except CredentialsInvalid as exc:
                    refusal = exc.reason
                    continue
                try:
                    seconds = float(body.get("expires_in", 3600))
                except (TypeError, ValueError):
                    seconds = 3600.0
                return body["access_token"], {
                    "level": level,
                    "form": form,
                    "expires_at": self._now() + timedelta(seconds=seconds),
                }
        raise CredentialsInvalid(f"MediaGo: {refusal}")

    async def _post_auth(self, path: str, basic: str) -> dict[str, Any]:
        async def once() -> dict[str, Any]:
            status, body = await self._request(
                "POST",
                path,
                headers={
                    "Authorization": f"Basic {basic}",
                    "Content-Type": "application/x-www-form-urlencoded;charset=utf-8",
                },
                what="authentication",
            )
            if status == 429:
                raise RateLimited("MediaGo authentication: rate limited", retry_after=1.0)
            if status >= 500:
                raise ProviderUnavailable(f"MediaGo authentication: HTTP {status}")
            errno = body.get("errno") if isinstance(body, dict) else None
            token = body.get("access_token") if isinstance(body, dict) else None
            if status in (400, 401, 403) or (errno not in (None, 0)) or not token:
                raise CredentialsInvalid(_message(body) or f"HTTP {status}")
            return body

        return await with_retries(once, self._retry, sleep=self._sleep, clock=self._clock)

    async def _list(self, token: str, meta: Mapping[str, Any]) -> list[AccountInfo]:
        path = ACCOUNT_PATHS.get(str(meta.get("level")), ACCOUNT_PATHS["account"])

        async def once() -> list[AccountInfo]:
            status, body = await self._request(
                "GET", path, headers={"Authorization": f"Bearer {token}"}, what="account list"
            )
            message = _message(body)
            if status == 401:
                raise _Expired("MediaGo: access token refused")
            if status == 403:
                if NOT_FOR_MEDIAGO in message.lower():
                    raise CredentialsInvalid(f"MediaGo: {message}")
                raise ProviderUnavailable(f"MediaGo account list: forbidden ({message or 403})")
            if (
                status == 429
                or "operatetoomuch" in message.lower()
                or "qpsexceeded" in message.lower()
            ):
                raise RateLimited("MediaGo account list: rate limited", retry_after=1.0)
            if status >= 400:
                raise ProviderUnavailable(f"MediaGo account list: HTTP {status}")
            if isinstance(body, dict) and body.get("errno") not in (None, 0):
                raise ProviderUnavailable(f"MediaGo account list: {message or 'error'}")
            return [
                AccountInfo(external_id=str(ident), name=_name(row))
                for row in _account_rows(body)
                if (ident := row.get("account_id", row.get("accountId", row.get("id")))) is not None
            ]

        return await with_retries(once, self._retry, sleep=self._sleep, clock=self._clock)

    async def _request(
        self, method: str, path: str, *, headers: dict[str, str], what: str
    ) -> tuple[int, Any]:
        await self.limiter.acquire()
        try:
            async with self._http().request(
                method,
                self.config.api_url + path,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.config.timeout),
            ) as response:
                if response.status >= 500 or response.status == 429:
                    return response.status, None
                return response.status, await read_json(response, f"MediaGo {what}")
        except (aiohttp.ClientError, OSError) as exc:
            raise transport_error(f"MediaGo {what}", exc) from None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None


class _Expired(ProviderError):
    """A 401 on a data call: the access token is stale, not the credentials."""


def _name(row: dict[str, Any]) -> str | None:
    name = row.get("account_name", row.get("accountName", row.get("name")))
    return name.strip() or None if isinstance(name, str) else None
