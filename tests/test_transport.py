"""What sits between aiohttp and the features: the events route refuses what Slack could not have
sent, cheaply and in one log line; `/health` says whether this deployment can serve."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.config import Settings
from bot.scheduler import Scheduler
from bot.services import Services
from fakes import slack_payloads as payloads
from handlers.transport.access_log import web_runner
from handlers.transport.events import MAX_BODY
from handlers.transport.web import build_web
from storage.db import Database
from storage.secrets import Keyring
from tests.harness import SIGNING_SECRET, BotUnderTest, free_port
from tests.support import ManualClock


def one_line_logs(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "handlers.transport.events"]


async def post(bot: BotUnderTest, body: bytes | str, headers: dict[str, str]) -> int:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    async with bot.http.post(f"{bot.url}/slack/events", data=body, headers=headers) as reply:
        return reply.status


async def test_a_timestamp_that_is_not_a_number_is_refused_in_one_line(bot, caplog):
    body = urlencode({"command": "/adops", "text": "help"})
    headers = {**payloads.signed_headers(body, SIGNING_SECRET), "X-Slack-Request-Timestamp": "x"}
    caplog.set_level(logging.INFO)
    assert await post(bot, body, headers) == 401
    (logged,) = one_line_logs(caplog)
    assert logged.exc_info is None and "signature" in logged.getMessage()
    assert bot.slack.calls == []


async def test_deeply_nested_json_is_refused_with_400_in_one_line(bot, caplog):
    body = urlencode({"payload": "[" * 100_000 + "]" * 100_000})
    caplog.set_level(logging.INFO)
    assert await post(bot, body, payloads.signed_headers(body, SIGNING_SECRET)) == 400
    (logged,) = one_line_logs(caplog)
    assert logged.exc_info is None and "nests too deeply" in logged.getMessage()


async def test_an_unsigned_body_is_refused_before_it_is_parsed(bot, caplog):
    """A megabyte that would cost a parse (deep JSON in a form) is refused by its signature
    alone: the log says so, and nothing about its content."""
    nested = "[" * 200_000 + "]" * 200_000
    body = urlencode({"payload": nested})[: MAX_BODY - 1]
    caplog.set_level(logging.INFO)
    headers = {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"}
    assert await post(bot, body, headers) == 401
    (logged,) = one_line_logs(caplog)
    assert "signature" in logged.getMessage()


async def test_a_body_above_slacks_largest_is_refused_unread(bot):
    body = b"payload=" + b"x" * MAX_BODY
    assert await post(bot, body, payloads.signed_headers(body.decode(), SIGNING_SECRET)) == 413


async def health(bot: BotUnderTest) -> tuple[int, dict[str, str]]:
    async with bot.http.get(f"{bot.url}/health") as reply:
        return reply.status, await reply.json()


async def test_health_needs_a_scheduler_that_beats(bot: BotUnderTest, clock: ManualClock):
    assert await health(bot) == (
        503,
        {"status": "unavailable", "database": "ok", "scheduler": "silent"},
    )
    stop = asyncio.Event()
    beating = asyncio.create_task(bot.scheduler.beat(stop))
    for _ in range(100):
        if (await health(bot))[0] == 200:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await beating
    assert await health(bot) == (200, {"status": "ok", "database": "ok", "scheduler": "ok"})
    clock.advance(minutes=3)  # a frozen scheduler writes no more beats
    assert (await health(bot))[1]["scheduler"] == "silent"


async def test_health_is_503_when_the_database_refuses_writes(
    tmp_path: Path, sqlite_template: Path, keyring: Keyring
):
    """A read-only database (a full disk or a read-only mount refuse writes the same way):
    reads still work, so only a write shows it."""
    path = tmp_path / "adops.db"
    path.write_bytes(sqlite_template.read_bytes())
    writable = Database(f"sqlite+aiosqlite:///{path}", keyring)
    beats = Scheduler(Services(writable), None, interval=60)
    await beats._heartbeat()
    await writable.dispose()
    read_only = Database(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true", keyring)
    port = free_port()
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_SIGNING_SECRET": "s"})
    services = Services(read_only)
    web = build_web(settings, services)
    runner = web_runner(web.app)
    await runner.setup()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/health") as reply,
        ):
            assert reply.status == 503
            assert json.loads(await reply.text()) == {"status": "unavailable", "database": "error"}
    finally:
        await runner.cleanup()
        await web.close(grace=1)
        await read_only.dispose()
