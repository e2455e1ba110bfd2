"""Alerts in Slack: the notifier the core delivers through, and the backup-move button."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts import Alerts, AlertView
from bot.delivery import DeliveryFailed, Undeliverable
from bot.permissions import Permission
from handlers.clients import derived_client
from handlers.ids import Action
from handlers.metadata import AlertMove
from handlers.replies import reported, requires, tell
from handlers.views.alerts import alert_message, reminder_message, undeliverable_message
from handlers.views.blocks import esc

log = logging.getLogger(__name__)


# Errors after which sending the same message again cannot succeed: the channel or DM is gone or
# closed to the bot, or the user is deactivated (the error lists of chat.postMessage,
# chat.update and conversations.open at https://docs.slack.dev/reference/methods/).
FINAL_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "channel_is_archived",
        "user_disabled",
        "user_not_found",
        "account_inactive",
        "message_not_found",
        "cant_update_message",
        "restricted_action",
    }
)


class SlackNotifier:
    """Sends alerts. Posting a message is the one call retried only after a 429, which Slack
    answers without posting: after a 500 or a dropped connection the post may have gone through,
    and posting it again would show the alert twice. What still fails is reported as
    DeliveryFailed, final or not, so the outbox knows whether to try again."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._posting = derived_client(
            client, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)]
        )

    async def post(self, channel: str, alert: AlertView) -> str:
        response = await self._post(channel=channel, **alert_message(alert))
        return str(response["ts"])

    async def reminder(self, channel: str, thread_ts: str, alert: AlertView) -> None:
        await self._post(channel=channel, thread_ts=thread_ts, **reminder_message(alert))

    async def update(self, channel: str, ts: str, alert: AlertView) -> None:
        await self._call(self._client.chat_update, channel=channel, ts=ts, **alert_message(alert))

    async def direct(self, user_id: str, alert: AlertView) -> tuple[str, str]:
        channel = await self._dm(user_id)
        response = await self._post(channel=channel, **alert_message(alert))
        return channel, str(response["ts"])

    async def undeliverable(self, user_id: str, problem: Undeliverable) -> None:
        await self._post(channel=await self._dm(user_id), **undeliverable_message(problem))

    async def _dm(self, user_id: str) -> str:
        opened = await self._call(self._client.conversations_open, users=user_id)
        return str(opened["channel"]["id"])

    async def _post(self, **kwargs: Any) -> Any:
        # The pooled session is opened after this notifier is made (`Runtime.open_sessions`).
        self._posting.session = self._client.session
        return await self._call(self._posting.chat_postMessage, unfurl_links=False, **kwargs)

    @staticmethod
    async def _call(method: Any, **kwargs: Any) -> Any:
        name = method.__name__
        try:
            return await method(**kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            reason = f"{name}: {error or exc.response.status_code}"
            raise DeliveryFailed(reason, permanent=error in FINAL_ERRORS) from None
        except OSError as exc:
            raise DeliveryFailed(f"{name}: {type(exc).__name__}") from None


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
