"""`adops-bot run` as production runs it: the web process, and the scheduler process it starts,
watches and restarts. Real processes, signed HTTP requests, the fake Slack and fake MediaGo on
127.0.0.1, and faults dealt with real signals."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.runtime import open_database
from fakes import slack_payloads as payloads
from fakes.mediago import FakeMediaGo, as_basic
from fakes.slack import FakeSlack
from fakes.tiktok import FakeTikTok
from handlers.ids import INPUT_ACTION, Action, Field, Modal
from handlers.transport.oauth_routes import COOKIE
from storage.models import AdAccount, AuditEvent
from tests.factories import make_accounts, make_profile
from tests.harness import free_port

ROOT = Path(__file__).resolve().parent.parent
SIGNING = "process-signing-secret-4b1d"
BOT_TOKEN = "xoxb-process-bot-token-7e2a"
ADMIN = "UADMIN1"
TOKEN = as_basic("mg-process-token")


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def gone(pid: int) -> bool:
    """No such process any more (reaped), or one that has exited and awaits its reaper."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:
        return True


async def until(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class World:
    """What outlives one start of the bot: its data folder, the fake Slack and MediaGo."""

    data: Path
    slack: FakeSlack
    mediago: FakeMediaGo
    tiktok: FakeTikTok
    http: aiohttp.ClientSession
    port: int = field(default_factory=free_port)
    bots: list[Bot] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ["PATH"],
            "ADOPS_DATA_DIR": str(self.data),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING,
            "ADOPS_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
            "SLACK_API_URL": self.slack.url,
            "ADOPS_ADMINS": ADMIN,
            "ADOPS_SYNC_INTERVAL": "30",
            "PORT": str(self.port),
            **self.mediago.env(),
            **self.tiktok.env(),
            **self.extra,
        }

    async def start(self) -> Bot:
        log = self.data / f"bot-{len(self.bots)}.log"
        with log.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "app", "run"],
                cwd=ROOT,
                env=self.env,
                stderr=stderr,
                text=True,
            )
        bot = Bot(process, log, self)
        self.bots.append(bot)
        await bot.until_healthy()
        return bot

    async def database(self) -> Any:
        return await open_database(Settings.from_env(self.env))


@dataclass
class Bot:
    process: subprocess.Popen[str]
    log: Path
    world: World

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.world.port}"

    def scheduler_pid(self) -> int | None:
        pids = children_of(self.process.pid)
        return pids[0] if pids else None

    async def until_healthy(self, timeout: float = 30.0) -> None:
        """Healthy once the scheduler it started has written its first heartbeat."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "the bot did not become healthy"
            try:
                async with self.world.http.get(f"{self.url}/health") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)

    async def send(self, body: str) -> str:
        headers = {
            **payloads.signed_headers(body, SIGNING),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        async with self.world.http.post(
            f"{self.url}/slack/events", data=body, headers=headers
        ) as response:
            assert response.status == 200
            text = await response.text()
        request = payloads.decode(body, "application/x-www-form-urlencoded")
        if request is not None:
            self.world.slack.answered(request, 200, text)
        return text

    async def command(self, text: str) -> tuple[str, str]:
        """The ack's body, and the response_url the bot answers on later."""
        slack = self.world.slack
        url = slack.response_url()
        body = payloads.slash_command(
            text,
            user_id=ADMIN,
            team_id="T0TEAM",
            channel_id="C0GENERAL",
            response_url=url,
            trigger_id=slack.trigger(),
        )
        return await self.send(body), url

    async def posted_to(self, url: str, timeout: float = 20.0) -> list[dict[str, Any]]:
        def posts() -> list[dict[str, Any]]:
            return [
                c.args for c in self.world.slack.calls_to("response_url") if c.args["url"] == url
            ]

        found: list[dict[str, Any]] = await until(posts, f"a post to {url}", timeout)
        return found

    async def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.process.wait, 40)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    slack = FakeSlack()
    await slack.start()
    slack.add_user(ADMIN, name="ada")
    mediago = FakeMediaGo()
    await mediago.start()
    tiktok = FakeTikTok()
    await tiktok.start()
    tiktok.add_login("alice", 2, prefix="Shop")
    async with aiohttp.ClientSession() as http:
        running = World(tmp_path, slack, mediago, tiktok, http)
        try:
            yield running
        finally:
            for bot in running.bots:
                if bot.process.poll() is None:
                    bot.process.kill()
                    bot.process.wait(timeout=20)
            await tiktok.close()
            await mediago.close()
            await slack.close()
    assert slack.refusals == []


