"""What runs before an ack does not queue behind work done after other acks."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from sqlalchemy import text

from handlers.ids import Options
from tests.factories import make_accounts, make_profile
from tests.harness import BotUnderTest

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
