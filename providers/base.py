"""The interface every ad network implements, its result types, and its typed errors.

Errors carry a reason a person can read and never a secret. The line that matters most is
between `CredentialsInvalid` (fatal: a person must fix the profile), `AppMisconfigured` (fatal
too, but the bot's own configuration is at fault, not a profile) and the transient ones
(`RateLimited`, `ProviderUnavailable`: retry, escalate only if it persists).
"""

from __future__ import annotations

import abc
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal, Protocol

REASON_MAX_LEN = 300
_REDACTED = "[redacted]"
# What a credential looks like in a provider's message or an exception: an Authorization value,
# a `name=value` pair naming a secret, or a long run of token characters that mixes letters and
# digits the way random tokens do (hex, Base64). Ids made of digits only (advertisers, accounts),
# paths and identifiers such as "oauth2/advertiser/get" or "IpLimit.operateTooMuch", and TikTok
# request ids, printed as "request_id <id>" for TikTok's support, are kept.
_LABELLED = re.compile(
    r"(?P<label>(?i:\b(?:bearer|basic)\s+)"
    r"|(?i:\b(?:access[_-]?token|secret|api[_-]?key|token|password|auth_code)\b\s*[=:]\s*))"
    r"[^\s,;&]+"
)
_RUN = re.compile(r"(?<!request_id )(?<![\w+/=.-])[\w+/=.-]{16,}")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _token_shaped(run: str) -> bool:
    digits = sum(c.isdigit() for c in run)
    upper = sum(c.isupper() for c in run)
    lower = sum(c.islower() for c in run)
    if digits == len(run.strip("-")) or not (upper or lower):
        return False
    if digits >= 4 or (digits and upper >= 2 and lower >= 2):
        return True
    return len(run) >= 24 and min(upper, lower) >= max(3, len(run) // 8) and "." not in run


def safe_text(text: str, limit: int = REASON_MAX_LEN) -> str:
    """Provider text as it may be shown and stored: one line, token-shaped parts replaced,
    capped. Idempotent, so every layer that stores or posts it can apply it again."""
    flat = " ".join(str(text).split())
    flat = _LABELLED.sub(lambda m: m.group("label") + _REDACTED, flat)
    cleaned = _RUN.sub(lambda m: _REDACTED if _token_shaped(m.group(0)) else m.group(0), flat)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


class ProviderError(Exception):
    """Base of every provider failure; `str()` is safe to log and to show."""

    def __init__(self, reason: str, *, request_id: str | None = None) -> None:
        reason = safe_text(reason)
        self.request_id = request_id if request_id and _REQUEST_ID.match(request_id) else None
        if self.request_id:
            reason = f"{reason} (request_id {self.request_id})"
        super().__init__(reason)
        self.reason = reason


class CredentialsInvalid(ProviderError):
    pass


class AppMisconfigured(ProviderError):
    """The provider refused the bot's own app (its id, its secret, or an environment such as a
    sandbox that cannot do what the bot needs). No profile is at fault and re-authenticating
    one cannot help; `setting` names what an operator must change."""

    def __init__(self, reason: str, *, setting: str, request_id: str | None = None) -> None:
        super().__init__(reason, request_id=request_id)
        self.setting = setting


Window = Literal["second", "minute", "day"]
Scope = Literal["app", "endpoint", "advertiser"]
# QPS → the next second, QPM → 5 minutes, QPD → 00:00 UTC: TikTok's rate-limit page
# (business-api.tiktok.com/portal/docs?id=1740029171730433, harvested in api-evangelist/tiktok-ads
# rate-limits/tiktok-ads-rate-limits.yml `recovery`; PostHog tiktok_ads/utils.py says the same).
MINUTE_WAIT = timedelta(minutes=5)


def resume_after(window: Window | None, now: datetime) -> timedelta | None:
    """How long to leave a limit alone once hit; None when the next attempt may follow at once
    (a per-second limit, or a limit that says nothing of its window)."""
    if window == "minute":
        return MINUTE_WAIT
    if window == "day":
        midnight = (now.astimezone(UTC) + timedelta(days=1)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        return midnight - now
    return None


class RateLimited(ProviderError):
    """`window` is the limit that was hit when the provider says so (its documented wait
    follows from it); `scope` says who shares that limit (the whole app, one endpoint, one
    advertiser)."""

    def __init__(
        self,
        reason: str,
        retry_after: float | None = None,
        *,
        window: Window | None = None,
        scope: Scope | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(reason, request_id=request_id)
        self.retry_after = retry_after
        self.window = window
        self.scope = scope


class ProviderUnavailable(ProviderError):
    pass


class TokenContention(ProviderUnavailable):
    """A session token was renewed because it was refused early, and the renewed one was
    refused as well: someone else holding the same credentials renews them too."""


@dataclass(frozen=True)
class Credentials:
    """What a profile stores. `secret` (and `key`) are encrypted at rest by the caller."""

    secret: str = field(repr=False)
    key: str | None = field(default=None, repr=False)
    profile_ref: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountInfo:
    external_id: str
    name: str | None = None
    currency: str | None = None
    timezone: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class AccountListing:
    """What the credentials reach. Only a `complete` listing may take access away; `lost` names
    accounts the provider itself said are gone; `unrefreshed` names reachable accounts whose
    details could not be read this time (they keep the ones they had); `forced_renewals` counts
    session tokens renewed because they were refused before they expired."""

    accounts: list[AccountInfo]
    lost: dict[str, str] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None
    complete: bool = True
    unrefreshed: dict[str, str] = field(default_factory=dict)
    forced_renewals: int = 0


class TokenCache(Protocol):
    """Where a provider keeps short-lived session tokens per profile, so every replica shares
    the one live token instead of invalidating each other's."""

    async def get(self, profile_ref: str) -> tuple[str, datetime] | None: ...
    async def set(self, profile_ref: str, token: str, expires_at: datetime) -> None: ...


class MemoryTokenCache:
    def __init__(self) -> None:
        self._tokens: dict[str, tuple[str, datetime]] = {}

    async def get(self, profile_ref: str) -> tuple[str, datetime] | None:
        return self._tokens.get(profile_ref)

    async def set(self, profile_ref: str, token: str, expires_at: datetime) -> None:
        self._tokens[profile_ref] = (token, expires_at)


class Provider(abc.ABC):
    name: ClassVar[str]
    display_name: ClassVar[str]
    uses_oauth: ClassVar[bool]
    session_tokens: ClassVar[bool] = False
    """True when the provider takes a `token_cache` for short-lived tokens it exchanges for."""

    def authorization_url(self, *, state: str, redirect_uri: str) -> str:
        raise NotImplementedError(f"{self.display_name} does not use OAuth")

    async def exchange_code(self, *, code: str, redirect_uri: str) -> Credentials:
        raise NotImplementedError(f"{self.display_name} does not use OAuth")

    async def validate(self, credentials: Credentials) -> AccountListing:
        """Accept or reject credentials; on acceptance, what they reach (zero is fine): the ids
        at least, details only if they come at no extra cost (the first sync fetches them)."""
        return await self.list_accounts(credentials)

    @abc.abstractmethod
    async def list_accounts(
        self, credentials: Credentials, *, skip_details: Collection[str] = ()
    ) -> AccountListing:
        """Every account the credentials reach now. Details are not requested for the ids in
        `skip_details` (accounts that are OFF or archived)."""

    async def probe(self, credentials: Credentials) -> None:
        """The cheapest call that proves credentials work again; raises as `list_accounts`."""
        await self.list_accounts(credentials)

    async def revoke(self, credentials: Credentials) -> bool:
        """Make the credentials unusable at the provider. False when the provider has no way to
        (the credentials then stay valid there until their owner revokes them)."""
        return False

    async def close(self) -> None:
        return None
