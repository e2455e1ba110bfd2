"""The sign-in routes next to Bolt, `/oauth/start` and `/oauth/callback`, as plain aiohttp
handlers: what each page says is `handlers.signin`'s. Pages are never cached and never echo a
code, token or state; the browser's cookie binds the callback to the browser that started."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from bot.oauth import CALLBACK_PATH, START_PATH

COOKIE = "adops_oauth"
COOKIE_PATH = "/oauth"
COOKIE_MAX_AGE = 600
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


Start = Callable[[Mapping[str, str]], Awaitable[Page]]
Callback = Callable[[Mapping[str, str], Mapping[str, str]], Awaitable[Page]]


def oauth_routes(start: Start, callback: Callback) -> list[web.RouteDef]:
    def query_of(request: web.Request) -> dict[str, str]:
        return {key: request.query.getone(key) for key in request.query}

    async def start_route(request: web.Request) -> web.StreamResponse:
        return (await start(query_of(request))).response()

    async def callback_route(request: web.Request) -> web.StreamResponse:
        return (await callback(query_of(request), dict(request.cookies))).response()

    return [web.get(START_PATH, start_route), web.get(CALLBACK_PATH, callback_route)]
