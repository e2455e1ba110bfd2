"""Starting `adops-bot shell`: the local Slack stand-in, the demo networks, the shell's own
database, and the real bot wired to them; and closing all of it again."""

from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import secrets
import socket
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from app import build_scheduler, build_services
from bot.config import ConfigError, Settings
from bot.runtime import StartupError, open_database
from fakes.slack import FakeSlack
from handlers.transport.access_log import web_runner
from handlers.transport.web import build_web
from shell import session
from shell.console import Console
from shell.datadir import DemoLock, own_database
from shell.demo import Demo
from shell.session import CHANNEL, TEAM, USERS, Shell, ShellClock


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="adops-bot shell", description=session.__doc__)
    root.add_argument("--demo", action="store_true", help="run fake TikTok and MediaGo locally")
    root.add_argument("--as", dest="role", choices=sorted(USERS), default="admin")
    root.add_argument("--database", help="database URL (default: a shell SQLite file)")
    return root


def shell_env(env: dict[str, str], database: str, port: int) -> dict[str, str]:
    """The settings the shell runs with: the user's own, except that Slack is local, the user
    is the admin, and the database is the shell's own file unless one is named."""
    shell = {
        **env,
        "SLACK_BOT_TOKEN": "xoxb-shell",
        "SLACK_SIGNING_SECRET": secrets.token_hex(16),
        "ADOPS_ADMINS": USERS["admin"][0],
        "ADOPS_ALERT_CHANNEL": env.get("ADOPS_ALERT_CHANNEL") or CHANNEL,
        "ADOPS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": database,
    }
    shell.pop("SLACK_APP_TOKEN", None)
    return shell


async def start(argv: list[str], env: dict[str, str], console: Console) -> tuple[Shell, list[Any]]:
    """Everything the shell needs, running; returns it with what to close at the end. If
    something fails on the way, what was already started is closed again."""
    args = parser().parse_args(argv)
    closers: list[Any] = []
    try:
        return await _start(args, env, console, closers), closers
    except BaseException:
        await close_all(closers)
        raise


async def _start(
    args: argparse.Namespace, env: dict[str, str], console: Console, closers: list[Any]
) -> Shell:
    data_dir = Path(env.get("ADOPS_DATA_DIR") or "data")
    database = args.database
    if database is None and args.demo:
        lock = await asyncio.to_thread(DemoLock, data_dir)  # before the database is recreated
        closers.append(lock.release)
    slack = FakeSlack(team_id=TEAM)
    await slack.start()
    closers.append(slack.close)
    for user_id, name in USERS.values():
        slack.add_user(user_id, name=name)
    slack.add_channel(CHANNEL, "ad-ops")
    demo = await Demo.start() if args.demo else None
    if demo is not None:
        closers.append(demo.close)
        env = {**env, **demo.env()}
    if database is None:
        database = await asyncio.to_thread(own_database, data_dir, fresh=demo is not None)
    with socket.socket() as probe:  # the OAuth routes need a real port the browser can reach
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings.from_env(shell_env({**env, "SLACK_API_URL": slack.url}, database, port))
    db = await open_database(settings)
    closers.append(db.dispose)
    clock = ShellClock()
    services = build_services(settings, db, clock=clock)
    closers.append(services.close)
    process = build_web(settings, services)
    runner = web_runner(process.app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    closers.append(runner.cleanup)
    closers.append(lambda: process.close(grace=5))
    scheduler = build_scheduler(settings, services)
    shell = Shell(process, scheduler, slack, console, settings.slack_signing_secret or "")
    shell.user = USERS[args.role][0]
    shell.demo = demo
    shell.clock = clock
    logging.getLogger().setLevel(logging.WARNING)
    console.say(
        f"adops-bot shell — you are {USERS[args.role][1]} ({args.role}) in #ad-ops; "
        f"database {settings.database_url.split('///')[-1]}. :help for help, :quit to leave."
    )
    if demo is not None:
        console.say(*demo.intro())
    return shell


async def close_all(closers: list[Any]) -> None:
    for close in reversed(closers):
        closed = close()
        if inspect.isawaitable(closed):
            await closed


async def main(argv: list[str], env: dict[str, str], console: Console | None = None) -> int:
    console = console or Console()
    shell, closers = await start(argv, env, console)
    try:
        await shell.run()
    finally:
        await close_all(closers)
    return 0


def run_shell(argv: list[str], env: dict[str, str]) -> int:
    try:
        return asyncio.run(main(argv, env))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except StartupError as exc:
        print(f"adops-bot shell: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
