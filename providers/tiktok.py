"""TikTok Marketing API (v1.3): advertiser OAuth, the advertisers a token reaches, their details.

TikTok answers almost everything with HTTP 200 and puts the outcome in the body `code`, so errors
are decided by that code (research/tiktok.md §4); what each code means lives in
`providers.tiktok_codes`. Every call's `request_id` is logged and carried into the error text an
admin sees, which is what TikTok's support asks for.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import aiohttp
from authlib.common.urls import add_params_to_uri

from providers.base import (
    AccountInfo,
    AccountListing,
    AppMisconfigured,
    Credentials,
    CredentialsInvalid,
    Provider,
    ProviderUnavailable,
)
from providers.http import RetryPolicy, read_json, transport_error, with_retries
from providers.ratelimit import TokenBucket, paced
from providers.tiktok_codes import (
    APP_SECRET_MISMATCH,
    SANDBOX_TEXT,
    BatchRefused,
    classify,
    code_of,
)
from providers.tiktok_config import TikTokConfig

log = logging.getLogger(__name__)

DETAIL_BATCH = 100
DETAIL_FIELDS = ["advertiser_id", "name", "currency", "timezone", "display_timezone", "status"]
PARTIAL_SUCCESS = 20001
BAD_AUTH_CODE = 40110


@dataclass
class _Details:
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    lost: dict[str, str] = field(default_factory=dict)
    unrefreshed: dict[str, str] = field(default_factory=dict)

    def refuse(self, ids: list[str], refusal: BatchRefused) -> None:
        """Only a reply about one advertiser, saying it is gone, takes access away."""
        for ident in ids:
            if refusal.gone and len(ids) == 1:
                self.lost[ident] = refusal.reason
            else:
                self.unrefreshed[ident] = refusal.reason


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
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        retry: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        self._session = session
        self._owns_session = session is None
        self._sleep = sleep
        self._clock = clock
        self._now = now
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
        try:
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
        except BatchRefused as exc:
            raise ProviderUnavailable(exc.reason) from None
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise ProviderUnavailable("TikTok token exchange: no access token in the reply")
        scope = data.get("scope") if isinstance(data.get("scope"), list) else []
        return Credentials(secret=token, meta={"scope": scope})

    async def validate(self, credentials: Credentials) -> AccountListing:
        """One `oauth2/advertiser/get/` call: it proves the token and names what it reaches;
        the details come with the first sync."""
        names, _complete = await self._advertisers(credentials.secret)
        return AccountListing([AccountInfo(ident, name=name) for ident, name in names.items()])

    async def list_accounts(
        self, credentials: Credentials, *, skip_details: Collection[str] = ()
    ) -> AccountListing:
        names, complete = await self._advertisers(credentials.secret)
        skip = set(skip_details)
        wanted = [ident for ident in names if ident not in skip]
        found = _Details()
        for start in range(0, len(wanted), DETAIL_BATCH):
            await self._resolve(credentials.secret, wanted[start : start + DETAIL_BATCH], found)
        accounts = []
        for ident, fallback in names.items():
            row = found.rows.get(ident, {})
            accounts.append(
                AccountInfo(
                    external_id=ident,
                    name=_text(row.get("name")) or fallback,
                    currency=_text(row.get("currency")),
                    timezone=_text(row.get("display_timezone")) or _text(row.get("timezone")),
                    status=_text(row.get("status")),
                )
            )
        return AccountListing(
            accounts=accounts,
            lost=found.lost,
            complete=complete,
            unrefreshed=found.unrefreshed,
        )

    async def probe(self, credentials: Credentials) -> None:
        """One `oauth2/advertiser/get/` call: it needs a live token and the app's credentials."""
        await self._advertisers(credentials.secret)

    async def revoke(self, credentials: Credentials) -> bool:
        """`POST oauth2/revoke_token/` with the app's id and secret (bububa/tiktok-business
        api/oauth/revoke_token.go). A token TikTok already calls dead needs no revoking."""
        try:
            await self._call(
                "POST",
                "oauth2/revoke_token/",
                body={
                    "app_id": self.config.app_id,
                    "secret": self.config.app_secret,
                    "access_token": credentials.secret,
                },
                what="token revocation",
            )
        except CredentialsInvalid:
            return True
        except BatchRefused as exc:
            raise ProviderUnavailable(exc.reason) from None
        return True

    async def _advertisers(self, token: str) -> tuple[dict[str, str | None], bool]:
        """The advertisers the token reaches, by id, with their names. A reply without a list
        of identifiable advertisers is an error, never "no advertisers"."""
        payload = await self._call(
            "GET",
            "oauth2/advertiser/get/",
            token=token,
            params={"app_id": self.config.app_id or "", "secret": self.config.app_secret or ""},
            what="advertiser list",
            envelope=True,
        )
        code, data, request_id = payload
        rows = data.get("list") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise ProviderUnavailable(
                "TikTok advertiser list: the reply has no list of advertisers",
                request_id=request_id,
            )
        names: dict[str, str | None] = {}
        for row in rows:
            ident = row.get("advertiser_id") if isinstance(row, dict) else None
            if not _is_id(ident):
                raise ProviderUnavailable(
                    "TikTok advertiser list: an entry without an advertiser id",
                    request_id=request_id,
                )
            name = row.get("advertiser_name")
            names[str(ident).strip()] = name if isinstance(name, str) else None
        return names, code != PARTIAL_SUCCESS

    async def _resolve(
        self, token: str, batch: list[str], out: _Details, refusal: BatchRefused | None = None
    ) -> None:
        """Details of `batch`; a refusal about some of its advertisers is narrowed down by
        halving, and stops once both halves are refused too (then it is not one advertiser's
        doing, and asking advertiser by advertiser would cost a call each, every sync)."""
        if refusal is None:
            answer = await self._info(token, batch)
            if not isinstance(answer, BatchRefused):
                out.rows.update(answer)
                return
            refusal = answer
        if len(batch) == 1:
            out.refuse(batch, refusal)
            return
        if refusal.advertiser in batch:
            out.refuse([refusal.advertiser], refusal)
            await self._resolve(token, [i for i in batch if i != refusal.advertiser], out)
            return
        if not refusal.splittable:
            out.refuse(batch, refusal)
            return
        halves = (batch[: len(batch) // 2], batch[len(batch) // 2 :])
        answers = [await self._info(token, half) for half in halves]
        if refusal.code != 40011 and all(isinstance(a, BatchRefused) for a in answers):
            out.refuse(batch, refusal)
            return
        for half, answer in zip(halves, answers, strict=True):
            if isinstance(answer, BatchRefused):
                await self._resolve(token, half, out, answer)
            else:
                out.rows.update(answer)

    async def _info(self, token: str, batch: list[str]) -> dict[str, dict[str, Any]] | BatchRefused:
        try:
            _code, data, request_id = await self._call(
                "GET",
                "advertiser/info/",
                token=token,
                params={"advertiser_ids": json.dumps(batch), "fields": json.dumps(DETAIL_FIELDS)},
                what="advertiser details",
                batch=batch,
                envelope=True,
            )
        except BatchRefused as exc:
            return exc
        rows = data.get("list") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise ProviderUnavailable(
                "TikTok advertiser details: the reply has no list", request_id=request_id
            )
        return {
            str(row["advertiser_id"]): row
            for row in rows
            if isinstance(row, dict) and row.get("advertiser_id") is not None
        }

    async def _call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        token: str | None = None,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        batch: list[str] | None = None,
        retry: bool = True,
        envelope: bool = False,
    ) -> Any:
        """The reply's `data` (or `(code, data, request_id)` with `envelope`). Transient
        failures are retried; everything else is raised as `classify` reads it."""
        if self.config.sandbox:
            raise AppMisconfigured(SANDBOX_TEXT, setting="TIKTOK_API_URL")

        async def once() -> tuple[int, Any, str | None]:
            return await self._once(method, path, what, token, params, body, batch)

        if retry:
            result = await with_retries(once, self._retry, sleep=self._sleep, clock=self._clock)
        else:
            result = await once()
        return result if envelope else result[1]

    async def _once(
        self,
        method: str,
        path: str,
        what: str,
        token: str | None,
        params: dict[str, str] | None,
        body: dict[str, Any] | None,
        batch: list[str] | None,
    ) -> tuple[int, Any, str | None]:
        await self.limiter.acquire()
        headers = {"Access-Token": token} if token else {}
        started = self._clock()
        try:
            async with self._http().request(
                method,
                self.config.api_url + path,
                params=params,
                json=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.config.timeout),
            ) as response:
                status = response.status
                log_id = response.headers.get("X-TT-LOGID")
                try:
                    payload = await read_json(response, f"TikTok {what}")
                except ProviderUnavailable as exc:
                    log.info("TikTok %s %s: HTTP %s, X-TT-LOGID %s", method, path, status, log_id)
                    raise ProviderUnavailable(exc.reason, request_id=log_id) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise transport_error(f"TikTok {what}", exc) from None
        request_id = payload.get("request_id") if isinstance(payload, dict) else None
        request_id = request_id if isinstance(request_id, str) else log_id
        code = code_of(payload)
        log.debug(
            "TikTok %s %s: HTTP %s, code %s, request_id %s, %.0f ms",
            method,
            path,
            status,
            code,
            request_id,
            (self._clock() - started) * 1000,
        )
        if code is None:
            raise ProviderUnavailable(
                f"TikTok {what}: unexpected reply (HTTP {status})", request_id=request_id
            )
        if code in (0, PARTIAL_SUCCESS):
            return code, payload.get("data"), request_id
        message = payload.get("message") if isinstance(payload.get("message"), str) else ""
        log.warning("TikTok %s %s: code %s, request_id %s", method, path, code, request_id)
        if path == "oauth2/access_token/" and code in (BAD_AUTH_CODE, APP_SECRET_MISMATCH):
            # During the exchange 40101 also means a used or stale auth_code (errors yml,
            # "causes"), which signing in again fixes; only if it persists is the app at fault.
            hint = "" if code == BAD_AUTH_CODE else " If this repeats, check TIKTOK_APP_SECRET."
            raise CredentialsInvalid(f"TikTok {code}: {message}{hint}", request_id=request_id)
        raise classify(
            code,
            message,
            request_id=request_id,
            details=path == "advertiser/info/",
            batch=batch or [],
            now=self._now(),
        )

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None


def _is_id(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, str | int) and bool(str(value).strip())


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
