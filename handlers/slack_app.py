"""The Bolt app: one slash command, the interaction listeners, the actor middleware and the
error handler. Slack's HTTP requests reach it through `handlers.http_events`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import InvalidInput
from bot.permissions import denial_text
from bot.runtime import awaiting_ack
from handlers import accounts, profiles, trackers
from handlers.actors import ActorResolver, actor_middleware
from handlers.commands import Call
from handlers.deps import Deps
from handlers.ids import Action
from handlers.registry import COMMAND
from handlers.replies import UNVERIFIED, on_error, reported
from handlers.views.help import help_message


async def mark_awaiting_ack(next: Callable[[], Awaitable[Any]]) -> Any:
    """Until its listener acks (see `reported`), a request's reads use the ack-path pool."""
    awaiting_ack(True)
    return await next()


def build_bolt_app(
    deps: Deps,
    client: AsyncWebClient,
    resolver: ActorResolver,
    *,
    signing_secret: str | None,
    process_before_response: bool = False,
) -> AsyncApp:
    """`process_before_response` holds the reply until the listener has finished: Slack must not
    wait for that, but the offline shell wants each step's whole effect before it prints."""
    app = AsyncApp(
        process_before_response=process_before_response,
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=bool(signing_secret),
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("slack_bolt.App"),
    )
    app.use(mark_awaiting_ack)
    app.use(actor_middleware(resolver))
    app.error(on_error)

    @app.command(COMMAND)
    @reported
    async def adops(
        ack: Any, body: dict, context: Any, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        actor = context.get("actor")
        if actor is None:
            await ack(response_type="ephemeral", text=UNVERIFIED)
            return
        try:
            invocation = deps.registry.parse(body.get("text") or "")
        except InvalidInput as exc:
            await ack(
                response_type="ephemeral", **help_message(deps.registry, actor, error=exc.message)
            )
            return
        if not actor.can(invocation.subcommand.permission):
            verified = context.get("actor_verified", True)
            await ack(
                response_type="ephemeral",
                text=denial_text(invocation.subcommand.permission) if verified else UNVERIFIED,
            )
            return
        await ack()
        await invocation.subcommand.handler(
            Call(deps, actor, invocation.args, body, client, respond)
        )

    @app.action(Action.LINK)
    @reported
    async def link_clicked(ack: Any) -> None:
        await ack()

    accounts.register(app, deps)
    profiles.register(app, deps)
    trackers.register(app, deps)
    return app
