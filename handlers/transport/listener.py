"""How every listener runs: written once as validate → ack → work, in Bolt's default mode
(`process_before_response=False`), where Bolt answers Slack as soon as `ack()` is called and the
listener's task goes on with the work. This wrapper makes that task the web process's to track,
so that shutdown waits for it, and reports a failure to the person through the one error
handler."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.replies import TASKS, on_error, respond_for

Listener = Callable[..., Awaitable[None]]


def listener(work: Listener) -> Listener:
    """Bolt injects arguments by name, so the wrapper takes them all and hands on those the
    listener names. A failure is caught here rather than left to Bolt: its runner, when a
    listener raises just after calling ack(), may overwrite the recorded ack and answer 404."""
    wanted = set(inspect.signature(work).parameters)

    async def run(
        ack: AsyncAck,
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        context[TASKS].track(asyncio.current_task())
        given: dict[str, Any] = {
            "ack": ack,
            "body": body,
            "context": context,
            "client": client,
            "respond": respond_for(respond, client),
        }
        try:
            await work(**{name: value for name, value in given.items() if name in wanted})
        except Exception as exc:
            if ack.response is None:
                await (ack(options=[]) if body.get("type") == "block_suggestion" else ack())
            await on_error(exc, body, client, given["respond"])

    # Named like the listener for Bolt's logs; not `functools.wraps`: Bolt unwraps a listener
    # to learn which arguments to inject, and would then pass only the listener's own.
    run.__name__, run.__qualname__ = work.__name__, work.__qualname__
    return run
