"""Text as Slack carries it: command text arrives HTML-escaped with Slack's own tokens in it, and
names people chose go out escaped in every part of a message, fallback text included."""

from __future__ import annotations

import json
from typing import Any

from fakes import slack_payloads as p
from fakes.tiktok import FakeTikTok
from tests.factories import make_accounts
from tests.harness import BotUnderTest
from tests.support import ADMIN, ManualClock

BROADCAST_NAME = "<!channel> Shop & Co <https://evil.example|Sign in>"


def shown(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


async def test_search_text_is_matched_as_it_was_typed(bot: BotUnderTest, clock: ManualClock):
    await make_accounts(bot.services.db, clock(), 2, prefix="Shoes & Boots")
    await make_accounts(bot.services.db, clock(), 1, prefix="Shoes Outlet", start=10)
    sent = p.command_text(bot.slack, "accounts shoes & boots")
    assert sent == "accounts shoes &amp; boots"  # what Slack sends for it
    _, url = await bot.command(sent)
    (listing,) = await bot.responses_to(url)
    assert "Showing 1–2 of 2." in shown(listing)
    assert "Shoes &amp; Boots 001" in shown(listing)  # and shown escaped again
    assert "“shoes &amp; boots”" in shown(listing)


async def test_slack_tokens_come_through_whole(bot: BotUnderTest):
    """A pasted link is one of Slack's tokens; a quote inside it does not open a quotation."""
    _, url = await bot.command(p.command_text(bot.slack, "accounts https://shop.example/it's"))
    (listing,) = await bot.responses_to(url)
    assert "quote is not closed" not in shown(listing)
    assert "No ad accounts match." in listing["text"]

    _, url = await bot.command(p.command_text(bot.slack, "admins add @mo"))
    (done,) = await bot.responses_to(url)
    assert done["text"] == ":white_check_mark: <@UMEMBER1> is now an admin."


async def test_typed_text_quoted_back_cannot_ping_or_link(bot: BotUnderTest):
    """Once decoded, what someone typed is escaped again wherever the bot quotes it back."""
    reply, _ = await bot.command(p.command_text(bot.slack, "<!here> hello"))
    assert "<!here>" not in shown(reply.json) and "&lt;!here&gt;" in reply.json["text"]
    _, url = await bot.command(p.command_text(bot.slack, "audit <https://evil.example|Sign in>"))
    (refusal,) = await bot.responses_to(url)
    assert "No ad account or profile" in refusal["text"]
    assert "<https://evil.example" not in shown(refusal)


async def test_a_profile_named_like_a_broadcast_never_pings_a_channel(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    core = bot.services
    await core.settings.set_alert_channel(ADMIN, "C0ALERTS")
    token = fake_tiktok.issue_token("alice")
    card = await core.profiles.create(
        ADMIN, "tiktok", name=BROADCAST_NAME, secret=token, connected_by="UADMIN1"
    )
    await bot.scheduler.run_cycle()
    fake_tiktok.revoke(token)
    clock.advance(minutes=17)
    await bot.scheduler.run_cycle()  # the alert, in the channel and by DM
    clock.advance(hours=2)
    await bot.scheduler.run_cycle()  # a reminder in the thread
    await core.profiles.update_credentials(
        ADMIN, card.id, provider="tiktok", secret=fake_tiktok.issue_token("alice")
    )
    await bot.scheduler.settle_alerts()  # the alert turns into "resolved"
    await bot.settle()

    sent = [c for c in bot.slack.calls if c.method in ("chat.postMessage", "chat.update")]
    alerts = [c for c in sent if c.args.get("channel") == "C0ALERTS"]
    assert {c.method for c in alerts} == {"chat.postMessage", "chat.update"}
    assert any(c.args.get("thread_ts") for c in alerts)
    assert any(c.args["channel"].startswith("D") for c in sent)
    for call in sent:
        assert call.result["ok"], call.result
        assert "<!channel>" not in call.args["text"] and "<https://evil" not in call.args["text"]
        assert "&lt;!channel&gt; Shop &amp; Co" in call.args["text"]
        assert "<!channel>" not in shown(call.args.get("blocks") or [])
