"""Token alerts: deciding which alerts should exist, viewing them, and the backup move.

`reconcile` looks at the profiles and makes the alert rows agree with them (one per broken
episode; resolved when the profile is fixed). Sending them is `bot.delivery`'s: the alert rows
are its outbox.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.alert_rules import (
    REMINDED,
    AlertKind,
    Episode,
    app_episode,
    profile_episodes,
    provider_of,
    resolution,
)
from bot.app_settings import AppSettings
from bot.bulk import BulkResult, BulkService
from bot.clock import Clock
from bot.delivery import DeliveryFailed, DeliveryReport, Notifier, Outbox
from bot.errors import Conflict, NotFound
from bot.permissions import Actor, Permission
from bot.profiles import ProviderInfo
from bot.provider_health import ProviderHealth
from providers.base import safe_text
from storage.db import Database
from storage.models import (
    AdAccount,
    Alert,
    AlertStatus,
    Profile,
    ProfileAccess,
    ProfileStatus,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertPolicy:
    reminders: tuple[timedelta, ...] = (timedelta(hours=1), timedelta(hours=4), timedelta(days=1))
    expiry_warnings: tuple[timedelta, ...] = (timedelta(days=7), timedelta(days=1))
    transient_after: timedelta = timedelta(hours=1)
    retry_first: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(minutes=15)
    claim_for: timedelta = timedelta(minutes=2)
    channel_gap: float = 1.0

    def reminder_after(self, sent: int) -> timedelta:
        """1 h, 4 h, then daily: never a flood, never silence."""
        return self.reminders[min(sent, len(self.reminders) - 1)]

    def retry_after(self, attempts: int) -> timedelta:
        return min(self.retry_first * (2 ** max(attempts - 1, 0)), self.retry_max)


@dataclass(frozen=True)
class Backup:
    profile_id: int
    name: str
    movable: int


@dataclass(frozen=True)
class AlertView:
    """Everything a notifier needs to render one alert; no secrets."""

    id: int
    kind: AlertKind
    status: str
    profile_id: int | None
    profile_name: str
    provider: str
    provider_display: str
    uses_oauth: bool
    reason: str
    accounts_affected: int
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolved_note: str | None
    reminders_sent: int
    expires_at: datetime | None
    backup: Backup | None


__all__ = ["DeliveryFailed", "DeliveryReport", "Notifier"]


async def _nobody() -> list[str]:
    return []


def _insert(db: Database):  # type: ignore[no-untyped-def]
    return sqlite_insert if db.is_sqlite else pg_insert


class Alerts:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: AppSettings,
        catalog: dict[str, ProviderInfo],
        bulk: BulkService,
        *,
        owner: str,
        policy: AlertPolicy = AlertPolicy(),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] | None = None,
        admins: Callable[[], Awaitable[list[str]]] | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings
        self._catalog = catalog
        self._bulk = bulk
        self._owner = owner
        self.policy = policy
        self.outbox = Outbox(
            db,
            clock,
            settings,
            policy,
            self.view,
            owner=owner,
            admins=admins or _nobody,
            sleep=sleep,
            monotonic=monotonic or time.monotonic,
        )

    # ------------------------------------------------------------------ deciding

    async def reconcile(self) -> None:
        now = self._clock()
        channel = await self._settings.alert_channel()
        async with self._db.transaction() as session:
            profiles = (await session.scalars(select(Profile))).all()
            affected = dict(
                (
                    await session.execute(
                        select(AdAccount.profile_id, func.count(AdAccount.id))
                        .where(AdAccount.enabled.is_(True))
                        .group_by(AdAccount.profile_id)
                    )
                ).all()
            )
            by_provider = dict(
                (
                    await session.execute(
                        select(AdAccount.provider, func.count(AdAccount.id))
                        .where(AdAccount.enabled.is_(True))
                        .group_by(AdAccount.provider)
                    )
                ).all()
            )
            episodes: list[tuple[Episode, int]] = [
                (e, affected.get(p.id, 0))
                for p in profiles
                for e in profile_episodes(
                    p,
                    now,
                    transient_after=self.policy.transient_after,
                    expiry_warnings=self.policy.expiry_warnings,
                )
            ]
            for problem in await ProviderHealth.problems(session):
                episodes.append((app_episode(problem), by_provider.get(problem.provider, 0)))
            wanted = {(e.subject, e.kind, e.episode) for e, _ in episodes}
            rows = [
                {
                    "subject": e.subject,
                    "profile_id": e.profile_id,
                    "kind": e.kind,
                    "episode": e.episode,
                    "status": AlertStatus.OPEN,
                    "reason": safe_text(e.reason, 500),
                    "accounts_affected": count,
                    "channel": channel,
                    "dm_user": e.dm_user,
                    "next_reminder_at": now + self.policy.reminder_after(0)
                    if e.kind in REMINDED
                    else None,
                    "reminders_sent": 0,
                    "attempts": 0,
                    "created_at": now,
                }
                for e, count in episodes
            ]
            if rows:
                await session.execute(
                    _insert(self._db)(Alert)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=["subject", "kind", "episode"])
                )
            open_alerts = (
                await session.scalars(select(Alert).where(Alert.status == AlertStatus.OPEN))
            ).all()
            for alert in open_alerts:
                if (alert.subject, alert.kind, alert.episode) not in wanted:
                    alert.status = AlertStatus.RESOLVED
                    alert.resolved_at = now
                    alert.resolved_by, alert.resolved_note = await resolution(
                        session, alert, self._display
                    )

    def _display(self, provider: str) -> str:
        info = self._catalog.get(provider)
        return info.display_name if info else provider

    # ------------------------------------------------------------------ viewing

    async def view(self, alert_id: int) -> AlertView:
        async with self._db.reader() as session:
            alert = await session.get(Alert, alert_id)
            if alert is None:
                raise NotFound("That alert no longer exists.")
            profile = await session.get(Profile, alert.profile_id) if alert.profile_id else None
            backup = await self._backup(session, profile) if profile else None
        provider = profile.provider if profile else provider_of(alert.subject) or ""
        info = self._catalog.get(provider, None)
        return AlertView(
            id=alert.id,
            kind=AlertKind(alert.kind),
            status=alert.status,
            profile_id=alert.profile_id,
            profile_name=profile.name
            if profile
            else ""
            if alert.profile_id is None
            else "(removed profile)",
            provider=provider,
            provider_display=info.display_name if info else provider,
            uses_oauth=bool(info and info.uses_oauth),
            reason=alert.reason,
            accounts_affected=alert.accounts_affected,
            created_at=alert.created_at,
            resolved_at=alert.resolved_at,
            resolved_by=alert.resolved_by,
            resolved_note=alert.resolved_note,
            reminders_sent=alert.reminders_sent,
            expires_at=profile.credentials_expire_at if profile else None,
            backup=backup if alert.kind == AlertKind.INVALID else None,
        )

    @staticmethod
    async def _backup(session, profile: Profile) -> Backup | None:  # type: ignore[no-untyped-def]
        """The active profile of the same provider that can reach most of this profile's
        accounts."""
        counts = (
            await session.execute(
                select(Profile.id, Profile.name, func.count(AdAccount.id))
                .join(ProfileAccess, ProfileAccess.profile_id == Profile.id)
                .join(AdAccount, AdAccount.id == ProfileAccess.account_id)
                .where(
                    AdAccount.profile_id == profile.id,
                    ProfileAccess.lost_at.is_(None),
                    Profile.id != profile.id,
                    Profile.provider == profile.provider,
                    Profile.status == ProfileStatus.ACTIVE,
                )
                .group_by(Profile.id, Profile.name)
                .order_by(func.count(AdAccount.id).desc(), Profile.id)
                .limit(1)
            )
        ).first()
        return Backup(counts[0], counts[1], counts[2]) if counts else None

    async def move_to_backup(self, actor: Actor, alert_id: int, backup_id: int) -> BulkResult:
        """Every account still using the broken profile goes to the backup where it can;
        the result says which could not."""
        actor.require(Permission.MANAGE)
        async with self._db.reader() as session:
            alert = await session.get(Alert, alert_id)
            if alert is None or alert.profile_id is None:
                raise NotFound("That alert is not about a profile any more.")
            ids = (
                await session.scalars(
                    select(AdAccount.id).where(AdAccount.profile_id == alert.profile_id)
                )
            ).all()
        if not ids:
            raise Conflict("No accounts use that profile any more; nothing to move.")
        return await self._bulk.change_profile(actor, list(ids), backup_id)

    # ----------------------------------------------------------------- delivering

    async def deliver(self, notifier: Notifier) -> DeliveryReport:
        return await self.outbox.deliver(notifier)

    async def open_alerts(self, profile_ids: Sequence[int] | None = None) -> list[int]:
        async with self._db.reader() as session:
            query = select(Alert.id).where(Alert.status == AlertStatus.OPEN)
            if profile_ids is not None:
                query = query.where(Alert.profile_id.in_(profile_ids))
            return list((await session.scalars(query)).all())
