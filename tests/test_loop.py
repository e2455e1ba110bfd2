"""The background loop against the fake TikTok and fake Slack, on a clock the test moves:
alerts, reminders, resolution, backup moves, new accounts, replicas, and faults."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select

from bot.scheduler import Scheduler
from bot.services import Services
from fakes import slack_payloads as p
from fakes.tiktok import FakeTikTok
from handlers.ids import Action
from handlers.notifiers import SlackNotifier
from storage.models import AdAccount, OAuthState, Profile
from storage.work_models import ListView
from tests.harness import BotUnderTest
from tests.support import ADMIN, ManualClock

CYCLE = {"minutes": 17}  # the 15-minute interval plus its jitter


async def connect(
    bot: BotUnderTest, fake: FakeTikTok, login: str = "alice", name: str = "Alice"
) -> tuple[int, str]:
    token = fake.issue_token(login)
    card = await bot.services.profiles.create(
        ADMIN, "tiktok", name=name, secret=token, connected_by="UADMIN1"
    )
    return card.id, token


def posts(bot: BotUnderTest, channel: str, *, threaded: bool | None = None) -> list[dict]:
    found = [c.args for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == channel]
    if threaded is not None:
        found = [a for a in found if bool(a.get("thread_ts")) == threaded]
    return found


async def test_revoked_token_alerts_once_reminds_and_resolves(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    profile_id, token = await connect(bot, fake_tiktok)
    scheduler = bot.scheduler
    report = await scheduler.run_cycle()
    assert [r.outcome for r in report.synced] == ["ok"]

    fake_tiktok.revoke(token)
    for _ in range(3):
        clock.advance(**CYCLE)
        await scheduler.run_cycle()
    (alert,) = posts(bot, "C0ALERTS", threaded=False)
    assert (
        "Alice" in alert["text"] and "40105" in str(alert["blocks"]) and "3" in str(alert["blocks"])
    )
    (dm,) = posts(bot, "DADMIN1")
    assert "Alice" in dm["text"]
    assert posts(bot, "C0ALERTS", threaded=True) == []

    clock.advance(minutes=30)  # more than an hour since the alert was raised
    await scheduler.run_cycle()
    (reminder,) = posts(bot, "C0ALERTS", threaded=True)
    alert_ts = next(
        ts
        for (channel, ts), m in bot.slack.messages.items()
        if channel == "C0ALERTS" and not m["thread_ts"]
    )
    assert reminder["thread_ts"] == alert_ts
    clock.advance(minutes=30)
    await scheduler.run_cycle()
    assert len(posts(bot, "C0ALERTS", threaded=True)) == 1  # next one only 4 h later

    new_token = fake_tiktok.issue_token("alice")
    await bot.services.profiles.update_credentials(
        ADMIN, profile_id, provider="tiktok", secret=new_token
    )
    await scheduler.settle_alerts()
    updates = bot.slack.calls_to("chat.update")
    assert {u.args["channel"] for u in updates} == {"C0ALERTS", "DADMIN1"}
    assert all(
        "Resolved" in u.args["text"] and "Ada Admin" in str(u.args["blocks"]) for u in updates
    )
    stored = bot.slack.messages[("C0ALERTS", updates[0].args["ts"])]
    assert "Resolved" in stored["text"]


async def test_new_grants_appear_after_one_cycle_and_off_or_archived_are_not_asked_about(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok
):
    await connect(bot, fake_tiktok)
    await bot.scheduler.run_cycle()
    core = bot.services
    async with core.db.reader() as session:
        first, second, _third = (
            await session.scalars(select(AdAccount.id).order_by(AdAccount.id))
        ).all()
    await core.bulk.set_enabled(ADMIN, [first], False)
    await core.bulk.set_archived(ADMIN, [second], True)
    fake_tiktok.grant("alice", name="Brand new")
    asked_before = len(fake_tiktok.detail_requests())
    clock.advance(**CYCLE)
    await bot.scheduler.run_cycle()
    asked = fake_tiktok.detail_requests()[asked_before:]
    off_id, archived_id = (
        (await core.accounts.get(ADMIN, first)).external_id,
        (await core.accounts.get(ADMIN, second)).external_id,
    )
    assert off_id not in asked and archived_id not in asked
    new = (await core.accounts.options(ADMIN, "brand new"))[0]
    row = await core.accounts.get(ADMIN, new.id)
    assert {(t.name, t.auto) for t in row.tags} == {("Europe/Berlin", True), ("EUR", True)}
    assert row.profile_name == "Alice"


async def test_backup_move_from_the_alert_button(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    fake_tiktok.add_login("bob")
    for ident in fake_tiktok.logins["alice"].advertisers[:2]:
        fake_tiktok.grant("bob", ident)
    alice_id, alice_token = await connect(bot, fake_tiktok)
    # Alice is synced first, so the accounts both reach use her (in one cycle, whichever
    # profile's claim lands first would take them).
    await bot.services.sync.sync_profile(ADMIN, alice_id)
    bob_id, _ = await connect(bot, fake_tiktok, "bob", "Bob")
    await bot.scheduler.run_cycle()
    fake_tiktok.revoke(alice_token)
    clock.advance(**CYCLE)
    await bot.scheduler.run_cycle()
    (alert,) = posts(bot, "C0ALERTS", threaded=False)
    move = next(
        e
        for b in alert["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.ALERT_MOVE
    )
    assert move["text"]["text"] == "Move 2 accounts to Bob"
    reply, url = await bot.click(
        p.button(Action.ALERT_MOVE, move["value"]), message=alert, channel="C0ALERTS"
    )
    assert reply.status == 200
    (result,) = await bot.responses_to(url)
    assert "Moved 2 account(s)" in result["text"] and "1 could not move" in result["text"]
    assert (await bot.services.profiles.get(ADMIN, bob_id)).accounts_using == 2
    assert (await bot.services.profiles.get(ADMIN, alice_id)).accounts_using == 1


async def test_two_replicas_sync_each_profile_once_per_cycle_and_alert_once(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    tokens = {}
    for n in range(4):
        login = f"login{n}"
        fake_tiktok.add_login(login, 2)
        profile_id, tokens[profile_id] = await connect(bot, fake_tiktok, login, f"P{n}")
    replica_b = Services(
        bot.services.db, clock=clock, providers=bot.services.providers, owner="replica-b"
    )
    other = Scheduler(replica_b, SlackNotifier(bot.web.client), interval=bot.scheduler.interval)

    per_cycle = []
    for cycle in range(3):
        before = len(fake_tiktok.calls("oauth2/advertiser/get/"))
        if cycle == 1:
            fake_tiktok.revoke(next(iter(tokens.values())))
        await asyncio.gather(bot.scheduler.run_cycle(), other.run_cycle())
        calls = fake_tiktok.calls("oauth2/advertiser/get/")[before:]
        per_cycle.append(Counter(c.headers.get("Access-Token") for c in calls))
        clock.advance(**CYCLE)
    assert all(set(counts.values()) == {1} for counts in per_cycle)
    assert [len(c) for c in per_cycle] == [4, 4, 3]  # the revoked profile is not synced again
    assert len(posts(bot, "C0ALERTS", threaded=False)) == 1


async def test_slack_outage_delays_the_alert_but_delivers_it_once(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    _, token = await connect(bot, fake_tiktok)
    await bot.scheduler.run_cycle()
    fake_tiktok.revoke(token)
    bot.slack.fail_next("chat.postMessage", status=503, count=6, retry_after=0)
    clock.advance(**CYCLE)
    await bot.scheduler.run_cycle()
    assert [
        c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == "C0ALERTS"
    ]  # tried
    for _ in range(6):
        clock.advance(minutes=5)
        await bot.scheduler.settle_alerts()
    delivered = [m for (channel, _), m in bot.slack.messages.items() if channel == "C0ALERTS"]
    assert len(delivered) == 1 and "Alice" in delivered[0]["text"]
    async with bot.services.db.reader() as session:
        assert (await session.scalars(select(Profile.status))).all() == ["invalid"]


async def test_spent_links_and_old_lists_are_purged_by_the_loop(bot: BotUnderTest, clock):
    """Without it, every list shown and every sign-in link would stay in the database."""
    core = bot.services
    await bot.command("accounts")
    await bot.command("connect tiktok")
    await bot.settle()
    async with core.db.reader() as session:
        assert (await session.scalars(select(ListView))).all()
        assert (await session.scalars(select(OAuthState))).all()
    clock.advance(days=2)
    await bot.scheduler.run_cycle()
    async with core.db.reader() as session:
        assert (await session.scalars(select(ListView))).all() == []
        assert (await session.scalars(select(OAuthState))).all() == []
