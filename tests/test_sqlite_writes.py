"""SQLite takes one writer at a time; a burst of writes must be worked through, not dropped."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from sqlalchemy import insert, select

from storage.db import Database
from storage.models import Tag
from storage.secrets import Keyring
from tests.support import ManualClock

WRITERS = 15
HOLD_S = 0.03  # each writer keeps the write lock this long: longer in all than the busy timeout


async def test_a_burst_of_writers_is_served_first_come_first_served(
    sqlite_template: Path, tmp_path: Path, keyring: Keyring
):
    target = tmp_path / "adops.db"
    shutil.copy(sqlite_template, target)
    db = Database(f"sqlite+aiosqlite:///{target}", keyring, busy_timeout_ms=100)
    now = ManualClock()()
    got_the_lock: list[int] = []

    async def write(n: int) -> None:
        async with db.transaction() as session:
            tag = {"name": f"t{n}", "name_key": f"t{n}", "created_at": now}
            await session.execute(insert(Tag).values(**tag))
            got_the_lock.append(n)
            await asyncio.sleep(HOLD_S)  # other tasks run meanwhile and ask to write too

    try:
        results = await asyncio.gather(
            *(asyncio.create_task(write(n)) for n in range(WRITERS)), return_exceptions=True
        )
        assert [r for r in results if r is not None] == []
        assert got_the_lock == list(range(WRITERS))
        async with db.reader() as session:
            names = set((await session.scalars(select(Tag.name))).all())
        assert names == {f"t{n}" for n in range(WRITERS)}
    finally:
        await db.dispose()
