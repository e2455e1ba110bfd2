"""Database fixtures for SQLite and PostgreSQL.

Every test that takes `db` runs once per backend. PostgreSQL runs when ADOPS_TEST_POSTGRES_URL is
set (CI sets it) and is skipped otherwise. The schema is built by the real migrations once per
session; each test then gets a copy (SQLite) or emptied tables (PostgreSQL).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.config import Settings
from bot.services import Services
from bot.token_cache import DatabaseTokenCache
from fakes.mediago import FakeMediaGo
from fakes.slack import FakeSlack
from fakes.tiktok import FakeTikTok
from handlers.transport.web import build_web
from providers.http import RetryPolicy
from providers.mediago import MediaGoProvider
from providers.tiktok import TikTokProvider
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Base
from storage.secrets import Keyring
from tests.harness import SIGNING_SECRET, BotUnderTest, free_port, start_bot
from tests.support import ManualClock

POSTGRES_URL_VAR = "ADOPS_TEST_POSTGRES_URL"
TEST_KEY = Keyring.generate_key()


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_URL_VAR) or None


async def _reset_postgres(url: str) -> None:
    db = Database(url, Keyring([TEST_KEY]))
    async with db.engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await upgrade(db)
    await db.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "adops.db"

    async def build() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}", Keyring([TEST_KEY]))
        await upgrade(db)
        await db.dispose()

    asyncio.run(build())
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> str:
    url = postgres_url()
    if url is None:
        pytest.skip(f"{POSTGRES_URL_VAR} is not set")
    asyncio.run(_reset_postgres(url))
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "adops.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite+aiosqlite:///{target}"
    return request.getfixturevalue("postgres_ready")


@pytest.fixture
def keyring() -> Keyring:
    return Keyring([TEST_KEY])


@pytest.fixture
async def db(db_url: str, keyring: Keyring) -> AsyncIterator[Database]:
    database = Database(db_url, keyring)
    if not database.is_sqlite:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        async with database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def core(db: Database, clock: ManualClock) -> Services:
    return Services(db, admins=frozenset({"UCONFIGADMIN"}), clock=clock)


def populate(slack: FakeSlack) -> FakeSlack:
    """The workspace every test starts in: its people and its channels."""
    slack.add_user("UADMIN1", name="ada")
    slack.add_user("UMEMBER1", name="mo")
    slack.add_user("UGUEST1", name="gus", is_restricted=True)
    slack.add_user("UOWNER1", name="olga", is_owner=True)
    slack.add_channel("C0GENERAL", "general")
    slack.add_channel("C0ALERTS", "ad-ops-alerts")
    slack.add_channel("C0ADOPS", "ad-ops")
    slack.add_channel("C0OTHER", "other")
    return slack


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """The fake Slack; a test that makes the bot send a surface Slack refuses (or a message
    without fallback text) fails here, naming what was wrong. A test that sends one on purpose
    takes it out of `refusals` itself."""
    slack = populate(FakeSlack())
    await slack.start()
    yield slack
    await slack.close()
    if slack.refusals:
        pytest.fail(
            "the fake Slack refused what the bot sent:\n"
            + "\n".join(f"- {r}" for r in slack.refusals),
            pytrace=False,
        )


@pytest.fixture
async def fake_tiktok() -> AsyncIterator[FakeTikTok]:
    tiktok = FakeTikTok(rate_limit=50)
    await tiktok.start()
    tiktok.add_login("alice", 3, prefix="Shop")
    yield tiktok
    await tiktok.close()


@pytest.fixture
async def fake_mediago() -> AsyncIterator[FakeMediaGo]:
    mediago = FakeMediaGo()
    await mediago.start()
    yield mediago
    await mediago.close()


FAST_RETRY = RetryPolicy(attempts=3, total=2.0, base=0.01, cap=0.05)


@pytest.fixture
def bot_env() -> dict[str, str]:
    """What the `bot` fixture's environment adds; a module or a parametrized test overrides it
    (e.g. `{}` for a workspace that configured no admins)."""
    return {"ADOPS_ADMINS": "UADMIN1"}


@pytest.fixture
async def bot(
    db, clock, fake_slack, fake_tiktok, fake_mediago, bot_env
) -> AsyncIterator[BotUnderTest]:
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.url,
        "ADOPS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        **fake_tiktok.env(),
        **fake_mediago.env(),
        **bot_env,
    }
    settings = Settings.from_env(env)
    providers = {
        "tiktok": TikTokProvider(settings.providers["tiktok"], retry=FAST_RETRY),
        "mediago": MediaGoProvider(
            settings.providers["mediago"], retry=FAST_RETRY, token_cache=DatabaseTokenCache(db)
        ),
    }
    services = Services(
        db,
        admins=settings.admins,
        alert_channel=settings.alert_channel,
        clock=clock,
        providers=providers,
        public_url=settings.public_url,
    )
    process = build_web(settings, services)
    running = await start_bot(services, process, port, fake_slack, settings.sync_interval)
    yield running
    await running.http.close()
    await running.close()
