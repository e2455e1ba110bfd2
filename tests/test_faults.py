"""Faults the loop must survive: flaky providers, a flaky Slack, and a process killed mid-sync.
Each test asserts what the database holds afterwards."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from app import build_scheduler, build_services
from bot.clock import utcnow
from bot.config import Settings
from bot.runtime import open_database
from fakes._server import Fault
from fakes.mediago import (
    UNREADABLE_200,
    FakeMediaGo,
    as_basic,
    gateway,
    http200,
    operate_too_much,
)
from fakes.slack import FakeSlack
from fakes.tiktok import FakeTikTok
from fakes.tiktok_replies import (
    advertiser_limit,
    app_limit,
    endpoint_limit,
    error_envelope,
    gateway_timeout,
    malformed,
    permission_denied,
    without_list,
)
from storage.models import AdAccount, Alert, AuditEvent, Profile, ProfileAccess
from storage.secrets import Keyring
from tests.harness import BotUnderTest
from tests.support import ADMIN, ManualClock

ROOT = Path(__file__).resolve().parent.parent
CYCLE = {"minutes": 17}


async def connect_logins(bot: BotUnderTest, fake: FakeTikTok, count: int) -> dict[int, str]:
    tokens = {}
    for n in range(count):
        login = f"login{n}"
        fake.add_login(login, 3, prefix=f"Brand{n}")
        token = fake.issue_token(login)
        card = await bot.services.profiles.create(
            ADMIN, "tiktok", name=f"P{n}", secret=token, connected_by="UADMIN1"
        )
        tokens[card.id] = token
    return tokens


async def assert_nothing_falsely_taken(bot: BotUnderTest, accounts_before: list) -> None:
    """No profile falsely invalid, no account falsely flagged or moved, at any moment (the audit
    log would show it), no alert raised twice, and no "stopped working" post."""
    async with bot.services.db.reader() as session:
        taken = (
            await session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.action.in_(("account.access_lost", "profile.invalid"))
                )
            )
        ).all()
        assert taken == []
        assert set((await session.scalars(select(Profile.status))).all()) == {"active"}
        assert (
            await session.execute(select(AdAccount.id, AdAccount.profile_id).order_by(AdAccount.id))
        ).all() == accounts_before
        assert not await session.scalar(
            select(func.count()).where(AdAccount.access_lost_at.is_not(None))
        )
        lost = await session.scalar(
            select(func.count())
            .select_from(ProfileAccess)
            .where(ProfileAccess.lost_at.is_not(None))
        )
        assert lost == 0
        alerts = (await session.execute(select(Alert.subject, Alert.kind, Alert.status))).all()
    assert {kind for _, kind, _ in alerts} <= {"transient"}
    opened = [(subject, kind) for subject, kind, status in alerts if status == "open"]
    assert len(opened) == len(set(opened))
    posts = [c.args for c in bot.slack.calls_to("chat.postMessage") if not c.args.get("thread_ts")]
    assert len([p for p in posts if p["channel"] == "C0ALERTS"]) <= len(alerts)
    assert not [p for p in posts if "stopped working" in p["text"]]


async def accounts_of(bot: BotUnderTest) -> list:
    async with bot.services.db.reader() as session:
        return (
            await session.execute(select(AdAccount.id, AdAccount.profile_id).order_by(AdAccount.id))
        ).all()


async def test_flaky_provider_never_makes_a_profile_invalid_nor_loses_an_account(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    await connect_logins(bot, fake_tiktok, 4)
    await bot.scheduler.run_cycle()
    accounts_before = await accounts_of(bot)
    assert len(accounts_before) == 3 * 4

    # Every reply issue 14 names that says nothing about a particular advertiser or about the
    # app's own credentials, at random: outages, HTTP-200 errors, a 200 without a list, the
    # app's per-second and per-minute limits, an advertiser's and an endpoint's limit, and 40001
    # for a missing permission.
    faults = (
        Fault(status=503, body="<html>Service Unavailable</html>"),
        gateway_timeout(),
        malformed(),
        error_envelope(50002, "Internal error"),
        error_envelope(40002, "Time format should be %Y-%m-%d"),
        app_limit("QPS"),
        app_limit("QPM"),
        advertiser_limit(),
        endpoint_limit(),
        permission_denied(),
        without_list("null"),
        without_list("not_list"),
        without_list("no_data"),
    )
    for path in ("oauth2/advertiser/get/", "advertiser/info/"):
        fake_tiktok.fail_rate(path, 0.3, *faults)
    for _ in range(10):
        clock.advance(**CYCLE)
        await bot.scheduler.run_cycle()

    await assert_nothing_falsely_taken(bot, accounts_before)
    assert fake_tiktok.faults_served >= 10  # the faults really happened


async def test_flaky_mediago_never_makes_a_profile_invalid_nor_loses_an_account(
    bot: BotUnderTest, clock: ManualClock, fake_mediago: FakeMediaGo
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    # Access tokens that are due for renewal at once: every sync logs in, so logins meet faults.
    fake_mediago.expires_in = 60
    for n, level in enumerate(("account", "client", "account")):
        secret = as_basic(f"mg-flaky-{n}")
        fake_mediago.add_credentials(secret, accounts=3, level=level, prefix=f"MG{n}")
        await bot.services.connector.connect_with_keys(
            ADMIN, "mediago", key=None, secret=secret, name=f"MG{n}"
        )
    await bot.settle()  # their first syncs, which the scheduler does
    accounts_before = await accounts_of(bot)
    assert len(accounts_before) == 9
    faults = (
        Fault(status=500),
        gateway(404),
        gateway(403, as_json=True),
        operate_too_much(),
        *(http200(body) for body in UNREADABLE_200),
    )
    for path in (
        "/data/v1/authentication",
        "/data/v1/client/authentication",
        "/data/v1/client/accounts",
        "/manage/v1/account",
    ):
        fake_mediago.fail_rate(path, 0.3, *faults)
    for _ in range(6):
        clock.advance(**CYCLE)
        await bot.scheduler.run_cycle()

    await assert_nothing_falsely_taken(bot, accounts_before)
    assert fake_mediago.faults_served >= 10


async def test_flaky_slack_gets_every_alert_delivered_exactly_once(
    bot: BotUnderTest, clock: ManualClock, fake_tiktok: FakeTikTok
):
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    tokens = await connect_logins(bot, fake_tiktok, 3)
    await bot.scheduler.run_cycle()
    bot.slack.fail_rate("chat.postMessage", 0.5, status=500)
    for token in tokens.values():
        fake_tiktok.revoke(token)
    for _ in range(12):
        clock.advance(minutes=5)
        await bot.scheduler.run_cycle()

    failed = [c for c in bot.slack.calls_to("chat.postMessage") if not c.result.get("ok")]
    assert failed  # Slack did fail some of them
    channel = [m for (ch, _), m in bot.slack.messages.items() if ch == "C0ALERTS"]
    top_level = sorted(m["text"] for m in channel if not m["thread_ts"])
    assert top_level == sorted(f"TikTok profile P{n} needs attention" for n in range(3)), top_level
    dms = [m for (ch, _), m in bot.slack.messages.items() if ch == "DADMIN1"]
    assert sorted(m["text"] for m in dms) == top_level
    async with bot.services.db.reader() as session:
        alerts = (await session.scalars(select(Alert))).all()
    assert len(alerts) == 3 and all(a.ts and a.dm_ts for a in alerts)


def _env(db_path: Path, slack: FakeSlack, tiktok: FakeTikTok, key: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": f"sqlite+aiosqlite:///{db_path}",
        "ADOPS_ENCRYPTION_KEYS": key,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": slack.url,
        "ADOPS_ALERT_CHANNEL": "C0ALERTS",
        "LOG_LEVEL": "WARNING",
        **tiktok.env(),
    }


async def test_killed_mid_sync_leaves_a_consistent_database_and_no_duplicate_alert(
    tmp_path: Path, fake_slack: FakeSlack, fake_tiktok: FakeTikTok
):
    db_path = tmp_path / "adops.db"
    env = _env(db_path, fake_slack, fake_tiktok, Keyring.generate_key())
    settings = Settings.from_env(env)
    db = await open_database(settings)
    fake_tiktok.add_login("bob", 4, prefix="Bob")
    alice_token, bob_token = fake_tiktok.issue_token("alice"), fake_tiktok.issue_token("bob")
    core = build_services(settings, db)
    alice = await core.profiles.create(
        ADMIN, "tiktok", name="Alice", secret=alice_token, connected_by="UADMIN1"
    )
    bob = await core.profiles.create(ADMIN, "tiktok", name="Bob", secret=bob_token)
    await db.dispose()
    fake_tiktok.revoke(alice_token)

    process = subprocess.Popen(
        [sys.executable, "-m", "tests.crash_sync"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = await asyncio.to_thread(process.stdout.readline)  # type: ignore[union-attr]
        assert line.strip() == "cycle 1 done", process.stderr.read()  # type: ignore[union-attr]
        fake_tiktok.latency = 60.0  # cycle 2's sync of Bob hangs at the provider…
        asked = len(fake_tiktok.requests)
        process.stdin.write("go\n")  # type: ignore[union-attr]
        process.stdin.flush()  # type: ignore[union-attr]
        for _ in range(200):
            if len(fake_tiktok.requests) > asked:
                break
            await asyncio.sleep(0.05)
        assert len(fake_tiktok.requests) > asked, "cycle 2 never reached the provider"
        process.send_signal(signal.SIGKILL)  # …and the process dies there
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    fake_tiktok.latency = 0.0
    channel_posts = [m for (ch, _), m in fake_slack.messages.items() if ch == "C0ALERTS"]
    assert len(channel_posts) == 1  # Alice's alert went out in cycle 1

    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        owner, expires = raw.execute(
            "SELECT lease_owner, lease_expires_at FROM profiles WHERE id = ?", (bob.id,)
        ).fetchone()
    assert owner is not None and expires is not None  # the dead process still holds Bob

    offset = [timedelta(seconds=settings.sync_interval * 1.2)]
    db = await open_database(settings)
    restarted = build_services(settings, db, clock=lambda: utcnow() + offset[0])
    scheduler = build_scheduler(settings, restarted)
    try:
        report = await scheduler.run_cycle()
        assert report.skipped_claimed == 1 and report.synced == []  # its lease has not expired
        offset[0] += timedelta(minutes=6)
        report = await scheduler.run_cycle()
        assert [(r.profile_name, r.outcome) for r in report.synced] == [("Bob", "ok")]
        async with db.reader() as session:
            rows = (await session.execute(select(AdAccount.name, AdAccount.profile_id))).all()
            alerts = (await session.scalars(select(Alert))).all()
            statuses = dict((await session.execute(select(Profile.name, Profile.status))).all())
    finally:
        await restarted.close()
        await db.dispose()
    assert sorted(name for name, _ in rows) == [f"Bob {n:03d}" for n in range(4, 8)]
    assert {pid for name, pid in rows if name.startswith("Bob")} == {bob.id}
    assert statuses == {"Alice": "invalid", "Bob": "active"}
    assert len(alerts) == 1 and alerts[0].profile_id == alice.id
    channel_posts = [m for (ch, _), m in fake_slack.messages.items() if ch == "C0ALERTS"]
    assert len(channel_posts) == 1  # and was not posted again after the restart
