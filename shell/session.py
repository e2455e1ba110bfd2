"""`adops-bot shell`: a terminal conversation with the real bot, no Slack workspace needed.

What is typed becomes a correctly signed Slack request dispatched into the same Bolt app and
handlers the server runs; what the bot sends to Slack lands in the local Slack stand-in and is
printed. Only the transport is simulated, never the logic.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest

from bot.clock import utcnow
from bot.scheduler import Scheduler
from fakes import slack_payloads as payloads
from fakes.slack import FakeSlack
from handlers.registry import COMMAND
from handlers.transport.web import WebProcess
from shell.browser import Browser
from shell.console import Console
from shell.demo import Demo
from shell.forms import Cancelled, FormFiller, initial_state, inputs
from shell.render import Pressable
from shell.surfaces import Screen, Surface

TEAM = "T0SHELL"
CHANNEL = "C0ADOPS"
USERS = {"admin": ("U0SHELLADM", "ada"), "member": ("U0SHELLMBR", "mo")}
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

HELP = """\
Type what you would type in Slack, e.g. `/adops help`, `/adops accounts`, `/adops connect tiktok`.
A number presses the button or menu option shown with it; `:press TEXT` presses the newest one
whose label contains TEXT. Modals ask for their fields one by one (Enter keeps a value, `:none`
clears it, `:cancel` closes the modal).
  :as admin|member   act as the admin (default) or as a member without rights
  :tick [DURATION]   move the clock on (default: one sync interval) and run a sync cycle now
  :help              this text            :quit   leave"""
DEMO_HELP = """\
Demo networks:
  :login NAME        the TikTok login the consent page signs in as
  :grant N [LOGIN]   that TikTok login grants the app N more advertisers
  :grant N mediago   the MediaGo API token reaches N more accounts
  :revoke LOGIN      revoke every token of a TikTok login
  :revoke mediago    revoke the MediaGo API token; a new secret is issued to fix it with"""


@dataclass
class ShellClock:
    """The real time plus an offset, so `:tick` can show reminders that are hours away."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return utcnow() + self.offset


