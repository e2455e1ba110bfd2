"""The one Bolt app of a web process: one middleware (who is asking, and the runner their
request's work goes to), the one error handler, and each feature's listeners."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.background import Background
from bot.services import Services
from handlers import accounts, alerts, audit, commands, profiles, trackers
from handlers.actors import ActorResolver, actor_middleware
from handlers.replies import TASKS, on_error

FEATURES = (commands, accounts, profiles, trackers, audit, alerts)


def build_app(
    services: Services,
    client: AsyncWebClient,
    resolver: ActorResolver,
    tasks: Background,
    *,
    signing_secret: str | None,
) -> AsyncApp:
    """`signing_secret` None: Socket Mode, where nothing is signed. Over HTTP the route has
    checked the signature on the raw body before anything read it (`handlers.transport.events`),
    so Bolt does not check it a second time."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=False,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("slack_bolt.App"),
    )
    app.use(_context(tasks, actor_middleware(resolver)))
    app.error(on_error)
    for feature in FEATURES:
        feature.register(app, services)
    return app


def _context(
    tasks: Background, attach_actor: Callable[..., Awaitable[Any]]
) -> Callable[..., Awaitable[Any]]:
    async def middleware(
        body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]
    ) -> Any:
        context[TASKS] = tasks
        return await attach_actor(body, context, next)

    return middleware
