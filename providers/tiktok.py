"""TikTok Marketing API (v1.3): advertiser OAuth, the advertisers a token reaches, their details.

TikTok answers almost everything with HTTP 200 and puts the outcome in the body `code`, so errors
are decided by that code (research/tiktok.md §4). Which codes mean what is kept in `classify`,
the one place to change when TikTok's behaviour turns out to differ.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import aiohttp
from authlib.common.urls import add_params_to_uri

from providers.base import (
    AccountAccessLost,
    AccountInfo,
    AccountListing,
    Credentials,
    CredentialsInvalid,
    Provider,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)
from providers.http import RetryPolicy, read_json, transport_error, with_retries
from providers.ratelimit import TokenBucket, paced

DEFAULT_API_URL = "https://business-api.tiktok.com/open_api/v1.3/"
DEFAULT_AUTH_URL = "https://business-api.tiktok.com/portal/auth"
DETAIL_BATCH = 100
DETAIL_FIELDS = ["advertiser_id", "name", "currency", "timezone", "display_timezone", "status"]

DEAD_TOKEN = frozenset({40102, 40104, 40105, 40106})
ACCOUNT_LOST = frozenset({40001, 40300, 40301})
THROTTLED = frozenset({40100, 40133, 40016})
BAD_AUTH_CODE = frozenset({40110, 40101, 40113})
APP_MISMATCH = "app_id is inconsistent with the token"


def _number(env: Mapping[str, str], name: str, default: float) -> float:
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


@dataclass(frozen=True)
class TikTokConfig:
    app_id: str | None = None
    app_secret: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    auth_url: str = DEFAULT_AUTH_URL
    rate_limit: float = 10.0
    timeout: float = 20.0

    @property
    def configured(self) -> bool:
        return bool(self.app_id and self.app_secret)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TikTokConfig:
        api_url = env.get("TIKTOK_API_URL", "").strip() or DEFAULT_API_URL
        auth_url = env.get("TIKTOK_AUTH_URL", "").strip() or DEFAULT_AUTH_URL
        for name, url in (("TIKTOK_API_URL", api_url), ("TIKTOK_AUTH_URL", auth_url)):
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{name} must be an http(s) URL")
        app_id = env.get("TIKTOK_APP_ID", "").strip() or None
        app_secret = env.get("TIKTOK_APP_SECRET", "").strip() or None
        if (app_id is None) != (app_secret is None):
            given = "TIKTOK_APP_ID" if app_id else "TIKTOK_APP_SECRET"
            missing = "TIKTOK_APP_SECRET" if app_id else "TIKTOK_APP_ID"
            raise ValueError(
                f"{missing} is required when {given} is set: TikTok needs both (or neither, "
                "to leave TikTok off)"
            )
        return cls(
            app_id=app_id,
            app_secret=app_secret,
            api_url=api_url if api_url.endswith("/") else api_url + "/",
            auth_url=auth_url,
            rate_limit=_number(env, "TIKTOK_RATE_LIMIT", 10.0),
            timeout=_number(env, "TIKTOK_TIMEOUT", 20.0),
        )


def classify(code: int, message: str) -> ProviderError:
    """TikTok's return code → our error type (research/tiktok.md §4.2–4.3)."""
    reason = f"TikTok {code}: {message[:200]}".strip()
    if code in DEAD_TOKEN or (code == 40000 and APP_MISMATCH in message.lower()):
        return CredentialsInvalid(reason)
    if code in THROTTLED:
        return RateLimited(reason, retry_after=1.0)
    if code in ACCOUNT_LOST:
        return AccountAccessLost("", reason)
    if code in BAD_AUTH_CODE:
        return CredentialsInvalid(reason)
    if code >= 50000 or code == 60001:
        return ProviderUnavailable(reason)
    return ProviderError(reason)


