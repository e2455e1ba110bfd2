"""What runs before an ack does not queue behind work done after other acks."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.core import Core
from bot.runtime import awaiting_ack
from handlers.ids import Options
from tests.factories import make_accounts, make_profile
from tests.harness import BotUnderTest
from tests.support import ADMIN

MAIN_POOL = 5 + 10  # SQLAlchemy's default pool_size + max_overflow, which the read engine keeps


async def test_option_loads_answer_while_other_work_holds_every_read_connection(
    bot: BotUnderTest, clock
):
    db = bot.runtime.core.db
    profile = await make_profile(db, clock(), name="Main")
    await make_accounts(db, clock(), 3, profile_id=profile)
    async with AsyncExitStack() as held:
        for _ in range(MAIN_POOL):
            session = await held.enter_async_context(db.reader())
            await session.execute(text("SELECT 1"))  # a session takes its connection lazily
        reply = await asyncio.wait_for(bot.suggest(Options.ACCOUNTS, ""), 10)
        assert reply.status == 200
        assert len(reply.json["options"]) == 3


async def test_typeahead_before_an_ack_sees_each_commit_and_cannot_write(core: Core, clock):
    """On SQLite these reads run inline on a connection of their own (storage.db)."""
    db = core.db
    awaiting_ack(True)
    assert await core.accounts.options(ADMIN, "") == []
    profile = await make_profile(db, clock(), name="Main")
    keep, gone = await make_accounts(db, clock(), 2, profile_id=profile)
    assert [o.id for o in await core.accounts.options(ADMIN, "")] == [keep, gone]
    (await core.bulk.set_archived(ADMIN, [gone], True)).single()
    assert [o.id for o in await core.accounts.options(ADMIN, "")] == [keep]
    assert [o.id for o in await core.accounts.options(ADMIN, "", include_archived=True)] == [
        keep,
        gone,
    ]
    if db.inline_engine is not None:
        with db.inline_engine.connect() as connection, pytest.raises(OperationalError):
            connection.execute(text("DELETE FROM ad_accounts"))
    awaiting_ack(False)
    assert len(await core.accounts.options(ADMIN, "", include_archived=True)) == 2
