"""The OAuth routes next to Bolt: `/oauth/start` (spends the Slack ticket, sets the browser
cookie, sends the browser to the provider) and `/oauth/callback` (checks state and cookie, saves
the credentials, tells the user in Slack).

Pages are plain, never cached, and never echo a code, token or state.
"""

from __future__ import annotations

import html
import logging
import secrets

from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError
from handlers.deps import Deps
from handlers.profiles import connected_text
from handlers.replies import dm

log = logging.getLogger(__name__)

COOKIE = "adops_oauth"
COOKIE_PATH = "/oauth"
COOKIE_MAX_AGE = 600
START_PATH = "/oauth/start"
CALLBACK_PATH = "/oauth/callback"
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def page(title: str, text: str, *, status: int = 200) -> web.Response:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font:16px system-ui,sans-serif;max-width:36em;margin:4em auto}</style>"
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
        "<p>You can close this tab and return to Slack.</p></body></html>"
    )
    return web.Response(text=body, status=status, content_type="text/html", headers=_HEADERS)


def oauth_routes(deps: Deps, client: AsyncWebClient) -> list[web.RouteDef]:
    async def start(request: web.Request) -> web.StreamResponse:
        try:
            started = await deps.tickets.start(request.query.get("ticket", ""))
            target = deps.connector.authorization_url(started.grant.provider, started.state)
        except DomainError as exc:
            return page("This link cannot be used", exc.message, status=400)
        response = web.Response(status=302, headers={**_HEADERS, "Location": target})
        response.set_cookie(
            COOKIE,
            started.binding,
            max_age=COOKIE_MAX_AGE,
            path=COOKIE_PATH,
            secure=True,
            httponly=True,
            samesite="Lax",
        )
        return response

    async def callback(request: web.Request) -> web.StreamResponse:
        query = request.query
        if "error" in query and "state" not in query:
            return page("Sign-in cancelled", "The provider did not authorise the app.", status=400)
        try:
            grant = await deps.tickets.finish(query.get("state", ""), request.cookies.get(COOKIE))
        except DomainError as exc:
            return page("This sign-in cannot be completed", exc.message, status=400)
        code = query.get("auth_code") or query.get("code") or ""
        try:
            connected = await deps.connector.complete_oauth(grant, code, user_label=grant.user_id)
        except DomainError as exc:
            await _tell(client, grant.user_id, f":warning: The sign-in did not work: {exc.message}")
            response = page("Not connected", exc.message, status=400)
        except Exception:
            ref = secrets.token_hex(4)
            log.exception("OAuth callback failed (ref %s)", ref)
            response = page(
                "Something went wrong", f"Reference {ref}. It has been logged.", status=500
            )
        else:
            await _tell(client, grant.user_id, connected_text(connected))
            response = page("Connected", f"{connected.profile.name} is connected.")
        response.del_cookie(COOKIE, path=COOKIE_PATH)
        return response

    return [web.get(START_PATH, start), web.get(CALLBACK_PATH, callback)]


async def _tell(client: AsyncWebClient, user_id: str, text: str) -> None:
    try:
        await dm(client, user_id, text)
    except (SlackApiError, OSError):
        log.warning("could not tell %s about an OAuth result", user_id, exc_info=True)
