"""The link between a replica's two processes (`handlers.handoff`), and the front's watch over
the worker.

Messages are JSON objects in frames that start with their length: a Slack body holds a whole
message or modal, far beyond the line limits of asyncio's stream reader.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, Protocol

from handlers.handoff import Job, round_trip
from handlers.oauth import UNAVAILABLE, Page

log = logging.getLogger(__name__)

MAX_FRAME = 64 * 1024 * 1024
BACKLOG = 2_000  # jobs kept while the worker restarts; each is one Slack request body
PAGE_TIMEOUT = 60.0
START_TIMEOUT = 120.0
RESTART_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
STEADY = 60.0  # a worker up this long has its next crash treated as a first one


class Frames:
    """Outgoing messages wait in a queue of their own and go to the socket as it drains: while
    the worker is behind, asyncio's transport would otherwise buffer megabytes in one bytearray
    and move all of it in memory after every send, on the front's event loop."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._queue: collections.deque[bytes] = collections.deque()
        self._queued = asyncio.Event()
        self._closing = False
        self._pump = asyncio.ensure_future(self._write())

    def put(self, message: Mapping[str, Any]) -> None:
        """Queue a message; it is written as the socket drains. Never waits, so the front can
        hand a job over on the ack path."""
        data = json.dumps(message, separators=(",", ":")).encode()
        self._queue.append(len(data).to_bytes(4, "big"))
        self._queue.append(data)
        self._queued.set()

    async def _write(self) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            while True:
                await self._queued.wait()
                while self._queue:
                    self._writer.write(self._queue.popleft())
                    await self._writer.drain()
                self._queued.clear()
                if self._closing:
                    return

    async def receive(self) -> dict[str, Any] | None:
        """The next message, or None once the other side has closed its end."""
        try:
            size = int.from_bytes(await self._reader.readexactly(4), "big")
            if size > MAX_FRAME:
                raise ValueError(f"a frame of {size} bytes")
            return json.loads(await self._reader.readexactly(size))
        except (asyncio.IncompleteReadError, ConnectionError):
            return None

    async def finish(self) -> None:
        """Send what is queued, tell the other side nothing more is coming, and go on reading
        its answers."""
        self._closing = True
        self._queued.set()
        await self._pump
        with contextlib.suppress(OSError, RuntimeError):
            self._writer.write_eof()

    async def close(self) -> None:
        if not self._pump.done():
            await self.finish()
        self._writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await self._writer.wait_closed()


class Link(Protocol):
    def submit(self, job: Job) -> None: ...

    async def page(self, name: str, query: dict[str, str], cookies: dict[str, str]) -> Page: ...

    def alive(self) -> bool: ...


class WorkerLike(Protocol):
    async def handle(self, job: Job) -> None: ...

    async def page(
        self, name: str, query: Mapping[str, str], cookies: Mapping[str, str]
    ) -> Page: ...


class InProcessLink:
    """The worker in the same process (tests, the offline shell): each job runs as a background
    task, so draining the runtime's background awaits the requests' work too."""

    def __init__(
        self, worker: WorkerLike, spawn: Callable[[Coroutine[Any, Any, Any]], None]
    ) -> None:
        self._worker = worker
        self._spawn = spawn

    def submit(self, job: Job) -> None:
        self._spawn(self._worker.handle(round_trip(job)))

    async def page(self, name: str, query: dict[str, str], cookies: dict[str, str]) -> Page:
        made = await self._worker.page(name, json.loads(json.dumps(query)), dict(cookies))
        return Page.decode(json.loads(json.dumps(made.encode())))

    def alive(self) -> bool:
        return True


LostHandler = Callable[[Job], Awaitable[None]]


