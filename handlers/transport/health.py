"""`GET /health`: whether this web process can serve, for load balancers and orchestrators.

It is healthy when its database takes a write (a full disk or a read-only database refuses one)
and a scheduler process has shown it is alive lately (its heartbeat, `bot.scheduler`): without a
scheduler, syncs people ask for would wait for ever and no alert would go out."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.services import Services
from storage.work_models import Heartbeat

log = logging.getLogger(__name__)
CHECK_TIMEOUT = 2.0
SCHEDULER_SILENT = timedelta(minutes=2)
"""Six missed heartbeats: a scheduler this quiet is down or frozen."""


def health_routes(services: Services) -> list[web.RouteDef]:
    db, clock = services.db, services.clock
    insert = sqlite_insert if db.is_sqlite else pg_insert

    async def health(_request: web.Request) -> web.Response:
        now = clock()
        try:
            async with asyncio.timeout(CHECK_TIMEOUT), db.transaction() as session:
                await session.execute(
                    insert(Heartbeat)
                    .values(owner=services.owner, role="web", at=now)
                    .on_conflict_do_update(index_elements=["role", "owner"], set_={"at": now})
                )
                latest = await session.scalar(
                    select(func.max(Heartbeat.at)).where(Heartbeat.role == "scheduler")
                )
        except Exception:
            log.warning("health check: the database refused a write", exc_info=True)
            return web.json_response({"status": "unavailable", "database": "error"}, status=503)
        if latest is None or now - latest > SCHEDULER_SILENT:
            return web.json_response(
                {"status": "unavailable", "database": "ok", "scheduler": "silent"}, status=503
            )
        return web.json_response({"status": "ok", "database": "ok", "scheduler": "ok"})

    return [web.get("/health", health)]