def text_of(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def connect_mediago(bot: Bot, accounts: int) -> None:
    """Through Slack as a person does it; done once the scheduler's first sync is reported."""
    slack = bot.world.slack
    bot.world.mediago.add_credentials(TOKEN, accounts=accounts)
    await bot.command("connect mediago")
    (opened,) = await slack.wait_for("views.open")
    view = opened.result["view"]
    assert view["callback_id"] == Modal.MEDIAGO_CREDENTIALS
    values = {
        Field.NAME: {INPUT_ACTION: payloads.text_value("MG Client")},
        Field.KEY: {INPUT_ACTION: payloads.text_value("")},
        Field.SECRET: {INPUT_ACTION: payloads.text_value(TOKEN)},
    }
    body = payloads.view_submission(
        view,
        values,
        user_id=ADMIN,
        team_id="T0TEAM",
        view_id=view["id"],
        trigger_id=slack.trigger(),
        private_metadata=view.get("private_metadata"),
    )
    await bot.send(body)

    def reported() -> bool:
        return any(
            "Connected *MG Client*" in str(c.args.get("text"))
            for c in slack.calls_to("chat.postMessage")
        )

    await until(reported, "the first sync's report")


async def test_the_web_process_acks_and_its_scheduler_does_the_syncs(world: World):
    bot = await world.start()
    scheduler = bot.scheduler_pid()
    assert scheduler is not None and scheduler != bot.process.pid
    _, url = await bot.command("help")
    assert "/adops connect tiktok" in text_of(await bot.posted_to(url))
    await connect_mediago(bot, accounts=3)
    (dm,) = [c for c in world.slack.calls_to("chat.postMessage") if "MG Client" in str(c.args)]
    assert "3 ad account(s) reachable, 3 new" in dm.args["text"]
    assert TOKEN not in text_of([c.args for c in world.slack.calls])
    assert await bot.stop() == 0


async def test_a_killed_scheduler_is_restarted_and_takes_back_the_sync_it_held(world: World):
    bot = await world.start()
    await connect_mediago(bot, accounts=2)
    first = bot.scheduler_pid()
    assert first is not None

    world.mediago.latency = 60.0  # the next sync hangs at MediaGo, under the scheduler's lease
    asked = len(world.mediago.requests)
    _, url = await bot.command("sync")
    await until(lambda: len(world.mediago.requests) > asked, "the sync to reach MediaGo")
    os.kill(first, signal.SIGKILL)
    world.mediago.latency = 0.0

    killed = time.monotonic()

    def answered() -> list[dict[str, Any]]:
        return [p for p in world.slack.calls_to("response_url") if "reachable" in str(p.args)]

    (answer,) = await until(answered, "the answer to /adops sync", timeout=30)
    # Its successor took the lease and the claim back at once, instead of waiting 5 minutes
    # for them to lapse: well inside one sync interval (30 s here).
    assert time.monotonic() - killed < 15
    assert answer.args["url"] == url
    assert "*MG Client* (MediaGo): 2 account(s) reachable" in text_of(answer.args)
    second = bot.scheduler_pid()
    assert second is not None and second != first
    assert "the scheduler process exited" in bot.log.read_text()
    assert await bot.stop() == 0


async def test_a_killed_web_process_leaves_a_bulk_change_whole_or_not_at_all(world: World):
    """kill -9 mid-request: what it interrupted is lost, as in any Bolt app; nothing is left
    half-applied, the scheduler it started goes too, and the user can simply retry."""
    count = 3000
    db = await world.database()
    try:
        now = datetime.now(UTC)
        profile = await make_profile(db, now, name="Main")
        await make_accounts(db, now, count, profile_id=profile)
    finally:
        await db.dispose()

    bot = await world.start()
    scheduler = bot.scheduler_pid()
    assert scheduler is not None
    await bulk_submitted(bot)
    # The modal now says the change is under way; the web process dies doing it.
    bot.process.kill()
    bot.process.wait(timeout=10)
    await until(lambda: gone(scheduler), "the orphaned scheduler to stop", timeout=10)
    done = [c for c in world.slack.calls_to("views.update") if " done*" in text_of(c.args)]
    assert done == [], "the bulk change finished before the kill; nothing was interrupted"

    db = await world.database()
    try:
        async with db.reader() as session:
            archived = await session.scalar(
                select(func.count()).select_from(AdAccount).where(AdAccount.archived.is_(True))
            )
            audited = await session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.target_type == "account")
            )
    finally:
        await db.dispose()
    assert archived in (0, count)
    assert audited == archived  # every change with its audit entry, or neither

    again = await world.start()
    await bulk_submitted(again)
    await until(
        lambda: any(" done*" in text_of(c.args) for c in world.slack.calls_to("views.update")),
        "the retried bulk change to finish",
        timeout=60,
    )
    assert await again.stop() == 0


