"""The alert buttons that act (the backup move); the alerts themselves are posted by the
scheduler process through `handlers.notifiers`."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.permissions import Permission
from bot.services import Services
from handlers.ids import Action
from handlers.metadata import AlertMove
from handlers.replies import requires, tell
from handlers.transport.listener import listener
from handlers.views.blocks import esc


def register(app: AsyncApp, services: Services) -> None:
    alerts = services.alerts

    @app.action(Action.ALERT_MOVE, middleware=[requires(Permission.MANAGE)])
    @listener
    async def move(
        ack: Any, body: dict, context: Any, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        meta = AlertMove.decode(body["actions"][0].get("value"))
        result = await alerts.move_to_backup(context["actor"], meta.alert_id, meta.backup_id)
        lines = [f":truck: Moved {len(result.done)} account(s)."]
        if result.skipped:
            lines.append(f"{len(result.skipped)} could not move:")
            lines += [f"• {esc(i.label)}: {esc(i.reason or '')}" for i in result.skipped[:30]]
        await tell(body, client, respond, "\n".join(lines))
