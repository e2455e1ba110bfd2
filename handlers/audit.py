"""The audit log from Slack: `/adops audit …` pages and their Next button."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.permissions import Actor, Permission
from bot.services import Services
from handlers.ids import Action
from handlers.metadata import AuditCursor
from handlers.replies import requires, tell
from handlers.transport.listener import listener
from handlers.views.audit import audit_message

PAGE_SIZE = 20


async def audit_payload(services: Services, actor: Actor, cursor: AuditCursor) -> dict[str, Any]:
    """One page of the entries `cursor` selects, with a Next button while older ones remain."""
    page = await services.audit.page(
        actor,
        targets=cursor.target_pairs(),
        bulk_id=cursor.bulk_id,
        before_id=cursor.before_id,
        limit=PAGE_SIZE,
    )
    following = page.next_before
    next_page = replace(cursor, before_id=following).encode() if following is not None else None
    return audit_message(cursor.title, page, next_page=next_page)


def register(app: AsyncApp, services: Services) -> None:
    @app.action(Action.AUDIT_NEXT, middleware=[requires(Permission.VIEW)])
    @listener
    async def next_page(
        ack: Any, body: dict, context: Any, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        cursor = AuditCursor.decode(body["actions"][0].get("value"))
        payload = await audit_payload(services, context["actor"], cursor)
        await tell(body, client, respond, payload["text"], payload["blocks"], replace=True)
