"""Command line and wiring: `adops-bot [run|migrate|rotate-keys|generate-key|shell]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts import Alerts
from bot.background import Background
from bot.clock import Clock, utcnow
from bot.config import ConfigError, Settings
from bot.connect import Connector
from bot.core import Core
from bot.oauth import OAuthTickets
from bot.runtime import open_database
from bot.scheduler import Scheduler
from bot.sync import SyncEngine
from bot.token_cache import DatabaseTokenCache
from handlers import alerts as alert_handlers
from handlers.access_log import web_runner
from handlers.actors import ActorResolver
from handlers.alerts import SlackNotifier
from handlers.commands import registry
from handlers.deps import Deps
from handlers.health import health_routes
from handlers.http_events import events_route
from handlers.oauth import CALLBACK_PATH, oauth_routes
from handlers.slack_app import build_bolt_app
from providers.base import Provider, TokenCache
from providers.registry import PROVIDERS
from storage.db import Database
from storage.keys import rotate_keys
from storage.secrets import Keyring, SecretsError

log = logging.getLogger("adops-bot")


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    # aiosqlite logs every statement with its parameters at DEBUG; Bolt logs raw request bodies
    # (which may hold a submitted credential) when a signature check fails.
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    logging.getLogger("slack_bolt").setLevel(max(logging.WARNING, logging.getLevelName(level)))


@dataclass
class Runtime:
    """Everything the running bot is made of, built from settings (and, in tests, fakes)."""

    settings: Settings
    core: Core
    deps: Deps
    bolt: AsyncApp
    client: AsyncWebClient
    providers: dict[str, Provider]
    web: web.Application
    alerts: Alerts
    scheduler: Scheduler
    background: Background

    async def close(self) -> None:
        await self.background.drain()
        for provider in self.providers.values():
            await provider.close()
        if self.client.session is not None:
            await self.client.session.close()


SHUTDOWN_GRACE = 30.0


def slack_clients(settings: Settings) -> tuple[AsyncWebClient, AsyncWebClient]:
    """Two clients: one that retries 429/5xx for work done after an ack, and one without retries
    or long timeouts for the only call made before an ack (users.info)."""
    background = AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=30,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )
    quick = AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=2,
        retry_handlers=[],
    )
    return background, quick


def build_providers(settings: Settings, token_cache: TokenCache) -> dict[str, Provider]:
    providers: dict[str, Provider] = {}
    for name, config in settings.providers.items():
        if not getattr(config, "configured", True):
            continue
        kind = PROVIDERS[name]
        extra = {"token_cache": token_cache} if kind.session_tokens else {}
        providers[name] = kind(config, **extra)
    return providers


def pooled_slack_session(
    *clients: AsyncWebClient,
) -> Callable[[web.Application], Awaitable[None]]:
    """Without a session of its own, slack_sdk opens a new connection (a TLS handshake, in
    production) for every Web API call. One pooled session, opened once the event loop runs, is
    shared by both clients, by the per-request clients Bolt derives from them, and by replies
    through response_urls (handlers.replies); Runtime.close closes it."""

    async def open_session(_: web.Application) -> None:
        session = aiohttp.ClientSession()
        for client in clients:
            client.session = session

    return open_session


def build_runtime(
    settings: Settings,
    db: Database,
    *,
    clock: Clock = utcnow,
    providers: dict[str, Provider] | None = None,
    process_before_response: bool = False,
) -> Runtime:
    core = Core(db, admins=settings.admins, alert_channel=settings.alert_channel, clock=clock)
    if providers is None:
        providers = build_providers(settings, DatabaseTokenCache(db))
    sync = SyncEngine(db, clock, providers, core.profiles)
    client, quick = slack_clients(settings)
    background = Background()
    scheduler_owner = f"replica-{os.getpid()}-{id(core):x}"
    alerts = Alerts(db, clock, core.settings, core.catalog, core.bulk, owner=scheduler_owner)
    scheduler = Scheduler(
        db,
        clock,
        sync,
        alerts,
        SlackNotifier(client),
        interval=settings.sync_interval,
        owner=scheduler_owner,
    )
    callback = f"{settings.public_url}{CALLBACK_PATH}" if settings.public_url else None
    connector = Connector(
        core.profiles,
        sync,
        callback,
        on_saved=lambda: background.spawn(scheduler.settle_alerts()),
    )
    deps = Deps(
        core=core,
        sync=sync,
        tickets=OAuthTickets(db, clock),
        connector=connector,
        public_url=settings.public_url,
        registry=registry,
    )
    resolver = ActorResolver(core.roles, quick)
    signing_secret = None if settings.socket_mode else settings.slack_signing_secret
    bolt = build_bolt_app(
        deps,
        client,
        resolver,
        signing_secret=signing_secret,
        process_before_response=process_before_response,
    )
    alert_handlers.register(bolt, alerts)
    app = web.Application()
    app.on_startup.append(pooled_slack_session(client, quick))
    app.add_routes(health_routes(db))
    app.add_routes(oauth_routes(deps, client))
    if not settings.socket_mode:
        app.add_routes([events_route(bolt, settings.slack_signing_secret or "")])
    return Runtime(
        settings, core, deps, bolt, client, providers, app, alerts, scheduler, background
    )


async def serve(settings: Settings) -> None:
    settings.check_serving()
    db = await open_database(settings)
    runtime = build_runtime(settings, db)
    socket: AsyncSocketModeHandler | None = None
    if settings.socket_mode:
        socket = AsyncSocketModeHandler(runtime.bolt, settings.slack_app_token)
        await socket.connect_async()
        log.info("connected to Slack over Socket Mode")
    stop = asyncio.Event()
    loop_task = asyncio.create_task(runtime.scheduler.run_forever(stop))
    runner = web_runner(runtime.web)
    await runner.setup()
    site = web.TCPSite(runner, port=settings.port)
    await site.start()
    log.info("listening on port %d", settings.port)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await loop_task
        if socket is not None:
            await socket.close_async()
        await runner.cleanup()
        await finish_listeners(SHUTDOWN_GRACE)
        await runtime.close()
        await db.dispose()


async def finish_listeners(limit: float) -> None:
    """Bolt runs each listener's after-ack work as a task of its own, which nothing else awaits:
    a shutdown lets those finish (for at most `limit` seconds), so a change someone just made is
    reported to them rather than cut off."""
    current = asyncio.current_task()
    running = [task for task in asyncio.all_tasks() if task is not current]
    if running:
        _, late = await asyncio.wait(running, timeout=limit)
        if late:
            log.warning("shutting down with %d request(s) still being handled", len(late))


async def migrate(settings: Settings) -> None:
    db = await open_database(settings)
    await db.dispose()
    print("database schema is up to date")


async def rotate(settings: Settings, batch_size: int) -> None:
    db = await open_database(settings)
    try:
        report = await rotate_keys(db, batch_size=batch_size)
    finally:
        await db.dispose()
    print(
        f"re-encrypted {report.rotated} secret(s) under the newest key; "
        f"{report.already_current} already were. Older keys can now be removed."
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="adops-bot", description="Slack app for ad-network integrations."
    )
    commands = root.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="start the bot (the default)")
    commands.add_parser("migrate", help="apply database migrations and exit")
    rotate_cmd = commands.add_parser(
        "rotate-keys", help="re-encrypt every stored secret under the newest key"
    )
    rotate_cmd.add_argument("--batch-size", type=int, default=200)
    commands.add_parser("generate-key", help="print a new key for ADOPS_ENCRYPTION_KEYS")
    commands.add_parser(
        "shell",
        help="talk to the bot in the terminal, without Slack (--demo: with fake ad networks)",
        add_help=False,
    )
    return root


def main(argv: list[str] | None = None) -> int:
    args, rest = parser().parse_known_args(argv)
    if args.command == "shell":
        from shell.session import run_shell

        return run_shell(rest, dict(os.environ))
    if rest:
        parser().error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "generate-key":
        print(Keyring.generate_key())
        return 0
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        match args.command:
            case "migrate":
                asyncio.run(migrate(settings))
            case "rotate-keys":
                asyncio.run(rotate(settings, args.batch_size))
            case _:
                asyncio.run(serve(settings))
    except (ConfigError, SecretsError) as exc:
        print(f"adops-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
