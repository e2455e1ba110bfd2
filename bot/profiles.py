"""Credential profiles: creating, fixing in place, renaming, removing, and their health.

Fixing a profile (re-authentication, new API credentials) always updates the same row, so its
accounts, their tags and settings, and its history stay attached to it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import audit
from bot.audit import SECRET_CHANGED, Change, Target
from bot.clock import Clock
from bot.errors import Conflict, InvalidInput, NotFound
from bot.permissions import Actor, Permission
from bot.profile_cards import ManagedAccount as ManagedAccount  # the views import it from here
from bot.profile_cards import ManageView, ProfileCard, cards, manage_view
from bot.profile_names import default_name, renamable, unique_name
from bot.text import clean_name, row_id
from providers.base import AppMisconfigured, Credentials, ProviderError, safe_text
from storage.db import INCLUDE_ARCHIVED, Database
from storage.models import AdAccount, Profile, ProfileStatus, fold, natural_key
from storage.secrets import Secret

NAME_MAX_LEN = 80
SECRET_MAX_LEN = 4096
REASON_MAX_LEN = 500

Revoke = Callable[[str, Credentials], Awaitable[bool]]
"""Makes a profile's credentials unusable at its provider (False: the provider cannot)."""


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    display_name: str
    uses_oauth: bool


def _clean_secret(value: str, *, what: str, field: str) -> Secret:
    value = value.strip()
    if not value:
        raise InvalidInput(f"The {what} cannot be empty.", field=field)
    if len(value) > SECRET_MAX_LEN or any(c.isspace() or not c.isprintable() for c in value):
        raise InvalidInput(f"That does not look like a valid {what}.", field=field)
    return Secret(value)


