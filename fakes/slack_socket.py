"""The fake Slack's Socket Mode side: one WebSocket endpoint that sends envelopes and reads the
app's acks as Slack reads an HTTP ack (`FakeSlack.answered`)."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from fakes.slack import FakeSlack


class SocketMode:
    """Mixed into FakeSlack; `self` is the fake."""

    async def _socket(self: FakeSlack, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": len(self.sockets)})
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                reply = json.loads(message.data)
                envelope_id = reply.get("envelope_id", "")
                self.socket_acks[envelope_id] = reply
                request = self._pushed.pop(envelope_id, None)
                if request is not None and "payload" in reply:
                    self.answered(request, 200, json.dumps(reply["payload"]))
        return ws

    async def push(self: FakeSlack, kind: str, payload: dict[str, Any]) -> str:
        """Send one Socket Mode envelope (`slash_commands`, `interactive`) to the newest
        connection; returns its envelope id, under which the app's ack arrives."""
        live = [ws for ws in self.sockets if not ws.closed]
        if not live:
            raise AssertionError("no Socket Mode connection")
        envelope_id = secrets.token_hex(8)
        self._pushed[envelope_id] = payload
        await live[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
            }
        )
        return envelope_id

    async def socket_ack(
        self: FakeSlack, envelope_id: str, timeout: float = 10.0
    ) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while envelope_id not in self.socket_acks:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no ack for envelope {envelope_id}")
            await asyncio.sleep(0.02)
        return self.socket_acks[envelope_id]
