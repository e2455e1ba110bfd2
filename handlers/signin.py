"""Signing in with a provider: the private link a command or button sends, the pages the
browser goes through (`handlers.transport.oauth_routes` serves them), and what is said about it
in Slack.

`/oauth/start` spends the Slack ticket, sets the browser cookie and sends the browser to the
provider; `/oauth/callback` checks state and cookie and the asker's role now, saves the
credentials, and asks the scheduler for their first sync, which answers in Slack by DM.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.connect import Connected
from bot.errors import DomainError, InvalidInput, PermissionDenied
from bot.oauth import START_PATH
from bot.permissions import Actor, Source
from bot.services import Services
from handlers.actors import ActorResolver
from handlers.ids import Action
from handlers.replies import dm
from handlers.transport.oauth_routes import COOKIE, Page
from handlers.views.blocks import actions, button, esc, esc_quoting, message, section
from handlers.views.formatting import provider_name

log = logging.getLogger(__name__)


async def send_oauth_link(
    services: Services,
    actor: Actor,
    *,
    provider: str,
    team_id: str,
    profile_id: int | None,
    tell: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """The link goes to the requester only (ephemeral or DM), never into a channel."""
    if not services.public_url:
        raise InvalidInput("ADOPS_PUBLIC_URL is not set, so I cannot offer a sign-in link.")
    services.sync.provider(provider)
    ticket = await services.tickets.issue(
        actor,
        provider=provider,
        purpose="reauth" if profile_id else "connect",
        team_id=team_id,
        profile_id=profile_id,
    )
    url = f"{services.public_url}{START_PATH}?ticket={ticket}"
    what = (
        "re-authenticate this profile"
        if profile_id
        else f"connect a {provider_name(provider)} login"
    )
    text = f"Open this link to {what}. It is for you only and works once, within 10 minutes."
    sign_in = button(
        "Sign in with " + provider_name(provider), Action.LINK, url=url, style="primary"
    )
    await tell(message(text, [section(f":lock: {text}"), actions([sign_in])]))


def connected_text(connected: Connected) -> str:
    card = connected.profile
    verb = "Connected" if connected.created else "Updated"
    return (
        f":white_check_mark: {verb} *{esc(card.name)}* ({provider_name(card.provider)}): "
        f"{connected.reachable} ad account(s) reachable. Syncing them now; I will tell you here "
        "when it is done."
    )


NO_LONGER_ADMIN = (
    "You no longer have the adops admin permission, so nothing was connected. An admin can give "
    "it back (/adops admins add); then ask for a new link."
)
UNCONFIRMED = (
    "Slack could not confirm your permissions just now, so nothing was connected. "
    "Ask for a new link in Slack in a moment."
)


class OAuthPages:
    """`resolver` looks the person up afresh at the callback (no cache): their role then is the
    one that counts, not the one they had when the link was sent."""

    def __init__(self, services: Services, client: AsyncWebClient, resolver: ActorResolver) -> None:
        self._services = services
        self._client = client
        self._resolver = resolver

    async def start(self, query: Mapping[str, str]) -> Page:
        try:
            started = await self._services.tickets.start(query.get("ticket", ""))
            target = self._services.connector.authorization_url(
                started.grant.provider, started.state
            )
        except DomainError as exc:
            return Page(400, "This link cannot be used", exc.message)
        return Page(302, location=target, set_cookie=started.binding)

    async def callback(self, query: Mapping[str, str], cookies: Mapping[str, str]) -> Page:
        if "error" in query and "state" not in query:
            return Page(400, "Sign-in cancelled", "The provider did not authorise the app.")
        try:
            grant = await self._services.tickets.finish(query.get("state", ""), cookies.get(COOKIE))
        except DomainError as exc:
            return Page(400, "This sign-in cannot be completed", exc.message)
        code = query.get("auth_code") or query.get("code") or ""
        actor, verified = await self._resolver.resolve(grant.user_id, Source.OAUTH)
        # Labelled by id: the alert a sign-in fixes names its fixer by label, and a user id
        # reads there as a mention of them.
        actor = replace(actor, label=grant.user_id)
        try:
            connected = await self._services.connector.complete_oauth(actor, grant, code)
        except PermissionDenied:
            text = NO_LONGER_ADMIN if verified else UNCONFIRMED
            log.info("an OAuth sign-in was refused: %s may not change profiles now", grant.user_id)
            await self._tell(grant.user_id, f":no_entry: Your sign-in was not completed. {text}")
            return Page(403, "Not connected", text, clear_cookie=True)
        except DomainError as exc:
            refused = esc_quoting(exc.message)
            await self._tell(grant.user_id, f":warning: The sign-in did not work: {refused}")
            return Page(400, "Not connected", exc.message, clear_cookie=True)
        except Exception:
            ref = secrets.token_hex(4)
            log.exception("OAuth callback failed (ref %s)", ref)
            return Page(
                500,
                "Something went wrong",
                f"Reference {ref}. It has been logged.",
                clear_cookie=True,
            )
        return Page(
            200,
            "Connected",
            f"{connected.profile.name} is connected and reaches {connected.reachable} ad "
            "account(s). Their details are being synced; you will hear in Slack when it is done.",
            clear_cookie=True,
        )

    async def _tell(self, user_id: str, text: str) -> None:
        try:
            await dm(self._client, user_id, text)
        except (SlackApiError, OSError):
            log.warning("could not tell %s about an OAuth result", user_id, exc_info=True)
