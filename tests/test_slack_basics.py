"""The real app over HTTP: signatures, help, unknown input, permissions."""

from __future__ import annotations

import time

import aiohttp
import pytest

from fakes import slack_payloads as payloads
from fakes.slack import FakeSlack
from handlers.replies import _PooledRespond
from tests.harness import ADMIN_ID, GUEST_ID, MEMBER_ID, SIGNING_SECRET, BotUnderTest
from tests.support import ADMIN


def help_text(reply_or_call: dict) -> str:
    return str(reply_or_call.get("blocks")) + str(reply_or_call.get("text"))


async def test_help_lists_the_commands(bot: BotUnderTest):
    reply, url = await bot.command("help")
    assert reply.status == 200
    (response,) = await bot.responses_to(url)
    text = help_text(response)
    assert "/adops accounts" in text and "/adops connect tiktok" in text
    assert response["response_type"] == "ephemeral"


async def test_unknown_subcommand_answers_with_an_error_and_the_help(bot: BotUnderTest):
    reply, _ = await bot.command("launch rockets")
    assert reply.status == 200
    body = reply.json
    assert body["response_type"] == "ephemeral"
    assert "I don't know `launch`" in help_text(body) and "/adops accounts" in help_text(body)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64},
        {},
        "stale",
        "tampered",
    ],
)
async def test_bad_signatures_are_refused_and_nothing_runs(bot: BotUnderTest, headers):
    url = bot.slack.response_url()
    body = payloads.slash_command(
        "admins add <@UEVIL>",
        user_id=ADMIN_ID,
        team_id="T0TEAM",
        channel_id="C1",
        response_url=url,
        trigger_id=bot.slack.trigger(),
    )
    if headers == "stale":
        headers = payloads.signed_headers(body, SIGNING_SECRET, timestamp=int(time.time()) - 301)
    elif headers == "tampered":
        headers = payloads.signed_headers(body, SIGNING_SECRET)
        body = body.replace("UEVIL", "UEVIL2")
    reply = await bot.send(body, headers=headers)
    assert reply.status == 401
    assert bot.slack.calls == []
    assert (
        await bot.services.roles.admins(__import__("tests.support").support.ADMIN)
    ).granted == ()


async def test_guests_get_only_help(bot: BotUnderTest):
    reply, _ = await bot.command("accounts", user=GUEST_ID)
    assert "guests cannot" in reply.json["text"]
    reply, url = await bot.command("help", user=GUEST_ID)
    (response,) = await bot.responses_to(url)
    assert "/adops help" in help_text(response) and "/adops accounts" not in help_text(response)


async def test_members_are_told_which_permission_they_lack(bot: BotUnderTest):
    reply, _ = await bot.command("connect tiktok", user=MEMBER_ID)
    assert "adops admin permission" in reply.json["text"]
    reply, url = await bot.command("admins add <@UMEMBER1|mo>", user=MEMBER_ID)
    assert reply.status == 200
    (response,) = await bot.responses_to(url)
    assert "adops admin permission" in response["text"]
    assert (await bot.services.roles.admins(ADMIN)).granted == ()


async def test_workspace_owner_is_not_admin_when_admins_are_configured(bot: BotUnderTest):
    reply, _ = await bot.command("connect tiktok", user="UOWNER1")
    assert "adops admin permission" in reply.json["text"]


async def test_command_text_containing_the_word_payload_is_still_a_command(bot: BotUnderTest):
    """Bolt's form parser takes any body containing "payload" for an interaction and reads an
    empty body from a command such as this one."""
    reply, _ = await bot.command("launch payload")
    assert reply.status == 200
    assert "I don't know `launch`" in help_text(reply.json)


async def test_replies_through_the_pooled_session_post_what_bolts_respond_would(
    fake_slack: FakeSlack,
):
    url = fake_slack.response_url()
    async with aiohttp.ClientSession() as session:
        respond = _PooledRespond(url, session)
        await respond(text="hi", blocks=[], response_type="ephemeral", replace_original=None)
        await respond({"text": "whole", "blocks": [{"type": "divider"}], "attachments": []})
    assert [c.args for c in fake_slack.calls_to("response_url")] == [
        {"text": "hi", "response_type": "ephemeral", "url": url},
        {"text": "whole", "blocks": [{"type": "divider"}], "url": url},
    ]
