"""How the scheduler process speaks to Slack: alerts (`SlackNotifier`, the seam `bot.delivery`
sends through) and the answers to syncs people asked for (`SlackReporter`)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.alerts import AlertView
from bot.delivery import DeliveryFailed, Undeliverable
from bot.sync_requests import Answered
from handlers.clients import derived_client
from handlers.replies import dm
from handlers.views.alerts import alert_message, reminder_message, undeliverable_message
from handlers.views.sync import sync_answer

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


class SlackReporter:
    """Answers a sync request where it was asked: through its response_url, replacing the
    "Syncing…" reply, while the URL still takes posts (30 minutes, 5 posts); by DM otherwise,
    and always for the first sync of a connection, which has no message to replace."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def answer(self, answered: Answered) -> None:
        payload = sync_answer(answered)
        if answered.reply_url:
            webhook = AsyncWebhookClient(answered.reply_url, session=self._client.session)
            sent = await webhook.send(
                text=payload["text"],
                blocks=payload["blocks"],
                response_type="ephemeral",
                replace_original=answered.purpose == "command",
            )
            if sent.status_code == 200 and sent.body == "ok":
                return
            log.info("a sync answer's response_url refused it (HTTP %s)", sent.status_code)
        try:
            await dm(self._client, answered.requested_by, payload["text"], payload["blocks"])
        except SlackApiError as exc:
            log.warning("could not tell %s about a sync: %s", answered.requested_by, exc)
