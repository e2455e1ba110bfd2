"""Run by tests/test_faults.py as its own process, so that it can be killed with SIGKILL in the
middle of a sync. Configured entirely from the environment, wired as `adops-bot scheduler` is.

It runs one cycle, says so, waits for a line on stdin, moves its clock past the sync interval
and runs a second cycle (in which the test kills it)."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

from app import build_scheduler, build_services
from bot.clock import utcnow
from bot.config import Settings
from bot.runtime import open_database


async def main() -> None:
    settings = Settings.from_env(os.environ)
    db = await open_database(settings)
    offset = [timedelta(0)]
    services = build_services(settings, db, clock=lambda: utcnow() + offset[0])
    scheduler = build_scheduler(settings, services)
    await scheduler.run_cycle()
    print("cycle 1 done", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    offset[0] = timedelta(seconds=settings.sync_interval * 1.2)
    await scheduler.run_cycle()
    print("cycle 2 done", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