class ProfileService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        catalog: Mapping[str, ProviderInfo],
        *,
        revoke: Revoke | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._catalog = dict(catalog)
        self._revoke = revoke

    def provider(self, name: str) -> ProviderInfo:
        try:
            return self._catalog[name]
        except KeyError:
            raise NotFound(
                f"No provider named {name!r} (known: {', '.join(self._catalog)})."
            ) from None

    # ----------------------------------------------------------------- reading

    async def list_profiles(self, actor: Actor, provider: str | None = None) -> list[ProfileCard]:
        actor.require(Permission.VIEW)
        stmt = select(Profile)
        if provider is not None:
            self.provider(provider)
            stmt = stmt.where(Profile.provider == provider)
        async with self._db.reader() as session:
            profiles = (await session.scalars(stmt)).all()
            ordered = sorted(profiles, key=lambda p: (p.provider, natural_key(p.name), p.id))
            return await cards(session, ordered)

    async def get(self, actor: Actor, profile_id: int) -> ProfileCard:
        actor.require(Permission.VIEW)
        async with self._db.reader() as session:
            profile = await session.get(Profile, profile_id)
            if profile is None:
                raise NotFound("That profile no longer exists.")
            (card,) = await cards(session, [profile])
            return card

    async def stored_credentials(self, actor: Actor, profile_id: int) -> Credentials:
        """What a profile holds, for re-checking it with changes (never shown to anyone)."""
        actor.require(Permission.MANAGE)
        async with self._db.reader() as session:
            profile = await self._get(session, profile_id)
            return credentials_of(profile)

    async def resolve(self, actor: Actor, ref: str, provider: str | None = None) -> ProfileCard:
        """A typed reference: the profile's name (case-insensitive) or its number."""
        actor.require(Permission.VIEW)
        ref = ref.strip()
        condition = Profile.name_key == fold(ref)
        if (number := row_id(ref.lstrip("#"))) is not None:
            condition = condition | (Profile.id == number)
        stmt = select(Profile).where(condition)
        if provider is not None:
            stmt = stmt.where(Profile.provider == provider)
        async with self._db.reader() as session:
            found = (await session.scalars(stmt)).all()
            if not found:
                raise NotFound(f"No profile named {ref!r}.")
            if len(found) > 1:
                raise InvalidInput(
                    f"{ref!r} names profiles of several providers; add the provider, e.g. "
                    f"`{found[0].provider}`."
                )
            (card,) = await cards(session, list(found))
            return card

    async def manage_view(self, actor: Actor, profile_id: int, *, limit: int = 100) -> ManageView:
        actor.require(Permission.VIEW)
        card = await self.get(actor, profile_id)
        async with self._db.reader() as session:
            return await manage_view(session, card, limit)

    # ---------------------------------------------------------------- changing

    async def create(
        self,
        actor: Actor,
        provider: str,
        *,
        secret: str,
        key: str | None = None,
        name: str | None = None,
        meta: Mapping[str, Any] | None = None,
        expires_at: datetime | None = None,
        connected_by: str | None = None,
    ) -> ProfileCard:
        """Store credentials the provider has already accepted (the caller validates first)."""
        actor.require(Permission.MANAGE)
        info = self.provider(provider)
        secret_value = _clean_secret(secret, what=self._secret_word(info), field="secret")
        key_value = self._clean_key(info, key)
        now = self._clock()
        async with self._db.transaction() as session:
            if name is None:
                name = await default_name(session, info.name, info.display_name)
            name = clean_name(name, what="profile name", max_len=NAME_MAX_LEN, field="name")
            await unique_name(session, provider, self.provider(provider).display_name, name)
            profile = Profile(
                provider=provider,
                name=name,
                status=ProfileStatus.ACTIVE,
                secret=secret_value,
                api_key=key_value,
                key_hint=key_value.hint() if key_value else None,
                meta=dict(meta or {}),
                credentials_expire_at=expires_at,
                connected_by=connected_by,
                created_at=now,
                updated_at=now,
            )
            session.add(profile)
            await session.flush()
            after = {"provider": provider, "name": name, "credentials": SECRET_CHANGED}
            await audit.record(
                session,
                actor,
                [Change("profile.create", _target(profile), None, after)],
                at=now,
            )
            (card,) = await cards(session, [profile])
            return card

    async def update_credentials(
        self,
        actor: Actor,
        profile_id: int,
        *,
        provider: str,
        secret: str,
        key: str | None = None,
        meta: Mapping[str, Any] | None = None,
        expires_at: datetime | None = None,
        connected_by: str | None = None,
        name: str | None = None,
    ) -> ProfileCard:
        """Re-authentication / new API credentials, in place; the profile becomes active again.
        A new `name` is saved in the same transaction, so a form's changes land together."""
        actor.require(Permission.MANAGE)
        info = self.provider(provider)
        secret_value = _clean_secret(secret, what=self._secret_word(info), field="secret")
        key_value = self._clean_key(info, key)
        if name is not None:
            name = clean_name(name, what="profile name", max_len=NAME_MAX_LEN, field="name")
        now = self._clock()
        async with self._db.transaction() as session:
            profile = await self._get(session, profile_id)
            if profile.provider != provider:
                raise Conflict(
                    f"{profile.name} is a {self.provider(profile.provider).display_name} "
                    f"profile, not a {info.display_name} one."
                )
            changes = []
            if name is not None and name != profile.name:
                if fold(name) != profile.name_key:
                    await unique_name(
                        session,
                        profile.provider,
                        self.provider(profile.provider).display_name,
                        name,
                    )
                changes.append(
                    Change(
                        "profile.rename", _target(profile), {"name": profile.name}, {"name": name}
                    )
                )
                profile.name = name
            before = {"status": profile.status, "credentials": "previous"}
            profile.secret = secret_value
            profile.api_key = key_value
            profile.key_hint = key_value.hint() if key_value else None
            profile.session_token = None
            profile.session_token_expires_at = None
            profile.meta = dict(meta or {})
            profile.credentials_expire_at = expires_at
            profile.last_forced_renewal_at = None
            profile.renewal_conflict_since = None
            if connected_by:
                profile.connected_by = connected_by
            _set_active(profile)
            profile.updated_at = now
            after = {"status": profile.status, "credentials": SECRET_CHANGED}
            changes.append(Change("profile.credentials", _target(profile), before, after))
            await audit.record(session, actor, changes, at=now)
            (card,) = await cards(session, [profile])
            return card

    async def check_rename(self, actor: Actor, profile_id: int, name: str) -> None:
        """The refusals `rename` would give, from one quick read, so that a form can show them
        before it closes; `rename` checks again in its transaction."""
        actor.require(Permission.MANAGE)
        async with self._db.reader() as session:
            profile = await self._get(session, profile_id)
            renamable(profile, name)
            if fold(name) != profile.name_key:
                await unique_name(
                    session, profile.provider, self.provider(profile.provider).display_name, name
                )

    async def check_name(
        self, actor: Actor, provider: str, name: str, *, profile_id: int | None = None
    ) -> None:
        """Whether another profile of the provider already has the name, from one quick read,
        so that a form can say so before it closes; saving checks again."""
        actor.require(Permission.MANAGE)
        display = self.provider(provider).display_name
        async with self._db.reader() as session:
            await unique_name(session, provider, display, name, except_id=profile_id)

    async def rename(self, actor: Actor, profile_id: int, name: str) -> ProfileCard:
        actor.require(Permission.MANAGE)
        name = clean_name(name, what="profile name", max_len=NAME_MAX_LEN, field="name")
        now = self._clock()
        async with self._db.transaction() as session:
            profile = await self._get(session, profile_id)
            renamable(profile, name)
            if fold(name) != profile.name_key:
                await unique_name(
                    session, profile.provider, self.provider(profile.provider).display_name, name
                )
            before = {"name": profile.name}
            profile.name = name
            profile.updated_at = now
            await audit.record(
                session,
                actor,
                [Change("profile.rename", _target(profile), before, {"name": name})],
                at=now,
            )
            (card,) = await cards(session, [profile])
            return card

    async def remove(self, actor: Actor, profile_id: int) -> None:
        """Only a profile no account uses (archived ones included) can go; its access records
        and alerts go with it, its audit history stays. Its token is revoked at the provider
        first, so nobody holding a copy can use the login afterwards; if that cannot be done
        now, nothing is removed."""
        actor.require(Permission.MANAGE)
        async with self._db.reader() as session:
            profile = await self._get(session, profile_id)
            await self._unused(session, profile)
            credentials, provider = credentials_of(profile), profile.provider
        revoked = False
        if self._revoke is not None:
            display = self.provider(provider).display_name
            try:
                revoked = await self._revoke(provider, credentials)
            except AppMisconfigured as exc:
                raise Conflict(
                    f"{display} refused the bot's own app, so the login's token could not be "
                    f"revoked and nothing was removed: {exc.reason}"
                ) from None
            except ProviderError as exc:
                raise Conflict(
                    f"{display} could not be reached to revoke the login's token, so nothing "
                    f"was removed; try again shortly. ({exc.reason})"
                ) from None
        now = self._clock()
        async with self._db.transaction() as session:
            profile = await self._get(session, profile_id)
            await self._unused(session, profile)
            target = _target(profile)
            before = {"provider": profile.provider, "name": profile.name, "status": profile.status}
            after = {"token": "revoked" if revoked else "not revocable by the bot"}
            await session.delete(profile)
            await audit.record(
                session, actor, [Change("profile.remove", target, before, after)], at=now
            )

    @staticmethod
    async def _unused(session: AsyncSession, profile: Profile) -> None:
        users = await session.scalar(
            select(func.count(AdAccount.id))
            .where(AdAccount.profile_id == profile.id)
            .execution_options(**{INCLUDE_ARCHIVED: True})
        )
        if users:
            raise Conflict(
                f"{users} ad account(s) use {profile.name} (archived ones count too); "
                "move them to another profile first."
            )

    async def mark_invalid(self, actor: Actor, profile_id: int, reason: str) -> bool:
        """Record that a provider rejected the credentials. Returns True when this starts a new
        broken episode (the caller raises the alert then, and only then)."""
        actor.require(Permission.MANAGE)
        reason = safe_text(reason.strip() or "credentials rejected", REASON_MAX_LEN)
        now = self._clock()
        async with self._db.transaction() as session:
            profile = await self._get(session, profile_id)
            if profile.status == ProfileStatus.INVALID:
                return False
            before = {"status": profile.status}
            profile.status = ProfileStatus.INVALID
            profile.status_reason = reason
            profile.invalid_since = now
            profile.updated_at = now
            after = {"status": profile.status, "reason": reason}
            await audit.record(
                session, actor, [Change("profile.invalid", _target(profile), before, after)], at=now
            )
            return True

    async def mark_active(
        self, actor: Actor, profile_id: int, *, reason: str | None = None
    ) -> bool:
        """The profile works again; `reason` says why, for the audit log and the alert."""
        actor.require(Permission.MANAGE)
        now = self._clock()
        async with self._db.transaction() as session:
            profile = await self._get(session, profile_id)
            if profile.status == ProfileStatus.ACTIVE:
                return False
            before = {"status": profile.status, "reason": profile.status_reason}
            _set_active(profile)
            profile.updated_at = now
            after = {"status": profile.status, **({"reason": reason} if reason else {})}
            await audit.record(
                session, actor, [Change("profile.active", _target(profile), before, after)], at=now
            )
            return True

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _secret_word(info: ProviderInfo) -> str:
        return "access token" if info.uses_oauth else "API secret"

    @staticmethod
    def _clean_key(info: ProviderInfo, key: str | None) -> Secret | None:
        if key is None or not key.strip():
            return None
        if info.uses_oauth:
            raise InvalidInput(f"{info.display_name} profiles take no API key.", field="key")
        return _clean_secret(key, what="API key", field="key")

    @staticmethod
    async def _get(session: AsyncSession, profile_id: int) -> Profile:
        profile = await session.get(Profile, profile_id)
        if profile is None:
            raise NotFound("That profile no longer exists.")
        return profile


def _set_active(profile: Profile) -> None:
    """A fixed profile is due at once: while it was invalid the loop only looked at it once a
    day, and that day must not pass before its accounts sync again."""
    profile.status = ProfileStatus.ACTIVE
    profile.status_reason = None
    profile.invalid_since = None
    profile.transient_error_since = None
    profile.next_sync_at = None


def credentials_of(profile: Profile) -> Credentials:
    return Credentials(
        secret=profile.secret.reveal(),
        key=profile.api_key.reveal() if profile.api_key else None,
        profile_ref=str(profile.id),
        meta=dict(profile.meta or {}),
    )


def _target(profile: Profile) -> Target:
    return Target("profile", str(profile.id), f"{profile.name} ({profile.provider})")
