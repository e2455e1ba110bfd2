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
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.app_settings import AppSettings
from bot.bulk import BulkResult, BulkService
from bot.clock import Clock
from bot.delivery import DeliveryFailed, DeliveryReport, Notifier, Outbox
from bot.errors import Conflict, NotFound
from bot.permissions import Actor, Permission
from bot.profiles import ProviderInfo
from storage.db import Database
from storage.models import (
    AdAccount,
    Alert,
    AlertStatus,
    AuditEvent,
    Profile,
    ProfileAccess,
    ProfileStatus,
)

log = logging.getLogger(__name__)


class AlertKind(StrEnum):
    INVALID = "invalid"
    EXPIRY = "expiry"
    TRANSIENT = "transient"


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
    profile_id: int
    profile_name: str
    provider: str
    provider_display: str
    uses_oauth: bool
    reason: str
    accounts_affected: int
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
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
            wanted: set[tuple[int, str, str]] = set()
            rows = []
            for p in profiles:
                for kind, episode, reason in self._episodes(p, now):
                    wanted.add((p.id, kind, episode))
                    rows.append(
                        {
                            "profile_id": p.id,
                            "kind": kind,
                            "episode": episode,
                            "status": AlertStatus.OPEN,
                            "reason": reason[:500],
                            "accounts_affected": affected.get(p.id, 0),
                            "channel": channel,
                            "dm_user": p.connected_by if kind == AlertKind.INVALID else None,
                            "next_reminder_at": now + self.policy.reminder_after(0)
                            if kind == AlertKind.INVALID
                            else None,
                            "reminders_sent": 0,
                            "attempts": 0,
                            "created_at": now,
                        }
                    )
            if rows:
                await session.execute(
                    _insert(self._db)(Alert)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=["profile_id", "kind", "episode"])
                )
            open_alerts = (
                await session.scalars(select(Alert).where(Alert.status == AlertStatus.OPEN))
            ).all()
            for alert in open_alerts:
                if (alert.profile_id, alert.kind, alert.episode) not in wanted:
                    alert.status = AlertStatus.RESOLVED
                    alert.resolved_at = now
                    alert.resolved_by = await self._fixer(session, alert)

    def _episodes(self, profile: Profile, now: datetime) -> list[tuple[str, str, str]]:
        found = []
        if profile.status == ProfileStatus.INVALID and profile.invalid_since is not None:
            found.append(
                (
                    AlertKind.INVALID,
                    profile.invalid_since.isoformat(),
                    profile.status_reason or "credentials rejected",
                )
            )
            return found
        if (
            profile.transient_error_since is not None
            and now - profile.transient_error_since >= self.policy.transient_after
        ):
            found.append(
                (
                    AlertKind.TRANSIENT,
                    profile.transient_error_since.isoformat(),
                    profile.last_sync_error or "the provider has not answered",
                )
            )
        expires = profile.credentials_expire_at
        if expires is not None and expires > now:
            ahead = [w for w in self.policy.expiry_warnings if expires - now <= w]
            if ahead:
                window = min(ahead)
                found.append(
                    (
                        AlertKind.EXPIRY,
                        f"{expires.isoformat()}/{int(window.total_seconds())}",
                        f"credentials expire {expires:%Y-%m-%d %H:%M} UTC",
                    )
                )
        return found

    @staticmethod
    async def _fixer(session, alert: Alert) -> str:  # type: ignore[no-untyped-def]
        label = await session.scalar(
            select(AuditEvent.actor_label)
            .where(
                AuditEvent.target_type == "profile",
                AuditEvent.target_id == str(alert.profile_id),
                AuditEvent.action.in_(("profile.credentials", "profile.active", "profile.remove")),
                AuditEvent.at >= alert.created_at,
            )
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )
        return label or "adops-bot"

    # ------------------------------------------------------------------ viewing

    async def view(self, alert_id: int) -> AlertView:
        async with self._db.reader() as session:
            alert = await session.get(Alert, alert_id)
            if alert is None:
                raise NotFound("That alert no longer exists.")
            profile = await session.get(Profile, alert.profile_id)
            backup = await self._backup(session, profile) if profile else None
        info = self._catalog.get(profile.provider if profile else "", None)
        return AlertView(
            id=alert.id,
            kind=AlertKind(alert.kind),
            status=alert.status,
            profile_id=alert.profile_id,
            profile_name=profile.name if profile else "(removed profile)",
            provider=profile.provider if profile else "",
            provider_display=info.display_name if info else (profile.provider if profile else ""),
            uses_oauth=bool(info and info.uses_oauth),
            reason=alert.reason,
            accounts_affected=alert.accounts_affected,
            created_at=alert.created_at,
            resolved_at=alert.resolved_at,
            resolved_by=alert.resolved_by,
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
            if alert is None:
                raise NotFound("That alert no longer exists.")
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
