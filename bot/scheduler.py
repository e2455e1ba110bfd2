"""The background loop: sync every active profile once per interval, look at each invalid profile
once a day (a misread reply must not leave one broken for good), then settle alerts.

Replicas sharing one database coordinate through the profiles table alone. A profile is claimed
with one conditional UPDATE (due, and not leased by someone else); the claim is a lease that
expires on its own, so a crashed replica releases nothing by hand. Finishing sets the next due
time, which is what makes "once per interval" hold across replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update

from bot.alerts import Alerts
from bot.clock import Clock
from bot.delivery import Notifier
from bot.permissions import Source, system_actor
from bot.sync import SyncEngine, SyncReport
from storage.db import Database
from storage.models import Profile, ProfileStatus

log = logging.getLogger(__name__)
PROBE_EVERY = timedelta(days=1)
CHORES_EVERY = timedelta(hours=1)


@dataclass
class CycleReport:
    synced: list[SyncReport] = field(default_factory=list)
    probed: list[SyncReport] = field(default_factory=list)
    skipped_claimed: int = 0


class Scheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        sync: SyncEngine,
        alerts: Alerts,
        notifier: Notifier | None,
        *,
        interval: float,
        concurrency: int = 4,
        lease: timedelta = timedelta(minutes=5),
        jitter: float = 0.1,
        owner: str | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        chores: Sequence[Callable[[], Awaitable[int]]] = (),
    ) -> None:
        self._db = db
        self._clock = clock
        self._sync = sync
        self._alerts = alerts
        self._notifier = notifier
        self.interval = interval
        self.concurrency = max(1, concurrency)
        self._lease = lease
        self._jitter = jitter
        self.owner = owner or f"replica-{uuid.uuid4().hex[:12]}"
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - spreading load, not security
        self._actor = system_actor(Source.LOOP, "sync loop")
        self._chores = tuple(chores)
        self._chores_due: datetime | None = None

    async def run_cycle(self) -> CycleReport:
        """Probes first, so a profile restored by its daily check is synced in the same cycle."""
        report = CycleReport()
        gate = asyncio.Semaphore(self.concurrency)
        now = self._clock()
        probes = await self._due(
            Profile.status == ProfileStatus.INVALID, Profile.invalid_since <= now - PROBE_EVERY
        )
        await asyncio.gather(*(self._one(pid, gate, report, probe=True) for pid in probes))
        due = await self._due(Profile.status == ProfileStatus.ACTIVE)
        await asyncio.gather(*(self._one(pid, gate, report, probe=False) for pid in due))
        await self.settle_alerts()
        await self._housekeeping(now)
        return report

    async def _housekeeping(self, now: datetime) -> None:
        """Once an hour, drop what nobody needs any more (spent sign-in links, lists shown a
        day ago), so those tables do not grow for ever."""
        if self._chores_due is not None and now < self._chores_due:
            return
        self._chores_due = now + CHORES_EVERY
        for chore in self._chores:
            try:
                await chore()
            except Exception:
                log.exception("housekeeping failed; trying again in an hour")

    async def _due(self, *conditions: ColumnElement[bool]) -> list[int]:
        now = self._clock()
        async with self._db.reader() as session:
            return list(
                (
                    await session.scalars(
                        select(Profile.id)
                        .where(
                            *conditions,
                            or_(Profile.next_sync_at.is_(None), Profile.next_sync_at <= now),
                        )
                        .order_by(
                            Profile.next_sync_at.is_not(None), Profile.next_sync_at, Profile.id
                        )
                    )
                ).all()
            )

    async def _one(
        self, profile_id: int, gate: asyncio.Semaphore, report: CycleReport, *, probe: bool
    ) -> None:
        async with gate:
            status = ProfileStatus.INVALID if probe else ProfileStatus.ACTIVE
            if not await self._claim(profile_id, status):
                report.skipped_claimed += 1
                return
            result: SyncReport | None = None
            try:
                if probe:
                    result = await self._sync.probe_profile(self._actor, profile_id)
                    report.probed.append(result)
                else:
                    result = await self._sync_leased(profile_id)
                    report.synced.append(result)
            except Exception:
                log.exception("sync of profile %s failed", profile_id)
            finally:
                await self._finish(profile_id, result, probe=probe)

    async def settle_alerts(self) -> None:
        await self._alerts.reconcile()
        if self._notifier is not None:
            await self._alerts.deliver(self._notifier)

    async def run_forever(self, stop: asyncio.Event, *, tick: float | None = None) -> None:
        """Wake often enough to catch due profiles and pending alerts; stop between cycles."""
        tick = tick or min(60.0, self.interval / 4)
        while not stop.is_set():
            try:
                await self.run_cycle()
            except Exception:
                log.exception("sync cycle failed; trying again next tick")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=tick)

    async def _sync_leased(self, profile_id: int) -> SyncReport:
        """Keep the lease alive while a long sync runs, so no other replica takes over."""
        renewing = asyncio.create_task(self._keep_lease(profile_id))
        try:
            return await self._sync.sync_profile(self._actor, profile_id)
        finally:
            renewing.cancel()

    async def _keep_lease(self, profile_id: int) -> None:
        while True:
            await self._sleep(self._lease.total_seconds() / 3)
            async with self._db.transaction() as session:
                await session.execute(
                    update(Profile)
                    .where(Profile.id == profile_id, Profile.lease_owner == self.owner)
                    .values(lease_expires_at=self._clock() + self._lease)
                )

    async def _claim(self, profile_id: int, status: str) -> bool:
        now = self._clock()
        async with self._db.transaction() as session:
            result = await session.execute(
                update(Profile)
                .where(
                    Profile.id == profile_id,
                    Profile.status == status,
                    or_(Profile.next_sync_at.is_(None), Profile.next_sync_at <= now),
                    or_(Profile.lease_expires_at.is_(None), Profile.lease_expires_at < now),
                )
                .values(lease_owner=self.owner, lease_expires_at=now + self._lease)
            )
            return result.rowcount == 1

    async def _finish(self, profile_id: int, result: SyncReport | None, *, probe: bool) -> None:
        """When the profile is due again: after the interval; no sooner than a wait the
        provider asked for; a day on for an invalid one (its next daily check); at once for one
        its check just restored."""
        now = self._clock()
        spread = timedelta(seconds=self.interval * self._jitter * self._rng.random())
        due: datetime | None = now + timedelta(seconds=self.interval) + spread
        outcome = result.outcome if result is not None else None
        if outcome == "restored":
            due = None
        elif probe or outcome == "invalid":
            due = now + PROBE_EVERY + spread
        elif result is not None and result.retry_at is not None and due is not None:
            due = max(due, result.retry_at + spread)
        async with self._db.transaction() as session:
            await session.execute(
                update(Profile)
                .where(Profile.id == profile_id, Profile.lease_owner == self.owner)
                .values(lease_owner=None, lease_expires_at=None, next_sync_at=due)
            )
