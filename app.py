"""Command line and wiring: `adops-bot [run|migrate|rotate-keys|generate-key|shell]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import gc
import logging
import os
import signal
import socket as pysocket
import sys
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
from bot.profiles import Revoke
from bot.runtime import StartupError, open_database
from bot.scheduler import Scheduler
from bot.sync import SyncEngine
from bot.token_cache import DatabaseTokenCache
from handlers.access_log import web_runner
from handlers.actors import ActorResolver
from handlers.alerts import SlackNotifier
from handlers.commands import registry
from handlers.deps import Deps
from handlers.handoff import Job
from handlers.health import health_routes
from handlers.http_events import events_route
from handlers.link import MAX_FRAME, Frames, InProcessLink, Link, WorkerProcess
from handlers.oauth import CALLBACK_PATH, OAuthPages, oauth_routes
from handlers.replies import report_lost
from handlers.slack_app import build_front_app, build_worker_app
from handlers.worker import Worker, serve_front
from providers.base import Credentials, Provider, TokenCache
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
    worker: Worker
    quick: AsyncWebClient

    async def open_sessions(self) -> None:
        """Without a session of its own, slack_sdk opens a new connection (a TLS handshake, in
        production) for every Web API call. One pooled session, opened once the event loop runs,
        is shared by both clients, by the per-request clients Bolt derives from them, and by
        replies through response_urls (handlers.replies); `close` closes it."""
        if self.client.session is None:
            session = aiohttp.ClientSession()
            self.client.session = self.quick.session = session

    async def close(self) -> None:
        await self.background.drain()
        for provider in self.providers.values():
            await provider.close()
        if self.client.session is not None:
            await self.client.session.close()


SHUTDOWN_GRACE = 30.0
# When both processes want the CPU, the front's acks go first: Slack gives up after 3 s, while
# work after an ack can wait a few milliseconds. When only the worker does, it runs at full speed.
WORKER_NICENESS = 10


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


def revoker(providers: dict[str, Provider]) -> Revoke:
    """How removing a profile reaches its provider (a provider not configured: nothing to do)."""

    async def revoke(provider: str, credentials: Credentials) -> bool:
        found = providers.get(provider)
        return await found.revoke(credentials) if found is not None else False

    return revoke


def build_runtime(
    settings: Settings,
    db: Database,
    *,
    clock: Clock = utcnow,
    providers: dict[str, Provider] | None = None,
    link: Link | None = None,
) -> Runtime:
    """The whole bot. `link` is how the front reaches the worker (`handlers.handoff`); without
    one, both run here, in this process, as in tests and the offline shell."""
    if providers is None:
        providers = build_providers(settings, DatabaseTokenCache(db))
    core = Core(
        db,
        admins=settings.admins,
        alert_channel=settings.alert_channel,
        clock=clock,
        revoke=revoker(providers),
    )
    sync = SyncEngine(db, clock, providers, core.profiles)
    client, quick = slack_clients(settings)
    background = Background()
    scheduler_owner = f"replica-{os.getpid()}-{id(core):x}"
    alerts = Alerts(
        db,
        clock,
        core.settings,
        core.catalog,
        core.bulk,
        owner=scheduler_owner,
        admins=core.roles.admin_ids,
    )
    tickets = OAuthTickets(db, clock)
    scheduler = Scheduler(
        db,
        clock,
        sync,
        alerts,
        SlackNotifier(client),
        interval=settings.sync_interval,
        owner=scheduler_owner,
        chores=(tickets.purge, core.list_views.purge),
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
        tickets=tickets,
        connector=connector,
        public_url=settings.public_url,
        registry=registry,
    )
    pages = OAuthPages(deps, client, ActorResolver(core.roles, client, ttl=0))
    worker = Worker(build_worker_app(deps, client, alerts), pages)
    if link is None:
        link = InProcessLink(worker, background.spawn)
    front = build_front_app(
        deps,
        quick,
        ActorResolver(core.roles, quick),
        alerts,
        signing_secret=None if settings.socket_mode else settings.slack_signing_secret,
        handoff=link.submit,
    )
    app = web.Application()
    app.add_routes(health_routes(db, link.alive))
    app.add_routes(oauth_routes(link.page))
    if not settings.socket_mode:
        app.add_routes([events_route(front, settings.slack_signing_secret or "")])
    runtime = Runtime(
        settings,
        core,
        deps,
        front,
        client,
        providers,
        app,
        alerts,
        scheduler,
        background,
        worker,
        quick,
    )
    app.on_startup.append(lambda _: runtime.open_sessions())
    return runtime


async def serve(settings: Settings) -> None:
    """The front process: it answers Slack and hands everything else to a worker process that
    it starts, watches and restarts (`handlers.link`). Acks never wait behind other work for
    the event loop, and a worker that crashes takes no ack down with it."""
    settings.check_serving()
    db = await open_database(settings)
    runtime: Runtime | None = None

    async def lost(job: Job) -> None:
        if runtime is not None:
            await report_lost(job, runtime.client)

    def roles_changed() -> None:
        if runtime is not None:
            runtime.core.roles.forget_grants()

    process = WorkerProcess(
        [sys.executable, "-m", "app", "worker"], on_lost=lost, on_roles_changed=roles_changed
    )
    runtime = build_runtime(settings, db, link=process)
    await runtime.open_sessions()
    try:
        await process.start()
        # Everything built so far lives as long as the process; out of the collector's sight,
        # it no longer makes each full collection, a pause every ack in flight waits out, longer.
        gc.freeze()
        await _serve_front(settings, runtime, process)
    finally:
        await runtime.close()
        await db.dispose()


async def _serve_front(settings: Settings, runtime: Runtime, process: WorkerProcess) -> None:
    socket: AsyncSocketModeHandler | None = None
    runner = web_runner(runtime.web)
    try:
        if settings.socket_mode:
            socket = AsyncSocketModeHandler(runtime.bolt, settings.slack_app_token)
            await socket.connect_async()
            log.info("connected to Slack over Socket Mode")
        await runner.setup()
        await _listen(runner, settings.port)
        log.info("listening on port %d", settings.port)
        await _until_stopped()
    finally:
        log.info("shutting down")
        if socket is not None:
            await socket.close_async()
        await runner.cleanup()
        await process.close(SHUTDOWN_GRACE)


async def _listen(runner: web.AppRunner, port: int) -> None:
    try:
        await web.TCPSite(runner, port=port).start()
    except OSError as exc:
        why = (
            "is already in use by another program; stop it or set PORT to a free port"
            if exc.errno == errno.EADDRINUSE
            else f"cannot be listened on (PORT): {os.strerror(exc.errno or 0)}"
        )
        raise StartupError(f"port {port} {why}") from None


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def work(settings: Settings, fd: int) -> None:
    """The worker process. Signals are the front's to act on: it closes the link when it stops,
    and the worker then finishes what it was given and exits (so Ctrl-C in a terminal, which
    reaches both processes, cannot cut a change off halfway)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    os.nice(WORKER_NICENESS)
    db = await open_database(settings, migrate=False)
    runtime = build_runtime(settings, db)
    await runtime.open_sessions()
    reader, writer = await asyncio.open_connection(sock=pysocket.socket(fileno=fd), limit=MAX_FRAME)
    frames = Frames(reader, writer)
    # An admin granted or revoked here counts at once for the front's permission checks too.
    runtime.core.roles.on_change = lambda: frames.put({"t": "roles"})
    stop = asyncio.Event()
    loop_task = asyncio.create_task(runtime.scheduler.run_forever(stop))
    try:
        frames.put({"t": "ready"})
        await serve_front(runtime.worker, frames, runtime.background.spawn)
    finally:
        stop.set()
        await loop_task
        await runtime.background.drain()
        await frames.close()
        await runtime.close()
        await db.dispose()


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
    worker_cmd = commands.add_parser("worker")  # started by `run`, never by hand
    worker_cmd.add_argument("--fd", type=int, required=True)
    commands.add_parser(
        "shell",
        help="talk to the bot in the terminal, without Slack (--demo: with fake ad networks)",
        add_help=False,
    )
    return root


def main(argv: list[str] | None = None) -> int:
    args, rest = parser().parse_known_args(argv)
    if args.command == "shell":
        from shell.startup import run_shell

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
            case "worker":
                asyncio.run(work(settings, args.fd))
            case _:
                asyncio.run(serve(settings))
    except (ConfigError, SecretsError) as exc:
        print(f"adops-bot: {exc}", file=sys.stderr)
        return 2
    except StartupError as exc:
        print(f"adops-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
