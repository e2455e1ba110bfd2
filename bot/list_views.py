"""The lists people were shown, remembered under short keys.

A click in an ephemeral message brings back none of that message (Slack sends no `message` for
ephemerals), and a menu option's value holds 150 characters, too few for a filter of tags, a
profile and a search. So the filter of each list shown is stored under a key derived from it,
and the list's buttons carry only the key. The same list always gets the same key, so showing
it again writes nothing new.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.clock import Clock
from storage.db import Database
from storage.work_models import ListView

KEY_LENGTH = 16
KEEP_FOR = timedelta(days=1)


def key_of(state: dict[str, Any]) -> str:
    canonical = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:KEY_LENGTH]


class ListViews:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def remember(self, state: dict[str, Any]) -> str:
        key = key_of(state)
        now = self._clock()
        insert = sqlite_insert if self._db.is_sqlite else pg_insert
        async with self._db.transaction() as session:
            await session.execute(
                insert(ListView)
                .values(key=key, state=state, used_at=now)
                .on_conflict_do_update(index_elements=["key"], set_={"used_at": now})
            )
        return key

    async def recall(self, key: str) -> dict[str, Any] | None:
        """The state shown under `key`, or None once it has been purged (or never was)."""
        if len(key) != KEY_LENGTH:
            return None
        async with self._db.transaction() as session:
            state = await session.scalar(select(ListView.state).where(ListView.key == key))
            if state is not None:
                await session.execute(
                    update(ListView).where(ListView.key == key).values(used_at=self._clock())
                )
        return state if isinstance(state, dict) else None

    async def purge(self) -> int:
        cutoff = self._clock() - KEEP_FOR
        async with self._db.transaction() as session:
            result = await session.execute(delete(ListView).where(ListView.used_at < cutoff))
            return result.rowcount or 0
