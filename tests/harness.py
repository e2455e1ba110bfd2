"""Drives the real bot over HTTP: the aiohttp app on 127.0.0.1, correctly signed Slack requests
in, a fake Slack Web API (and fake providers) recording what goes out."""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
from aiohttp import web

from app import Runtime
from fakes import slack_payloads as payloads
from fakes.slack import FakeSlack
from handlers.access_log import web_runner

SIGNING_SECRET = "test-signing-secret"
TEAM = "T0TEAM"
ADMIN_ID = "UADMIN1"
MEMBER_ID = "UMEMBER1"
GUEST_ID = "UGUEST1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Reply:
    status: int
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


@dataclass
class BotUnderTest:
    runtime: Runtime
    url: str
    slack: FakeSlack
    http: aiohttp.ClientSession
    runner: web.AppRunner
    responses: list[str] = field(default_factory=list)

    async def close(self) -> None:
        await self.runtime.background.drain()
        await self.runner.cleanup()
        await self.runtime.close()

    async def send(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        signed = headers if headers is not None else payloads.signed_headers(body, SIGNING_SECRET)
        signed = {**signed, "Content-Type": content_type}
        async with self.http.post(
            f"{self.url}/slack/events", data=body.encode(), headers=signed
        ) as r:
            return Reply(r.status, await r.text())

    async def command(
        self, text: str, *, user: str = ADMIN_ID, channel: str = "C0GENERAL"
    ) -> tuple[Reply, str]:
        response_url = self.slack.response_url()
        body = payloads.slash_command(
            text, user_id=user, team_id=TEAM, channel_id=channel, response_url=response_url
        )
        return await self.send(body), response_url

    async def click(
        self,
        action: dict[str, Any],
        *,
        user: str = ADMIN_ID,
        message: dict | None = None,
        view: dict | None = None,
        channel: str | None = "C0GENERAL",
    ) -> tuple[Reply, str]:
        response_url = self.slack.response_url()
        body = payloads.block_actions(
            action,
            user_id=user,
            team_id=TEAM,
            channel_id=channel if view is None else None,
            message=message,
            view=view,
            response_url=None if view is not None else response_url,
        )
        return await self.send(body), response_url

    async def submit(
        self,
        view: dict[str, Any],
        values: dict[str, dict[str, dict]],
        *,
        user: str = ADMIN_ID,
        view_id: str = "VSUBMIT1",
    ) -> Reply:
        body = payloads.view_submission(
            view,
            values,
            user_id=user,
            team_id=TEAM,
            view_id=view_id,
            private_metadata=view.get("private_metadata"),
        )
        return await self.send(body)

    async def suggest(
        self,
        action_id: str,
        value: str,
        *,
        user: str = ADMIN_ID,
        view: dict | None = None,
        block_id: str = "accounts",
    ) -> Reply:
        body = payloads.block_suggestion(
            action_id, value, block_id=block_id, user_id=user, team_id=TEAM, view=view
        )
        return await self.send(body)

    async def responses_to(self, response_url: str, count: int = 1) -> list[dict[str, Any]]:
        token = urlparse(response_url).path
        calls = []
        for _ in range(100):
            calls = [
                c.args
                for c in self.slack.calls_to("response_url")
                if token in str(c.args.get("url", ""))
            ]
            if len(calls) >= count:
                return calls
            await asyncio.sleep(0.05)
        raise AssertionError(f"expected {count} response(s) to {response_url}, got {len(calls)}")


def ticket_of(url: str) -> str:
    return parse_qs(urlparse(url).query)["ticket"][0]


async def start_bot(runtime: Runtime, port: int, slack: FakeSlack) -> BotUnderTest:
    runner = web_runner(runtime.web)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    return BotUnderTest(runtime, f"http://127.0.0.1:{port}", slack, http, runner)
