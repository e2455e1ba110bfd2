"""A fake Slack Web API on 127.0.0.1 that refuses what real Slack refuses.

It answers the methods the bot uses in Slack's shapes, records every call (and every response_url
post), and can fail on demand. Every surface the bot sends (messages, ephemerals, updates,
response_url posts, views, and the acks the test harness hands it) goes through Slack's Block Kit
rules (`fakes.block_kit`); a refused surface gets Slack's own error and is recorded in
`refusals`, and the `fake_slack` test fixture fails any test that caused one.

Besides the surfaces, the fake keeps the state real Slack keeps and refuses what it refuses:
trigger ids (3 s, once), response_urls (5 posts within 30 minutes), channels the bot may post to,
open views, and users. The sources are cited where each rule is enforced.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from fakes import block_kit
from fakes._server import FakeServer
from fakes.slack_methods import RESPONSE_URL_SECONDS, RESPONSE_URL_USES, SlackMethods
from fakes.slack_socket import SocketMode


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    result: dict[str, Any] = field(default_factory=dict)
    """What the fake answered ({"ok": ...}), so a viewer can learn message ts and view ids."""


@dataclass(frozen=True)
class Refusal:
    """A surface Slack would refuse (`refused`), or accept although it is wrong (a warning)."""

    method: str
    problems: tuple[block_kit.Problem, ...]
    refused: bool = True

    def __str__(self) -> str:
        verdict = "refused" if self.refused else "accepted, but wrong"
        return f"{self.method} {verdict}: " + "; ".join(str(p) for p in self.problems)


@dataclass
class SlackUser:
    id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    is_bot: bool = False
    deleted: bool = False
    tz: str = "Europe/Berlin"
    team_id: str | None = None
    """The user's home workspace; another team's id makes them a Slack Connect user."""


@dataclass
class Channel:
    id: str
    name: str
    private: bool = False
    archived: bool = False
    bot_member: bool = False


@dataclass
class _ResponseUrl:
    created: float
    uses: int = 0


@dataclass
class _Failure:
    status: int
    error: str | None
    retry_after: int | None
    accepted: bool = False


class FakeSlack(SlackMethods, SocketMode, FakeServer):
    def __init__(
        self,
        *,
        team_id: str = "T0TEAM",
        bot_user_id: str = "UBOT",
        latency: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__(latency=latency, seed=seed)
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.calls: list[Call] = []
        self.refusals: list[Refusal] = []
        self.users: dict[str, SlackUser] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.open_views: set[str] = set()
        self._failures: dict[str, list[_Failure]] = {}
        self._failure_rates: dict[str, tuple[float, int]] = {}
        self._triggers: dict[str, float | None] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._offset = 0.0
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self.sockets: list[web.WebSocketResponse] = []
        self._pushed: dict[str, dict[str, Any]] = {}
        self.socket_acks: dict[str, dict[str, Any]] = {}

    @property
    def url(self) -> str:
        return self.base + "/api/"

    def now(self) -> float:
        return time.monotonic() + self._offset

    # ------------------------------------------------------------- controls

    def add_user(self, user_id: str, **facts: Any) -> SlackUser:
        user = SlackUser(user_id, facts.pop("name", user_id.lower()), **facts)
        user.team_id = user.team_id or self.team_id
        self.users[user_id] = user
        return user

    def add_channel(self, channel_id: str, name: str, **facts: Any) -> Channel:
        channel = Channel(channel_id, name, **facts)
        self.channels[channel_id] = channel
        return channel

    def advance(self, seconds: float) -> None:
        """Move the fake's clock on: triggers and response_urls age as they would in Slack."""
        self._offset += seconds

    def trigger(self) -> str:
        """A trigger_id as Slack sends with an interaction; views.open honours only these."""
        value = f"{secrets.randbelow(10**10)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"
        self._triggers[value] = self.now()
        return value

    def response_url(self) -> str:
        url = f"{self.base}/response/{secrets.token_hex(8)}"
        self._response_urls[url] = _ResponseUrl(created=self.now())
        return url

    def issued_response_urls(self) -> list[str]:
        """Every response_url handed out: each lets whoever holds it post as the app."""
        return list(self._response_urls)

    def expire_response_url(self, url: str) -> None:
        self._response_urls[url].created -= RESPONSE_URL_SECONDS + 1

    def open_view(self, view: dict[str, Any]) -> dict[str, Any]:
        """A view that is open in someone's Slack client (the harness submits these)."""
        return self._store_view(view)["view"]

    def close_view(self, view_id: str) -> None:
        self.open_views.discard(view_id)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            if asyncio.get_running_loop().time() > deadline:
                seen = sorted({c.method for c in self.calls})
                raise AssertionError(f"{len(found)}/{count} {method} calls; saw {seen}")
            await asyncio.sleep(0.02)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        count: int = 1,
        retry_after: int | None = 1,
        error: str | None = None,
        accepted: bool = False,
    ) -> None:
        """Fail the next calls to `method`. `accepted`: do what was asked, then answer with the
        failure anyway, as Slack has been seen to (a 500 after it posted the message; issue 17's
        replica trial)."""
        failure = _Failure(status, error, retry_after, accepted)
        self._failures.setdefault(method, []).extend([failure] * count)

    def fail_rate(self, method: str, fraction: float, *, status: int = 500) -> None:
        self._failure_rates[method] = (fraction, status)

    # ------------------------------------------------------------ checking

    def refuse(
        self, method: str, problems: list[block_kit.Problem], *, refused: bool = True
    ) -> None:
        if problems:
            self.refusals.append(Refusal(method, tuple(problems), refused))

    def answered(self, request: dict[str, Any], status: int, body: str) -> list[block_kit.Problem]:
        """Read an app's answer (its ack) to a request, as Slack does: check it, and for a view
        submission close or replace the view (MODALS: an empty 200 closes it, `clear` closes
        the stack, `update` replaces it). `request` is the decoded payload or command form."""
        if status != 200:
            return []
        try:
            ack = json.loads(body) if body else None
        except ValueError:
            ack = body  # a plain-text ack of a command is shown as the message text
        kind = request.get("type")
        view = request.get("view")
        if kind == "view_submission" and isinstance(view, dict):
            action = ack.get("response_action") if isinstance(ack, dict) else None
            if action in (None, "clear"):
                self.close_view(str(view.get("id")))
            elif action == "update" and isinstance(ack.get("view"), dict):
                # A replaced view is a new state of it: updates holding the old hash are stale.
                self._store_view(ack["view"], str(view.get("id")))
        if ack is None:
            return []
        if kind == "view_submission":
            problems = block_kit.submission_ack_problems(ack, request.get("view") or {})
        elif kind == "block_suggestion":
            problems = block_kit.options_ack_problems(ack)
        elif "command" in request and isinstance(ack, dict):
            problems, warnings = block_kit.message_problems(ack, method="ack")
            self.refuse("ack (command)", warnings, refused=False)
        else:
            problems = []
        self.refuse(f"ack ({kind or 'command'})", problems)
        return problems

    # --------------------------------------------------------------- routes

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", "/api/{method}", self._api),
            web.post("/response/{token}", self._respond),
            web.get("/socket", self._socket),
        ]

    async def close(self) -> None:
        for ws in self.sockets:
            await ws.close()
        await super().close()

    # ---------------------------------------------------------- response_url

    async def _respond(self, request: web.Request) -> web.Response:
        url = str(request.url)
        try:
            args = await request.json()
        except ValueError:
            args = {}
        args = args if isinstance(args, dict) else {}
        args["url"] = url
        call = Call("response_url", args)
        self.calls.append(call)
        status, text = self._response_verdict(url, args)
        call.result = {"ok": status == 200, "status": status, "body": text}
        return web.Response(status=status, text=text)

    def _response_verdict(self, url: str, args: dict[str, Any]) -> tuple[int, str]:
        """What a response_url answers: plain text, never JSON (tests/data/slack/
        response_url.replies.observed.json): 200 `ok`, 400 `invalid_blocks` for a message that
        breaks the rules chat.postMessage holds it to, `Expired url` after 30 minutes. What
        Slack answers after the fifth use, and the status of the expired reply, no source
        shows: the fake refuses both with a 404, so that a bot that relies on them fails here
        first."""
        known = self._response_urls.get(url)
        if known is None:
            return 404, "no_such_url"
        if self.now() - known.created > RESPONSE_URL_SECONDS:
            return 404, "Expired url"
        if known.uses >= RESPONSE_URL_USES:
            return 404, "used_url"
        if not args.get("text") and not args.get("blocks") and not args.get("delete_original"):
            return 400, "no_text"
        problems, warnings = block_kit.message_problems(args, method="response_url")
        self.refuse("response_url", warnings, refused=False)
        if problems:
            self.refuse("response_url", problems)
            return 400, "invalid_blocks"
        known.uses += 1
        return 200, "ok"

    # -------------------------------------------------------------- Web API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        call = Call(method, args)
        self.calls.append(call)
        failure = self._take_failure(method)
        if failure is not None:
            if failure.accepted:
                self._perform(method, args)
            call.result = {"ok": False}
            if failure.error:
                return web.json_response(
                    {"ok": False, "error": failure.error}, status=failure.status
                )
            headers = (
                {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            )
            return web.json_response(
                {"ok": False, "error": "ratelimited" if failure.status == 429 else "fatal_error"},
                status=failure.status,
                headers=headers,
            )
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or args.get(
            "token", ""
        )
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        wanted = "xapp-" if method == "apps.connections.open" else "xoxb-"
        if not str(token).startswith(wanted):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        call.result = self._perform(method, args)
        return web.json_response(call.result)

    def _perform(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        result = handler(args) if handler else {}
        return {"ok": "error" not in result, **result}

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if queue:
            return queue.pop(0)
        rate = self._failure_rates.get(method)
        if rate and self._rng.random() < rate[0]:
            return _Failure(rate[1], None, 0)
        return None

    @staticmethod
    async def _args(request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        raw = (await request.read()).decode()
        if raw:
            if "json" in (request.content_type or ""):
                args.update(json.loads(raw))
            else:
                args.update(dict(parse_qsl(raw)))
        for key in ("blocks", "view", "attachments"):
            if isinstance(args.get(key), str):
                try:
                    args[key] = json.loads(args[key])
                except ValueError:
                    args[key] = {"unparseable": args[key]}
        return args

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _next_view_id(self) -> str:
        return f"V{next(self._views):08d}"

    def _store_view(self, view: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        view_id = view_id or self._next_view_id()
        stored = {**view, "id": view_id, "hash": secrets.token_hex(6), "team_id": self.team_id}
        self.views[view_id] = stored
        self.open_views.add(view_id)
        return {"view": stored}
