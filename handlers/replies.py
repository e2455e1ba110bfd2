"""Talking back to the person who asked: ephemeral where Slack allows it, a DM otherwise; the
permission guard; and the one error handler every listener shares."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient, WebhookResponse

from bot.errors import DomainError, InvalidInput
from bot.permissions import Permission, denial_text
from handlers.actors import request_user
from handlers.ids import Modal
from handlers.views.blocks import esc_quoting, modal, section

log = logging.getLogger(__name__)

TASKS = "adops_tasks"
"""Where a request's context holds the runner of work done after its ack (`bot.background`)."""

UNVERIFIED = (
    "I couldn't confirm your Slack account just now, so I can't check your permissions. "
    "Please try again in a moment."
)


async def dm(client: AsyncWebClient, user_id: str, text: str, blocks: list | None = None) -> None:
    opened = await client.conversations_open(users=user_id)
    await client.chat_postMessage(
        channel=opened["channel"]["id"], text=text, blocks=blocks, unfurl_links=False
    )


async def tell(
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    text: str,
    blocks: list | None = None,
    *,
    replace: bool = False,
) -> None:
    """Reply to the requester only: through the response_url when the request has one, or a DM.

    A response_url takes 5 posts within 30 minutes and then refuses (research/slack.md, "Checked
    again on 2026-12-04"); a refused or failed post goes to the user's DM instead, so no reply
    is ever lost in silence."""
    if respond is not None and respond.response_url:
        try:
            sent = await respond(
                text=text,
                blocks=blocks,
                response_type="ephemeral",
                replace_original=replace,
                delete_original=False,
            )
        except (aiohttp.ClientError, OSError) as exc:
            log.warning("a reply to a response_url failed (%s); sending it by DM", type(exc))
        else:
            # A response_url answers a taken post with 200 and the plain text `ok`
            # (tests/data/slack/response_url.replies.observed.json).
            if sent.status_code == 200 and sent.body == "ok":
                return
            log.warning(
                "a response_url refused a reply (HTTP %s); sending it by DM", sent.status_code
            )
    user_id = request_user(body)
    if user_id:
        await dm(client, user_id, text, blocks)


def notice_view(title: str, text: str) -> dict[str, Any]:
    return modal(Modal.RESULT, title, [section(text)])


def requires(permission: Permission) -> Callable[..., Awaitable[Any]]:
    """Listener middleware: the clicker (not whoever received the message) must hold the
    permission; otherwise they get a clear refusal and the listener never runs.

    A refusal returns the ack's response: a listener middleware that neither calls next() nor
    returns a response makes Bolt answer Slack 404 ("unhandled request"). A refused click has no
    answer of its own, so the clicker is told after the ack, by a tracked task: this runs before
    Bolt answers Slack, and a reply made here would hold the answer up."""

    async def guard(
        ack: Any,
        body: dict[str, Any],
        context: Any,
        client: AsyncWebClient,
        respond: AsyncRespond,
        next: Callable[[], Awaitable[Any]],
    ) -> Any:
        actor = context.get("actor")
        if actor is not None and actor.can(permission):
            return await next()
        text = UNVERIFIED if not context.get("actor_verified", True) else denial_text(permission)
        kind = body.get("type")
        if kind == "block_suggestion":
            return await ack(options=[])
        if kind == "view_submission":
            return await ack(response_action="update", view=notice_view("Not permitted", text))
        if "command" in body:
            return await ack(response_type="ephemeral", text=text)
        acked = await ack()
        context[TASKS].spawn(_report(body, client, respond_for(respond, client), text))
        return acked

    return guard


async def on_error(
    error: Exception,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond | None = None,
) -> None:
    """Domain errors are the user's to fix and read as such; anything else gets a short reference
    that matches the logged traceback, never the traceback itself."""
    if isinstance(error, DomainError):
        text = f":warning: {esc_quoting(error.message)}"
    else:
        ref = secrets.token_hex(4)
        log.error(
            "unexpected error (ref %s) handling a %s request",
            ref,
            body.get("type") or "command",
            exc_info=error,
        )
        text = f":x: Something went wrong on my side (reference `{ref}`). It has been logged."
    await _report(body, client, respond, text)


async def _report(
    body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond | None, text: str
) -> None:
    try:
        await tell(body, client, respond, text)
    except (SlackApiError, OSError):
        log.warning("could not report an error to the user", exc_info=True)


class _PooledRespond(AsyncRespond):
    """Bolt's respond opens a new HTTP session, and a new connection, for every reply; this one
    sends through the Slack clients' pooled session."""

    def __init__(self, response_url: str, session: aiohttp.ClientSession) -> None:
        super().__init__(response_url=response_url)
        self._session = session

    async def __call__(self, text: str | dict = "", **fields: Any) -> WebhookResponse:
        webhook = AsyncWebhookClient(url=str(self.response_url), session=self._session)
        message = dict(text) if isinstance(text, dict) else {"text": text, **fields}
        return await webhook.send_dict(_as_bolt_sends(message))


def _as_bolt_sends(message: dict[str, Any]) -> dict[str, Any]:
    """The body Bolt's own respond would post: unset fields and empty block or attachment
    lists left out (an empty list is not the same message to Slack as none)."""
    return {
        key: value
        for key, value in message.items()
        if value is not None and not (key in ("blocks", "attachments") and len(value) == 0)
    }


def respond_for(respond: AsyncRespond, client: AsyncWebClient) -> AsyncRespond:
    if not respond.response_url:
        return _NoResponseUrl()
    if client.session is None or client.session.closed:
        return respond
    return _PooledRespond(respond.response_url, client.session)


class _NoResponseUrl(AsyncRespond):
    """What a listener gets as `respond` when the request came without a response_url (a click
    in a modal, or a message Slack no longer lets us update): a reply the user can act on, which
    `tell` then delivers by DM, instead of Bolt's ValueError."""

    def __init__(self) -> None:
        super().__init__(response_url=None)

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise InvalidInput("I can no longer update that message. Please run the command again.")
