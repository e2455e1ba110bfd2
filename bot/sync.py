"""Syncing one profile: ask the provider what the credentials reach, then record it.

The same engine serves `connect`, "Sync now" and the background loop. It never deletes an
account: accounts that stop being reachable lose this profile's access (and, when they use this
profile, are flagged), and OFF or archived accounts are neither refreshed nor asked about.

What a provider's answer does to the profile: a credential refusal makes it invalid; a refusal
of the bot's own app is recorded once for the provider and leaves every profile as it is; a
documented wait (a per-minute or per-day limit) is honoured by the whole cycle; anything else is
transient and retried at the next cycle. Invalid profiles are probed again once a day.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select

from bot import audit
from bot.audit import Change, Target
from bot.clock import Clock
from bot.errors import Conflict, NotFound
from bot.permissions import Actor, Permission
from bot.profiles import ProfileService, credentials_of
from bot.provider_health import ProblemKind, ProviderHealth
from bot.sync_apply import Applied, apply_listing
from providers.base import (
    AccountListing,
    AppMisconfigured,
    CredentialsInvalid,
    Provider,
    ProviderError,
    RateLimited,
    TokenContention,
    resume_after,
    safe_text,
)
from storage.db import INCLUDE_ARCHIVED, Database
from storage.models import AdAccount, Profile, ProfileStatus

log = logging.getLogger(__name__)

Outcome = Literal["ok", "invalid", "transient", "skipped", "app", "restored"]
RENEWAL_WINDOW = timedelta(hours=1)
RENEWAL_QUIET = timedelta(days=1)


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
    held: int = 0
    unrefreshed: int = 0
    retry_at: datetime | None = None


def note_renewal(profile: Profile, now: datetime) -> None:
    """A session token renewed because it was refused before it expired. Two within an hour
    means another holder of the same credentials keeps renewing them."""
    last = profile.last_forced_renewal_at
    if last is not None and now - last <= RENEWAL_WINDOW and profile.renewal_conflict_since is None:
        profile.renewal_conflict_since = now
    profile.last_forced_renewal_at = now


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
        self.health = ProviderHealth(db, clock)

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
        report = SyncReport(profile_id, name, provider_name, "transient")
        if (until := self.health.paused_until(provider_name)) is not None:
            return await self._waiting(report, until)
        try:
            listing = await provider.list_accounts(credentials, skip_details=skip)
        except CredentialsInvalid as exc:
            became = await self._profiles.mark_invalid(actor, profile_id, exc.reason)
            await self._note_error(profile_id, exc.reason, transient=False)
            return SyncReport(
                profile_id, name, provider_name, "invalid", error=exc.reason, became_invalid=became
            )
        except ProviderError as exc:
            return await self._failed(report, exc)
        return await self.record(actor, profile_id, listing)

    async def probe_profile(self, actor: Actor, profile_id: int) -> SyncReport:
        """The daily look at an invalid profile: one cheap call with its stored credentials.
        If the provider accepts them again, the profile is restored (its alert resolves, saying
        why) and is synced as any active profile is."""
        actor.require(Permission.MANAGE)
        async with self._db.reader() as session:
            profile = await session.get(Profile, profile_id)
            if profile is None:
                raise NotFound("That profile no longer exists.")
            name, provider_name = profile.name, profile.provider
            if profile.status != ProfileStatus.INVALID:
                return SyncReport(profile_id, name, provider_name, "skipped")
            credentials = credentials_of(profile)
        report = SyncReport(profile_id, name, provider_name, "invalid")
        if (until := self.health.paused_until(provider_name)) is not None:
            return await self._waiting(report, until)
        try:
            await self.provider(provider_name).probe(credentials)
        except CredentialsInvalid as exc:
            log.info("profile %s still refused at its daily check: %s", profile_id, exc)
            return SyncReport(profile_id, name, provider_name, "invalid", error=exc.reason)
        except ProviderError as exc:
            return await self._failed(report, exc, transient_clock=False)
        display = self._profiles.provider(provider_name).display_name
        await self._profiles.mark_active(
            actor, profile_id, reason=f"{display} accepted the credentials again at the daily check"
        )
        return SyncReport(profile_id, name, provider_name, "restored")

    async def _waiting(self, report: SyncReport, until: datetime) -> SyncReport:
        error = f"the provider asked the bot to wait until {until:%Y-%m-%d %H:%M} UTC"
        await self._note_error(report.profile_id, error, transient=False)
        return replace(report, outcome="transient", error=error, retry_at=until)

    async def _failed(
        self, report: SyncReport, exc: ProviderError, *, transient_clock: bool = True
    ) -> SyncReport:
        """Every provider error other than a credential refusal. None of them changes the
        profile's status; the ones with a known end do not count towards its "not synced for a
        while" warning either."""
        provider = report.provider
        if isinstance(exc, AppMisconfigured):
            await self.health.report(provider, ProblemKind.APP, exc.reason, setting=exc.setting)
            await self._note_error(report.profile_id, exc.reason, transient=False)
            return replace(report, outcome="app", error=exc.reason)
        retry_at = None
        if isinstance(exc, RateLimited):
            wait = resume_after(exc.window, self._clock())
            retry_at = self._clock() + wait if wait is not None else None
            if retry_at is not None and exc.scope in ("app", "endpoint"):
                self.health.pause(provider, retry_at)
                if exc.window == "day":
                    await self.health.report(
                        provider,
                        ProblemKind.QUOTA,
                        f"{exc.reason}. The app's daily request limit is used up; every "
                        f"{self._profiles.provider(provider).display_name} profile waits until "
                        f"{retry_at:%H:%M} UTC",
                    )
        log.warning("sync of profile %s deferred: %s", report.profile_id, exc)
        await self._note_error(
            report.profile_id,
            str(exc),
            transient=transient_clock and retry_at is None,
            renewal=isinstance(exc, TokenContention),
        )
        return replace(report, outcome=report.outcome, error=str(exc), retry_at=retry_at)

    async def record(self, actor: Actor, profile_id: int, listing: AccountListing) -> SyncReport:
        """Write what a listing says; also used right after a connect, whose validation already
        produced the listing."""
        actor.require(Permission.MANAGE)
        now = self._clock()
        async with self._db.transaction() as session:
            profile = await session.get(Profile, profile_id)
            if profile is None:
                raise NotFound("That profile no longer exists.")
            applied = await apply_listing(session, profile, listing, now)
            await self.health.clear(session, profile.provider)
            profile.last_synced_at = now
            profile.last_sync_error = self._sync_note(profile, listing, applied)
            profile.transient_error_since = None
            profile.meta = {**(profile.meta or {}), **dict(listing.meta)}
            profile.credentials_expire_at = listing.expires_at
            for _ in range(listing.forced_renewals):
                note_renewal(profile, now)
            if (
                profile.renewal_conflict_since is not None
                and profile.last_forced_renewal_at is not None
                and now - profile.last_forced_renewal_at >= RENEWAL_QUIET
            ):
                profile.renewal_conflict_since = None
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
                held=applied.held,
                unrefreshed=len(listing.unrefreshed),
            )

    def _sync_note(self, profile: Profile, listing: AccountListing, applied: Applied) -> str | None:
        """What the profile card shows about a sync that went through but not all the way."""
        display = self._profiles.provider(profile.provider).display_name
        if applied.held:
            return (
                f"{applied.held} of {applied.reachable_before} accounts were missing from "
                f"{display}'s answer; they keep their access until the next sync confirms it"
            )
        if listing.unrefreshed:
            reason = next(iter(listing.unrefreshed.values()))
            return safe_text(
                f"details of {len(listing.unrefreshed)} account(s) could not be refreshed: "
                f"{reason}",
                500,
            )
        return None

    async def _note_error(
        self, profile_id: int, reason: str, *, transient: bool, renewal: bool = False
    ) -> None:
        now = self._clock()
        async with self._db.transaction() as session:
            profile = await session.get(Profile, profile_id)
            if profile is None:
                return
            profile.last_sync_error = safe_text(reason, 500)
            if transient and profile.transient_error_since is None:
                profile.transient_error_since = now
            if renewal:
                note_renewal(profile, now)


def _profile_target(profile: Profile) -> Target:
    return Target("profile", str(profile.id), f"{profile.name} ({profile.provider})")
