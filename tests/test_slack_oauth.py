"""`/adops connect tiktok` to the DM, through the real start and callback routes and the fake
TikTok consent page; and every way the flow must refuse."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import aiohttp
from sqlalchemy import func, select

from bot.permissions import system_actor
from fakes.tiktok import FakeTikTok
from handlers.transport.oauth_routes import COOKIE
from storage.models import AccountTag, AdAccount, Profile
from tests.harness import MEMBER_ID, BotUnderTest
from tests.support import ADMIN, ManualClock


def link_in(response: dict) -> str:
    for block in response["blocks"]:
        for element in block.get("elements", []):
            if element.get("url"):
                return element["url"]
    raise AssertionError("no link button")


async def get(bot: BotUnderTest, url: str, cookie: str | None = None) -> aiohttp.ClientResponse:
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    async with aiohttp.ClientSession() as http:
        response = await http.get(url, allow_redirects=False, headers=headers)
        await response.read()
        return response


async def start_flow(bot: BotUnderTest, text: str = "connect tiktok") -> tuple[str, str, str]:
    """Returns (callback URL with auth_code and state, cookie value, link)."""
    reply, url = await bot.command(text)
    assert reply.status == 200
    (response,) = await bot.responses_to(url)
    assert response["response_type"] == "ephemeral"
    link = link_in(response)
    started = await get(bot, link)
    assert started.status == 302
    cookie = started.cookies[COOKIE]
    assert cookie["secure"] and cookie["httponly"]
    consent = await get(bot, started.headers["Location"])
    assert consent.status == 302
    return consent.headers["Location"], cookie.value, link


async def test_connect_tiktok_round_trip_ends_with_a_dm(bot: BotUnderTest, fake_tiktok: FakeTikTok):
    callback, cookie, _ = await start_flow(bot)
    assert urlparse(callback).path == "/oauth/callback"
    assert set(parse_qs(urlparse(callback).query)) == {"auth_code", "state"}

    done = await get(bot, callback, cookie)
    assert done.status == 200
    assert done.headers["Cache-Control"] == "no-store"

    (dm,) = await bot.slack.wait_for("chat.postMessage")
    assert dm.args["channel"].startswith("D")
    assert "3 ad account(s) reachable, 3 new" in dm.args["text"]
    async with bot.services.db.reader() as session:
        (profile,) = (await session.scalars(select(Profile))).all()
        assert profile.connected_by == "UADMIN1"
        assert await session.scalar(select(func.count(AdAccount.id))) == 3
        assert await session.scalar(select(func.count(AccountTag.account_id))) == 6  # tz + currency
    token = profile.secret.reveal()
    assert fake_tiktok.tokens[token] == "alice"
    # The token is nowhere in what Slack saw.
    assert all(token not in str(call.args) for call in bot.slack.calls)


async def test_callback_refuses_replay_missing_cookie_and_wrong_browser(bot: BotUnderTest):
    callback, cookie, _ = await start_flow(bot)
    missing = await get(bot, callback)
    assert missing.status == 400
    wrong = await get(bot, callback, "not-the-cookie")
    assert wrong.status == 400
    assert (await get(bot, callback, cookie)).status == 200
    replay = await get(bot, callback, cookie)
    assert replay.status == 400
    async with bot.services.db.reader() as session:
        assert await session.scalar(select(func.count(Profile.id))) == 1


async def test_tickets_are_single_use_and_expire(bot: BotUnderTest, clock: ManualClock):
    _, url = await bot.command("connect tiktok")
    link = link_in((await bot.responses_to(url))[0])
    assert (await get(bot, link)).status == 302
    assert (await get(bot, link)).status == 400

    _reply, url = await bot.command("connect tiktok")
    link = link_in((await bot.responses_to(url))[0])
    clock.advance(minutes=11)
    expired = await get(bot, link)
    assert expired.status == 400
    async with bot.services.db.reader() as session:
        assert await session.scalar(select(func.count(Profile.id))) == 0


async def test_reauthenticate_updates_the_same_profile(bot: BotUnderTest, fake_tiktok: FakeTikTok):
    callback, cookie, _ = await start_flow(bot)
    await get(bot, callback, cookie)
    async with bot.services.db.reader() as session:
        (profile,) = (await session.scalars(select(Profile))).all()
    old_token = profile.secret.reveal()
    fake_tiktok.revoke(old_token)
    await bot.services.profiles.mark_invalid(system_actor(), profile.id, "revoked")
    ticket = await bot.services.tickets.issue(
        ADMIN,
        provider="tiktok",
        purpose="reauth",
        team_id="T0TEAM",
        profile_id=profile.id,
    )
    started = await get(bot, f"{bot.url}/oauth/start?ticket={ticket}")
    consent = await get(bot, started.headers["Location"])
    assert (
        await get(bot, consent.headers["Location"], started.cookies[COOKIE].value)
    ).status == 200
    async with bot.services.db.reader() as session:
        (again,) = (await session.scalars(select(Profile))).all()
    assert again.id == profile.id and again.status == "active"
    assert again.secret.reveal() != old_token


async def test_members_get_no_link(bot: BotUnderTest):
    reply, _ = await bot.command("connect tiktok", user=MEMBER_ID)
    assert "adops admin permission" in reply.json["text"]
    assert bot.slack.calls_to("response_url") == []


async def test_ticket_lifetime_is_about_ten_minutes(bot: BotUnderTest, clock: ManualClock):
    _reply, url = await bot.command("connect tiktok")
    link = link_in((await bot.responses_to(url))[0])
    clock.advance(minutes=9, seconds=30)
    assert (await get(bot, link)).status == 302
