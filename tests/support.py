"""Small test helpers: a controllable clock and ready-made actors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.permissions import Actor, Role, Source


class ManualClock:
    """A clock the test moves by hand; passed to the core as its `clock` dependency."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


ADMIN = Actor(id="UADMIN1", label="Ada Admin", role=Role.ADMIN, source=Source.COMMAND)
MEMBER = Actor(id="UMEMBER1", label="Mo Member", role=Role.MEMBER, source=Source.COMMAND)
GUEST = Actor(id="UGUEST1", label="Gus Guest", role=Role.GUEST, source=Source.COMMAND)
