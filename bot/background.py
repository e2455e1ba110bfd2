"""Work that goes on after Slack has its answer, tracked so that shutdown waits for it and its
failures are logged, never dropped mid-write."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        self.track(asyncio.ensure_future(work))

    def track(self, task: asyncio.Task[Any] | None) -> None:
        """Count a task already running (a Bolt listener's, past its ack) as this runner's."""
        if task is None or task in self._tasks:
            return
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    @property
    def busy(self) -> int:
        return len(self._tasks - {asyncio.current_task()})

    async def drain(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        """Wait until every tracked task is done (the caller's own excepted), at most `timeout`
        seconds; returns whether all were."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while pending := self._tasks - {asyncio.current_task()}:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            await asyncio.wait(pending, timeout=left)
        return True
