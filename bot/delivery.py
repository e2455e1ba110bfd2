"""Delivering alerts: the alert rows are the outbox, and each part of an alert is sent on its own.

An alert has up to four parts: the channel post, the DM to whoever connected the profile, the
reminders in the channel thread, and the "resolved" update of both messages. Each part is sent
and recorded on its own, so one that fails (a DM to a deactivated user, a channel the bot was
removed from) never holds back the others. A failure the chat platform says is final (the
channel is gone, archived or closed to the bot; the user is disabled) is recorded and not retried,
and the admins are told once what to fix; any other failure is retried with a back-off, and the
parts already sent are not sent again.

Every alert is claimed with a short database lease before it is worked on, so two replicas never
send the same part at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import and_, or_, select, update

from bot.app_settings import AppSettings
from bot.clock import Clock
from storage.db import Database
from storage.models import Alert, AlertStatus

if TYPE_CHECKING:
    from bot.alerts import AlertPolicy, AlertView

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """The chat platform did not take the message. `permanent` when it says trying again cannot
    help (the channel or user is gone or closed to the bot); otherwise try again later."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class Undeliverable:
    """Alerts cannot reach a channel (`channel`) or a person (`user`, about `alert`), for a
    reason trying again cannot change."""

    reason: str
    channel: str | None = None
    user: str | None = None
    alert: AlertView | None = None

    @property
    def key(self) -> str:
        return f"channel:{self.channel}" if self.channel else f"dm:{self.user}"


class Notifier(Protocol):
    async def post(self, channel: str, alert: AlertView) -> str: ...
    async def reminder(self, channel: str, thread_ts: str, alert: AlertView) -> None: ...
    async def update(self, channel: str, ts: str, alert: AlertView) -> None: ...
    async def direct(self, user_id: str, alert: AlertView) -> tuple[str, str]: ...
    async def undeliverable(self, user_id: str, problem: Undeliverable) -> None: ...


@dataclass
class DeliveryReport:
    posted: int = 0
    direct: int = 0
    reminders: int = 0
    resolved: int = 0
    failed: int = 0
    undeliverable: int = 0
    errors: list[str] = field(default_factory=list)


class Outbox:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: AppSettings,
        policy: AlertPolicy,
        view: Callable[[int], Awaitable[AlertView]],
        *,
        owner: str,
        admins: Callable[[], Awaitable[list[str]]],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings
        self._policy = policy
        self._view = view
        self._owner = owner
        self._admins = admins
        self._sleep = sleep
        self._monotonic = monotonic
        self._last_post: dict[str, float] = {}

    async def deliver(self, notifier: Notifier) -> DeliveryReport:
        report = DeliveryReport()
        now = self._clock()
        async with self._db.reader() as session:
            pending = (
                await session.scalars(
                    select(Alert.id)
                    .where(
                        or_(Alert.next_attempt_at.is_(None), Alert.next_attempt_at <= now),
                        or_(
                            and_(Alert.channel.is_not(None), Alert.delivered_at.is_(None)),
                            and_(Alert.dm_user.is_not(None), Alert.dm_delivered_at.is_(None)),
                            and_(
                                Alert.status == AlertStatus.OPEN,
                                Alert.ts.is_not(None),
                                Alert.next_reminder_at <= now,
                            ),
                            and_(
                                Alert.status == AlertStatus.RESOLVED,
                                Alert.resolution_delivered_at.is_(None),
                                or_(Alert.ts.is_not(None), Alert.dm_ts.is_not(None)),
                            ),
                        ),
                    )
                    .order_by(Alert.id)
                )
            ).all()
        for alert_id in pending:
            if not await self._claim(alert_id):
                continue
            try:
                retry = await _Delivery(self, alert_id, notifier, report).run()
            except Exception:
                log.exception("alert %s could not be delivered", alert_id)
                retry = True
            if retry:
                report.failed += 1
                await self._failed(alert_id)
            else:
                await self._done(alert_id)
        return report

    # ---------------------------------------------------------------- helpers

    async def pace(self, channel: str) -> None:
        """Slack takes about one message per second per channel; wait rather than be refused."""
        last = self._last_post.get(channel)
        if last is not None:
            wait = self._policy.channel_gap - (self._monotonic() - last)
            if wait > 0:
                await self._sleep(wait)
        self._last_post[channel] = self._monotonic()

    async def store(self, alert_id: int, values: dict[str, object]) -> None:
        if not values:
            return
        async with self._db.transaction() as session:
            await session.execute(update(Alert).where(Alert.id == alert_id).values(**values))

    async def load(self, alert_id: int) -> Alert:
        async with self._db.reader() as session:
            alert = await session.get(Alert, alert_id)
        assert alert is not None
        return alert

    async def channel_unusable(self, notifier: Notifier, channel: str, reason: str) -> None:
        await self.tell_admins(notifier, Undeliverable(reason, channel=channel))

    async def dm_unusable(
        self, notifier: Notifier, user: str, alert: AlertView, reason: str
    ) -> None:
        await self.tell_admins(notifier, Undeliverable(reason, user=user, alert=alert))

    async def tell_admins(self, notifier: Notifier, problem: Undeliverable) -> None:
        """Tell the admins (or, with none named, whoever chose the alert channel) once about a
        problem only they can fix. It counts as told once one of them got the message; until
        then each alert tries again."""
        if await self._settings.told(problem.key, problem.reason):
            return
        recipients = await self._admins() or [u for u in [await self._settings.chosen_by()] if u]
        reached = False
        for user_id in recipients:
            try:
                await notifier.undeliverable(user_id, problem)
                reached = True
            except DeliveryFailed as exc:
                log.warning("could not tell an admin about a delivery problem: %s", exc)
        if reached:
            await self._settings.note_told(problem.key, problem.reason)
        else:
            log.warning("nobody could be told that alerts are undeliverable (%s)", problem.key)

    async def _claim(self, alert_id: int) -> bool:
        now = self._clock()
        async with self._db.transaction() as session:
            result = await session.execute(
                update(Alert)
                .where(
                    Alert.id == alert_id,
                    or_(Alert.claimed_until.is_(None), Alert.claimed_until < now),
                )
                .values(claimed_by=self._owner, claimed_until=now + self._policy.claim_for)
            )
            return bool(result.rowcount == 1)

    async def _done(self, alert_id: int) -> None:
        await self.store(
            alert_id,
            {"claimed_by": None, "claimed_until": None, "attempts": 0, "next_attempt_at": None},
        )

    async def _failed(self, alert_id: int) -> None:
        now = self._clock()
        async with self._db.transaction() as session:
            alert = await session.get(Alert, alert_id)
            if alert is None:
                return
            alert.attempts += 1
            alert.next_attempt_at = now + self._policy.retry_after(alert.attempts)
            alert.claimed_by = None
            alert.claimed_until = None


