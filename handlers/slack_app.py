"""The Bolt apps: one slash command, the interaction listeners, the actor middleware and the
error handler, built twice. The front app answers Slack (`handlers.http_events`, Socket Mode) and
hands each acked request to the worker app, which does the rest (`handlers.handoff`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts import Alerts
from bot.errors import InvalidInput
from bot.permissions import denial_text
from bot.runtime import awaiting_ack
from handlers import accounts, profiles, trackers
from handlers import alerts as alert_handlers
from handlers import audit as audit_handlers
from handlers.actors import ACTOR, VERIFIED, ActorResolver, actor_middleware
from handlers.commands import Call
from handlers.deps import Deps
from handlers.handoff import ACK_PHASE, HANDOFF, PHASE, WORK_PHASE, Job
from handlers.ids import Action
from handlers.registry import COMMAND
from handlers.replies import UNVERIFIED, on_error, reported
from handlers.views.help import help_message


def on_the_ack_path(resolver: ActorResolver) -> Callable[..., Awaitable[Any]]:
    """The front's one middleware (each costs Bolt an argument injection per request): until its
    listener acks (see `reported`), a request's reads use the ack-path pool, and it gets its
    actor."""
    attach_actor = actor_middleware(resolver)

    async def front(body: dict[str, Any], context: Any, next: Callable[[], Awaitable[Any]]) -> Any:
        context[PHASE] = ACK_PHASE
        awaiting_ack(True)
        return await attach_actor(body, context, next)

    return front


class FrontApp(AsyncApp):
    """The app Slack talks to: it answers, then passes the request on to the worker.

    Both Slack's HTTP requests and Socket Mode envelopes come through `async_dispatch`, so the
    hand-off happens in one place whichever way the bot is connected."""

    def __init__(self, *, handoff: Callable[[Job], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._handoff = handoff

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        response = await super().async_dispatch(req)
        acked = req.context.get(HANDOFF)
        if acked is not None and response.status == 200:
            self._handoff(
                Job(
                    body=req.body,
                    ack=acked,
                    actor=req.context.get(ACTOR),
                    verified=bool(req.context.get(VERIFIED, False)),
                    raw=req.raw_body or None,
                    content_type=req.content_type,
                )
            )
        return response


async def trust_the_front(context: Any, next: Callable[[], Awaitable[Any]]) -> Any:
    """In the worker the actor comes with the job; a request without one was from nobody the
    front could name, and is handled as an unverified guest would be."""
    context.setdefault(PHASE, WORK_PHASE)
    context.setdefault(VERIFIED, False)
    return await next()


def build_front_app(
    deps: Deps,
    client: AsyncWebClient,
    resolver: ActorResolver,
    alerts: Alerts,
    *,
    signing_secret: str | None,
    handoff: Callable[[Job], None],
) -> FrontApp:
    app = FrontApp(
        handoff=handoff,
        process_before_response=True,
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=bool(signing_secret),
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("slack_bolt.App"),
    )
    app.use(on_the_ack_path(resolver))
    _listen(app, deps, alerts)
    return app


def build_worker_app(deps: Deps, client: AsyncWebClient, alerts: Alerts) -> AsyncApp:
    """Requests reach this app only from the front, already verified and acked: it waits for
    each listener to finish because nobody is waiting on its answer."""
    app = AsyncApp(
        process_before_response=True,
        client=client,
        request_verification_enabled=False,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("slack_bolt.App"),
    )
    app.use(trust_the_front)
    _listen(app, deps, alerts)
    return app


def _listen(app: AsyncApp, deps: Deps, alerts: Alerts) -> None:
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
    audit_handlers.register(app, deps)
    alert_handlers.register(app, alerts)
