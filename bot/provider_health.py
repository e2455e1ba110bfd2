"""What is wrong with a provider as a whole rather than with one profile: the bot's own app
refused (a wrong TIKTOK_APP_SECRET, a blocked app, a sandbox URL), or the app's daily request
quota used up. Such a problem is stored once per provider, so every replica and the alerts see
it, and one alert is raised for it however many profiles ran into it; the profiles themselves
are left alone, since re-authenticating them cannot help.

Waits a provider asks for (a per-minute or per-day limit) are kept here too, in memory: the
rest of the cycle does not call a provider that has just said to wait.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from providers.base import safe_text
from storage.db import Database
from storage.models import AppSetting

log = logging.getLogger(__name__)
_PREFIX = "provider_problem:"


class ProblemKind:
    APP = "app"  # the provider refuses the bot's app: an operator must change a setting
    QUOTA = "quota"  # the app's daily limit is used up: it lifts by itself


@dataclass(frozen=True)
class ProviderProblem:
    provider: str
    kind: str
    reason: str
    since: datetime
    setting: str | None


class ProviderHealth:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._paused: dict[str, datetime] = {}

    def paused_until(self, provider: str) -> datetime | None:
        until = self._paused.get(provider)
        return until if until is not None and until > self._clock() else None

    def pause(self, provider: str, until: datetime) -> None:
        self._paused[provider] = max(until, self._paused.get(provider, until))

    async def report(
        self, provider: str, kind: str, reason: str, *, setting: str | None = None
    ) -> None:
        """Record the problem; a problem of the same kind already recorded keeps its start."""
        now = self._clock()
        key = _PREFIX + provider
        value = {"kind": kind, "reason": safe_text(reason, 500), "setting": setting}
        async with self._db.transaction() as session:
            row = await session.get(AppSetting, key)
            if row is None:
                log.error("%s: %s", provider, value["reason"])
                session.add(
                    AppSetting(
                        key=key,
                        value={**value, "since": now.isoformat()},
                        updated_at=now,
                        updated_by="system",
                    )
                )
            elif row.value.get("kind") != kind or row.value.get("reason") != value["reason"]:
                since = row.value.get("since") if row.value.get("kind") == kind else None
                row.value = {**value, "since": since or now.isoformat()}
                row.updated_at = now

    @staticmethod
    async def clear(session: AsyncSession, provider: str) -> None:
        """The provider just answered a profile's call: whatever was wrong with it is over."""
        row = await session.get(AppSetting, _PREFIX + provider)
        if row is not None:
            await session.delete(row)

    @staticmethod
    async def problems(session: AsyncSession) -> list[ProviderProblem]:
        rows = (
            await session.scalars(select(AppSetting).where(AppSetting.key.startswith(_PREFIX)))
        ).all()
        return [
            ProviderProblem(
                provider=row.key.removeprefix(_PREFIX),
                kind=str(row.value.get("kind")),
                reason=str(row.value.get("reason")),
                since=datetime.fromisoformat(str(row.value.get("since"))),
                setting=row.value.get("setting"),
            )
            for row in rows
        ]
