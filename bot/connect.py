"""Connecting and fixing profiles: the provider must accept the credentials before anything is
saved; their first sync then runs in the scheduler process, like every sync a person asks for.

Nothing is half-applied: rejected or unverifiable credentials leave the database untouched, and
a form's new name is saved in the same transaction as its credentials, or not at all.

API credentials come as a single token, or as a key and secret pair (research/mediago.md §8):
one filled field is a single token, whichever field it is in; two are a pair. When updating,
a field left blank keeps what the profile holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import DomainError, InvalidInput, PermissionDenied
from bot.oauth import Grant
from bot.permissions import Actor, Permission
from bot.profiles import ProfileCard, ProfileService
from bot.sync import SyncEngine
from bot.sync_requests import SyncRequests
from providers.base import (
    AccountListing,
    AppMisconfigured,
    Credentials,
    CredentialsInvalid,
    ProviderError,
    RateLimited,
)


@dataclass(frozen=True)
class Connected:
    """Saved credentials, and how many accounts they reach: their first sync runs in the
    scheduler process, which tells whoever connected them when it is done."""

    profile: ProfileCard
    reachable: int
    created: bool


class ProviderRefused(DomainError):
    pass


class Connector:
    def __init__(
        self,
        profiles: ProfileService,
        sync: SyncEngine,
        requests: SyncRequests,
        callback_url: str | None,
    ) -> None:
        self._profiles = profiles
        self._sync = sync
        self._requests = requests
        self.callback_url = callback_url

    def authorization_url(self, provider: str, state: str) -> str:
        if not self.callback_url:
            raise DomainError(
                "ADOPS_PUBLIC_URL is not set, so OAuth sign-in cannot come back here."
            )
        return self._sync.provider(provider).authorization_url(
            state=state, redirect_uri=self.callback_url
        )

    async def complete_oauth(self, actor: Actor, grant: Grant, code: str) -> Connected:
        """The link was issued to an admin minutes ago, but `actor` is who that person is now:
        someone demoted since then connects nothing, and the code is never exchanged. The change
        is made on their behalf and audited as theirs."""
        if actor.id != grant.user_id:
            raise PermissionDenied(Permission.MANAGE, "This sign-in was asked for by someone else.")
        actor.require(Permission.MANAGE)
        if not code or len(code) > 1000:
            raise ProviderRefused("The provider did not send an authorisation code.")
        provider = self._sync.provider(grant.provider)
        try:
            credentials = await provider.exchange_code(
                code=code, redirect_uri=self.callback_url or ""
            )
            listing = await provider.validate(credentials)
        except CredentialsInvalid as exc:
            raise ProviderRefused(
                f"{self._display(grant.provider)} refused: {exc.reason}"
            ) from None
        except ProviderError as exc:
            raise ProviderRefused(_transient_text(self._display(grant.provider), exc)) from None
        return await self._save(
            actor, grant.provider, credentials, listing, profile_id=grant.profile_id
        )

    async def connect_with_keys(
        self,
        actor: Actor,
        provider: str,
        *,
        key: str | None,
        secret: str | None,
        name: str | None = None,
        profile_id: int | None = None,
    ) -> Connected:
        actor.require(Permission.MANAGE)
        key, secret = (key or "").strip() or None, (secret or "").strip() or None
        if profile_id is None:
            if not (key or secret):
                raise InvalidInput("Enter the API token.", field="secret")
            credentials = _entered(key, secret)
        else:
            stored = await self._profiles.stored_credentials(actor, profile_id)
            credentials = _merged(stored, key, secret)
        try:
            listing = await self._sync.provider(provider).validate(credentials)
        except CredentialsInvalid as exc:
            raise InvalidInput(
                f"{self._display(provider)} rejected these credentials: {exc.reason}",
                field="secret",
            ) from None
        except ProviderError as exc:
            raise InvalidInput(
                _transient_text(self._display(provider), exc), field="secret"
            ) from None
        return await self._save(
            actor, provider, credentials, listing, profile_id=profile_id, name=name
        )

    async def _save(
        self,
        actor: Actor,
        provider: str,
        credentials: Credentials,
        listing: AccountListing,
        *,
        profile_id: int | None,
        name: str | None = None,
    ) -> Connected:
        meta = {**dict(credentials.meta), **dict(listing.meta)}
        if profile_id is None:
            card = await self._profiles.create(
                actor,
                provider,
                secret=credentials.secret,
                key=credentials.key,
                name=name,
                meta=meta,
                expires_at=listing.expires_at,
                connected_by=actor.id,
            )
        else:
            card = await self._profiles.update_credentials(
                actor,
                profile_id,
                provider=provider,
                secret=credentials.secret,
                key=credentials.key,
                meta=meta,
                expires_at=listing.expires_at,
                connected_by=actor.id,
                name=name,
            )
        created = profile_id is None
        purpose = "connect" if created else "reauth"
        await self._requests.request(actor, [card.id], purpose=purpose)
        return Connected(profile=card, reachable=len(listing.accounts), created=created)

    def _display(self, provider: str) -> str:
        return self._profiles.provider(provider).display_name


def _entered(key: str | None, secret: str | None) -> Credentials:
    """A lone value is a single token whichever field it was typed in; it is never paired."""
    if key and secret:
        return Credentials(secret=secret, key=key)
    return Credentials(secret=secret or key or "")


def _merged(stored: Credentials, key: str | None, secret: str | None) -> Credentials:
    """The stored credentials with the form's changes. Blank fields keep their part of a stored
    key and secret pair; a profile with a single token takes any one new value as its new token,
    and two as a pair. Unchanged credentials keep what the provider learnt about them."""
    if stored.key is not None:
        merged = Credentials(secret=secret or stored.secret, key=key or stored.key)
    elif key or secret:
        merged = _entered(key, secret)
    else:
        merged = Credentials(secret=stored.secret)
    unchanged = (merged.secret, merged.key) == (stored.secret, stored.key)
    return Credentials(
        secret=merged.secret,
        key=merged.key,
        profile_ref=stored.profile_ref,
        meta=stored.meta if unchanged else {},
    )


def _transient_text(display: str, exc: ProviderError) -> str:
    if isinstance(exc, AppMisconfigured):
        return (
            f"{display} refused the bot's own app, not these credentials; nothing was saved. "
            f"Whoever runs the bot must fix {exc.setting}: {exc.reason}"
        )
    if isinstance(exc, RateLimited):
        return (
            f"{display} is rate-limiting requests right now; nothing was saved. Try again shortly."
        )
    return f"{display} could not be reached to check the credentials; nothing was saved. Try again."
