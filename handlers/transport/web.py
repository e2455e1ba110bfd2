"""A web process: the aiohttp application (Slack's route, health, sign-in pages) around the one
Bolt app, the Slack clients they share, and the runner of work done after each ack."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.background import Background
from bot.config import Settings
from bot.services import Services
from handlers.actors import ActorResolver
from handlers.signin import OAuthPages
from handlers.transport.bolt_app import build_app
from handlers.transport.events import MAX_BODY, events_route
from handlers.transport.health import health_routes
from handlers.transport.oauth_routes import oauth_routes


def slack_client(settings: Settings) -> AsyncWebClient:
    """The client for work after an ack: it retries what Slack did not take (429s, 5xx,
    dropped connections); calls that must not be retried so use a variant (`handlers.clients`)."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=30,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


@dataclass
class WebProcess:
    services: Services
    client: AsyncWebClient
    bolt: AsyncApp
    app: web.Application
    tasks: Background

    async def open(self) -> None:
        """Without a session of its own, slack_sdk opens a new connection (a TLS handshake, in
        production) for every call; one pooled session serves every client and reply."""
        if self.client.session is None:
            self.client.session = aiohttp.ClientSession()

    async def close(self, grace: float) -> bool:
        """Let acked work finish (at most `grace` seconds); whether it all did."""
        finished = await self.tasks.drain(grace)
        if self.client.session is not None:
            await self.client.session.close()
        return finished


def build_web(settings: Settings, services: Services) -> WebProcess:
    client = slack_client(settings)
    tasks = Background()
    # users.info, the one call made before an ack, gets 1.5 s and no retries (`handlers.actors`).
    resolver = ActorResolver(services.roles, client)
    socket_mode = settings.socket_mode
    bolt = build_app(
        services,
        client,
        resolver,
        tasks,
        signing_secret=None if socket_mode else settings.slack_signing_secret,
    )
    pages = OAuthPages(services, client, ActorResolver(services.roles, client, ttl=0))
    app = web.Application(client_max_size=MAX_BODY)
    app.add_routes(health_routes(services))
    app.add_routes(oauth_routes(pages.start, pages.callback))
    if not socket_mode:
        app.add_routes([events_route(bolt, settings.slack_signing_secret or "")])
    process = WebProcess(services, client, bolt, app, tasks)
    app.on_startup.append(lambda _app: process.open())
    return process
