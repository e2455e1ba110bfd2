"""What TikTok's return codes mean for the bot: the one place to change when TikTok turns out to
behave differently. Sources are research/tiktok.md (§4, and §8–9 "Checked again"); the code table
is TikTok's "Return codes" page (business-api.tiktok.com/portal/docs?id=1737172488964097) as
harvested in api-evangelist/tiktok-ads errors/tiktok-ads-error-codes.yml.

The same code can mean different things on different endpoints: 40106 on `oauth2/advertiser/get/`
(which names no advertiser) says the token's user is gone, while on `advertiser/info/` it concerns
the advertisers asked about. Codes that concern the advertisers of one request are raised as
`BatchRefused`, which the client resolves advertiser by advertiser; they never reach the sync.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from providers.base import (
    AppMisconfigured,
    CredentialsInvalid,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    Scope,
    Window,
    resume_after,
)

DEAD_TOKEN = frozenset({40102, 40104, 40105, 40106})
APP_SECRET_MISMATCH = 40101  # "Secret and app ID do not match"
APP_BLOCKED = 40113  # "The app has been blocked or does not exist"
APP_MISMATCH = "app_id is inconsistent with the token"
# 40100 is the app's limit, 40016 one endpoint's limit for the app, 40133 one advertiser's limit
# on one path (errors yml, "Rate limit or quota related").
THROTTLED: dict[int, Scope] = {40100: "app", 40016: "endpoint", 40133: "advertiser"}
# "unsupported endpoint in sandbox environment" (40008) and "not supported in the sandbox
# environment" (40014): api-evangelist sandbox/tiktok-ads-sandbox.yml.
SANDBOX_UNSUPPORTED = frozenset({40008, 40014})
ADVERTISER_GONE = frozenset({40300, 40301})
NO_PERMISSION = 40001
TOO_MANY_IDS = 40011
# Codes about the advertisers of one request rather than the token (research §8): split the
# request to find the advertiser concerned.
PER_ADVERTISER = frozenset({NO_PERMISSION, 40106, 40119, *ADVERTISER_GONE})
PER_REQUEST = frozenset({40002, 40000, TOO_MANY_IDS})
_WINDOWS: tuple[tuple[Window, re.Pattern[str]], ...] = (
    ("day", re.compile(r"\bQPD\b|per day|daily", re.IGNORECASE)),
    ("minute", re.compile(r"\bQPM\b|per minute", re.IGNORECASE)),
    ("second", re.compile(r"\bQPS\b|per second", re.IGNORECASE)),
)
# The sandbox host (research §5; bububa core/const.go `SandboxURL`, airbyte BEHAVIOR.md §1) has
# neither oauth2/advertiser/get nor advertiser/info (api-evangelist sandbox/tiktok-ads-sandbox.yml
# `supported_endpoints`, research §9), so nothing the bot does can work there. The second host is
# named only by a low-quality page (research §4.3); refusing it too costs nothing.
SANDBOX_HOSTS = ("sandbox-ads.tiktok.com", "sandbox-business-api.tiktok.com")
SANDBOX_TEXT = (
    "TikTok's sandbox has no oauth2/advertiser/get and no advertiser/info, so the bot cannot "
    "list ad accounts there; set TIKTOK_API_URL to the production API "
    "(https://business-api.tiktok.com/open_api/v1.3/)"
)
_ADVERTISER_ID = re.compile(r"\b\d{6,20}\b")
# 40001 "advertiser <id> doesn't exist or has been deleted." (singer-io/tap-tiktok-ads
# tests/unittests/test_account_access.py) versus "advertiser does not grant you
# /file/video/ad/search/:GET permission" (PostHog/posthog#82183, #82936).
_DELETED = re.compile(r"does\s*n[o']t exist|has been deleted|not exist", re.IGNORECASE)
_NOT_GRANTED = re.compile(r"not grant|permission", re.IGNORECASE)


class BatchRefused(ProviderError):
    """TikTok refused one request for reasons of some of the advertisers in it. `advertiser` is
    the one the message names, if any; `gone` is true when the reply says the advertiser no
    longer exists (the only per-advertiser reply that takes access away)."""

    def __init__(
        self, reason: str, *, code: int, advertiser: str | None, gone: bool, request_id: str | None
    ) -> None:
        super().__init__(reason, request_id=request_id)
        self.code = code
        self.advertiser = advertiser
        self.gone = gone

    @property
    def splittable(self) -> bool:
        return self.code in PER_ADVERTISER or self.code == TOO_MANY_IDS


def code_of(payload: Any) -> int | None:
    raw = payload.get("code") if isinstance(payload, dict) else None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def window_of(message: str) -> Window | None:
    for window, pattern in _WINDOWS:
        if pattern.search(message):
            return window
    return None


def classify(
    code: int,
    message: str,
    *,
    request_id: str | None,
    details: bool,
    batch: list[str],
    now: datetime,
) -> ProviderError:
    """A non-zero code → the error the bot acts on. `details` is true for `advertiser/info/`,
    whose `batch` are the advertiser ids asked about."""
    text = f"TikTok {code}: {message}".rstrip(". ")
    if code in DEAD_TOKEN and not (details and code == 40106):
        return CredentialsInvalid(text, request_id=request_id)
    if code == APP_SECRET_MISMATCH:
        return AppMisconfigured(
            f"{text}. TikTok refused the bot's app credentials: TIKTOK_APP_SECRET does not match "
            "TIKTOK_APP_ID",
            setting="TIKTOK_APP_SECRET",
            request_id=request_id,
        )
    if code == APP_BLOCKED or APP_MISMATCH in message.lower():
        # The docs file the "inconsistent" message under 40113; every profile of this bot is
        # connected through its one app, so tokens of "another app" mean the app settings
        # changed since they were issued.
        return AppMisconfigured(
            f"{text}. TikTok does not accept the bot's app: check TIKTOK_APP_ID and "
            "TIKTOK_APP_SECRET",
            setting="TIKTOK_APP_ID",
            request_id=request_id,
        )
    if code in SANDBOX_UNSUPPORTED:
        return AppMisconfigured(
            f"{text}. This endpoint is not available to the app's environment (TikTok's "
            "sandbox has no advertiser/get or advertiser/info): point TIKTOK_API_URL at "
            "the production API",
            setting="TIKTOK_API_URL",
            request_id=request_id,
        )
    if code in THROTTLED:
        # A limit whose message names no window is read as a per-minute one: TikTok's own 40100
        # text ("requests from App [id] are temporarily restricted", airbytehq/airbyte#70992)
        # names none, and 5 minutes is the shortest wait that honours a per-minute limit.
        window = window_of(message) or "minute"
        wait = resume_after(window, now)
        return RateLimited(
            text,
            retry_after=1.0 if wait is None else wait.total_seconds(),
            window=window,
            scope=THROTTLED[code],
            request_id=request_id,
        )
    if details and (code in PER_ADVERTISER or code in PER_REQUEST):
        named = [i for i in _ADVERTISER_ID.findall(message) if i in batch]
        gone = code in ADVERTISER_GONE or (
            code == NO_PERMISSION
            and bool(_DELETED.search(message))
            and not _NOT_GRANTED.search(message)
        )
        return BatchRefused(
            text,
            code=code,
            advertiser=named[0] if len(set(named)) == 1 else None,
            gone=gone,
            request_id=request_id,
        )
    if code >= 50000 or code == 60001:
        return ProviderUnavailable(text, request_id=request_id)
    return ProviderError(text, request_id=request_id)
