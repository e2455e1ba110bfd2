"""`adops-bot run` as production runs it: a front process that acks and a worker process it
starts, watches and restarts. Real processes, signed HTTP requests, the fake Slack."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import aiohttp
import pytest

from fakes import slack_payloads as payloads
from fakes.slack import FakeSlack
from handlers.replies import LOST
from tests.harness import free_port

ROOT = Path(__file__).resolve().parent.parent
SIGNING = "process-signing-secret"
ADMIN = "UADMIN1"
MEMBER = "UMEMBER1"


@dataclass
class Bot:
    process: subprocess.Popen[str]
    log: Path
    port: int
    slack: FakeSlack
    http: aiohttp.ClientSession

    async def health(self) -> int:
        async with self.http.get(f"http://127.0.0.1:{self.port}/health") as response:
            return response.status

    async def command(self, text: str, user: str = ADMIN) -> tuple[str, str]:
        """The ack's body, and the response_url the worker answers on."""
        url = self.slack.response_url()
        body = payloads.slash_command(
            text,
            user_id=user,
            team_id="T0TEAM",
            channel_id="C0GENERAL",
            response_url=url,
            trigger_id=self.slack.trigger(),
        )
        headers = {
            **payloads.signed_headers(body, SIGNING),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        async with self.http.post(
            f"http://127.0.0.1:{self.port}/slack/events", data=body, headers=headers
        ) as response:
            assert response.status == 200
            return await response.text(), url

    async def posted_to(self, url: str, timeout: float = 15.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            posts = [c.args for c in self.slack.calls_to("response_url") if c.args["url"] == url]
            if posts:
                return posts
            await asyncio.sleep(0.05)
        raise AssertionError(f"nothing was posted to {url}")

    def worker_pid(self) -> int | None:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(pid) for pid in children.read_text().split()]
        return pids[0] if pids else None

    async def until_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if await self.health() == 200:
                    return
            except aiohttp.ClientConnectionError:
                pass
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "the bot did not become healthy"
            await asyncio.sleep(0.1)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    slack = FakeSlack()
    await slack.start()
    slack.add_user(ADMIN, name="ada")
    slack.add_user(MEMBER, name="mo")
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "ADOPS_DATA_DIR": str(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING,
        "SLACK_API_URL": slack.url,
        "ADOPS_ADMINS": ADMIN,
        "PORT": str(port),
    }
    log = tmp_path / "bot.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "run"], cwd=ROOT, env=env, stderr=stderr, text=True
        )
    async with aiohttp.ClientSession() as http:
        running = Bot(process, log, port, slack, http)
        try:
            await running.until_healthy()
            yield running
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=20)
            await slack.close()
    assert slack.refusals == []


async def test_the_worker_does_the_work_after_the_front_acks(bot: Bot):
    _, url = await bot.command("help")
    (helped,) = await bot.posted_to(url)
    assert "/adops connect tiktok" in str(helped)
    worker = bot.worker_pid()
    assert worker is not None and worker != bot.process.pid


async def test_a_killed_worker_is_replaced_and_its_unfinished_request_is_reported(bot: Bot):
    _, warm = await bot.command("help")  # Slack's answer about the user is cached from here on
    await bot.posted_to(warm)
    first = bot.worker_pid()
    assert first is not None

    bot.slack.latency = 30.0  # the worker's reply now hangs in the fake Slack
    _, url = await bot.command("help")
    path = urlparse(url).path
    for _ in range(500):
        if any(r.path == path for r in bot.slack.requests):
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the worker never sent its reply")
    os.kill(first, signal.SIGKILL)
    bot.slack.latency = 0.0

    (told,) = await bot.posted_to(url)
    assert told["text"] == LOST and told["response_type"] == "ephemeral"
    await bot.until_healthy()
    second = bot.worker_pid()
    assert second is not None and second != first
    _, after = await bot.command("help")
    assert "/adops connect tiktok" in str(await bot.posted_to(after))


async def test_a_stop_finishes_the_work_already_acked_then_exits_cleanly(bot: Bot):
    _, warm = await bot.command("help")
    await bot.posted_to(warm)
    bot.slack.latency = 1.0
    _, url = await bot.command("help")
    bot.process.send_signal(signal.SIGTERM)
    code = await asyncio.get_running_loop().run_in_executor(None, bot.process.wait, 30)
    assert code == 0, bot.log.read_text()
    assert "/adops connect tiktok" in str(await bot.posted_to(url, timeout=1))


async def test_an_admin_granted_in_the_worker_counts_at_once_in_the_front(bot: Bot):
    refused, _ = await bot.command("sync", user=MEMBER)
    assert "admin" in refused  # the front has just read, and keeps for a while, who is admin
    _, url = await bot.command(f"admins add <@{MEMBER}>")
    assert MEMBER in str(await bot.posted_to(url))
    allowed, _ = await bot.command("sync", user=MEMBER)
    assert allowed == ""


async def test_the_oauth_pages_are_made_by_the_worker_and_served_by_the_front(bot: Bot):
    url = f"http://127.0.0.1:{bot.port}/oauth/start?ticket=not-a-ticket"
    async with bot.http.get(url, allow_redirects=False) as response:
        assert response.status == 400
        assert "This link cannot be used" in await response.text()
        assert response.headers["Cache-Control"] == "no-store"
        assert "adops_oauth" not in response.cookies
