"""The worker side of a replica: requests the front acked, and the OAuth pages, handled in full.

In production the worker is a child process that talks to the front over a socket
(`handlers.link`); in tests and the offline shell it is called in the same process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.runtime import awaiting_ack
from handlers.handoff import Job
from handlers.link import Frames
from handlers.oauth import OAuthPages, Page

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, app: AsyncApp, pages: OAuthPages) -> None:
        self._app = app
        self._pages = pages

    async def handle(self, job: Job) -> None:
        awaiting_ack(False)  # Slack already has its answer: nothing here is on the ack path
        # Socket Mode's request shape is the one Bolt takes an already-parsed body in.
        request = AsyncBoltRequest(body=job.body, context=job.context(), mode="socket_mode")
        response = await self._app.async_dispatch(request)
        if response.status == 404:
            log.warning("no listener took a request the front handed over")

    async def page(self, name: str, query: Mapping[str, str], cookies: Mapping[str, str]) -> Page:
        awaiting_ack(False)
        return await self._pages.render(name, query, cookies)


Spawner = Callable[[Coroutine[Any, Any, Any]], None]


async def serve_front(worker: Worker, frames: Frames, spawn: Spawner) -> None:
    """Take jobs and page requests from the front until it closes its end, each in a task of its
    own; the front learns of each job's end, so that a crash can be reported to whoever waits."""

    async def job(number: int, data: dict[str, Any]) -> None:
        try:
            await worker.handle(Job.decode(data))
        finally:
            frames.put({"t": "done", "id": number})

    async def page(number: int, message: dict[str, Any]) -> None:
        try:
            made = await worker.page(message["name"], message["query"], message["cookies"])
        except Exception:
            log.exception("an OAuth page failed")
            made = Page(500, "Something went wrong", "It has been logged. Please try again.")
        frames.put({"t": "page", "id": number, "page": made.encode()})

    while (message := await frames.receive()) is not None:
        match message.get("t"):
            case "job":
                spawn(job(message["id"], message["job"]))
            case "page":
                spawn(page(message["id"], message))
            case other:
                log.warning("the worker got a message it does not know: %r", other)
