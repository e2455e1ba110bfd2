"""Alert lifecycle through the core's Notifier seam: one alert per episode, DM to whoever
connected the profile, reminders on a capped back-off, resolution updates, outbox retries, and
replicas that never double-send."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.alerts import AlertKind, Alerts, AlertView
from bot.delivery import DeliveryFailed, Undeliverable
from bot.permissions import Source, system_actor
from bot.services import Services
from tests.factories import make_accounts
from tests.support import ADMIN, ManualClock

LOOP = system_actor(Source.LOOP)


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, AlertView]] = []
        self.fail_next = 0
        self._ts = 0

    def _maybe_fail(self) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise DeliveryFailed("slack: ratelimited")

    async def post(self, channel: str, alert: AlertView) -> str:
        self._maybe_fail()
        self._ts += 1
        self.sent.append(("post", channel, alert))
        return f"1700000000.{self._ts:06d}"

    async def reminder(self, channel: str, thread_ts: str, alert: AlertView) -> None:
        self._maybe_fail()
        self.sent.append(("reminder", f"{channel}/{thread_ts}", alert))

    async def update(self, channel: str, ts: str, alert: AlertView) -> None:
        self._maybe_fail()
        self.sent.append(("update", f"{channel}/{ts}", alert))

    async def direct(self, user_id: str, alert: AlertView) -> tuple[str, str]:
        self._maybe_fail()
        self.sent.append(("direct", user_id, alert))
        return f"D{user_id}", "1700000001.000001"

    async def undeliverable(self, user_id: str, problem: Undeliverable) -> None:
        self._maybe_fail()
        self.sent.append(("undeliverable", user_id, problem))  # type: ignore[arg-type]

    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.sent]


async def no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


def alerts_for(core: Services, clock: ManualClock, owner: str = "r1") -> Alerts:
    return Alerts(
        core.db, clock, core.settings, core.catalog, core.bulk, owner=owner, sleep=no_sleep
    )


@pytest.fixture
async def broken(core: Services, clock: ManualClock) -> dict:
    await core.settings.set_alert_channel(ADMIN, "C0ALERTS")
    main = await core.profiles.create(
        ADMIN, "tiktok", name="Main", secret="tok-main-123456", connected_by="UCONNECTOR"
    )
    backup = await core.profiles.create(ADMIN, "tiktok", name="Backup", secret="tok-bak-123456")
    reachable = await make_accounts(
        core.db, clock(), 3, profile_id=main.id, reachable_by=(backup.id,)
    )
    stranded = await make_accounts(core.db, clock(), 1, profile_id=main.id, start=10)
    await core.bulk.set_enabled(ADMIN, [reachable[2]], False)
    await core.profiles.mark_invalid(LOOP, main.id, "token revoked (40105)")
    return {"main": main.id, "backup": backup.id, "reachable": reachable, "stranded": stranded}


async def test_one_alert_and_one_dm_per_episode(core, clock, broken):
    alerts, notifier = alerts_for(core, clock), RecordingNotifier()
    for _ in range(3):
        await alerts.reconcile()
        await alerts.deliver(notifier)
    assert notifier.kinds() == ["post", "direct"]
    _, channel, view = notifier.sent[0]
    assert channel == "C0ALERTS" and notifier.sent[1][1] == "UCONNECTOR"
    assert (view.kind, view.profile_name, view.reason) == (
        AlertKind.INVALID,
        "Main",
        "token revoked (40105)",
    )
    assert view.accounts_affected == 3  # ON accounts only
    assert view.backup is not None and (view.backup.name, view.backup.movable) == ("Backup", 3)


async def test_reminders_back_off_and_fix_updates_the_original(core, clock, broken):
    alerts, notifier = alerts_for(core, clock), RecordingNotifier()
    await alerts.reconcile()
    await alerts.deliver(notifier)
    schedule = []
    for minutes in (30, 31, 60, 120, 240, 60 * 20, 60 * 4, 60 * 24):
        clock.advance(minutes=minutes)
        await alerts.reconcile()
        await alerts.deliver(notifier)
        schedule.append(notifier.kinds().count("reminder"))
    # due at +1 h, then +4 h after that, then daily
    assert schedule == [0, 1, 1, 1, 2, 2, 3, 4]
    assert all(
        target.endswith("/1700000000.000001") for k, target, _ in notifier.sent if k == "reminder"
    )

    await core.profiles.update_credentials(
        ADMIN, broken["main"], provider="tiktok", secret="tok-new-1234567"
    )
    await alerts.reconcile()
    await alerts.deliver(notifier)
    updates = [(target, view) for kind, target, view in notifier.sent if kind == "update"]
    assert [t for t, _ in updates] == [
        "C0ALERTS/1700000000.000001",
        "DUCONNECTOR/1700000001.000001",
    ]
    assert updates[0][1].status == "resolved" and updates[0][1].resolved_by == ADMIN.label
    clock.advance(days=3)
    await alerts.reconcile()
    await alerts.deliver(notifier)
    assert notifier.kinds().count("reminder") == 4 and notifier.kinds().count("update") == 2


async def test_slack_failures_delay_but_never_lose_or_duplicate(core, clock, broken):
    alerts, notifier = alerts_for(core, clock), RecordingNotifier()
    notifier.fail_next = 2
    await alerts.reconcile()
    report = await alerts.deliver(notifier)
    assert report.failed == 1 and notifier.sent == []
    await alerts.deliver(notifier)
    assert notifier.sent == []  # backing off, not hammering
    clock.advance(seconds=31)
    await alerts.deliver(notifier)  # second failure
    clock.advance(seconds=61)
    await alerts.deliver(notifier)
    clock.advance(seconds=61)
    await alerts.deliver(notifier)
    assert notifier.kinds() == ["post", "direct"]


async def test_two_replicas_deliver_each_alert_once(core, clock, broken):
    first, second = alerts_for(core, clock, "r1"), alerts_for(core, clock, "r2")
    notifier = RecordingNotifier()
    await asyncio.gather(first.reconcile(), second.reconcile())
    await asyncio.gather(first.deliver(notifier), second.deliver(notifier))
    assert sorted(notifier.kinds()) == ["direct", "post"]


async def test_backup_move_moves_what_it_can_and_reports_the_rest(core, clock, broken):
    alerts, notifier = alerts_for(core, clock), RecordingNotifier()
    await alerts.reconcile()
    await alerts.deliver(notifier)
    alert_id = notifier.sent[0][2].id
    result = await alerts.move_to_backup(ADMIN, alert_id, broken["backup"])
    assert sorted(i.account_id for i in result.done) == sorted(broken["reachable"])
    assert [(i.account_id, i.reason) for i in result.skipped] == [
        (broken["stranded"][0], "Backup has no access to this account")
    ]
    assert result.bulk_id is not None


async def test_expiry_warnings_come_before_the_deadline(core, clock):
    await core.settings.set_alert_channel(ADMIN, "C0ALERTS")
    card = await core.profiles.create(
        ADMIN, "mediago", name="MG", key="k", secret="s-1", expires_at=clock() + timedelta(days=10)
    )
    alerts, notifier = alerts_for(core, clock), RecordingNotifier()
    await alerts.reconcile()
    await alerts.deliver(notifier)
    assert notifier.sent == []
    clock.advance(days=3, hours=1)
    await alerts.reconcile()
    await alerts.deliver(notifier)
    clock.advance(days=6)
    await alerts.reconcile()
    await alerts.deliver(notifier)
    assert [(k, v.kind) for k, _, v in notifier.sent] == [
        ("post", AlertKind.EXPIRY),
        ("update", AlertKind.EXPIRY),
        ("post", AlertKind.EXPIRY),
    ]
    assert card.id == notifier.sent[0][2].profile_id


async def test_transient_errors_warn_once_after_the_threshold(core, clock):
    await core.settings.set_alert_channel(ADMIN, "C0ALERTS")
    card = await core.profiles.create(ADMIN, "tiktok", name="Flaky", secret="tok-123456789")
    from storage.models import Profile

    async with core.db.transaction() as session:
        profile = await session.get(Profile, card.id)
        profile.transient_error_since = clock()
        profile.last_sync_error = "TikTok unavailable (50002)"
    alerts, notifier = alerts_for(core, clock), RecordingNotifier()
    await alerts.reconcile()
    await alerts.deliver(notifier)
    assert notifier.sent == []
    for _ in range(3):
        clock.advance(hours=1)
        await alerts.reconcile()
        await alerts.deliver(notifier)
    assert [(k, v.kind) for k, _, v in notifier.sent] == [("post", AlertKind.TRANSIENT)]
