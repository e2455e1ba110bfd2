"""Alerts in Slack: the notifier the core delivers through, and the backup-move button."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts import Alerts, AlertView, DeliveryFailed
from bot.permissions import Permission
from handlers.ids import Action
from handlers.metadata import AlertMove
from handlers.replies import reported, requires, tell
from handlers.views.alerts import alert_message, reminder_message
from handlers.views.blocks import esc

log = logging.getLogger(__name__)


class SlackNotifier:
    """Sends alerts with the background client (which retries 429/5xx itself); whatever still
    fails is reported as DeliveryFailed so the outbox tries again later."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def post(self, channel: str, alert: AlertView) -> str:
        response = await self._call("chat_postMessage", channel=channel, **alert_message(alert))
        return response["ts"]

    async def reminder(self, channel: str, thread_ts: str, alert: AlertView) -> None:
        await self._call(
            "chat_postMessage", channel=channel, thread_ts=thread_ts, **reminder_message(alert)
        )

    async def update(self, channel: str, ts: str, alert: AlertView) -> None:
        await self._call("chat_update", channel=channel, ts=ts, **alert_message(alert))

    async def direct(self, user_id: str, alert: AlertView) -> tuple[str, str]:
        opened = await self._call("conversations_open", users=user_id)
        channel = opened["channel"]["id"]
        response = await self._call("chat_postMessage", channel=channel, **alert_message(alert))
        return channel, response["ts"]

    async def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return await getattr(self._client, method)(**kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            raise DeliveryFailed(f"{method}: {error or exc.response.status_code}") from None
        except OSError as exc:
            raise DeliveryFailed(f"{method}: {type(exc).__name__}") from None


def register(app: AsyncApp, alerts: Alerts) -> None:
    @app.action(Action.ALERT_MOVE, middleware=[requires(Permission.MANAGE)])
    @reported
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