class TikTokProvider(Provider):
    name: ClassVar[str] = "tiktok"
    display_name: ClassVar[str] = "TikTok"
    uses_oauth: ClassVar[bool] = True
    Config = TikTokConfig

    def __init__(
        self,
        config: TikTokConfig,
        *,
        session: aiohttp.ClientSession | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        self._session = session
        self._owns_session = session is None
        self._sleep = sleep
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self.limiter = TokenBucket(paced(config.rate_limit), clock=clock, sleep=sleep)

    def authorization_url(self, *, state: str, redirect_uri: str) -> str:
        return add_params_to_uri(
            self.config.auth_url,
            [
                ("app_id", self.config.app_id or ""),
                ("state", state),
                ("redirect_uri", redirect_uri),
            ],
        )

    async def exchange_code(self, *, code: str, redirect_uri: str) -> Credentials:
        data = await self._call(
            "POST",
            "oauth2/access_token/",
            body={
                "app_id": self.config.app_id,
                "secret": self.config.app_secret,
                "auth_code": code,
            },
            what="token exchange",
            retry=False,
        )
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise ProviderUnavailable("TikTok token exchange: no access token in the reply")
        scope = data.get("scope") if isinstance(data.get("scope"), list) else []
        return Credentials(secret=token, meta={"scope": scope})

    async def list_accounts(
        self, credentials: Credentials, *, skip_details: Collection[str] = ()
    ) -> AccountListing:
        data = await self._call(
            "GET",
            "oauth2/advertiser/get/",
            token=credentials.secret,
            params={"app_id": self.config.app_id or "", "secret": self.config.app_secret or ""},
            what="advertiser list",
        )
        names: dict[str, str | None] = {}
        for row in _rows(data):
            ident = row.get("advertiser_id")
            if ident is not None and str(ident).strip():
                name = row.get("advertiser_name")
                names[str(ident)] = name if isinstance(name, str) else None
        skip = set(skip_details)
        wanted = [ident for ident in names if ident not in skip]
        details, lost = await self._details(credentials.secret, wanted)
        accounts = []
        for ident, fallback in names.items():
            row = details.get(ident, {})
            accounts.append(
                AccountInfo(
                    external_id=ident,
                    name=_text(row.get("name")) or fallback,
                    currency=_text(row.get("currency")),
                    timezone=_text(row.get("display_timezone")) or _text(row.get("timezone")),
                    status=_text(row.get("status")),
                )
            )
        return AccountListing(accounts=accounts, lost=lost)

    async def _details(
        self, token: str, ids: list[str]
    ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        details: dict[str, dict[str, Any]] = {}
        lost: dict[str, str] = {}
        pending = [ids[i : i + DETAIL_BATCH] for i in range(0, len(ids), DETAIL_BATCH)]
        while pending:
            batch = pending.pop(0)
            try:
                data = await self._call(
                    "GET",
                    "advertiser/info/",
                    token=token,
                    params={
                        "advertiser_ids": json.dumps(batch),
                        "fields": json.dumps(DETAIL_FIELDS),
                    },
                    what="advertiser details",
                )
            except AccountAccessLost as exc:
                # One unreachable advertiser can fail the whole batch: find it one by one.
                if len(batch) == 1:
                    lost[batch[0]] = exc.reason
                else:
                    pending[:0] = [[ident] for ident in batch]
                continue
            for row in _rows(data):
                ident = row.get("advertiser_id")
                if ident is not None:
                    details[str(ident)] = row
        return details, lost

    async def _call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        token: str | None = None,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        retry: bool = True,
    ) -> Any:
        async def once() -> Any:
            return await self._once(method, path, what, token, params, body)

        if not retry:
            return await once()
        return await with_retries(once, self._retry, sleep=self._sleep, clock=self._clock)

    async def _once(
        self,
        method: str,
        path: str,
        what: str,
        token: str | None,
        params: dict[str, str] | None,
        body: dict[str, Any] | None,
    ) -> Any:
        await self.limiter.acquire()
        headers = {"Access-Token": token} if token else {}
        try:
            async with self._http().request(
                method,
                self.config.api_url + path,
                params=params,
                json=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.config.timeout),
            ) as response:
                payload = await read_json(response, f"TikTok {what}")
                status = response.status
        except (aiohttp.ClientError, OSError) as exc:
            raise transport_error(f"TikTok {what}", exc) from None
        if not isinstance(payload, dict) or not isinstance(payload.get("code"), int | str):
            raise ProviderUnavailable(f"TikTok {what}: unexpected reply (HTTP {status})")
        try:
            code = int(payload["code"])
        except ValueError:
            raise ProviderUnavailable(f"TikTok {what}: unexpected reply (HTTP {status})") from None
        if code in (0, 20001):
            return payload.get("data") or {}
        message = payload.get("message") if isinstance(payload.get("message"), str) else ""
        raise classify(code, message)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None


def _rows(data: Any) -> list[dict[str, Any]]:
    rows = data.get("list") if isinstance(data, dict) else None
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
