"""The audit trail: every change, who made it, from what to what. Rows are written by the
services inside the transaction of the change itself, so a change without its audit row (or the
reverse) cannot exist."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.errors import InvalidInput
from bot.permissions import Actor, Permission
from bot.text import row_id
from storage.db import Database
from storage.models import AuditEvent, Profile, Tracker

SECRET_CHANGED = "updated"  # noqa: S105 - the audit placeholder that stands for a secret


@dataclass(frozen=True)
class Target:
    type: str
    id: str
    label: str


@dataclass(frozen=True)
class Change:
    action: str
    target: Target
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor_id: str
    actor_label: str
    action: str
    target_type: str
    target_id: str
    target_label: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    source: str
    bulk_id: str | None
    id: int = 0


@dataclass(frozen=True)
class AuditPage:
    """One page of the trail, newest first, with the names of the profiles and trackers its
    entries refer to by id (as they are called now), so that it can be shown by name."""

    entries: list[AuditEntry]
    more: bool
    profiles: dict[int, str] = field(default_factory=dict)
    trackers: dict[int, str] = field(default_factory=dict)

    @property
    def next_before(self) -> int | None:
        """The cursor for the next (older) page: entries before the last one shown."""
        return self.entries[-1].id if self.more and self.entries else None


def new_bulk_id() -> str:
    return str(uuid.uuid4())


async def record(
    session: AsyncSession,
    actor: Actor,
    changes: Sequence[Change],
    *,
    at: datetime,
    bulk_id: str | None = None,
) -> None:
    if not changes:
        return
    await session.execute(
        insert(AuditEvent),
        [
            {
                "at": at,
                "actor_id": actor.id[:32],
                "actor_label": actor.label[:200],
                "action": change.action,
                "target_type": change.target.type,
                "target_id": change.target.id[:64],
                "target_label": change.target.label[:300],
                "before": change.before,
                "after": change.after,
                "source": actor.source.value,
                "bulk_id": bulk_id,
            }
            for change in changes
        ],
    )


class AuditLog:
    """Reading the trail back, for `/adops audit`."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def page(
        self,
        actor: Actor,
        *,
        targets: Sequence[tuple[str, str]] = (),
        bulk_id: str | None = None,
        before_id: int | None = None,
        limit: int = 20,
    ) -> AuditPage:
        """Newest first; with `targets`, only entries about those (type, id) pairs; with
        `bulk_id`, only that bulk operation's; with `before_id`, only older entries than that."""
        actor.require(Permission.VIEW)
        limit = max(1, min(limit, 200))
        query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit + 1)
        if targets:
            query = query.where(
                or_(
                    *(
                        (AuditEvent.target_type == kind) & (AuditEvent.target_id == ident)
                        for kind, ident in targets
                    )
                )
            )
        if bulk_id is not None:
            query = query.where(AuditEvent.bulk_id == bulk_id)
        if before_id is not None:
            query = query.where(AuditEvent.id < before_id)
        async with self._db.reader() as session:
            rows = (await session.scalars(query)).all()
            entries = [_entry(row) for row in rows[:limit]]
            profiles, trackers = await _names(session, entries)
        return AuditPage(entries, len(rows) > limit, profiles, trackers)

    async def resolve_bulk(self, actor: Actor, ref: str) -> str | None:
        """The bulk operation a typed id names: the 8-character prefix results show, or the
        whole id. None when no bulk operation has it."""
        actor.require(Permission.VIEW)
        ref = ref.strip().lower()
        if not _BULK_REF.fullmatch(ref):
            return None
        async with self._db.reader() as session:
            found = (
                await session.scalars(
                    select(AuditEvent.bulk_id)
                    .where(AuditEvent.bulk_id.startswith(ref, autoescape=True))
                    .distinct()
                    .limit(2)
                )
            ).all()
        if len(found) > 1:
            raise InvalidInput(f"{ref!r} starts several bulk operations' ids; give more of it.")
        return found[0] if found else None


_BULK_REF = re.compile(r"[0-9a-f]{8}(?:[0-9a-f-]{1,28})?")


def _entry(row: AuditEvent) -> AuditEntry:
    return AuditEntry(
        at=row.at,
        actor_id=row.actor_id,
        actor_label=row.actor_label,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        target_label=row.target_label,
        before=row.before,
        after=row.after,
        source=row.source,
        bulk_id=row.bulk_id,
        id=row.id,
    )


async def _names(
    session: AsyncSession, entries: Sequence[AuditEntry]
) -> tuple[dict[int, str], dict[int, str]]:
    """Current names of the profiles and trackers the entries name by id: in their values
    (`profile_id`, `tracker_id`) or as their target."""
    wanted: dict[str, set[int]] = {"profile": set(), "tracker": set()}
    for entry in entries:
        if entry.target_type in wanted and (number := row_id(entry.target_id)) is not None:
            wanted[entry.target_type].add(number)
        for values in (entry.before or {}, entry.after or {}):
            for kind, ids in wanted.items():
                value = values.get(f"{kind}_id")
                if isinstance(value, int) and not isinstance(value, bool):
                    ids.add(value)
    profiles = dict(
        (
            await session.execute(
                select(Profile.id, Profile.name).where(Profile.id.in_(wanted["profile"]))
            )
        ).all()
    )
    trackers = dict(
        (
            await session.execute(
                select(Tracker.id, Tracker.name).where(Tracker.id.in_(wanted["tracker"]))
            )
        ).all()
    )
    return profiles, trackers
