"""Syncs people ask for, handed from the web process to the scheduler through the database.

The web process answers Slack at once and writes a request; the scheduler process, which does
every sync, claims it within about a second (woken by PostgreSQL's NOTIFY, or by polling
SQLite), syncs under the profile's lease like its own cycle does, reconciles the alerts, and
answers whoever asked. Requests of one batch (`/adops sync` of every profile) are answered
together, once the last of them is done.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, or_, select, text, update

from bot.clock import Clock
from bot.permissions import Actor, Permission
from bot.sync import SyncReport
from storage.db import Database
from storage.secrets import Secret
from storage.work_models import SyncRequest

CHANNEL = "adops_sync_requests"
"""The PostgreSQL NOTIFY channel the scheduler listens on."""
PURPOSES = ("command", "button", "connect", "reauth")
"""Why a sync was asked for, which says how it is answered: a command's reply is replaced by the
outcome; a button's message stays and the outcome comes beside it; a connection's by DM."""
KEEP_FOR = timedelta(days=1)


@dataclass(frozen=True)
class Claimed:
    id: int
    batch: str
    profile_id: int
    purpose: str
    requested_by: str
    requested_label: str
    reply_url: str | None


@dataclass(frozen=True)
class Answered:
    """A batch whose every request is done: what to tell whoever asked."""

    purpose: str
    requested_by: str
    reply_url: str | None
    reports: tuple[SyncReport, ...]


class Reporter(Protocol):
    """How the scheduler answers whoever asked (in Slack: their response_url, or a DM)."""

    async def answer(self, answered: Answered) -> None: ...


class SyncRequests:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def request(
        self,
        actor: Actor,
        profile_ids: Sequence[int],
        *,
        purpose: str = "command",
        reply_url: str | None = None,
    ) -> str:
        """Ask the scheduler to sync these profiles now; returns the batch they form."""
        actor.require(Permission.MANAGE)
        if purpose not in PURPOSES:
            raise ValueError(f"unknown sync purpose {purpose!r}")
        batch = str(uuid.uuid4())
        now = self._clock()
        async with self._db.transaction() as session:
            session.add_all(
                SyncRequest(
                    batch=batch,
                    profile_id=profile_id,
                    purpose=purpose,
                    requested_by=actor.id[:32],
                    requested_label=actor.label[:200],
                    reply_url=Secret(reply_url) if reply_url else None,
                    created_at=now,
                )
                for profile_id in profile_ids
            )
            if not self._db.is_sqlite:
                await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
        return batch

    async def claim(self, owner: str, *, hold: timedelta, limit: int = 8) -> list[Claimed]:
        """The oldest open requests, each claimed with one conditional UPDATE, so two
        schedulers never take the same one; a claim that lapses (its scheduler died) is taken
        over."""
        now = self._clock()
        async with self._db.reader() as session:
            candidates = (
                await session.scalars(
                    select(SyncRequest.id)
                    .where(
                        SyncRequest.done_at.is_(None),
                        or_(SyncRequest.claimed_until.is_(None), SyncRequest.claimed_until < now),
                    )
                    .order_by(SyncRequest.created_at, SyncRequest.id)
                    .limit(limit)
                )
            ).all()
        claimed: list[Claimed] = []
        for request_id in candidates:
            async with self._db.transaction() as session:
                taken = await session.execute(
                    update(SyncRequest)
                    .where(
                        SyncRequest.id == request_id,
                        SyncRequest.done_at.is_(None),
                        or_(SyncRequest.claimed_until.is_(None), SyncRequest.claimed_until < now),
                    )
                    .values(claimed_by=owner, claimed_until=now + hold)
                )
                if taken.rowcount != 1:
                    continue
                row = await session.get(SyncRequest, request_id)
                assert row is not None
                claimed.append(
                    Claimed(
                        row.id,
                        row.batch,
                        row.profile_id,
                        row.purpose,
                        row.requested_by,
                        row.requested_label,
                        row.reply_url.reveal() if row.reply_url else None,
                    )
                )
        return claimed

    async def release(self, request_id: int) -> None:
        """Give a claimed request back (its profile is being synced by someone else right now):
        the next poll takes it again."""
        async with self._db.transaction() as session:
            await session.execute(
                update(SyncRequest)
                .where(SyncRequest.id == request_id)
                .values(claimed_by=None, claimed_until=None)
            )

    async def release_all(self, owner: str) -> None:
        """Give back every claim of `owner` not done yet (it died while serving them)."""
        async with self._db.transaction() as session:
            await session.execute(
                update(SyncRequest)
                .where(SyncRequest.claimed_by == owner, SyncRequest.done_at.is_(None))
                .values(claimed_by=None, claimed_until=None)
            )

    async def finish(self, request_id: int, report: SyncReport | None) -> Answered | None:
        """Record one request's outcome; when it was its batch's last, what to answer."""
        now = self._clock()
        async with self._db.transaction() as session:
            row = await session.get(SyncRequest, request_id)
            if row is None:  # its profile was removed meanwhile
                return None
            row.done_at = now
            row.result = _stored(report) if report is not None else None
            await session.flush()
            batch = (
                await session.scalars(select(SyncRequest).where(SyncRequest.batch == row.batch))
            ).all()
            if any(r.done_at is None for r in batch):
                return None
            reports = tuple(_loaded(r.result) for r in batch if r.result is not None)
            first = batch[0]
            return Answered(
                first.purpose,
                first.requested_by,
                first.reply_url.reveal() if first.reply_url else None,
                reports,
            )

    async def pending(self) -> int:
        """How many requests are not done yet (claimed or not)."""
        async with self._db.reader() as session:
            count = await session.scalar(
                select(func.count()).select_from(SyncRequest).where(SyncRequest.done_at.is_(None))
            )
        return int(count or 0)

    async def purge(self) -> int:
        cutoff = self._clock() - KEEP_FOR
        async with self._db.transaction() as session:
            result = await session.execute(
                delete(SyncRequest).where(SyncRequest.created_at < cutoff)
            )
            return result.rowcount or 0


def _stored(report: SyncReport) -> dict[str, Any]:
    data = asdict(report)
    data["retry_at"] = report.retry_at.isoformat() if report.retry_at else None
    return data


def _loaded(data: dict[str, Any]) -> SyncReport:
    fields = dict(data)
    for key in ("new", "lost"):
        fields[key] = tuple(fields.get(key) or ())
    if fields.get("retry_at"):
        fields["retry_at"] = datetime.fromisoformat(fields["retry_at"])
    return SyncReport(**fields)
