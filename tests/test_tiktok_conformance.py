"""Issue 14, TikTok: each documented reply, through the real scheduler and sync engine against
the fake TikTok, does to profiles, accounts and alerts what the README says it does."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.errors import Conflict
from fakes.tiktok import FakeTikTok
from fakes.tiktok_replies import app_limit, error_envelope, gateway_timeout, without_list
from storage.models import AdAccount, Alert, AuditEvent, Profile, ProfileAccess
from tests.harness import BotUnderTest
from tests.support import ADMIN, ManualClock

CYCLE = {"minutes": 17}
GET = "oauth2/advertiser/get/"
INFO = "advertiser/info/"


async def connect(
    bot: BotUnderTest, fake: FakeTikTok, login: str = "alice", name: str = "Alice"
) -> tuple[int, str]:
    token = fake.issue_token(login)
    card = await bot.services.profiles.create(
        ADMIN, "tiktok", name=name, secret=token, connected_by="UADMIN1"
    )
    return card.id, token


async def scalar(bot: BotUnderTest, query):  # type: ignore[no-untyped-def]
    async with bot.services.db.reader() as session:
        return await session.scalar(query)


async def lost_rows(bot: BotUnderTest) -> int:
    return await scalar(
        bot,
        select(func.count()).select_from(ProfileAccess).where(ProfileAccess.lost_at.is_not(None)),
    )


async def actions(bot: BotUnderTest, action: str) -> int:
    return await scalar(
        bot, select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


async def profile(bot: BotUnderTest, profile_id: int) -> Profile:
    async with bot.services.db.reader() as session:
        return await session.get(Profile, profile_id)


def channel_posts(bot: BotUnderTest) -> list[dict]:
    return [
        c.args
        for c in bot.slack.calls_to("chat.postMessage")
        if c.args["channel"] == "C0ALERTS" and not c.args.get("thread_ts")
    ]


async def test_a_missing_permission_never_flags_accounts_nor_writes_audit_rows(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    profile_id, _ = await connect(bot, fake_tiktok)
    await bot.scheduler.run_cycle()
    denied = fake_tiktok.logins["alice"].advertisers[1]
    fake_tiktok.deny_permission(denied)
    reports = []
    for _ in range(3):
        clock.advance(**CYCLE)
        reports += (await bot.scheduler.run_cycle()).synced
    assert await lost_rows(bot) == 0 and await actions(bot, "account.access_lost") == 0
    assert [(r.outcome, r.unrefreshed, r.lost) for r in reports] == [("ok", 1, ())] * 3
    assert (
        await scalar(
            bot,
            select(func.count())
            .select_from(AdAccount)
            .where(AdAccount.access_lost_at.is_not(None)),
        )
        == 0
    )
    note = (await profile(bot, profile_id)).last_sync_error or ""
    assert "does not grant you" in note and re.search(r"request_id \w+", note)


async def test_the_apps_own_credentials_refused_raise_one_app_alert_and_leave_profiles_alone(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    fake_tiktok.add_login("bob", 2)
    await connect(bot, fake_tiktok)
    await connect(bot, fake_tiktok, "bob", "Bob")
    await bot.scheduler.run_cycle()
    configured = fake_tiktok.app_secret
    fake_tiktok.app_secret = "rotated-at-tiktok-0042"  # the bot still sends the old one: 40101
    for _ in range(3):
        clock.advance(**CYCLE)
        report = await bot.scheduler.run_cycle()
        assert {r.outcome for r in report.synced} == {"app"}
    async with bot.services.db.reader() as session:
        assert set((await session.scalars(select(Profile.status))).all()) == {"active"}
        alerts = (await session.scalars(select(Alert))).all()
    assert [(a.kind, a.profile_id, a.subject) for a in alerts] == [("app", None, "app:tiktok")]
    (post,) = channel_posts(bot)
    assert "TIKTOK_APP_SECRET" in str(post["blocks"]) and "40101" in str(post["blocks"])
    assert configured not in str(post) and "rotated-at-tiktok" not in str(post)
    assert bot.slack.calls_to("conversations.open") == []  # nobody's profile broke

    fake_tiktok.app_secret = configured
    clock.advance(**CYCLE)
    await bot.scheduler.run_cycle()
    (update,) = bot.slack.calls_to("chat.update")
    assert "Resolved" in update.args["text"] and "accepted the bot's app again" in str(update.args)

    fake_tiktok.blocked = True  # 40113
    clock.advance(**CYCLE)
    await bot.scheduler.run_cycle()
    assert len(channel_posts(bot)) == 2 and "TIKTOK_APP_ID" in str(channel_posts(bot)[-1])


async def test_per_batch_refusals_fail_that_advertiser_only(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    profile_id, _ = await connect(bot, fake_tiktok)
    await bot.services.sync.sync_profile(ADMIN, profile_id)
    first, second, third = fake_tiktok.logins["alice"].advertisers
    fake_tiktok.refuse(
        second, 40119, "Developer and advertisers do not belong to the same company."
    )
    fake_tiktok.refuse(third, 40106, f"The core user is invalid for advertiser {third}.")
    fake_tiktok.advertisers[first].name = "Renamed at TikTok"
    report = await bot.services.sync.sync_profile(ADMIN, profile_id)
    names = dict(await scalar_all(bot, select(AdAccount.external_id, AdAccount.name)))
    assert names[first] == "Renamed at TikTok"
    assert (await profile(bot, profile_id)).status == "active" and await lost_rows(bot) == 0
    assert (report.outcome, report.unrefreshed, report.lost) == ("ok", 2, ())
    fake_tiktok.allow(second)
    fake_tiktok.allow(third)
    fake_tiktok.fail_next(INFO, error_envelope(40002, "Time format should be %Y-%m-%d"))
    report = await bot.services.sync.sync_profile(ADMIN, profile_id)
    assert (report.outcome, report.unrefreshed) == ("ok", 3)
    assert (await profile(bot, profile_id)).status == "active" and await lost_rows(bot) == 0


async def scalar_all(bot: BotUnderTest, query):  # type: ignore[no-untyped-def]
    async with bot.services.db.reader() as session:
        return (await session.execute(query)).all()


async def test_a_per_minute_limit_is_waited_out_for_five_minutes_by_every_profile(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    fake_tiktok.add_login("bob", 2)
    alice, _ = await connect(bot, fake_tiktok)
    bob, _ = await connect(bot, fake_tiktok, "bob", "Bob")
    await bot.scheduler.run_cycle()
    fake_tiktok.fail_next(GET, app_limit("QPM", fake_tiktok.app_id))
    clock.advance(**CYCLE)
    report = await bot.scheduler.run_cycle()
    (limited,) = [r for r in report.synced if r.error and "QPM" in r.error]  # not retried
    assert limited.outcome == "transient" and limited.retry_at == clock() + timedelta(minutes=5)
    for pid in (alice, bob):
        row = await profile(bot, pid)
        assert row.status == "active" and row.transient_error_since is None
    asked = len(fake_tiktok.calls(GET))
    clock.advance(minutes=4)
    for pid in (alice, bob):  # "Sync now" inside the wait asks TikTok nothing
        assert (await bot.services.sync.sync_profile(ADMIN, pid)).outcome == "transient"
    assert len(fake_tiktok.calls(GET)) == asked
    clock.advance(minutes=2)
    assert (await bot.services.sync.sync_profile(ADMIN, alice)).outcome == "ok"


async def test_a_daily_limit_is_waited_out_until_midnight_utc_with_one_alert(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    profile_id, _ = await connect(bot, fake_tiktok)
    await bot.scheduler.run_cycle()
    fake_tiktok.fail_next(GET, app_limit("QPD", fake_tiktok.app_id))
    clock.advance(**CYCLE)
    await bot.scheduler.run_cycle()
    midnight = datetime(2026, 11, 2, tzinfo=UTC)
    row = await profile(bot, profile_id)
    assert row.status == "active" and row.next_sync_at >= midnight
    for _ in range(3):
        clock.advance(hours=2)
        await bot.scheduler.run_cycle()
    (post,) = channel_posts(bot)
    assert "daily limit" in str(post) and "00:00 UTC" in str(post)
    clock.now = midnight + timedelta(minutes=30)
    report = await bot.scheduler.run_cycle()
    assert [r.outcome for r in report.synced] == ["ok"]
    (update,) = bot.slack.calls_to("chat.update")
    assert "Resolved" in update.args["text"]


@pytest.mark.parametrize("shape", ["null", "not_list", "no_data"])
async def test_a_reply_without_a_usable_list_flags_nothing(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok, shape: str
):
    profile_id, _ = await connect(bot, fake_tiktok)
    await bot.services.sync.sync_profile(ADMIN, profile_id)
    fake_tiktok.fail_next(GET, without_list(shape), 3)
    report = await bot.services.sync.sync_profile(ADMIN, profile_id)
    assert report.outcome == "transient" and "no list" in (report.error or "")
    assert await lost_rows(bot) == 0


async def test_request_ids_are_logged_and_shown_to_the_admin_but_never_the_token(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok, caplog
):
    caplog.set_level(logging.DEBUG, logger="providers.tiktok")
    _, token = await connect(bot, fake_tiktok)
    fake_tiktok.fail_next(GET, error_envelope(50002, "Error processing request"), 3)
    _, url = await bot.command("sync alice")
    answer = str((await bot.responses_to(url, 2))[-1])
    shown = re.search(r"request_id (\w+)", answer)
    assert shown and shown.group(1) in caplog.text
    await bot.command("sync alice")
    logged = re.findall(r"request_id (\w+)", caplog.text)
    assert len(logged) >= 5  # three refused, the advertiser list and its details
    assert token not in caplog.text and fake_tiktok.app_secret not in caplog.text


async def test_removing_a_profile_revokes_its_token_and_refuses_when_it_cannot(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    fake_tiktok.add_login("nobody")
    profile_id, token = await connect(bot, fake_tiktok, "nobody", "Empty")
    fake_tiktok.fail_next("oauth2/revoke_token/", gateway_timeout(), 3)
    with pytest.raises(Conflict, match="nothing was removed"):
        await bot.services.profiles.remove(ADMIN, profile_id)
    assert token in fake_tiktok.tokens and (await profile(bot, profile_id)) is not None
    await bot.services.profiles.remove(ADMIN, profile_id)
    assert token not in fake_tiktok.tokens
    (call,) = [c for c in fake_tiktok.calls("oauth2/revoke_token/") if c.body][-1:]
    assert call.body == {
        "app_id": fake_tiktok.app_id,
        "secret": fake_tiktok.app_secret,
        "access_token": token,
    }
    async with bot.services.db.reader() as session:
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "profile.remove")
        )
    assert event.after == {"token": "revoked"} and token not in repr(event.before)


async def test_a_sandbox_app_is_told_plainly_once(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    profile_id, _ = await connect(bot, fake_tiktok)
    fake_tiktok.sandbox = True
    for _ in range(2):
        report = await bot.scheduler.run_cycle()
        clock.advance(**CYCLE)
    assert [r.outcome for r in report.synced] == ["app"]
    assert (await profile(bot, profile_id)).status == "active"
    (post,) = channel_posts(bot)
    assert "sandbox" in str(post) and "TIKTOK_API_URL" in str(post)


async def test_provider_text_is_capped_and_stripped_before_it_is_stored_or_posted(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    profile_id, token = await connect(bot, fake_tiktok)
    leak = f"Access token {token} is revoked; secret={fake_tiktok.app_secret} " + "x " * 2000
    fake_tiktok.fail_next(GET, error_envelope(40105, leak))
    await bot.scheduler.run_cycle()
    row = await profile(bot, profile_id)
    assert row.status == "invalid" and len(row.status_reason) <= 500
    assert "[redacted]" in row.status_reason
    posted = str(bot.slack.calls)
    for text in (row.status_reason, posted, row.last_sync_error or ""):
        assert token not in text and fake_tiktok.app_secret not in text
