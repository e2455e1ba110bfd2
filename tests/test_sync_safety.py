"""Issue 14's safety nets, through the real scheduler against the fake TikTok: one listing never
takes away most of a profile's accounts, and an invalid profile is looked at again daily."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from fakes.tiktok import FakeTikTok
from fakes.tiktok_replies import error_envelope
from storage.models import AdAccount, AuditEvent, Profile, ProfileAccess
from tests.harness import BotUnderTest
from tests.support import ADMIN, ManualClock
from tests.test_tiktok_conformance import channel_posts, connect

CYCLE = {"minutes": 17}
GET = "oauth2/advertiser/get/"


async def flagged(bot: BotUnderTest) -> set[str]:
    async with bot.services.db.reader() as session:
        return set(
            (
                await session.scalars(
                    select(AdAccount.external_id).where(AdAccount.access_lost_at.is_not(None))
                )
            ).all()
        )


async def reachable(bot: BotUnderTest, profile_id: int) -> int:
    async with bot.services.db.reader() as session:
        return await session.scalar(
            select(func.count())
            .select_from(ProfileAccess)
            .where(ProfileAccess.profile_id == profile_id, ProfileAccess.lost_at.is_(None))
        )


async def test_one_listing_never_takes_away_most_of_a_profiles_accounts(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    fake_tiktok.grant("alice")
    profile_id, _ = await connect(bot, fake_tiktok)
    await bot.scheduler.run_cycle()
    _kept, *others = fake_tiktok.logins["alice"].advertisers
    for ident in others:
        fake_tiktok.ungrant("alice", ident)  # one reply leaves out three accounts of four

    clock.advance(**CYCLE)
    (report,) = (await bot.scheduler.run_cycle()).synced
    assert await flagged(bot) == set() and await reachable(bot, profile_id) == 4
    assert (report.held, report.lost) == (3, ())
    card = await bot.services.profiles.get(ADMIN, profile_id)
    assert "3 of 4 accounts were missing from TikTok's answer" in (card.last_sync_error or "")
    assert "until the next sync confirms it" in card.last_sync_error

    for ident in others[:1]:
        fake_tiktok.grant("alice", ident)  # the next reply brings one back and agrees on two
    clock.advance(**CYCLE)
    (report,) = (await bot.scheduler.run_cycle()).synced
    assert (len(report.lost), report.held) == (2, 0)
    assert await flagged(bot) == set(others[1:]) and await reachable(bot, profile_id) == 2
    async with bot.services.db.reader() as session:
        audits = (
            await session.scalars(
                select(AuditEvent.target_label).where(AuditEvent.action == "account.access_lost")
            )
        ).all()
    assert len(audits) == 2
    assert (await bot.services.profiles.get(ADMIN, profile_id)).last_sync_error is None


async def test_a_fluke_that_drops_most_accounts_flags_nothing(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    profile_id, _ = await connect(bot, fake_tiktok)
    await bot.scheduler.run_cycle()
    kept = fake_tiktok.logins["alice"].advertisers[:]
    fake_tiktok.logins["alice"].advertisers = []  # a reply that reaches nothing
    clock.advance(**CYCLE)
    await bot.scheduler.run_cycle()
    assert await flagged(bot) == set() and await reachable(bot, profile_id) == 3
    fake_tiktok.logins["alice"].advertisers = kept
    for _ in range(2):
        clock.advance(**CYCLE)
        await bot.scheduler.run_cycle()
    assert await flagged(bot) == set() and await reachable(bot, profile_id) == 3
    async with bot.services.db.reader() as session:
        assert not await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.like("account.%"))
            .where(AuditEvent.action != "account.discovered")
        )


async def test_an_invalid_profile_is_probed_daily_and_restored_with_its_alert_resolved(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    profile_id, token = await connect(bot, fake_tiktok)
    await bot.scheduler.run_cycle()
    # One misread reply (a revocation TikTok took back) makes the profile invalid.
    fake_tiktok.fail_next(GET, error_envelope(40105, "Access token is incorrect"))
    clock.advance(**CYCLE)
    await bot.scheduler.run_cycle()
    assert len(channel_posts(bot)) == 1

    def asked() -> int:
        return sum(1 for c in fake_tiktok.calls(GET) if c.headers.get("Access-Token") == token)

    before = asked()
    for _ in range(4):
        clock.advance(hours=5)
        await bot.scheduler.run_cycle()
        assert asked() == before  # not before a day has passed

    clock.advance(hours=5)
    report = await bot.scheduler.run_cycle()
    async with bot.services.db.reader() as session:
        row = await session.get(Profile, profile_id)
    assert row.status == "active" and row.status_reason is None
    assert [r.outcome for r in report.probed] == ["restored"]
    assert [r.outcome for r in report.synced] == ["ok"]  # synced again in the same cycle
    assert asked() == before + 2  # the probe, then the sync
    updates = bot.slack.calls_to("chat.update")
    assert {u.args["channel"] for u in updates} == {"C0ALERTS", "DADMIN1"}  # post and DM
    for update in updates:
        assert "Resolved" in update.args["text"]
        assert "accepted the credentials again at the daily check" in str(update.args["blocks"])


async def test_a_profile_still_refused_is_probed_again_a_day_later_only(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    profile_id, token = await connect(bot, fake_tiktok)
    await bot.scheduler.run_cycle()
    fake_tiktok.revoke(token)
    clock.advance(**CYCLE)
    await bot.scheduler.run_cycle()
    asked = len(fake_tiktok.calls(GET))
    for _ in range(12):
        clock.advance(hours=6)
        await bot.scheduler.run_cycle()
    assert len(fake_tiktok.calls(GET)) == asked + 2  # one look a day, three days: two probes
    async with bot.services.db.reader() as session:
        row = await session.get(Profile, profile_id)
    assert row.status == "invalid" and row.next_sync_at > clock() + timedelta(hours=12)
