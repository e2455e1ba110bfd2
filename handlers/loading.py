"""Modals that open at once and fill in when their data is ready, and always end somewhere.

A trigger_id dies 3 s after the click, so a modal whose content needs the database or a
provider opens first as "Loading…" and is filled in with views.update. Whatever happens in
between (a removed account, stale metadata, a bug), the person ends up looking at a real view or
an error view, never at "Loading…" for good.

views.open goes through a client without retries: slack_sdk's rate-limit handler waits out a
429's Retry-After, by which time the trigger has expired (research/slack.md §4, "Never retry
before ack()"; the same holds before a trigger's 3 s are up).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError, InvalidInput
from handlers.clients import without_retries
from handlers.views.blocks import esc
from handlers.views.modals import notice_view, progress_view

log = logging.getLogger(__name__)

BUSY = "Slack did not let me open that form just now. Please try again in a moment."


async def open_modal(client: AsyncWebClient, trigger_id: str, view: dict[str, Any]) -> str:
    """Open a modal now, or raise a domain error the person can act on."""
    try:
        response = await without_retries(client).views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error"))
        raise InvalidInput(BUSY) from None
    return str(response["view"]["id"])


class LoadingModal:
    def __init__(self, client: AsyncWebClient, view_id: str, title: str) -> None:
        self._client = client
        self.view_id = view_id
        self.title = title

    async def show(self, view: dict[str, Any]) -> None:
        await self._client.views_update(view_id=self.view_id, view=view)


@asynccontextmanager
async def filling(modal: LoadingModal) -> AsyncIterator[LoadingModal]:
    """Hand over a modal that shows progress ("Loading…", "Checking…", "Working…") to be filled
    in. A domain error raised inside becomes an error view with its message; anything else one
    with a reference that matches the log."""
    try:
        yield modal
    except DomainError as exc:
        await modal.show(notice_view(modal.title, f":warning: {esc(exc.message)}"))
    except Exception:
        ref = secrets.token_hex(4)
        log.exception("filling in a modal failed (ref %s)", ref)
        text = f":x: Something went wrong on my side (reference `{ref}`). It has been logged."
        await modal.show(notice_view(modal.title, text))


@asynccontextmanager
async def loading_modal(
    client: AsyncWebClient, body: dict[str, Any], title: str
) -> AsyncIterator[LoadingModal]:
    """Open "Loading…" at once and hand it over to be filled in (`filling`)."""
    view_id = await open_modal(client, body["trigger_id"], progress_view(title, "Loading…"))
    async with filling(LoadingModal(client, view_id, title)) as modal:
        yield modal
