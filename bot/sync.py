"""Syncing one profile: ask the provider what the credentials reach, then record it.

The same engine serves `connect`, "Sync now" and the background loop. It never deletes an
account: accounts that stop being reachable lose this profile's access (and, when they use this
profile, are flagged), and OFF or archived accounts are neither refreshed nor asked about.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select

from bot import audit
from bot.accounts import account_label
from bot.audit import Change, Target
from bot.clock import Clock
from bot.errors import Conflict, NotFound
from bot.permissions import Actor, Permission
from bot.profiles import ProfileService
from bot.tags import add_auto_tags
from providers.base import (
    AccountListing,
    Credentials,
    CredentialsInvalid,
    Provider,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)
from storage.db import INCLUDE_ARCHIVED, Database
from storage.models import AdAccount, Profile, ProfileAccess, ProfileStatus

log = logging.getLogger(__name__)
_CHUNK = 500

Outcome = Literal["ok", "invalid", "transient", "skipped"]


@dataclass(frozen=True)
class SyncReport:
    profile_id: int
    profile_name: str
    provider: str
    outcome: Outcome
    found: int = 0
    new: tuple[str, ...] = ()
    updated: int = 0
    lost: tuple[str, ...] = ()
    error: str | None = None
    became_invalid: bool = False


@dataclass
class _Applied:
    new: list[str] = field(default_factory=list)
    updated: int = 0
    lost: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


def credentials_of(profile: Profile) -> Credentials:
    return Credentials(
        secret=profile.secret.reveal(),
        key=profile.api_key.reveal() if profile.api_key else None,
        profile_ref=str(profile.id),
        meta=dict(profile.meta or {}),
    )


class SyncEngine:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        providers: Mapping[str, Provider],
        profiles: ProfileService,
    ) -> None:
        self._db = db
        self._clock = clock
        self._providers = providers
        self._profiles = profiles

    def provider(self, name: str) -> Provider:
        try:
            return self._providers[name]
        except KeyError:
            raise Conflict(
                f"{self._profiles.provider(name).display_name} is not configured on this bot."
            ) from None

    async def sync_profile(self, actor: Actor, profile_id: int) -> SyncReport:
        actor.require(Permission.MANAGE)
        async with self._db.reader() as session:
            profile = await session.get(Profile, profile_id)
            if profile is None:
                raise NotFound("That profile no longer exists.")
            name, provider_name = profile.name, profile.provider
            if profile.status != ProfileStatus.ACTIVE:
                return SyncReport(
                    profile_id,
                    name,
                    provider_name,
                    "skipped",
                    error=f"invalid ({profile.status_reason}); fix its credentials first",
                )
            credentials = credentials_of(profile)
            skip = set(
                (
                    await session.scalars(
                        select(AdAccount.external_id)
                        .where(
                            AdAccount.provider == provider_name,
                            (AdAccount.enabled.is_(False)) | (AdAccount.archived.is_(True)),
                        )
                        .execution_options(**{INCLUDE_ARCHIVED: True})
                    )
                ).all()
            )
        provider = self.provider(provider_name)
        try:
            listing = await provider.list_accounts(credentials, skip_details=skip)
        except CredentialsInvalid as exc:
            became = await self._profiles.mark_invalid(actor, profile_id, exc.reason)
            await self._note_error(profile_id, exc.reason, transient=False)
            return SyncReport(
                profile_id, name, provider_name, "invalid", error=exc.reason, became_invalid=became
            )
        except (RateLimited, ProviderUnavailable, ProviderError) as exc:
            log.warning("sync of profile %s deferred: %s", profile_id, exc)
            await self._note_error(profile_id, str(exc), transient=True)
            return SyncReport(profile_id, name, provider_name, "transient", error=str(exc))
        return await self.record(actor, profile_id, listing)

    async def record(self, actor: Actor, profile_id: int, listing: AccountListing) -> SyncReport:
        """Write what a listing says; also used right after a connect, whose validation already
        produced the listing."""
        actor.require(Permission.MANAGE)
        now = self._clock()
        async with self._db.transaction() as session:
            profile = await session.get(Profile, profile_id)
            if profile is None:
                raise NotFound("That profile no longer exists.")
            applied = await self._apply(session, profile, listing, now)
            profile.last_synced_at = now
            profile.last_sync_error = None
            profile.transient_error_since = None
            profile.meta = {**(profile.meta or {}), **dict(listing.meta)}
            profile.credentials_expire_at = listing.expires_at
            if profile.status != ProfileStatus.ACTIVE:
                before = {"status": profile.status, "reason": profile.status_reason}
                profile.status = ProfileStatus.ACTIVE
                profile.status_reason = None
                profile.invalid_since = None
                applied.changes.append(
                    Change("profile.active", _profile_target(profile), before, {"status": "active"})
                )
            profile.updated_at = now
            await audit.record(session, actor, applied.changes, at=now)
            return SyncReport(
                profile.id,
                profile.name,
                profile.provider,
                "ok",
                found=len(listing.accounts),
                new=tuple(applied.new),
                updated=applied.updated,
                lost=tuple(applied.lost),
            )

    async def _apply(self, session, profile: Profile, listing: AccountListing, now) -> _Applied:
        out = _Applied()
        infos = {info.external_id: info for info in listing.accounts}
        ids = list(infos)
        existing: dict[str, AdAccount] = {}
        for start in range(0, len(ids), _CHUNK):
            found = await session.scalars(
                select(AdAccount)
                .where(
                    AdAccount.provider == profile.provider,
                    AdAccount.external_id.in_(ids[start : start + _CHUNK]),
                )
                .execution_options(**{INCLUDE_ARCHIVED: True})
            )
            existing.update((a.external_id, a) for a in found)
        access = {
            row.account_id: row
            for row in (
                await session.scalars(
                    select(ProfileAccess).where(ProfileAccess.profile_id == profile.id)
                )
            ).all()
        }
        seen: set[int] = set()
        for external_id, info in infos.items():
            account = existing.get(external_id)
            if account is None:
                account = AdAccount(
                    provider=profile.provider,
                    external_id=external_id,
                    name=(info.name or external_id)[:512],
                    currency=info.currency,
                    timezone=info.timezone,
                    provider_status=info.status,
                    enabled=True,
                    archived=False,
                    profile_id=profile.id,
                    first_synced_at=now,
                    last_synced_at=now,
                    created_at=now,
                    updated_at=now,
                )
                session.add(account)
                await session.flush()
                await add_auto_tags(session, account.id, [info.timezone, info.currency], at=now)
                out.new.append(account_label(account))
                out.changes.append(
                    Change(
                        "account.discovered",
                        _account_target(account),
                        None,
                        {
                            "profile": profile.name,
                            "currency": info.currency,
                            "timezone": info.timezone,
                        },
                    )
                )
            else:
                self._refresh(account, profile, info, now, out)
                if account.enabled and not account.archived and account.first_synced_at is None:
                    account.first_synced_at = now
                    await add_auto_tags(session, account.id, [info.timezone, info.currency], at=now)
            seen.add(account.id)
            row = access.get(account.id)
            if row is None:
                session.add(
                    ProfileAccess(
                        profile_id=profile.id,
                        account_id=account.id,
                        first_seen_at=now,
                        last_seen_at=now,
                    )
                )
            else:
                row.last_seen_at = now
                row.lost_at = None
        await self._lose(session, profile, access, seen, listing, existing, now, out)
        return out

    @staticmethod
    def _refresh(account: AdAccount, profile: Profile, info, now, out: _Applied) -> None:
        if account.archived:
            return
        if account.profile_id is None:
            account.profile_id = profile.id
            out.changes.append(
                Change(
                    "account.profile",
                    _account_target(account),
                    {"profile_id": None},
                    {"profile_id": profile.id, "profile": profile.name},
                )
            )
        if not account.enabled:
            return
        changed = False
        for attribute, value in (
            ("name", info.name),
            ("currency", info.currency),
            ("timezone", info.timezone),
            ("provider_status", info.status),
        ):
            if value is not None and getattr(account, attribute) != value:
                setattr(account, attribute, value[:512] if attribute == "name" else value)
                changed = True
        if account.profile_id == profile.id and account.access_lost_at is not None:
            account.access_lost_at = None
            account.access_lost_reason = None
            changed = True
        account.last_synced_at = now
        if changed:
            account.updated_at = now
            out.updated += 1

    @staticmethod
    async def _lose(session, profile, access, seen, listing, existing, now, out: _Applied) -> None:
        gone = [aid for aid, row in access.items() if aid not in seen and row.lost_at is None]
        reasons = {aid: f"{profile.name} can no longer reach it" for aid in gone}
        for external_id, reason in listing.lost.items():
            account = existing.get(external_id)
            if account is not None:
                reasons[account.id] = reason
                row = access.get(account.id)
                if row is not None:
                    row.lost_at = now
        for aid in gone:
            access[aid].lost_at = now
        if not reasons:
            return
        accounts = (
            await session.scalars(
                select(AdAccount)
                .where(AdAccount.id.in_(list(reasons)))
                .execution_options(**{INCLUDE_ARCHIVED: True})
            )
        ).all()
        for account in accounts:
            out.lost.append(account_label(account))
            if account.profile_id == profile.id and account.access_lost_at is None:
                account.access_lost_at = now
                account.access_lost_reason = reasons[account.id][:500]
                account.updated_at = now
                out.changes.append(
                    Change(
                        "account.access_lost",
                        _account_target(account),
                        None,
                        {"profile": profile.name, "reason": reasons[account.id]},
                    )
                )

    async def _note_error(self, profile_id: int, reason: str, *, transient: bool) -> None:
        now = self._clock()
        async with self._db.transaction() as session:
            profile = await session.get(Profile, profile_id)
            if profile is None:
                return
            profile.last_sync_error = reason[:500]
            if transient and profile.transient_error_since is None:
                profile.transient_error_since = now


def _account_target(account: AdAccount) -> Target:
    return Target("account", str(account.id), account_label(account))


def _profile_target(profile: Profile) -> Target:
    return Target("profile", str(profile.id), f"{profile.name} ({profile.provider})")
