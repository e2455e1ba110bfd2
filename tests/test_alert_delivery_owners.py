"""With no admin named (ADOPS_ADMINS unset, none granted), the workspace's owners and admins
are adops admins; the bot cannot list them, so whoever chose the alert channel is told when
alerts cannot reach it."""

from __future__ import annotations

import pytest

from tests.harness import BotUnderTest
from tests.support import ManualClock
from tests.test_alert_delivery import broken_profile, posted_to


@pytest.fixture
def bot_env() -> dict[str, str]:
    return {}


async def test_whoever_chose_the_channel_hears_that_it_stopped_working(
    bot: BotUnderTest, clock: ManualClock
):
    _, url = await bot.command("alerts <#C0ALERTS|ad-ops-alerts>", user="UOWNER1")
    assert "now go to" in (await bot.responses_to(url))[0]["text"]
    bot.slack.channels["C0ALERTS"].archived = True
    await broken_profile(bot, clock)
    await bot.scheduler.settle_alerts()
    (notice,) = posted_to(bot, "DOWNER1")
    assert "cannot post token alerts in <#C0ALERTS>" in notice["text"]