class Shell:
    """The web process and the scheduler run here, in one process: what a request asks the
    scheduler for is done before the next prompt (`settle`)."""

    def __init__(
        self,
        web: WebProcess,
        scheduler: Scheduler,
        slack: FakeSlack,
        console: Console,
        signing_secret: str,
    ) -> None:
        self.web = web
        self.scheduler = scheduler
        self.services = web.services
        self.slack = slack
        self.console = console
        self.signing_secret = signing_secret
        self.user = USERS["admin"][0]
        self.demo: Demo | None = None
        self.clock: ShellClock | None = None
        self.screen = Screen({CHANNEL: "#ad-ops"}, dict(USERS.values()))
        self.browser = Browser()
        self.forms = FormFiller(console, self._load_options)
        self._modal_values: dict[str, dict[str, Any]] = {}
        self._seen = 0

    async def settle(self) -> None:
        """Until what was asked is done: the listeners' work after their acks, and the syncs
        they asked the scheduler for (with the alerts settled after them)."""
        for _ in range(3):
            await self.web.tasks.drain()
            await self.scheduler.serve_pending()
        await self.web.tasks.drain()

    # --------------------------------------------------------------- the loop

    async def run(self) -> None:
        while True:
            line = await self.console.ask(f"{self._who()}> ")
            if line is None:
                return
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line in (":quit", ":q", ":exit"):
                return
            await self.handle(line)

    async def handle(self, line: str) -> None:
        if line.startswith(COMMAND):
            await self.slash(line[len(COMMAND) :].strip())
        elif line.isdigit():
            await self.press(int(line))
        elif line.startswith(":press "):
            found = self._find(line.removeprefix(":press ").strip())
            if found is None:
                self.console.say("Nothing shown has that label.")
            else:
                await self.press(found.number)
        elif line.startswith(":"):
            await self.control(line[1:].split())
        else:
            self.console.say(f"Type {COMMAND} …, a number to press, or :help.")

    def _who(self) -> str:
        return next(name for name, (uid, _) in USERS.items() if uid == self.user)

    def _find(self, text: str) -> Pressable | None:
        matches = [p for p in self.screen.pressables.values() if text.lower() in p.label.lower()]
        return max(matches, key=lambda p: p.number) if matches else None

    # ------------------------------------------------------------- requests

    async def dispatch(self, body: str) -> dict[str, Any]:
        """One signed request into the Bolt app; returns the ack body (or {})."""
        headers = {
            **payloads.signed_headers(body, self.signing_secret),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        response = await self.web.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
        request = payloads.decode(body)
        if request is not None:
            for problem in self.slack.answered(request, response.status, response.body):
                self.console.say(f"(Slack would refuse the bot's answer: {problem})")
        await self.settle()
        if response.status != 200:
            self.console.say(f"(Slack would show an error: HTTP {response.status})")
            return {}
        return json.loads(response.body) if response.body else {}

    async def slash(self, text: str) -> None:
        body = payloads.slash_command(
            payloads.command_text(self.slack, text),  # as Slack sends it (manifest: should_escape)
            user_id=self.user,
            team_id=TEAM,
            channel_id=CHANNEL,
            response_url=self.slack.response_url(),
            trigger_id=self.slack.trigger(),
        )
        ack = await self.dispatch(body)
        self.flush(ack=ack)
        await self.settle_modals()

    async def press(self, number: int) -> None:
        pressable = self.screen.pressables.get(number)
        if pressable is None:
            self.console.say(f"There is no [{number}] on screen.")
            return
        if pressable.confirm and not await self._confirmed(pressable.confirm):
            return
        surface: Surface = pressable.surface
        action = {**pressable.action, "block_id": "b", "action_ts": "1700000000.000001"}
        if pressable.url:
            await self.open_link(pressable.url)
        if surface.is_modal:
            view = {**surface.body, "state": {"values": self._modal_values.get(surface.key, {})}}
            body = payloads.block_actions(
                action, user_id=self.user, team_id=TEAM, view=view, trigger_id=self.slack.trigger()
            )
        else:
            response_url = self.slack.response_url()
            self.screen.by_response_url[response_url] = surface
            # Slack sends a posted message back with the click, an ephemeral one never.
            posted = surface.kind != "ephemeral"
            body = payloads.block_actions(
                action,
                user_id=self.user,
                team_id=TEAM,
                trigger_id=self.slack.trigger(),
                channel_id=surface.channel or CHANNEL,
                message={**surface.body, "type": "message"} if posted else None,
                ephemeral=not posted,
                response_url=response_url,
            )
        ack = await self.dispatch(body)
        self.flush(ack=ack)
        await self.settle_modals()

    async def _confirmed(self, confirm: dict[str, Any]) -> bool:
        title = confirm.get("title", {}).get("text", "Are you sure?")
        text = confirm.get("text", {}).get("text", "")
        answer = await self.console.ask(f"  {title} {text} [y/N] ")
        return (answer or "").strip().lower() in ("y", "yes")

    async def open_link(self, url: str) -> None:
        if not Browser.reachable(url):
            self.console.say(f"🌐 Open this link in your browser: {url}")
            return
        try:
            page = await self.browser.open(url)
        except ValueError as exc:
            self.console.say(f"🌐 The link leads off this machine; open it in a browser: {exc}")
            return
        self.console.say(f"🌐 {page.title} — {page.text}")
        await self.settle()
        self.flush()
        await self.settle_modals()

    async def _load_options(self, block: dict[str, Any], query: str) -> list[dict[str, Any]]:
        top = self.screen.top_modal()
        body = payloads.block_suggestion(
            block["element"]["action_id"],
            query,
            block_id=block["block_id"],
            user_id=self.user,
            team_id=TEAM,
            view=top.body if top else None,
        )
        ack = await self.dispatch(body)
        options = list(ack.get("options") or [])
        for group in ack.get("option_groups") or []:
            options += group.get("options", [])
        return options

    # ---------------------------------------------------------------- output

    def flush(self, *, ack: dict[str, Any] | None = None, origin: Surface | None = None) -> None:
        """Print the ack (if it shows anything) and every Slack call made since the last flush."""
        lines: list[str] = []
        if ack:
            lines += self.screen.apply_ack(ack, origin, CHANNEL)
        calls = self.slack.calls[self._seen :]
        self._seen = len(self.slack.calls)
        for call in calls:
            lines += self.screen.apply(call, CHANNEL)
        if lines:
            self.console.say(*lines)

    # ---------------------------------------------------------------- modals

    async def settle_modals(self) -> None:
        """While the top modal is a form, fill it in and submit it (or cancel)."""
        while True:
            top = self.screen.top_modal()
            if top is None:
                return
            if not inputs(top.body) or not top.body.get("submit"):
                if not any(p.surface is top for p in self.screen.pressables.values()):
                    self.screen.close_modal(top)
                return
            if not await self._fill_and_submit(top):
                return

    async def _fill_and_submit(self, surface: Surface) -> bool:
        """False when the modal stays open for a button press or was cancelled."""
        values = self._modal_values.setdefault(surface.key, initial_state(surface.body))
        errors: dict[str, str] | None = None
        while True:
            try:
                await self.forms.fill(surface.body, values, errors=errors)
            except Cancelled:
                self.screen.close_modal(surface)
                self.console.say("  (modal closed)")
                return False
            submit = surface.body["submit"]["text"]
            answer = await self.console.ask(
                f"  [{submit}] with Enter · :edit to change · :cancel · or a number to press: "
            )
            answer = ":cancel" if answer is None else answer.strip()
            if answer == ":cancel":
                self.screen.close_modal(surface)
                self.console.say("  (modal closed)")
                return False
            if answer == ":edit":
                errors = None
                continue
            if answer.isdigit():
                await self.press(int(answer))
                return False
            ack = await self._submit(surface, values)
            if ack.get("response_action") == "errors":
                errors = dict(ack.get("errors") or {})
                self.console.say("  The form has problems:")
                continue
            self._modal_values.pop(surface.key, None)
            if not ack.get("response_action"):
                self.screen.close_modal(surface)
            self.flush(ack=ack, origin=surface)
            return True

    async def _submit(self, surface: Surface, values: dict[str, Any]) -> dict[str, Any]:
        body = payloads.view_submission(
            surface.body,
            values,
            user_id=self.user,
            team_id=TEAM,
            view_id=surface.view_id or "V0SHELL",
            trigger_id=self.slack.trigger(),
            private_metadata=surface.body.get("private_metadata", ""),
        )
        return await self.dispatch(body)

    # -------------------------------------------------------------- controls

    async def control(self, words: list[str]) -> None:
        name, args = (words[0], words[1:]) if words else ("help", [])
        if name == "help":
            self.console.say(HELP, *([DEMO_HELP] if self.demo else []))
        elif name == "as" and args and args[0] in USERS:
            self.user = USERS[args[0]][0]
            self.console.say(f"You are now {USERS[args[0]][1]} ({args[0]}).")
        elif name == "tick":
            await self.tick(args[0] if args else None)
        elif self.demo is not None and name == "login" and args:
            self.console.say(self.demo.login(args[0]))
        elif self.demo is not None and name == "revoke" and args:
            self.console.say(self.demo.revoke(args[0]))
        elif self.demo is not None and name == "grant" and args and args[0].isdigit():
            self.console.say(self.demo.grant(int(args[0]), args[1] if len(args) > 1 else None))
        else:
            self.console.say("Unknown or incomplete shell command; :help lists them.")

    async def tick(self, duration: str | None) -> None:
        interval = self.scheduler.interval
        step = timedelta(seconds=interval * 1.2)
        if duration:
            match = _DURATION.match(duration)
            if match is None:
                self.console.say("A duration looks like 30m, 4h or 1d.")
                return
            step = timedelta(seconds=int(match[1]) * _UNITS[match[2]])
        if self.clock is not None:
            self.clock.offset += step
        report = await self.scheduler.run_cycle()
        await self.settle()
        changed = sum(len(r.new) + len(r.lost) for r in report.synced)
        self.console.say(
            f"⏱ {step} later: synced {len(report.synced)} profile(s)"
            + (f", {changed} account change(s)" if changed else "")
            + "."
        )
        self.flush()
        await self.settle_modals()
