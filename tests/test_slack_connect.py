"""People from another workspace (Slack Connect): their own workspace's owner or admin status
makes no one an adops admin here, and they read no more than a guest; being named as an admin
by id (ADOPS_ADMINS, or `/adops admins add`) is a choice this team made, and counts.

With no ADOPS_ADMINS configured (the `bot_env` below), this workspace's owners and admins are
adops admins, which is what someone else's owners must not inherit."""

from __future__ import annotations

from typing import Any

import pytest

from fakes import slack_payloads as p
from fakes.slack import FakeSlack
from fakes.tiktok import FakeTikTok
from handlers.ids import Action
from tests.harness import BotUnderTest, pressed
from tests.support import ADMIN, ManualClock

OTHER_TEAM = "T0OTHER"
OUR_OWNER = "UOWNER1"
THEIR_OWNER = "UEXTOWNER"
THEIR_ADMIN = "UEXTADMIN"
SHARED = "C0ALERTS"  # a channel shared with the other organisation
DENIAL = "needs the adops admin permission"


@pytest.fixture
def bot_env() -> dict[str, str]:
    return {}


@pytest.fixture(autouse=True)
def strangers(fake_slack: FakeSlack) -> None:
    fake_slack.add_user(THEIR_OWNER, name="theo", is_owner=True, team_id=OTHER_TEAM)
    fake_slack.add_user(THEIR_ADMIN, name="tara", is_admin=True, team_id=OTHER_TEAM)


async def alert_in_shared_channel(bot: BotUnderTest, clock: ManualClock, tiktok: FakeTikTok):
    core = bot.services
    await core.settings.set_alert_channel(ADMIN, SHARED)
    token = tiktok.issue_token("alice")
    await core.profiles.create(ADMIN, "tiktok", name="Alice", secret=token)
    tiktok.revoke(token)
    await bot.scheduler.run_cycle()
    await bot.settle()
    (alert,) = [m for (channel, _), m in bot.slack.messages.items() if channel == SHARED]
    return alert


async def reauth_from(bot: BotUnderTest, alert: dict[str, Any], user: str, team: str) -> str:
    """Click the alert's Re-authenticate as `user` of workspace `team`; what they were told."""
    before = len(bot.slack.calls)
    reply, url = await bot.click(
        pressed(alert, Action.ALERT_REAUTH, None),
        user=user,
        message=alert,
        channel=SHARED,
        user_team=team,
    )
    assert reply.status == 200
    (told,) = await bot.responses_to(url)
    elsewhere = [c for c in bot.slack.calls[before:] if c.method != "response_url"]
    assert "oauth/start" not in str([c.args for c in elsewhere])  # links go to one person only
    return str(told)


async def test_another_workspaces_owner_is_not_an_admin_here(bot: BotUnderTest):
    reply, url = await bot.command("connect tiktok", user=OUR_OWNER)
    assert reply.status == 200 and reply.text == ""
    assert "oauth/start?ticket=" in str(await bot.responses_to(url))

    for stranger in (THEIR_OWNER, THEIR_ADMIN):
        reply, _ = await bot.command("connect tiktok", user=stranger)
        assert DENIAL in reply.json["text"]
        reply, _ = await bot.command("accounts", user=stranger)
        assert "guests cannot" in reply.json["text"]


async def test_their_owner_cannot_use_the_buttons_of_an_alert_in_a_shared_channel(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    alert = await alert_in_shared_channel(bot, clock, fake_tiktok)
    told = await reauth_from(bot, alert, THEIR_OWNER, OTHER_TEAM)
    assert DENIAL in told and "oauth/start" not in told
    assert "oauth/start?ticket=" in await reauth_from(bot, alert, OUR_OWNER, "T0TEAM")


async def test_someone_from_another_workspace_granted_by_id_is_an_admin(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    alert = await alert_in_shared_channel(bot, clock, fake_tiktok)
    _, url = await bot.command(p.command_text(bot.slack, "admins add @tara"), user=OUR_OWNER)
    assert "is now an admin" in str(await bot.responses_to(url))
    assert "oauth/start?ticket=" in await reauth_from(bot, alert, THEIR_ADMIN, OTHER_TEAM)
    reply, _ = await bot.command("connect tiktok", user=THEIR_OWNER)  # still not them
    assert DENIAL in reply.json["text"]


@pytest.mark.parametrize("bot_env", [{"ADOPS_ADMINS": THEIR_OWNER}])
async def test_someone_from_another_workspace_in_adops_admins_is_an_admin(bot: BotUnderTest):
    reply, url = await bot.command("connect tiktok", user=THEIR_OWNER)
    assert reply.status == 200 and reply.text == ""
    assert "oauth/start?ticket=" in str(await bot.responses_to(url))
    reply, _ = await bot.command("connect tiktok", user=OUR_OWNER)  # admins are configured
    assert DENIAL in reply.json["text"]