class WorkerProcess:
    """The worker as a child process: started before the front serves, restarted when it dies.

    Jobs that reach the front while no worker is up wait (up to BACKLOG) for the next one. A job
    the worker had not finished when it died may be half done; its user is told so (`on_lost`),
    rather than it being run a second time behind their back."""

    def __init__(
        self, argv: list[str], on_lost: LostHandler, on_roles_changed: Callable[[], None]
    ) -> None:
        self._argv = argv
        self._on_lost = on_lost
        self._on_roles_changed = on_roles_changed
        self._frames: Frames | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._ready = False
        self._stopping = False
        self._numbers = 0
        self._running: dict[int, Job] = {}
        self._waiting: collections.deque[Job] = collections.deque()
        self._pages: dict[int, asyncio.Future[Page]] = {}
        self._watch: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._up = asyncio.Event()

    def alive(self) -> bool:
        return self._ready

    async def start(self) -> None:
        """Start the worker and wait until it is ready: a front must not ack work that no worker
        can do. Raises if the first worker dies before it is ready."""
        await self._spawn()
        reading = asyncio.ensure_future(self._read())
        up = asyncio.ensure_future(self._up.wait())
        done, _ = await asyncio.wait(
            {reading, up}, timeout=START_TIMEOUT, return_when="FIRST_COMPLETED"
        )
        if up not in done:
            up.cancel()
            reading.cancel()
            await self._kill()
            raise RuntimeError("the worker process did not start; its log says why")
        self._watch = asyncio.ensure_future(self._supervise(reading))

    def submit(self, job: Job) -> None:
        if self._ready and self._frames is not None:
            self._send(job)
        elif len(self._waiting) < BACKLOG:
            self._waiting.append(job)
        else:
            log.error("the worker is down and %d requests already wait for it", BACKLOG)
            self._later(self._on_lost(job))

    async def page(self, name: str, query: dict[str, str], cookies: dict[str, str]) -> Page:
        if not self._ready or self._frames is None:
            return UNAVAILABLE
        number = self._next()
        future: asyncio.Future[Page] = asyncio.get_running_loop().create_future()
        self._pages[number] = future
        self._frames.put(
            {"t": "page", "id": number, "name": name, "query": query, "cookies": cookies}
        )
        try:
            return await asyncio.wait_for(future, PAGE_TIMEOUT)
        except TimeoutError:
            log.error("the worker did not make an OAuth page in %.0f s", PAGE_TIMEOUT)
            return UNAVAILABLE
        finally:
            self._pages.pop(number, None)

    async def close(self, grace: float) -> None:
        """Let the worker finish what it was given (for at most `grace` seconds), then stop it."""
        self._stopping = True
        try:
            async with asyncio.timeout(grace):
                if self._frames is not None:
                    await self._frames.finish()  # a hung worker reads nothing: bounded too
                if self._process is not None:
                    await self._process.wait()
        except TimeoutError:
            if self._process is not None:
                log.warning("the worker did not finish within %.0f s; stopping it", grace)
                await self._kill()
        if self._watch is not None:
            await self._watch
        for job in self._waiting:
            await self._on_lost(job)
        self._waiting.clear()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ------------------------------------------------------------------------ the child

    async def _spawn(self) -> None:
        ours, theirs = socket.socketpair()
        try:
            self._process = await asyncio.create_subprocess_exec(
                *self._argv, "--fd", str(theirs.fileno()), pass_fds=(theirs.fileno(),)
            )
        finally:
            theirs.close()
        reader, writer = await asyncio.open_connection(sock=ours, limit=MAX_FRAME)
        self._frames = Frames(reader, writer)
        self._ready = False
        self._up.clear()

    async def _read(self) -> None:
        assert self._frames is not None
        while (message := await self._frames.receive()) is not None:
            match message.get("t"):
                case "ready":
                    self._ready = True
                    self._up.set()
                    while self._waiting and not self._stopping:
                        self._send(self._waiting.popleft())
                case "done":
                    self._running.pop(message["id"], None)
                case "roles":
                    self._on_roles_changed()
                case "page":
                    future = self._pages.get(message["id"])
                    if future is not None and not future.done():
                        future.set_result(Page.decode(message["page"]))

    async def _supervise(self, reading: asyncio.Future[None]) -> None:
        attempt, loop = 0, asyncio.get_running_loop()
        while True:
            started = loop.time()
            await reading
            self._ready = False
            assert self._process is not None and self._frames is not None
            code = await self._process.wait()
            await self._frames.close()
            self._lost()
            if self._stopping:
                if code:
                    log.warning("the worker exited with code %s", code)
                return
            log.error("the worker exited with code %s; starting another", code)
            attempt = 0 if loop.time() - started > STEADY else attempt + 1
            if not await self._respawn(attempt):
                return
            reading = asyncio.ensure_future(self._read())

    async def _respawn(self, attempt: int) -> bool:
        """Start a new worker after the backoff for `attempt`; False if the front stops first."""
        while True:
            await asyncio.sleep(RESTART_DELAYS[min(attempt, len(RESTART_DELAYS) - 1)])
            if self._stopping:
                return False
            try:
                await self._spawn()
                return True
            except OSError:
                log.exception("could not start a worker")
                attempt += 1

    def _lost(self) -> None:
        lost, self._running = list(self._running.values()), {}
        if lost:
            log.error("%d request(s) were being handled when the worker stopped", len(lost))
        for job in lost:
            self._later(self._on_lost(job))
        for future in self._pages.values():
            if not future.done():
                future.set_result(UNAVAILABLE)

    async def _kill(self) -> None:
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            await self._process.wait()

    def _send(self, job: Job) -> None:
        assert self._frames is not None
        number = self._next()
        self._running[number] = job
        self._frames.put({"t": "job", "id": number, "job": job.encode()})

    def _next(self) -> int:
        self._numbers += 1
        return self._numbers

    def _later(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
