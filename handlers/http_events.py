"""Slack's HTTP entry point: each body is parsed once, here, and Bolt is handed the result.

Bolt's own form parser (`parse_body` in slack_bolt 1.30) takes any body that merely contains the
text "payload" for an interaction, and reads an empty body from a command such as
`/adops accounts payload`, which then goes unanswered. It also raises, and aiohttp answers 500,
on a signed body whose JSON is broken. Here a form is a form, and a signed request that is not
the shape Slack documents gets a plain 400.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from handlers import payload_shape
from handlers.http_parse import parse

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def bolt_request(raw: str, request: web.Request, body: dict[str, Any]) -> AsyncBoltRequest:
    """A Bolt request with the raw body (its signature check reads it) and our parse of it."""
    headers: Any = request.headers
    bolt_req = AsyncBoltRequest(body="", query=request.query_string, headers=headers)
    bolt_req.raw_body = raw
    bolt_req.body = body
    bolt_req.context = build_async_context(AsyncBoltContext({}), body)
    return bolt_req


def events_route(app: AsyncApp, signing_secret: str) -> web.RouteDef:
    verifier = SignatureVerifier(signing_secret)

    async def events(request: web.Request) -> web.Response:
        raw = await request.text()
        if "ssl_check=1" in raw.split("&"):
            # Slack's certificate probe (tests/data/slack/ssl_check.form_fields.json): answered
            # 200 and nothing else, before any signature check, as Bolt's own SslCheck does;
            # whether Slack signs it, no source says.
            return web.Response(status=200)
        signed = verifier.is_valid_request(raw, dict(request.headers))
        try:
            body = parse(raw, request.content_type)
            wrong = payload_shape.problem(body)
        except ValueError as exc:
            body, wrong = {}, str(exc)
        if wrong:
            if not signed:
                return web.json_response({"error": "invalid request"}, status=401)
            log.warning("refused a signed request with a malformed payload: %s", wrong)
            return web.json_response({"error": "malformed payload"}, status=400)
        return await to_aiohttp_response(await app.async_dispatch(bolt_request(raw, request, body)))

    return web.post(EVENTS_PATH, events)
