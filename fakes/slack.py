"""A fake Slack Web API on 127.0.0.1: answers the methods the bot uses in Slack's shapes,
records every call (and every response_url post), and can fail on demand."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from fakes._server import FakeServer

_DECODE = ("blocks", "view", "attachments")


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    result: dict[str, Any] = field(default_factory=dict)
    """What the fake answered ({"ok": ...}), so a viewer can learn message ts and view ids."""


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


@dataclass
class _Failure:
    status: int
    error: str | None
    retry_after: int | None


class FakeSlack(FakeServer):
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
        self.users: dict[str, SlackUser] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._failure_rates: dict[str, tuple[float, int]] = {}
        self._expired_triggers: set[str] = set()
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_acks: dict[str, dict[str, Any]] = {}

    @property
    def url(self) -> str:
        return self.base + "/api/"

    # ------------------------------------------------------------- controls

    def add_user(self, user_id: str, **facts: Any) -> SlackUser:
        user = SlackUser(user_id, facts.pop("name", user_id.lower()), **facts)
        self.users[user_id] = user
        return user

    def response_url(self) -> str:
        return f"{self.base}/response/{secrets.token_hex(8)}"

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
    ) -> None:
        self._failures.setdefault(method, []).extend([_Failure(status, error, retry_after)] * count)

    def fail_rate(self, method: str, fraction: float, *, status: int = 500) -> None:
        self._failure_rates[method] = (fraction, status)

    def expire_trigger(self, trigger_id: str) -> None:
        self._expired_triggers.add(trigger_id)

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

    # ---------------------------------------------------------- Socket Mode

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": len(self.sockets)})
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                reply = json.loads(message.data)
                self.socket_acks[reply.get("envelope_id", "")] = reply
        return ws

    async def push(self, kind: str, payload: dict[str, Any]) -> str:
        """Send one Socket Mode envelope (`slash_commands`, `interactive`) to the newest
        connection; returns its envelope id, under which the app's ack arrives."""
        live = [ws for ws in self.sockets if not ws.closed]
        if not live:
            raise AssertionError("no Socket Mode connection")
        envelope_id = secrets.token_hex(8)
        await live[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
            }
        )
        return envelope_id

    async def socket_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while envelope_id not in self.socket_acks:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no ack for envelope {envelope_id}")
            await asyncio.sleep(0.02)
        return self.socket_acks[envelope_id]

    async def _respond(self, request: web.Request) -> web.Response:
        args = await request.json()
        args["url"] = str(request.url)
        self.calls.append(Call("response_url", args))
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        call = Call(method, args)
        self.calls.append(call)
        failure = self._take_failure(method)
        if failure is not None:
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
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        result = handler(args) if handler else {}
        call.result = {"ok": "error" not in result, **result}
        return web.json_response(call.result)

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
        for key in _DECODE:
            if isinstance(args.get(key), str):
                with contextlib.suppress(ValueError):
                    args[key] = json.loads(args[key])
        return args

    # -------------------------------------------------------------- methods

    def _m_auth_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://fake.slack.com/",
            "team": "Fake",
            "team_id": self.team_id,
            "user": "adops",
            "user_id": self.bot_user_id,
            "bot_id": "B0BOT",
        }

    def _m_apps_connections_open(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.port}/socket"}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(args.get("user", ""))
        if user is None:
            return {"error": "user_not_found"}
        return {
            "user": {
                "id": user.id,
                "team_id": self.team_id,
                "name": user.name,
                "deleted": user.deleted,
                "real_name": user.name.title(),
                "tz": user.tz,
                "is_admin": user.is_admin,
                "is_owner": user.is_owner,
                "is_restricted": user.is_restricted,
                "is_ultra_restricted": user.is_ultra_restricted,
                "is_bot": user.is_bot,
                "profile": {"display_name": user.name, "real_name": user.name.title()},
            }
        }

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users", ""))
        if not users:
            return {"error": "users_list_not_supplied"}
        return {"channel": {"id": "D" + users.split(",")[0].lstrip("UW")}}

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel")
        if not channel:
            return {"error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks"):
            return {"error": "no_text"}
        ts = self._next_ts()
        message = {
            "text": args.get("text"),
            "blocks": args.get("blocks"),
            "thread_ts": args.get("thread_ts"),
            "ts": ts,
        }
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _m_chat_postEphemeral(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": self._next_ts()}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (args.get("channel"), args.get("ts"))
        if key not in self.messages:
            return {"error": "message_not_found"}
        self.messages[key] = {
            **self.messages[key],
            "text": args.get("text"),
            "blocks": args.get("blocks"),
        }
        return {"channel": key[0], "ts": key[1]}

    def _store_view(self, view: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        view_id = view_id or f"V{next(self._views):08d}"
        stored = {**view, "id": view_id, "hash": secrets.token_hex(6), "team_id": self.team_id}
        self.views[view_id] = stored
        return {"view": stored}

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = args.get("trigger_id")
        if not trigger:
            return {"error": "invalid_arguments"}
        if trigger in self._expired_triggers:
            return {"error": "expired_trigger_id"}
        return self._store_view(args.get("view") or {})

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id") or next(
            (i for i, v in self.views.items() if v.get("external_id") == args.get("external_id")),
            None,
        )
        if view_id not in self.views and not str(view_id or "").startswith("VSUBMIT"):
            return {"error": "not_found"}
        return self._store_view(args.get("view") or {}, view_id)

    def _m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._m_views_open(args)
