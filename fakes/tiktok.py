"""A fake TikTok Marketing API v1.3: consent page, token issue and revocation, advertisers per
token, their details, and TikTok's real error envelopes, including its app-level rate limit."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from aiohttp import web

from fakes._server import FakeServer, Fault

API = "/open_api/v1.3/"


@dataclass
class Advertiser:
    advertiser_id: str
    name: str
    currency: str = "EUR"
    timezone: str = "Etc/GMT-1"
    display_timezone: str = "Europe/Berlin"
    status: str = "STATUS_ENABLE"


@dataclass
class Login:
    """One TikTok login: the advertisers it has granted the app."""

    name: str
    advertisers: list[str] = field(default_factory=list)


def envelope(code: int, message: str = "OK", data: object | None = None) -> web.Response:
    return web.json_response(
        {"code": code, "message": message, "request_id": secrets.token_hex(8), "data": data or {}}
    )


class FakeTikTok(FakeServer):
    def __init__(
        self,
        *,
        app_id: str = "app-1",
        app_secret: str = "app-secret-1",
        rate_limit: float = 10.0,
        latency: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__(latency=latency, seed=seed)
        self.app_id = app_id
        self.app_secret = app_secret
        self.rate_limit = rate_limit
        self.advertisers: dict[str, Advertiser] = {}
        self.logins: dict[str, Login] = {}
        self.tokens: dict[str, str] = {}  # token -> login name
        self.codes: dict[str, str] = {}  # auth code -> login name
        self.consent_login: str | None = None
        self.rate_limited = 0
        self._window: list[float] = []

    @property
    def api_url(self) -> str:
        return self.base + API

    @property
    def auth_url(self) -> str:
        return self.base + "/portal/auth"

    def env(self) -> dict[str, str]:
        return {
            "TIKTOK_APP_ID": self.app_id,
            "TIKTOK_APP_SECRET": self.app_secret,
            "TIKTOK_API_URL": self.api_url,
            "TIKTOK_AUTH_URL": self.auth_url,
            "TIKTOK_RATE_LIMIT": str(self.rate_limit),
        }

    # ------------------------------------------------------------- controls

    def add_login(self, name: str, advertisers: int = 0, *, prefix: str | None = None) -> Login:
        login = self.logins.setdefault(name, Login(name))
        for _ in range(advertisers):
            self.grant(name, prefix=prefix)
        self.consent_login = self.consent_login or name
        return login

    def grant(
        self,
        login: str,
        advertiser_id: str | None = None,
        *,
        prefix: str | None = None,
        **details: str,
    ) -> Advertiser:
        ident = advertiser_id or f"7{len(self.advertisers) + 1:018d}"
        advertiser = self.advertisers.get(ident) or Advertiser(
            ident,
            details.pop("name", f"{prefix or login} {len(self.advertisers) + 1:03d}"),
            **details,
        )
        self.advertisers[ident] = advertiser
        if ident not in self.logins[login].advertisers:
            self.logins[login].advertisers.append(ident)
        return advertiser

    def ungrant(self, login: str, advertiser_id: str) -> None:
        self.logins[login].advertisers.remove(advertiser_id)

    def issue_token(self, login: str) -> str:
        token = "tt-" + secrets.token_hex(20)
        self.tokens[token] = login
        return token

    def revoke(self, token: str | None = None, *, login: str | None = None) -> None:
        for value, owner in list(self.tokens.items()):
            if value == token or owner == login:
                del self.tokens[value]

    def detail_requests(self) -> list[str]:
        """Every advertiser id whose details were asked for, in order."""
        asked = []
        for request in self.calls("advertiser/info/"):
            asked += json.loads(request.query.get("advertiser_ids", "[]"))
        return asked

    # --------------------------------------------------------------- routes

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/portal/auth", self._consent),
            web.post(API + "oauth2/access_token/", self._exchange),
            web.post(API + "oauth2/revoke_token/", self._revoke),
            web.get(API + "oauth2/advertiser/get/", self._advertiser_get),
            web.get(API + "advertiser/info/", self._advertiser_info),
        ]

    async def _consent(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("app_id") != self.app_id or not query.get("redirect_uri"):
            return web.Response(status=400, text="bad authorisation request")
        login = query.get("login") or self.consent_login
        if login is None:
            return web.Response(status=400, text="no TikTok login to consent with")
        code = "ac-" + secrets.token_hex(12)
        self.codes[code] = login
        target = (
            query["redirect_uri"]
            + "?"
            + urlencode({"auth_code": code, "state": query.get("state", "")})
        )
        raise web.HTTPFound(target)

    def _throttled(self) -> bool:
        now = time.monotonic()
        self._window = [t for t in self._window if now - t < 1.0]
        if len(self._window) >= self.rate_limit:
            self.rate_limited += 1
            return True
        self._window.append(now)
        return False

    async def _exchange(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("app_id") != self.app_id or body.get("secret") != self.app_secret:
            return envelope(40101, "app_id and secret do not match")
        login = self.codes.pop(body.get("auth_code", ""), None)
        if login is None:
            return envelope(40110, "The auth_code is canceled. Please re-authorize.")
        token = self.issue_token(login)
        return envelope(
            0,
            data={
                "access_token": token,
                "advertiser_ids": list(self.logins[login].advertisers),
                "scope": [1, 2, 4],
            },
        )

    async def _revoke(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.revoke(body.get("access_token"))
        return envelope(0, data={"app_id": self.app_id, "advertiser_ids": []})

    def _login_for(self, request: web.Request) -> tuple[str | None, web.Response | None]:
        if self._throttled():
            return None, envelope(
                40100, f"App [{self.app_id}] reaches the QPS limit {self.rate_limit:g}."
            )
        token = request.headers.get("Access-Token")
        if not token:
            return None, envelope(
                40104,
                "Access token is null, you should set it in http header with key Access-Token.",
            )
        login = self.tokens.get(token)
        if login is None:
            return None, envelope(40105, "Access token is incorrect or has been revoked.")
        return login, None

    async def _advertiser_get(self, request: web.Request) -> web.Response:
        login, refusal = self._login_for(request)
        if refusal is not None:
            return refusal
        if (
            request.query.get("app_id") != self.app_id
            or request.query.get("secret") != self.app_secret
        ):
            return envelope(
                40000,
                "The app_id is inconsistent with the token's app information. "
                "Please retry after correcting it.",
            )
        rows = [
            {"advertiser_id": a, "advertiser_name": self.advertisers[a].name}
            for a in self.logins[login].advertisers
        ]
        return envelope(0, data={"list": rows})

    async def _advertiser_info(self, request: web.Request) -> web.Response:
        login, refusal = self._login_for(request)
        if refusal is not None:
            return refusal
        try:
            wanted = json.loads(request.query.get("advertiser_ids", ""))
        except ValueError:
            return envelope(40002, "advertiser_ids: invalid JSON")
        if len(wanted) > 100:
            return envelope(40011, "Too many IDs are provided in a single request")
        granted = set(self.logins[login].advertisers)
        for ident in wanted:
            if ident not in granted:
                return envelope(40001, f"advertiser {ident} doesn't exist or has been deleted.")
        rows = [vars(self.advertisers[i]) | {"role": "ROLE_ADVERTISER"} for i in wanted]
        return envelope(0, data={"list": rows})


def malformed() -> Fault:
    return Fault(status=200, body='{"code": 0, "data": ', content_type="application/json")


def gateway_timeout() -> Fault:
    return Fault(status=504, body="<html>504 Gateway Time-out</html>")


def error_envelope(code: int, message: str = "System error") -> Fault:
    return Fault(
        status=200,
        body=json.dumps({"code": code, "message": message, "data": {}}),
        content_type="application/json",
    )
