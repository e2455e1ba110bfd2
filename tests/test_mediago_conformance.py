"""Issue 14, MediaGo: each reply named in the issue, through the real sync engine against the
fake MediaGo, does to profiles, accounts and alerts what the README says it does."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fakes._server import Fault
from fakes.mediago import (
    ACCOUNTS,
    CLIENT_ACCOUNTS,
    FakeMediaGo,
    as_basic,
    gateway,
    http200,
    operate_too_much,
)
from storage.models import Alert, Profile, ProfileAccess
from tests.harness import BotUnderTest
from tests.support import ADMIN, ManualClock

ACCOUNT_AUTH = "/data/v1/authentication"
CLIENT_AUTH = "/data/v1/client/authentication"


async def connect(
    bot: BotUnderTest, fake: FakeMediaGo, raw: str = "mg-api-token", **kwargs: object
) -> tuple[int, str]:
    secret = as_basic(raw)
    fake.add_credentials(secret, accounts=3, **kwargs)  # type: ignore[arg-type]
    connected = await bot.services.connector.connect_with_keys(
        ADMIN, "mediago", key=None, secret=secret, name="MG"
    )
    await bot.settle()  # its first sync, which the scheduler does
    return connected.profile.id, secret


async def status(bot: BotUnderTest, profile_id: int) -> str:
    async with bot.services.db.reader() as session:
        return (await session.get(Profile, profile_id)).status


async def lost_rows(bot: BotUnderTest) -> int:
    async with bot.services.db.reader() as session:
        return await session.scalar(
            select(func.count())
            .select_from(ProfileAccess)
            .where(ProfileAccess.lost_at.is_not(None))
        )


@pytest.mark.parametrize(
    "fault",
    [
        http200({}),
        http200(None),
        http200({"errno": 503, "errmsg": "system maintenance"}),
        gateway(404),
        gateway(403),
        gateway(404, as_json=True),
        gateway(403, as_json=True),
    ],
    ids=["empty", "null", "maintenance", "html-404", "html-403", "json-404", "json-403"],
)
async def test_only_a_credential_refusal_makes_a_mediago_profile_invalid(
    bot: BotUnderTest, clock: ManualClock, fake_mediago: FakeMediaGo, fault: Fault
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    profile_id, secret = await connect(bot, fake_mediago)
    fake_mediago.expire_live_tokens()  # the next sync has to log in again
    fake_mediago.fail_next(ACCOUNT_AUTH, fault, 3)
    report = await bot.services.sync.sync_profile(ADMIN, profile_id)
    await bot.scheduler.settle_alerts()
    assert report.outcome == "transient" and await status(bot, profile_id) == "active"
    assert [
        c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == "C0ALERTS"
    ] == []
    assert (await bot.services.sync.sync_profile(ADMIN, profile_id)).outcome == "ok"

    fake_mediago.revoke(secret)  # now MediaGo really refuses the token
    fake_mediago.expire_live_tokens()
    report = await bot.services.sync.sync_profile(ADMIN, profile_id)
    assert report.outcome == "invalid" and "invalid api token" in (report.error or "")


@pytest.mark.parametrize(
    "body",
    [{"code": 500}, {"status": "FAIL"}, {"code": 0, "data": None}, {"result": "none"}, {}],
    ids=["code-500", "status-fail", "data-null", "result-not-a-list", "empty"],
)
async def test_an_unreadable_listing_never_takes_access_away(
    bot: BotUnderTest, clock: ManualClock, fake_mediago: FakeMediaGo, body: object
):
    profile_id, _ = await connect(bot, fake_mediago)
    fake_mediago.fail_next(ACCOUNTS, http200(body), 3)
    report = await bot.services.sync.sync_profile(ADMIN, profile_id)
    assert (report.outcome, report.found) == ("transient", 0)
    clock.advance(minutes=17)
    assert (await bot.services.sync.sync_profile(ADMIN, profile_id)).found == 3
    assert await lost_rows(bot) == 0


async def test_rows_under_result_are_read_as_newsbreakmaster_reads_them(
    bot: BotUnderTest, fake_mediago: FakeMediaGo
):
    profile_id, secret = await connect(bot, fake_mediago)
    rows = [{"account_id": i, "account_name": n} for i, n in fake_mediago.tokens[secret].accounts]
    fake_mediago.fail_next(ACCOUNTS, http200({"code": 0, "result": rows}))
    report = await bot.services.sync.sync_profile(ADMIN, profile_id)
    assert (report.outcome, report.found, report.lost) == ("ok", 3, ())


async def test_a_5xx_at_the_client_level_does_not_stop_the_account_level_login(
    bot: BotUnderTest, fake_mediago: FakeMediaGo
):
    fake_mediago.fail_next(CLIENT_AUTH, Fault(status=502), 3)
    profile_id, _ = await connect(bot, fake_mediago)
    async with bot.services.db.reader() as session:
        assert (await session.get(Profile, profile_id)).meta["level"] == "account"


async def test_a_client_token_whose_listing_fails_falls_back_to_the_account_listing(
    bot: BotUnderTest, fake_mediago: FakeMediaGo
):
    profile_id, _ = await connect(bot, fake_mediago, "mg-client-token", level="client")
    fake_mediago.fail_next(CLIENT_ACCOUNTS, Fault(status=500), 3)
    report = await bot.services.sync.sync_profile(ADMIN, profile_id)
    assert (report.outcome, report.found) == ("ok", 3)
    assert fake_mediago.calls(ACCOUNTS)  # asked at the account level


async def test_operate_too_much_is_a_rate_limit_never_a_refusal(
    bot: BotUnderTest, fake_mediago: FakeMediaGo
):
    profile_id, _ = await connect(bot, fake_mediago)
    fake_mediago.fail_next(ACCOUNTS, operate_too_much("ReportFlowLimit"), 3)
    report = await bot.services.sync.sync_profile(ADMIN, profile_id)
    assert report.outcome == "transient" and "rate limited" in (report.error or "")
    fake_mediago.clear_faults()
    fake_mediago.fail_next(ACCOUNTS, http200({"code": 1, "message": "IpLimit.operateTooMuch"}))
    assert (await bot.services.sync.sync_profile(ADMIN, profile_id)).outcome == "ok"
    assert await status(bot, profile_id) == "active"


async def test_a_token_renewed_by_another_tool_twice_in_an_hour_tells_the_admin_why(
    bot: BotUnderTest, clock: ManualClock, fake_mediago: FakeMediaGo
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    profile_id, secret = await connect(bot, fake_mediago)
    connected = len(bot.slack.calls_to("chat.postMessage"))  # the first sync's answer
    for _ in range(4):
        fake_mediago.renew_elsewhere(secret)  # the other tool's renewal kills the bot's token
        clock.advance(minutes=20)
        report = await bot.services.sync.sync_profile(ADMIN, profile_id)
        assert report.outcome == "ok"
        await bot.scheduler.settle_alerts()
    async with bot.services.db.reader() as session:
        alerts = (await session.scalars(select(Alert))).all()
    assert [a.kind for a in alerts] == ["contention"]
    posts = [c.args for c in bot.slack.calls_to("chat.postMessage")][connected:]
    (dm,) = [p["channel"] for p in posts if p["channel"] != "C0ALERTS"]
    assert [p["channel"] for p in posts] == ["C0ALERTS", dm] and dm.startswith("D")
    assert all("another tool is using the same API token" in str(p) for p in posts)
    assert secret not in str(bot.slack.calls)

    clock.advance(days=1, hours=1)  # a quiet day: nobody else renews any more
    await bot.services.sync.sync_profile(ADMIN, profile_id)
    await bot.scheduler.settle_alerts()
    assert {c.args["channel"] for c in bot.slack.calls_to("chat.update")} == {"C0ALERTS", dm}
