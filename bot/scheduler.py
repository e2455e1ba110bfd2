"""The scheduler process's work: sync every active profile once per interval, look at each
invalid profile once a day (a misread reply must not leave one broken for good), do every sync a
person asks for (`bot.sync_requests`), and settle alerts after each.

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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.delivery import Notifier
from bot.errors import NotFound
from bot.permissions import Actor, Role, Source, system_actor
from bot.services import Services
from bot.sync import SyncReport
from bot.sync_requests import Answered, Claimed, Reporter
from storage.models import Profile, ProfileStatus
from storage.work_models import Heartbeat

log = logging.getLogger(__name__)
PROBE_EVERY = timedelta(days=1)
CHORES_EVERY = timedelta(hours=1)
HEARTBEAT_EVERY = 10.0
KEEP_BEATS = timedelta(days=1)


@dataclass
class CycleReport:
    synced: list[SyncReport] = field(default_factory=list)
    probed: list[SyncReport] = field(default_factory=list)
    skipped_claimed: int = 0


class Scheduler:
    def __init__(
        self,
        services: Services,
        notifier: Notifier | None,
        *,
        interval: float,
        reporter: Reporter | None = None,
        concurrency: int = 4,
        lease: timedelta = timedelta(minutes=5),
        jitter: float = 0.1,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._db = services.db
        self._clock = services.clock
        self._sync = services.sync
        self._alerts = services.alerts
        self._requests = services.sync_requests
        self._notifier = notifier
        self._reporter = reporter
        self.interval = interval
        self.concurrency = max(1, concurrency)
        self._lease = lease
        self._jitter = jitter
        self.owner = services.owner
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - spreading load, not security
        self._actor = system_actor(Source.LOOP, "sync loop")
        self._chores = (
            services.tickets.purge,
            services.list_views.purge,
            services.sync_requests.purge,
            self._forget_heartbeats,
        )
        self._chores_due: datetime | None = None
        self.wake = asyncio.Event()
        """Set when a sync was asked for (PostgreSQL's NOTIFY), so it is picked up at once."""
        self.serving = 0
        """Batches of requests being served right now, answers included."""

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

    async def recover(self) -> None:
        """Take back what this owner held when it died: a scheduler restarted under the same
        owner (as `adops-bot run` restarts its child) would otherwise wait for its own old
        leases and claims to lapse, leaving those profiles and the people who asked unserved."""
        async with self._db.transaction() as session:
            await session.execute(
                update(Profile)
                .where(Profile.lease_owner == self.owner)
                .values(lease_owner=None, lease_expires_at=None)
            )
        await self._requests.release_all(self.owner)

    async def beat(self, stop: asyncio.Event) -> None:
        """The heartbeat the web process's `/health` reads: written on its own, so a long sync
        does not look like a dead scheduler, while a frozen process does."""
        while not stop.is_set():
            try:
                await self._heartbeat()
            except Exception:
                log.exception("could not write the scheduler's heartbeat")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=HEARTBEAT_EVERY)

    async def serve_requests(self, stop: asyncio.Event, *, poll: float = 1.0) -> None:
        """Do the syncs people ask for, within `poll` seconds of the ask (at once when woken)."""
        while not stop.is_set():
            try:
                served = await self.serve_pending()
            except Exception:
                log.exception("serving sync requests failed; trying again")
                served = 0
            if served:
                continue
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(stop, self.wake), timeout=poll)

    async def serve_pending(self) -> int:
        """Claim the open requests, sync each profile under its lease, settle the alerts, and
        answer each batch that is complete. Returns how many requests were served."""
        claimed = await self._requests.claim(self.owner, hold=self._lease)
        if not claimed:
            return 0
        self.serving += 1
        try:
            await self._serve(claimed)
        finally:
            self.serving -= 1
        return len(claimed)

    async def _serve(self, claimed: list[Claimed]) -> None:
        gate = asyncio.Semaphore(self.concurrency)
        answered = await asyncio.gather(*(self._requested(c, gate) for c in claimed))
        await self.settle_alerts()
        for batch in answered:
            if batch is not None and self._reporter is not None:
                try:
                    await self._reporter.answer(batch)
                except Exception:
                    log.exception("could not answer a sync request")

    async def _requested(self, request: Claimed, gate: asyncio.Semaphore) -> Answered | None:
        async with gate:
            if not await self._claim(request.profile_id, None):
                await self._requests.release(request.id)  # the loop is syncing it right now
                return None
            actor = Actor(request.requested_by, request.requested_label, Role.ADMIN, Source.COMMAND)
            result: SyncReport | None = None
            try:
                result = await self._sync_leased(request.profile_id, actor)
            except NotFound:
                pass  # removed since it was asked for
            except Exception:
                log.exception("a requested sync of profile %s failed", request.profile_id)
            finally:
                await self._finish(request.profile_id, result, probe=False)
            return await self._requests.finish(request.id, result)

    async def _heartbeat(self) -> None:
        now = self._clock()
        insert = sqlite_insert if self._db.is_sqlite else pg_insert
        async with self._db.transaction() as session:
            await session.execute(
                insert(Heartbeat)
                .values(owner=self.owner, role="scheduler", at=now)
                .on_conflict_do_update(index_elements=["role", "owner"], set_={"at": now})
            )

    async def _forget_heartbeats(self) -> None:
        """Each process start writes a heartbeat row of its own; those of long-gone ones go."""
        cutoff = self._clock() - KEEP_BEATS
        async with self._db.transaction() as session:
            await session.execute(delete(Heartbeat).where(Heartbeat.at < cutoff))

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

    async def _sync_leased(self, profile_id: int, actor: Actor | None = None) -> SyncReport:
        """Keep the lease alive while a long sync runs, so no other replica takes over."""
        renewing = asyncio.create_task(self._keep_lease(profile_id))
        try:
            return await self._sync.sync_profile(actor or self._actor, profile_id)
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

    async def _claim(self, profile_id: int, status: str | None) -> bool:
        """Lease a profile that is due and of `status`; with `status=None`, one a person asked to
        sync, due or not, whatever its status (the sync says what it found)."""
        now = self._clock()
        due = (
            [
                Profile.status == status,
                or_(Profile.next_sync_at.is_(None), Profile.next_sync_at <= now),
            ]
            if status is not None
            else []
        )
        async with self._db.transaction() as session:
            result = await session.execute(
                update(Profile)
                .where(
                    Profile.id == profile_id,
                    *due,
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


async def _first(*events: asyncio.Event) -> None:
    """Until any of the events is set."""
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
