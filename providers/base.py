"""The interface every ad network implements, its result types, and its typed errors.

Errors carry a reason a person can read and never a secret. The line that matters most is
between `CredentialsInvalid` (fatal: a person must fix the profile) and the transient ones
(`RateLimited`, `ProviderUnavailable`: retry, escalate only if it persists).
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol


class ProviderError(Exception):
    """Base of every provider failure; `str()` is safe to log and to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CredentialsInvalid(ProviderError):
    pass


class AccountAccessLost(ProviderError):
    def __init__(self, external_id: str, reason: str) -> None:
        super().__init__(reason)
        self.external_id = external_id


class RateLimited(ProviderError):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    pass


TRANSIENT = (RateLimited, ProviderUnavailable)


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
    accounts: list[AccountInfo]
    lost: dict[str, str] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None


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
        """Accept or reject credentials; on acceptance, what they reach (zero is fine)."""
        return await self.list_accounts(credentials)

    @abc.abstractmethod
    async def list_accounts(
        self, credentials: Credentials, *, skip_details: Collection[str] = ()
    ) -> AccountListing:
        """Every account the credentials reach now. Details are not requested for the ids in
        `skip_details` (accounts that are OFF or archived)."""

    async def close(self) -> None:
        return None
