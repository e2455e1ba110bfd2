"""`GET /health`: whether this replica can serve, for load balancers and orchestrators: its
database answers and its worker process is up (`handlers.link`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web
from sqlalchemy import text

from storage.db import Database

log = logging.getLogger(__name__)
DB_CHECK_TIMEOUT = 2.0


def health_routes(db: Database, worker_up: Callable[[], bool]) -> list[web.RouteDef]:
    async def health(_request: web.Request) -> web.Response:
        if not worker_up():
            return web.json_response({"status": "unavailable", "worker": "down"}, status=503)
        try:
            async with asyncio.timeout(DB_CHECK_TIMEOUT), db.reader() as session:
                await session.execute(text("SELECT 1"))
        except Exception:
            log.warning("health check: database unreachable", exc_info=True)
            return web.json_response({"status": "unavailable", "database": "error"}, status=503)
        return web.json_response({"status": "ok", "database": "ok"})

    return [web.get("/health", health)]
