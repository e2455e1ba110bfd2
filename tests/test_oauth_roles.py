"""The TikTok sign-in checks the role of whoever asked for the link when it completes: an admin
demoted since the link was sent (in the bot, or in Slack) connects nothing, reads why on the
page, and is told in Slack; the authorisation code is never exchanged."""

from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy import func, select

from fakes import slack_payloads as p
from fakes.tiktok import FakeTikTok
from handlers.transport.oauth_routes import COOKIE
from storage.models import Profile
from tests.harness import ADMIN_ID, MEMBER_ID, BotUnderTest
from tests.test_slack_oauth import link_in

OWNER_ID = "UOWNER1"


async def open_page(url: str, cookie: str | None = None) -> tuple[int, str, aiohttp.ClientResponse]:
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, allow_redirects=False, headers=headers) as response,
    ):
        return response.status, await response.text(), response


async def consented(bot: BotUnderTest, user: str) -> tuple[str, str]:
    """`user` asks for a link and signs in at TikTok; returns the callback URL and the cookie,
    as the browser holds them just before it comes back."""
    reply, url = await bot.command("connect tiktok", user=user)
    assert reply.status == 200 and reply.text == ""
    (response,) = await bot.responses_to(url)
    status, _, started = await open_page(link_in(response))
    assert status == 302
    status, _, consent = await open_page(started.headers["Location"])
    assert status == 302
    return consent.headers["Location"], started.cookies[COOKIE].value


async def refused_callback(bot: BotUnderTest, fake_tiktok: FakeTikTok, url: str, cookie: str):
    tokens = dict(fake_tiktok.tokens)
    status, page, _ = await open_page(url, cookie)
    assert status == 403
    assert "<h1>Not connected</h1>" in page
    assert fake_tiktok.tokens == tokens  # the code was never exchanged
    async with bot.services.db.reader() as session:
        assert await session.scalar(select(func.count(Profile.id))) == 0
    return page


async def dm_to(bot: BotUnderTest, user: str) -> str:
    (opened,) = [c for c in bot.slack.calls_to("conversations.open") if c.args["users"] == user]
    channel = opened.result["channel"]["id"]
    (dm,) = await bot.slack.wait_for("chat.postMessage")
    assert dm.args["channel"] == channel
    return dm.args["text"]


async def test_an_admin_removed_since_the_link_was_sent_connects_nothing(
    bot: BotUnderTest, fake_tiktok: FakeTikTok
):
    _, url = await bot.command(p.command_text(bot.slack, "admins add @mo"))
    await bot.responses_to(url)
    callback, cookie = await consented(bot, MEMBER_ID)
    _, url = await bot.command(p.command_text(bot.slack, "admins remove @mo"), user=ADMIN_ID)
    assert "is no longer an admin" in str(await bot.responses_to(url))

    page = await refused_callback(bot, fake_tiktok, callback, cookie)
    assert "You no longer have the adops admin permission, so nothing was connected." in page
    told = await dm_to(bot, MEMBER_ID)
    assert told.startswith(":no_entry: Your sign-in was not completed.")
    assert "no longer have the adops admin permission" in told


@pytest.mark.parametrize("bot_env", [{}])  # no ADOPS_ADMINS: workspace owners are admins
async def test_an_owner_demoted_in_slack_since_the_link_was_sent_connects_nothing(
    bot: BotUnderTest, fake_tiktok: FakeTikTok
):
    callback, cookie = await consented(bot, OWNER_ID)
    bot.slack.users[OWNER_ID].is_owner = False  # demoted in Slack a minute later

    page = await refused_callback(bot, fake_tiktok, callback, cookie)
    assert "no longer have the adops admin permission" in page
    assert "not completed" in await dm_to(bot, OWNER_ID)


async def test_a_sign_in_slack_cannot_vouch_for_is_not_completed(
    bot: BotUnderTest, fake_tiktok: FakeTikTok
):
    callback, cookie = await consented(bot, ADMIN_ID)
    bot.slack.fail_next("users.info", status=200, error="user_not_found")

    page = await refused_callback(bot, fake_tiktok, callback, cookie)
    assert "Slack could not confirm your permissions just now, so nothing was connected." in page