class _Delivery:
    """One alert's pending parts, each sent and recorded on its own. `run` says whether any part
    must be tried again."""

    def __init__(
        self, outbox: Outbox, alert_id: int, notifier: Notifier, report: DeliveryReport
    ) -> None:
        self.outbox = outbox
        self.alert_id = alert_id
        self.notifier = notifier
        self.report = report
        self.retry = False

    async def run(self) -> bool:
        view = await self.outbox._view(self.alert_id)
        now = self.outbox._clock()
        for part in (self.channel_post, self.direct, self.reminder, self.resolution):
            await part(view, await self.outbox.load(self.alert_id), now)
        return self.retry

    async def _attempt(self, send: Callable[[], Awaitable[object]]) -> DeliveryFailed | None:
        """Send one part. A final failure is returned for the part to record; any other makes
        the alert due again later."""
        try:
            await send()
        except DeliveryFailed as exc:
            self.report.errors.append(exc.reason)
            if exc.permanent:
                self.report.undeliverable += 1
                log.warning("alert %s: a part cannot be delivered: %s", self.alert_id, exc)
                return exc
            self.retry = True
            raise _Later() from exc
        return None

    async def channel_post(self, view: AlertView, alert: Alert, now: datetime) -> None:
        if not alert.channel or alert.delivered_at is not None:
            return
        if view.status == AlertStatus.RESOLVED:
            await self.outbox.store(
                self.alert_id, {"delivered_at": now, "resolution_delivered_at": now}
            )
            return
        channel = alert.channel
        posted: dict[str, str] = {}

        async def send() -> None:
            await self.outbox.pace(channel)
            posted["ts"] = await self.notifier.post(channel, view)

        try:
            final = await self._attempt(send)
        except _Later:
            return
        if final is not None:
            await self.outbox.store(self.alert_id, {"delivered_at": now})
            await self.outbox.channel_unusable(self.notifier, channel, final.reason)
            return
        await self.outbox.store(self.alert_id, {"ts": posted["ts"], "delivered_at": now})
        self.report.posted += 1

    async def direct(self, view: AlertView, alert: Alert, now: datetime) -> None:
        if not alert.dm_user or alert.dm_delivered_at is not None:
            return
        if view.status != AlertStatus.OPEN:
            await self.outbox.store(self.alert_id, {"dm_delivered_at": now})
            return
        user = alert.dm_user
        sent: dict[str, tuple[str, str]] = {}

        async def send() -> None:
            sent["dm"] = await self.notifier.direct(user, view)

        try:
            final = await self._attempt(send)
        except _Later:
            return
        changes: dict[str, object] = {"dm_delivered_at": now}
        if final is None:
            changes |= {"dm_channel": sent["dm"][0], "dm_ts": sent["dm"][1]}
            self.report.direct += 1
        await self.outbox.store(self.alert_id, changes)
        if final is not None:
            await self.outbox.dm_unusable(self.notifier, user, view, final.reason)

    async def reminder(self, view: AlertView, alert: Alert, now: datetime) -> None:
        if not (
            alert.status == AlertStatus.OPEN
            and alert.ts
            and alert.channel
            and alert.next_reminder_at is not None
            and alert.next_reminder_at <= now
        ):
            return
        channel, thread = alert.channel, alert.ts

        async def send() -> None:
            await self.outbox.pace(channel)
            await self.notifier.reminder(channel, thread, view)

        try:
            final = await self._attempt(send)
        except _Later:
            return
        if final is not None:  # the channel no longer takes posts: no more reminders there
            await self.outbox.store(self.alert_id, {"next_reminder_at": None})
            await self.outbox.channel_unusable(self.notifier, channel, final.reason)
            return
        sent = alert.reminders_sent + 1
        await self.outbox.store(
            self.alert_id,
            {
                "reminders_sent": sent,
                "next_reminder_at": now + self.outbox._policy.reminder_after(sent),
            },
        )
        self.report.reminders += 1

    async def resolution(self, view: AlertView, alert: Alert, now: datetime) -> None:
        if alert.status != AlertStatus.RESOLVED or alert.resolution_delivered_at is not None:
            return
        notifier = self.notifier
        for channel, ts in ((alert.channel, alert.ts), (alert.dm_channel, alert.dm_ts)):
            if not (channel and ts):
                continue
            try:
                await self._attempt(lambda c=channel, t=ts: notifier.update(c, t, view))
            except _Later:
                return
        await self.outbox.store(self.alert_id, {"resolution_delivered_at": now})
        self.report.resolved += 1


class _Later(Exception):
    """A part failed for now; the other parts go on and the alert is due again later."""
