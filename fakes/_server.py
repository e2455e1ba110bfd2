"""A real aiohttp server on 127.0.0.1 with an ephemeral port, plus fault injection and a request
log: the shared base of the fake Slack and fake ad networks."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Logged:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    """What a faulty reply looks like: an HTTP status with a body, or a hang (timeout). A body
    given as a function is rendered for each reply (e.g. to carry a fresh request id)."""

    status: int = 500
    body: str | Callable[[], str] = "<html>upstream error</html>"
    content_type: str = "text/html"
    hang: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class FakeServer:
    def __init__(self, *, latency: float = 0.0, seed: int = 0) -> None:
        self.latency = latency
        self.requests: list[Logged] = []
        self._next_faults: dict[str, list[Fault]] = {}
        self._rates: dict[str, tuple[float, tuple[Fault, ...]]] = {}
        self.faults_served = 0
        self._rng = random.Random(seed)
        self._runner: web.AppRunner | None = None
        self.port = 0

    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeServer:
        app = web.Application(middlewares=[self._middleware])
        app.add_routes(self.routes())
        # A fake must stop at once even with a request hanging on purpose (latency, Fault.hang).
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeServer:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    def fail_next(self, path: str, fault: Fault, count: int = 1) -> None:
        self._next_faults.setdefault(path, []).extend([fault] * count)

    def clear_faults(self) -> None:
        self._next_faults.clear()
        self._rates.clear()

    def fail_rate(self, path: str, fraction: float, fault: Fault, *more: Fault) -> None:
        """Fail that share of the calls to `path`, each with one of the faults at random."""
        self._rates[path] = (fraction, (fault, *more))

    def calls(self, path: str) -> list[Logged]:
        return [r for r in self.requests if r.path.endswith(path)]

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = (
                    await request.json() if "json" in (request.content_type or "") else raw.decode()
                )
            except ValueError:
                body = raw.decode(errors="replace")
        self.requests.append(
            Logged(request.method, request.path, dict(request.query), body, dict(request.headers))
        )
        if self.latency:
            await asyncio.sleep(self.latency)
        fault = self._fault_for(request.path)
        if fault is not None:
            self.faults_served += 1
            if fault.hang:
                await asyncio.sleep(fault.hang)
            return web.Response(
                status=fault.status,
                text=fault.body() if callable(fault.body) else fault.body,
                content_type=fault.content_type,
                headers=fault.headers,
            )
        return await handler(request)

    def _fault_for(self, path: str) -> Fault | None:
        for key, queue in self._next_faults.items():
            if path.endswith(key) and queue:
                return queue.pop(0)
        for key, (fraction, faults) in self._rates.items():
            if path.endswith(key) and self._rng.random() < fraction:
                return self._rng.choice(faults)
        return None
