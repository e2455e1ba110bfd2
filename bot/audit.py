"""The audit trail: every change, who made it, from what to what. Rows are written by the
services inside the transaction of the change itself, so a change without its audit row (or the
reverse) cannot exist."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.permissions import Actor, Permission
from storage.db import Database
from storage.models import AuditEvent

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

    async def entries(
        self,
        actor: Actor,
        *,
        targets: Sequence[tuple[str, str]] = (),
        limit: int = 20,
        before_id: int | None = None,
    ) -> list[AuditEntry]:
        """Newest first; with `targets`, only entries about those (type, id) pairs."""
        actor.require(Permission.VIEW)
        query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(min(limit, 200))
        if targets:
            query = query.where(
                or_(
                    *(
                        (AuditEvent.target_type == kind) & (AuditEvent.target_id == ident)
                        for kind, ident in targets
                    )
                )
            )
        if before_id is not None:
            query = query.where(AuditEvent.id < before_id)
        async with self._db.reader() as session:
            rows = (await session.scalars(query)).all()
        return [
            AuditEntry(
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
            )
            for row in rows
        ]
