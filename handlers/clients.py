"""Variants of the Slack client for calls whose retries must differ from the default ones.

The app's client retries 429s, 5xx and dropped connections (`app.slack_clients`). Some calls
must not be retried that way: a views.open whose trigger dies in 3 s, a post that Slack may have
taken before it answered with an error. They use the same token, URL and pooled session.
"""

from __future__ import annotations

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient


def derived_client(
    client: AsyncWebClient,
    *,
    retry_handlers: list[AsyncRetryHandler],
    timeout: int | None = None,
) -> AsyncWebClient:
    return AsyncWebClient(
        token=client.token,
        base_url=client.base_url,
        session=client.session,
        timeout=client.timeout if timeout is None else timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=dict(client.headers),
        logger=client.logger,
        retry_handlers=retry_handlers,
    )


def without_retries(client: AsyncWebClient) -> AsyncWebClient:
    """For calls a deadline bounds: one attempt, within 2 s."""
    return derived_client(client, retry_handlers=[], timeout=2)
