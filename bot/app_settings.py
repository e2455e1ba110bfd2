"""Settings changed from Slack at run time (e.g. the alert channel), stored so every replica
sees the same value."""

from __future__ import annotations

import re

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot import audit
from bot.audit import Change, Target
from bot.clock import Clock
from bot.errors import InvalidInput
from bot.permissions import Actor, Permission
from storage.db import Database
from storage.models import AppSetting

ALERT_CHANNEL = "alert_channel"
DELIVERY_PROBLEMS = "alert_delivery_problems"
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,20}$")


class AppSettings:
    def __init__(self, db: Database, clock: Clock, default_alert_channel: str | None) -> None:
        self._db = db
        self._clock = clock
        self._default_alert_channel = default_alert_channel

    async def alert_channel(self) -> str | None:
        """The stored choice wins over ADOPS_ALERT_CHANNEL, including an explicit "off"."""
        async with self._db.reader() as session:
            row = await session.get(AppSetting, ALERT_CHANNEL)
        if row is None:
            return self._default_alert_channel
        return row.value.get("channel")

    async def set_alert_channel(self, actor: Actor, channel_id: str | None) -> None:
        actor.require(Permission.MANAGE)
        if channel_id is not None and not _CHANNEL_ID.match(channel_id):
            raise InvalidInput("Name a channel, e.g. `#ad-ops`.")
        now = self._clock()
        before = {"channel": await self.alert_channel()}
        async with self._db.transaction() as session:
            row = await session.get(AppSetting, ALERT_CHANNEL)
            if row is None:
                session.add(
                    AppSetting(
                        key=ALERT_CHANNEL,
                        value={"channel": channel_id},
                        updated_at=now,
                        updated_by=actor.id,
                    )
                )
            else:
                row.value = {"channel": channel_id}
                row.updated_at = now
                row.updated_by = actor.id
            problems = await session.get(AppSetting, DELIVERY_PROBLEMS)
            if problems is not None:
                await session.delete(problems)  # a new choice: tell the admins afresh if it fails
            target = Target("setting", ALERT_CHANNEL, "alert channel")
            await audit.record(
                session,
                actor,
                [Change("setting.alert_channel", target, before, {"channel": channel_id})],
                at=now,
            )

    async def chosen_by(self) -> str | None:
        """Who chose the alert channel last: told about its problems when no admin is named."""
        async with self._db.reader() as session:
            row = await session.get(AppSetting, ALERT_CHANNEL)
        return row.updated_by if row is not None else None

    async def told(self, key: str, reason: str) -> bool:
        """Whether the admins were already told about this delivery problem (say `channel:C1`
        with `is_archived`), so they hear of it once, not at every alert."""
        async with self._db.reader() as session:
            row = await session.get(AppSetting, DELIVERY_PROBLEMS)
        return row is not None and row.value.get(key) == reason

    async def note_told(self, key: str, reason: str) -> None:
        now = self._clock()
        insert = sqlite_insert if self._db.is_sqlite else pg_insert
        async with self._db.transaction() as session:
            row = await session.get(AppSetting, DELIVERY_PROBLEMS)
            value = {**(row.value if row is not None else {}), key: reason}
            await session.execute(
                insert(AppSetting)
                .values(key=DELIVERY_PROBLEMS, value=value, updated_at=now)
                .on_conflict_do_update(
                    index_elements=["key"], set_={"value": value, "updated_at": now}
                )
            )
