"""Settings changed from Slack at run time (e.g. the alert channel), stored so every replica
sees the same value."""

from __future__ import annotations

import re

from bot import audit
from bot.audit import Change, Target
from bot.clock import Clock
from bot.errors import InvalidInput
from bot.permissions import Actor, Permission
from storage.db import Database
from storage.models import AppSetting

ALERT_CHANNEL = "alert_channel"
CHANNEL_PROBLEM = "alert_channel_problem"
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
            problem = await session.get(AppSetting, CHANNEL_PROBLEM)
            if problem is not None:
                await session.delete(problem)  # a new choice: tell the admins afresh if it fails
            target = Target("setting", ALERT_CHANNEL, "alert channel")
            await audit.record(
                session,
                actor,
                [Change("setting.alert_channel", target, before, {"channel": channel_id})],
                at=now,
            )

    async def note_channel_problem(self, channel: str, reason: str) -> bool:
        """Remember that alerts cannot reach `channel`; True the first time for this channel
        and reason, so the admins are told once, not at every alert."""
        now = self._clock()
        value = {"channel": channel, "reason": reason}
        async with self._db.transaction() as session:
            row = await session.get(AppSetting, CHANNEL_PROBLEM)
            if row is not None and row.value == value:
                return False
            if row is None:
                session.add(AppSetting(key=CHANNEL_PROBLEM, value=value, updated_at=now))
            else:
                row.value = value
                row.updated_at = now
        return True
