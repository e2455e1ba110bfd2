"""Command line and wiring: `adops-bot [run|web|scheduler|migrate|rotate-keys|generate-key|shell]`.

Two roles, one process each. The web process answers Slack (HTTP or Socket Mode) and serves the
sign-in pages; the scheduler process syncs, delivers alerts, and does the syncs people ask for.
`run` starts both: the web process here, the scheduler as a child it watches and restarts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import os
import signal
import sys
from collections.abc import Coroutine
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.clock import Clock, utcnow
from bot.config import ConfigError, Settings
from bot.runtime import StartupError, open_database
from bot.scheduler import Scheduler
from bot.services import Services
from bot.sync_requests import CHANNEL as SYNC_REQUESTS
from bot.token_cache import DatabaseTokenCache
from handlers.notifiers import SlackNotifier, SlackReporter
from handlers.transport.access_log import web_runner
from handlers.transport.web import build_web, slack_client
from providers.base import Provider, TokenCache
from providers.registry import PROVIDERS
from storage.db import Database
from storage.keys import rotate_keys
from storage.secrets import Keyring, SecretsError

log = logging.getLogger("adops-bot")

SHUTDOWN_GRACE = 30.0
RESTART_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
STEADY = 60.0
"""A child up this long has its next crash treated as a first one."""


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    # What these log at DEBUG holds secrets: aiosqlite every statement with its parameters;
    # slack_sdk the bodies it sends and gets (a sign-in link is one); Bolt the raw body of a
    # request whose signature failed (which may hold a submitted credential).
    quiet = {"aiosqlite": logging.WARNING, "slack_sdk": logging.INFO, "slack_bolt": logging.WARNING}
    for name, floor in quiet.items():
        logging.getLogger(name).setLevel(max(floor, logging.getLevelName(level)))


def build_providers(settings: Settings, token_cache: TokenCache) -> dict[str, Provider]:
    providers: dict[str, Provider] = {}
    for name, config in settings.providers.items():
        if not getattr(config, "configured", True):
            continue
        kind = PROVIDERS[name]
        extra = {"token_cache": token_cache} if kind.session_tokens else {}
        providers[name] = kind(config, **extra)
    return providers


def build_services(
    settings: Settings, db: Database, *, clock: Clock = utcnow, owner: str | None = None
) -> Services:
    return Services(
        db,
        owner=owner,
        admins=settings.admins,
        alert_channel=settings.alert_channel,
        clock=clock,
        providers=build_providers(settings, DatabaseTokenCache(db)),
        public_url=settings.public_url,
    )


def build_scheduler(settings: Settings, services: Services) -> Scheduler:
    client = slack_client(settings)
    return Scheduler(
        services,
        SlackNotifier(client),
        reporter=SlackReporter(client),
        interval=settings.sync_interval,
    )


# --------------------------------------------------------------------------- the web process


async def serve_web(settings: Settings, *, with_scheduler: bool) -> None:
    settings.check_serving()
    db = await open_database(settings)
    services = build_services(settings, db)
    process = build_web(settings, services)
    child = SchedulerChild() if with_scheduler else None
    runner = web_runner(process.app)
    socket: AsyncSocketModeHandler | None = None
    site: web.TCPSite | None = None
    try:
        await runner.setup()
        site = await _listen(runner, settings.port)
        if settings.socket_mode:
            socket = AsyncSocketModeHandler(process.bolt, settings.slack_app_token)
            await socket.connect_async()
            log.info("connected to Slack over Socket Mode")
        if child is not None:
            await child.start()
        log.info("listening on port %d", settings.port)
        await _until_stopped()
    finally:
        log.info("shutting down")
        if socket is not None:
            await socket.close_async()
        if site is not None:
            await site.stop()  # no new requests; acked work goes on below
        if not await process.close(SHUTDOWN_GRACE):
            log.warning("work still running after %.0f s was cut off", SHUTDOWN_GRACE)
        await runner.cleanup()
        if child is not None:
            await child.stop(SHUTDOWN_GRACE)
        await services.close()
        await db.dispose()


async def _listen(runner: web.AppRunner, port: int) -> web.TCPSite:
    site = web.TCPSite(runner, port=port)
    try:
        await site.start()
        return site
    except OSError as exc:
        why = (
            "is already in use by another program; stop it or set PORT to a free port"
            if exc.errno == errno.EADDRINUSE
            else f"cannot be listened on (PORT): {os.strerror(exc.errno or 0)}"
        )
        raise StartupError(f"port {port} {why}") from None


def _stop_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def _until_stopped() -> None:
    await _stop_signals().wait()


class SchedulerChild:
    """The scheduler process `run` starts: restarted after a crash (waiting longer each time it
    crashes soon again), stopped with SIGTERM and given the grace period to finish."""

    def __init__(self) -> None:
        self.owner = f"{os.uname().nodename}-{os.getpid()}-scheduler"[-64:]
        """Kept across restarts, so a restarted child takes back its dead predecessor's
        leases at once (`Scheduler.recover`)."""
        self._process: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        await self._spawn()
        self._watch = asyncio.create_task(self._keep_running())

    async def _spawn(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app", "scheduler", "--child", self.owner
        )

    async def _keep_running(self) -> None:
        crashes = 0
        loop = asyncio.get_running_loop()
        while not self._stopping:
            assert self._process is not None
            started = loop.time()
            code = await self._process.wait()
            if self._stopping:
                return
            crashes = 0 if loop.time() - started > STEADY else crashes + 1
            delay = RESTART_DELAYS[min(crashes, len(RESTART_DELAYS) - 1)]
            log.error("the scheduler process exited (%s); restarting in %.1f s", code, delay)
            await asyncio.sleep(delay)
            if not self._stopping:
                await self._spawn()

    async def stop(self, grace: float) -> None:
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                log.warning("the scheduler did not stop within %.0f s; killing it", grace)
                process.kill()
                await process.wait()
        if self._watch is not None:
            await self._watch


# --------------------------------------------------------------------- the scheduler process


async def serve_scheduler(settings: Settings, *, child: str | None = None) -> None:
    """The sync loop, alert delivery and the syncs people ask for, until SIGTERM; a cycle
    under way is finished first. A child of `run` (`child` is the owner name it keeps across
    restarts) finds the database migrated already, and stops when its parent is gone."""
    db = await open_database(settings, migrate=child is None)
    services = build_services(settings, db, owner=child)
    scheduler = build_scheduler(settings, services)
    stop = _stop_signals()
    try:
        await scheduler.recover()
        async with contextlib.AsyncExitStack() as stack:
            if not db.is_sqlite:
                await stack.enter_async_context(db.listening(SYNC_REQUESTS, scheduler.wake.set))
            roles = [scheduler.run_forever(stop), scheduler.serve_requests(stop)]
            roles.append(scheduler.beat(stop))
            if child is not None:
                roles.append(_until_orphaned(stop))
            await asyncio.gather(*roles)
    finally:
        await services.close()
        await db.dispose()


async def _until_orphaned(stop: asyncio.Event) -> None:
    """Stop once the parent is gone: a `run` killed with SIGKILL cannot stop its child."""
    parent = os.getppid()
    while not stop.is_set():
        if os.getppid() != parent:
            log.warning("the web process that started this scheduler is gone; stopping")
            stop.set()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


# ---------------------------------------------------------------------------- the commands


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
    commands.add_parser("run", help="start the bot: web and scheduler (the default)")
    commands.add_parser("web", help="only answer Slack and serve the sign-in pages")
    scheduler = commands.add_parser("scheduler", help="only sync, alert and do asked-for syncs")
    scheduler.add_argument("--child", metavar="OWNER", help=argparse.SUPPRESS)
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
        asyncio.run(_command(args, settings))
    except (ConfigError, SecretsError) as exc:
        print(f"adops-bot: {exc}", file=sys.stderr)
        return 2
    except StartupError as exc:
        print(f"adops-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def _command(args: argparse.Namespace, settings: Settings) -> Coroutine[Any, Any, None]:
    match args.command:
        case "migrate":
            return migrate(settings)
        case "rotate-keys":
            return rotate(settings, args.batch_size)
        case "scheduler":
            return serve_scheduler(settings, child=args.child)
        case "web":
            return serve_web(settings, with_scheduler=False)
        case _:
            return serve_web(settings, with_scheduler=True)


if __name__ == "__main__":
    sys.exit(main())
