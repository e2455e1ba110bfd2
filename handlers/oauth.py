"""The OAuth routes next to Bolt: `/oauth/start` (spends the Slack ticket, sets the browser
cookie, sends the browser to the provider) and `/oauth/callback` (checks state and cookie, saves
the credentials, tells the user in Slack).

The front process serves the routes; the worker makes the pages (`OAuthPages`), since spending a
ticket, exchanging a code and syncing the new profile are database and provider work. A page is
therefore plain data that can cross to the front. Pages are plain, never cached, and never echo a
code, token or state.
"""

from __future__ import annotations

import html
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError, PermissionDenied
from bot.permissions import Source
from handlers.actors import ActorResolver
from handlers.deps import Deps
from handlers.profiles import connected_text
from handlers.replies import dm
from handlers.views.blocks import esc_quoting

log = logging.getLogger(__name__)

COOKIE = "adops_oauth"
COOKIE_PATH = "/oauth"
COOKIE_MAX_AGE = 600
START_PATH = "/oauth/start"
CALLBACK_PATH = "/oauth/callback"
PAGES = {START_PATH: "start", CALLBACK_PATH: "callback"}
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


@dataclass(frozen=True)
class Page:
    status: int
    title: str = ""
    text: str = ""
    location: str | None = None
    set_cookie: str | None = None
    clear_cookie: bool = False

    def encode(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def decode(cls, data: Mapping[str, Any]) -> Page:
        return cls(**data)

    def response(self) -> web.Response:
        if self.location is not None:
            response = web.Response(
                status=self.status, headers={**_HEADERS, "Location": self.location}
            )
        else:
            response = web.Response(
                text=_html(self.title, self.text),
                status=self.status,
                content_type="text/html",
                headers=_HEADERS,
            )
        if self.set_cookie is not None:
            response.set_cookie(
                COOKIE,
                self.set_cookie,
                max_age=COOKIE_MAX_AGE,
                path=COOKIE_PATH,
                secure=True,
                httponly=True,
                samesite="Lax",
            )
        if self.clear_cookie:
            response.del_cookie(COOKIE, path=COOKIE_PATH)
        return response


def _html(title: str, text: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font:16px system-ui,sans-serif;max-width:36em;margin:4em auto}</style>"
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
        "<p>You can close this tab and return to Slack.</p></body></html>"
    )


UNAVAILABLE = Page(503, "Please try again", "The bot is restarting. Reload this page in a minute.")
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

    def __init__(self, deps: Deps, client: AsyncWebClient, resolver: ActorResolver) -> None:
        self._deps = deps
        self._client = client
        self._resolver = resolver

    async def render(self, name: str, query: Mapping[str, str], cookies: Mapping[str, str]) -> Page:
        if name == "start":
            return await self.start(query)
        return await self.callback(query, cookies)

    async def start(self, query: Mapping[str, str]) -> Page:
        try:
            started = await self._deps.tickets.start(query.get("ticket", ""))
            target = self._deps.connector.authorization_url(started.grant.provider, started.state)
        except DomainError as exc:
            return Page(400, "This link cannot be used", exc.message)
        return Page(302, location=target, set_cookie=started.binding)

    async def callback(self, query: Mapping[str, str], cookies: Mapping[str, str]) -> Page:
        if "error" in query and "state" not in query:
            return Page(400, "Sign-in cancelled", "The provider did not authorise the app.")
        try:
            grant = await self._deps.tickets.finish(query.get("state", ""), cookies.get(COOKIE))
        except DomainError as exc:
            return Page(400, "This sign-in cannot be completed", exc.message)
        code = query.get("auth_code") or query.get("code") or ""
        actor, verified = await self._resolver.resolve(grant.user_id, Source.OAUTH)
        # Labelled by id: the alert a sign-in fixes names its fixer by label, and a user id
        # reads there as a mention of them.
        actor = replace(actor, label=grant.user_id)
        try:
            connected = await self._deps.connector.complete_oauth(actor, grant, code)
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
        await self._tell(grant.user_id, connected_text(connected))
        return Page(200, "Connected", f"{connected.profile.name} is connected.", clear_cookie=True)

    async def _tell(self, user_id: str, text: str) -> None:
        try:
            await dm(self._client, user_id, text)
        except (SlackApiError, OSError):
            log.warning("could not tell %s about an OAuth result", user_id, exc_info=True)


PageMaker = Callable[[str, dict[str, str], dict[str, str]], Awaitable[Page]]


def oauth_routes(render: PageMaker) -> list[web.RouteDef]:
    async def route(request: web.Request) -> web.StreamResponse:
        query = {key: request.query.getone(key) for key in request.query}
        page = await render(PAGES[request.path], query, dict(request.cookies))
        return page.response()

    return [web.get(path, route) for path in PAGES]