async def bulk_submitted(bot: Bot) -> tuple[dict[str, Any], str]:
    """`/adops accounts`, Bulk actions, archive every account listed: submitted and acked."""
    slack = bot.world.slack
    _, url = await bot.command("accounts")
    (listing,) = await bot.posted_to(url)
    button = next(
        e
        for b in listing["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.BULK_OPEN
    )
    opened = len(slack.calls_to("views.open"))
    await bot.send(
        payloads.block_actions(
            payloads.button(Action.BULK_OPEN, button["value"]),
            user_id=ADMIN,
            team_id="T0TEAM",
            trigger_id=slack.trigger(),
            channel_id="C0GENERAL",
            ephemeral=True,
            response_url=slack.response_url(),
        )
    )
    await slack.wait_for("views.open", opened + 1)

    def modal() -> dict[str, Any] | None:
        for call in reversed(
            [c for c in slack.calls if c.method in ("views.open", "views.update")]
        ):
            view = call.result.get("view") or {}
            if view.get("callback_id") == Modal.BULK:
                return dict(view)
        return None

    view = await until(modal, "the bulk modal")
    values = {
        Field.ACTION: {INPUT_ACTION: payloads.selected("archive")},
        Field.ACCOUNTS + "_scope": {INPUT_ACTION: payloads.selected("all", "radio_buttons")},
    }
    ack = await bot.send(
        payloads.view_submission(
            view,
            values,
            user_id=ADMIN,
            team_id="T0TEAM",
            view_id=view["id"],
            trigger_id=slack.trigger(),
            private_metadata=view.get("private_metadata"),
        )
    )
    assert json.loads(ack)["response_action"] == "update"
    return listing, url


async def test_sigterm_finishes_acked_work_and_both_processes_exit_0(world: World):
    bot = await world.start()
    scheduler = bot.scheduler_pid()
    assert scheduler is not None
    _, warm = await bot.command("help")
    await bot.posted_to(warm)
    world.slack.latency = 1.0  # the answer to the next command is still on its way
    _, url = await bot.command("help")
    bot.process.send_signal(signal.SIGTERM)
    assert await bot.stop() == 0, bot.log.read_text()
    assert "/adops connect tiktok" in text_of(await bot.posted_to(url, timeout=1))
    assert gone(scheduler)
    assert "Traceback" not in bot.log.read_text()


async def test_the_sign_in_pages_are_served_by_the_web_process(world: World):
    bot = await world.start()
    url = f"{bot.url}/oauth/start?ticket=not-a-ticket"
    async with world.http.get(url, allow_redirects=False) as response:
        assert response.status == 400
        assert "This link cannot be used" in await response.text()
        assert response.headers["Cache-Control"] == "no-store"
        assert "adops_oauth" not in response.cookies
    assert await bot.stop() == 0


async def test_a_debug_run_logs_no_secret_token_or_link(world: World):
    """Everything a person and the providers hand the bot, through a DEBUG run of both
    processes: a TikTok sign-in (ticket, state, code, cookie, token), MediaGo credentials and
    the access tokens they buy, the keys and Slack tokens. None is in any log line."""
    world.extra["LOG_LEVEL"] = "DEBUG"
    bot = await world.start()
    _, url = await bot.command("connect tiktok")
    (offer,) = await bot.posted_to(url)
    link = next(e["url"] for b in offer["blocks"] for e in b.get("elements", []) if e.get("url"))
    async with world.http.get(link, allow_redirects=False) as started:
        assert started.status == 302
        cookie = started.cookies[COOKIE].value
        consent = started.headers["Location"]
    async with world.http.get(consent, allow_redirects=False) as consented:
        callback = consented.headers["Location"]
    headers = {"Cookie": f"{COOKIE}={cookie}"}
    async with world.http.get(callback, allow_redirects=False, headers=headers) as done:
        assert done.status == 200
    await until(
        lambda: any("Connected *TikTok 1*" in str(c.args) for c in world.slack.calls),
        "the TikTok sign-in's first sync",
    )
    await connect_mediago(bot, accounts=2)
    assert await bot.stop() == 0

    seen = [r.headers for r in (*world.tiktok.requests, *world.mediago.requests)]
    secrets = {
        "Slack bot token": BOT_TOKEN,
        "signing secret": SIGNING,
        "encryption key": (world.data / "encryption.key").read_text().strip(),
        "TikTok app secret": world.tiktok.app_secret,
        "MediaGo API token": TOKEN,
        "cookie": cookie,
        **{f"link {n}": v for n, v in enumerate(parse_qs(urlparse(link).query)["ticket"])},
        **{f"callback {k}": v[0] for k, v in parse_qs(urlparse(callback).query).items()},
        **{f"TikTok token {n}": t for n, t in enumerate(world.tiktok.tokens)},
        **{
            f"header {n}": h[name].removeprefix("Bearer ")
            for n, h in enumerate(seen)
            for name in ("Access-Token", "Authorization")
            if name in h
        },
        **{f"reply URL {n}": u for n, u in enumerate(world.slack.issued_response_urls())},
    }
    logs = "".join(b.log.read_text() for b in world.bots)
    assert " DEBUG " in logs  # it was a DEBUG run
    assert [what for what, secret in secrets.items() if secret in logs] == []
