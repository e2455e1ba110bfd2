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

from bot.scheduler import Scheduler
from bot.services import Services
from fakes import slack_payloads as payloads
from fakes.slack import FakeSlack
from handlers.notifiers import SlackNotifier, SlackReporter
from handlers.transport.access_log import web_runner
from handlers.transport.web import WebProcess

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
    """The web process on a real port, and in the same process the scheduler's serving of the
    syncs people ask for (as `adops-bot run` has it in a child); its sync cycles run only when a
    test asks (`scheduler.run_cycle`), on the test's clock."""

    services: Services
    web: WebProcess
    scheduler: Scheduler
    url: str
    slack: FakeSlack
    http: aiohttp.ClientSession
    runner: web.AppRunner
    serving: asyncio.Task[None]
    stop: asyncio.Event
    responses: list[str] = field(default_factory=list)

    async def settle(self, timeout: float = 10.0) -> None:
        """Until the work of the requests sent so far is done: what each listener does after
        its ack, and the syncs they asked the scheduler for (served here, or by the loop)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            await self.web.tasks.drain()
            await self.scheduler.serve_pending()
            idle = not self.web.tasks.busy and not self.scheduler.serving
            if idle and not await self.services.sync_requests.pending():
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("sync requests still open after the timeout")
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        await self.web.tasks.drain()
        self.stop.set()
        await self.serving
        await self.runner.cleanup()
        await self.web.close(grace=5)
        await self.services.close()

    async def send(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """POST a body as Slack does, and hand the ack to the fake Slack, which reads it as
        Slack would (a command's reply, a modal's errors or next view, an option list)."""
        signed = headers if headers is not None else payloads.signed_headers(body, SIGNING_SECRET)
        signed = {**signed, "Content-Type": content_type}
        async with self.http.post(
            f"{self.url}/slack/events", data=body.encode(), headers=signed
        ) as r:
            reply = Reply(r.status, await r.text())
        request = payloads.decode(body, content_type)
        if request is not None:
            self.slack.answered(request, reply.status, reply.text)
        return reply

    async def command(
        self, text: str, *, user: str = ADMIN_ID, channel: str = "C0GENERAL"
    ) -> tuple[Reply, str]:
        response_url = self.slack.response_url()
        body = payloads.slash_command(
            text,
            user_id=user,
            team_id=TEAM,
            channel_id=channel,
            response_url=response_url,
            trigger_id=self.slack.trigger(),
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
        org_install: bool = False,
        user_team: str | None = None,
    ) -> tuple[Reply, str]:
        """A click on a surface the bot made: in a modal (`view`), on a message it posted to a
        channel (a `message` the fake Slack holds, which Slack sends back), or else on an
        ephemeral message, whose content Slack does not send."""
        response_url = self.slack.response_url()
        posted = (
            message is not None and (str(channel), str(message.get("ts"))) in self.slack.messages
        )
        body = payloads.block_actions(
            action,
            user_id=user,
            team_id=TEAM,
            trigger_id=self.slack.trigger(),
            channel_id=channel if view is None else None,
            message=self.slack.messages[(str(channel), str(message["ts"]))] if posted else None,
            ephemeral=not posted,
            view=view,
            response_url=None if view is not None else response_url,
            org_install=org_install,
            user_team_id=user_team,
        )
        return await self.send(body), response_url

    async def press(
        self,
        surface: dict[str, Any],
        action_id: str,
        choice: str | None = None,
        *,
        user: str = ADMIN_ID,
        channel: str | None = "C0GENERAL",
    ) -> tuple[Reply, str]:
        """Press what a surface shows, as a person would: the element with that action_id (for a
        menu, the option whose value starts with `choice`, in its options or option groups),
        with the value and block_id the
        surface gives it. A test cannot press what the bot never showed."""
        action = pressed(surface, action_id, choice)
        is_view = surface.get("type") in ("modal", "home")
        return await self.click(
            action,
            user=user,
            message=None if is_view else surface,
            view=surface if is_view else None,
            channel=channel,
        )

    async def submit(
        self,
        view: dict[str, Any],
        values: dict[str, dict[str, dict]],
        *,
        user: str = ADMIN_ID,
        org_install: bool = False,
    ) -> Reply:
        """Submit a modal that is open in Slack: one the fake holds (by its id), or else the
        given view, opened in the fake first."""
        view_id = view.get("id")
        if view_id not in self.slack.open_views:
            view = self.slack.open_view(view)
            view_id = view["id"]
        body = payloads.view_submission(
            view,
            values,
            user_id=user,
            team_id=TEAM,
            view_id=view_id,
            trigger_id=self.slack.trigger(),
            private_metadata=view.get("private_metadata"),
            org_install=org_install,
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


def pressed(surface: dict[str, Any], action_id: str, choice: str | None) -> dict[str, Any]:
    """The block_actions `action` Slack sends for pressing that element of the surface."""
    for block in surface.get("blocks") or []:
        elements = [*(block.get("elements") or []), block.get("accessory"), block.get("element")]
        for element in elements:
            if not isinstance(element, dict) or element.get("action_id") != action_id:
                continue
            block_id = block.get("block_id", "b1")
            if element["type"] == "button":
                return payloads.button(action_id, element.get("value"), block_id=block_id)
            if element["type"] == "external_select" and choice is not None:
                # Its options came from an options load, not from the surface.
                return {
                    **payloads.static_select(action_id, choice, block_id=block_id),
                    "type": "external_select",
                }
            groups = element.get("option_groups") or []
            for option in [
                *(element.get("options") or []),
                *(o for g in groups for o in g["options"]),
            ]:
                if choice is not None and option["value"].startswith(choice):
                    build = (
                        payloads.overflow
                        if element["type"] == "overflow"
                        else payloads.static_select
                    )
                    return build(action_id, option["value"], block_id=block_id)
    raise AssertionError(
        f"the surface shows no {action_id!r}" + (f" to choose {choice!r}" if choice else "")
    )


def ticket_of(url: str) -> str:
    return parse_qs(urlparse(url).query)["ticket"][0]


async def start_bot(
    services: Services, process: WebProcess, port: int, slack: FakeSlack, interval: float
) -> BotUnderTest:
    runner = web_runner(process.app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    scheduler = Scheduler(
        services,
        SlackNotifier(process.client),
        reporter=SlackReporter(process.client),
        interval=interval,
    )
    stop = asyncio.Event()
    serving = asyncio.create_task(scheduler.serve_requests(stop, poll=0.05))
    return BotUnderTest(
        services, process, scheduler, f"http://127.0.0.1:{port}", slack, http, runner, serving, stop
    )
