"""Alerts that cannot reach where they should: a channel the bot may not post in is refused
when it is chosen, and one that breaks later stops neither the DM nor the reminders; the admins
are told once. Through the real notifier and the fake Slack."""

from __future__ import annotations

from sqlalchemy import select

from bot.permissions import Source, system_actor
from storage.models import Alert
from tests.factories import make_accounts
from tests.harness import BotUnderTest
from tests.support import ADMIN, ManualClock

LOOP = system_actor(Source.LOOP)


async def broken_profile(bot: BotUnderTest, clock: ManualClock, name: str = "Main") -> int:
    core = bot.services
    card = await core.profiles.create(
        ADMIN, "tiktok", name=name, secret=f"tok-{name}-123456", connected_by="UMEMBER1"
    )
    await make_accounts(core.db, clock(), 2, profile_id=card.id, prefix=name)
    await core.profiles.mark_invalid(LOOP, card.id, "TikTok 40105: revoked")
    return card.id


def posted_to(bot: BotUnderTest, channel: str) -> list[dict]:
    return [
        c.args
        for c in bot.slack.calls_to("chat.postMessage")
        if c.args["channel"] == channel and c.result.get("ok")
    ]


async def test_a_channel_the_bot_cannot_post_in_is_refused_when_chosen(bot: BotUnderTest):
    bot.slack.add_channel("G0PRIVATE", "secret-room", private=True)
    bot.slack.add_channel("C0GONE", "old-room", archived=True)
    settings = bot.services.settings
    for name, words in (("G0PRIVATE", "invite me first"), ("C0GONE", "is archived")):
        _, url = await bot.command(f"alerts <#{name}|room>")
        (told,) = await bot.responses_to(url)
        assert words in told["text"]
        assert await settings.alert_channel() is None
    _, url = await bot.command("alerts here", channel="G0PRIVATE")
    assert "invite me first" in (await bot.responses_to(url))[0]["text"]

    _, url = await bot.command("alerts <#C0ALERTS|ad-ops-alerts>")
    (told,) = await bot.responses_to(url)
    assert "now go to <#C0ALERTS>" in told["text"]
    (hello,) = posted_to(bot, "C0ALERTS")
    assert "Token alerts from adops will be posted here" in hello["text"]
    assert await settings.alert_channel() == "C0ALERTS"


async def test_a_channel_that_breaks_later_leaves_the_dm_going_and_tells_the_admins_once(
    bot: BotUnderTest, clock: ManualClock
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    bot.slack.channels["C0ALERTS"].archived = True
    await broken_profile(bot, clock)
    scheduler = bot.scheduler
    await scheduler.settle_alerts()
    assert posted_to(bot, "C0ALERTS") == []
    (dm,) = posted_to(bot, "DMEMBER1")
    assert "Main" in dm["text"]
    (notice,) = posted_to(bot, "DADMIN1")
    assert "cannot post token alerts in <#C0ALERTS>" in notice["text"]
    async with bot.services.db.reader() as session:
        (alert,) = (await session.scalars(select(Alert))).all()
    assert alert.delivered_at is not None and alert.next_attempt_at is None  # not retried

    await broken_profile(bot, clock, "Second")
    clock.advance(hours=2)
    await scheduler.settle_alerts()
    assert len(posted_to(bot, "DMEMBER1")) == 2
    assert len(posted_to(bot, "DADMIN1")) == 1  # told once, not at every alert
    assert bot.slack.calls_to("chat.postMessage")[-1].args["channel"] != "C0ALERTS"


async def test_a_dm_that_cannot_be_delivered_does_not_stop_the_reminders(
    bot: BotUnderTest, clock: ManualClock
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    bot.slack.users["UMEMBER1"].deleted = True  # whoever connected the profile has left
    await broken_profile(bot, clock)
    scheduler = bot.scheduler
    await scheduler.settle_alerts()
    (alert,) = posted_to(bot, "C0ALERTS")
    assert "Main" in alert["text"]
    clock.advance(hours=1, minutes=1)
    await scheduler.settle_alerts()
    reminders = [a for a in posted_to(bot, "C0ALERTS") if a.get("thread_ts")]
    assert len(reminders) == 1
    async with bot.services.db.reader() as session:
        (row,) = (await session.scalars(select(Alert))).all()
    assert row.dm_delivered_at is not None and row.dm_ts is None and row.attempts == 0


async def test_a_post_slack_took_before_failing_is_not_posted_again_at_once(
    bot: BotUnderTest, clock: ManualClock
):
    """slack_sdk's server-error retry would post it again straight away: the alert twice."""
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    await broken_profile(bot, clock)
    bot.slack.fail_next("chat.postMessage", status=500, accepted=True)
    await bot.scheduler.settle_alerts()
    to_channel = [
        c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == "C0ALERTS"
    ]
    assert len(to_channel) == 1
    assert len([m for (c, _), m in bot.slack.messages.items() if c == "C0ALERTS"]) == 1


async def test_a_channel_that_stops_taking_reminders_stops_being_reminded(
    bot: BotUnderTest, clock: ManualClock
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    await broken_profile(bot, clock)
    scheduler = bot.scheduler
    await scheduler.settle_alerts()
    assert len(posted_to(bot, "C0ALERTS")) == 1
    bot.slack.channels["C0ALERTS"].archived = True
    for _ in range(3):
        clock.advance(hours=25)
        await scheduler.settle_alerts()
    tried = [c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == "C0ALERTS"]
    assert len(tried) == 2  # the alert, then one reminder that Slack refused, then no more
    (notice,) = posted_to(bot, "DADMIN1")
    assert (
        "cannot post token alerts in <#C0ALERTS> (chat_postMessage: is_archived)" in notice["text"]
    )


async def test_a_person_who_cannot_be_told_is_named_to_the_admins_once(
    bot: BotUnderTest, clock: ManualClock
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    bot.slack.users["UMEMBER1"].deleted = True
    await broken_profile(bot, clock)
    await broken_profile(bot, clock, "Second")
    await bot.scheduler.settle_alerts()
    (notice,) = posted_to(bot, "DADMIN1")
    assert "I could not tell <@UMEMBER1>" in notice["text"] and "user_disabled" in notice["text"]
