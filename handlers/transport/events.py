"""Slack's HTTP entry point. The signature is checked on the raw bytes, read under a size cap,
before anything parses them: an unsigned body costs one HMAC, however large or odd it is. Then
the body is parsed once, here, and Bolt is handed the result.

Bolt's own form parser (`parse_body` in slack_bolt 1.30) takes any body that merely contains the
text "payload" for an interaction, and reads an empty body from a command such as
`/adops accounts payload`, which then goes unanswered; so a form is parsed as a form here.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from handlers.transport import payload_shape

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Slack's largest request is a view submission: a view of up to 250 kB (views.open's
# `view_too_large`) with its state, form-encoded (up to three bytes a character).
MAX_BODY = 1024 * 1024


def parse(raw: str, content_type: str | None) -> dict[str, Any]:
    """The body as Bolt's listeners expect it; ValueError when it cannot be one."""
    try:
        if content_type == "application/json":
            body = json.loads(raw)
        else:
            form = dict(parse_qsl(raw, keep_blank_values=True))
            if "payload" not in form and "command" not in form:
                raise ValueError("the body is neither a command nor an interaction")
            body = json.loads(form["payload"]) if "payload" in form else form
    except RecursionError:
        raise ValueError("the body nests too deeply") from None
    if not isinstance(body, dict):
        raise ValueError("the body is not an object")
    return body


def bolt_request(raw: str, request: web.Request, body: dict[str, Any]) -> AsyncBoltRequest:
    """A Bolt request with the raw body and our parse of it."""
    headers: Any = request.headers
    bolt_req = AsyncBoltRequest(body="", query=request.query_string, headers=headers)
    bolt_req.raw_body = raw
    bolt_req.body = body
    bolt_req.context = build_async_context(AsyncBoltContext({}), body)
    return bolt_req


def signed(verifier: SignatureVerifier, raw: str, request: web.Request) -> bool:
    try:
        return verifier.is_valid(
            raw,
            request.headers.get("X-Slack-Request-Timestamp", ""),
            request.headers.get("X-Slack-Signature", ""),
        )
    except ValueError:  # a timestamp that is not a number
        return False


def events_route(app: AsyncApp, signing_secret: str) -> web.RouteDef:
    verifier = SignatureVerifier(signing_secret)

    async def events(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            log.warning("refused a request of %d bytes", request.content_length)
            return web.json_response({"error": "too large"}, status=413)
        raw = (await request.read()).decode("utf-8", errors="replace")
        if "ssl_check=1" in raw.split("&"):
            # Slack's certificate probe (tests/data/slack/ssl_check.form_fields.json): answered
            # 200 and nothing else, before any signature check, as Bolt's own SslCheck does;
            # whether Slack signs it, no source says.
            return web.Response(status=200)
        if not signed(verifier, raw, request):
            log.info("refused a request without a valid signature")
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            body = parse(raw, request.content_type)
            wrong = payload_shape.problem(body)
        except ValueError as exc:
            wrong = str(exc)
        if wrong:
            log.warning("refused a signed request with a malformed payload: %s", wrong)
            return web.json_response({"error": "malformed payload"}, status=400)
        return await to_aiohttp_response(await app.async_dispatch(bolt_request(raw, request, body)))

    return web.post(EVENTS_PATH, events)
