"""A fake TikTok Marketing API v1.3: consent page, token issue and revocation, advertisers per
token, their details, and TikTok's replies, errors included, as the sources describe them.

Each rule names its source: the research note (research/tiktok.md §n), TikTok's return-code and
rate-limit pages as harvested in api-evangelist/tiktok-ads (errors yml, rate-limits yml, sandbox
yml), public clients, or a recorded reply under tests/data/tiktok/. Where the sources are silent
(message wordings TikTok never published, the order of its checks) the comment says so and the
fake refuses rather than guesses in the client's favour.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlencode

from aiohttp import web

from fakes._server import FakeServer

API = "/open_api/v1.3/"
INFO = "advertiser/info/"
# advertiser/info/ `fields` values (bububa/tiktok-business model/advertiser/info.go).
# fmt: off
FIELDS = frozenset((
    "telephone_number", "contacter", "currency", "cellphone_number", "timezone", "advertiser_id",
    "role", "company", "status", "description", "rejection_reason", "address", "name", "language",
    "industry", "license_no", "email", "license_url", "country", "balance", "create_time",
    "display_timezone", "owner_bc_id", "company_name_editable",
))
# fmt: on


def request_id() -> str:
    """A UTC timestamp and hex, the shape of every recorded request_id (research §6.4)."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(7).upper()


def reply(code: int, message: str = "OK", data: object | None = None) -> dict[str, object]:
    """The envelope every reply has, errors included; `data` is {} on error (research §4.1)."""
    return {"code": code, "message": message, "request_id": request_id(), "data": data or {}}


def envelope(code: int, message: str = "OK", data: object | None = None) -> web.Response:
    return web.json_response(reply(code, message, data))  # HTTP 200 even for errors (§4.1)


@dataclass
class Advertiser:
    advertiser_id: str
    name: str
    currency: str = "EUR"
    timezone: str = "Etc/GMT-1"
    display_timezone: str = "Europe/Berlin"
    status: str = "STATUS_ENABLE"
    role: str = "ROLE_ADVERTISER"


@dataclass
class Login:
    """One TikTok login: the advertisers it has granted the app."""

    name: str
    advertisers: list[str] = field(default_factory=list)


class FakeTikTok(FakeServer):
    def __init__(
        self,
        *,
        app_id: str = "app-1",
        app_secret: str = "app-secret-1",
        rate_limit: float = 10.0,
        per_minute: int | None = None,
        per_day: int | None = None,
        sandbox: bool = False,
        latency: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__(latency=latency, seed=seed)
        self.app_id = app_id
        self.app_secret = app_secret
        self.rate_limit = rate_limit
        self._per_minute = per_minute
        self._per_day = per_day
        self.sandbox = sandbox
        self.blocked = False
        self.advertisers: dict[str, Advertiser] = {}
        self.logins: dict[str, Login] = {}
        self.tokens: dict[str, str] = {}  # token -> login name
        self.codes: dict[str, str] = {}  # auth code -> login name
        self.consent_login: str | None = None
        self.deleted: set[str] = set()
        self.refusals: dict[str, tuple[int, str]] = {}  # advertiser id -> advertiser/info reply
        self.rate_limited = 0
        self._second: deque[float] = deque()
        self._minute: deque[float] = deque()
        self._day: tuple[str, int] = ("", 0)

    @property
    def per_minute(self) -> float:
        """Every tier allows 60 × its QPS a minute and 86 400 × a day (rate-limits yml)."""
        return self._per_minute if self._per_minute is not None else self.rate_limit * 60

    @property
    def per_day(self) -> float:
        return self._per_day if self._per_day is not None else self.rate_limit * 86_400

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

    def delete_advertiser(self, advertiser_id: str) -> None:
        """A deleted advertiser answers 40001 "doesn't exist or has been deleted" on
        advertiser/info (singer-io/tap-tiktok-ads tests/unittests/test_account_access.py).
        Whether oauth2/advertiser/get still lists it is not published: the fake drops it, as
        TikTok's maintainer says that list is the up-to-date truth (tiktok-business-api-sdk#9)."""
        self.deleted.add(advertiser_id)

    def deny_permission(self, advertiser_id: str) -> None:
        """The advertiser did not grant the app advertiser/info: 40001 with TikTok's "does not
        grant you <path> permission" text (PostHog/posthog#82183, #82936;
        tests/data/tiktok/advertiser_info_40001_permission.json). It still appears in
        oauth2/advertiser/get, as it did for PostHog's users."""
        self.refuse(
            advertiser_id, 40001, f"advertiser does not grant you /{INFO[:-1]}:GET permission"
        )

    def refuse(self, advertiser_id: str, code: int, message: str) -> None:
        """Any per-advertiser reply on advertiser/info, e.g. 40119 "Developer and advertisers
        do not belong to the same company." (errors yml)."""
        self.refusals[advertiser_id] = (code, message)

    def allow(self, advertiser_id: str) -> None:
        self.refusals.pop(advertiser_id, None)

    def detail_requests(self) -> list[str]:
        """Every advertiser id whose details were asked for, in order."""
        asked = []
        for request in self.calls(INFO):
            asked += json.loads(request.query.get("advertiser_ids", "[]"))
        return asked

    # --------------------------------------------------------------- routes

    def routes(self) -> list[web.RouteDef]:
        # Paths end in "/"; without it TikTok answers HTTP 404 (research §3), as aiohttp does.
        return [
            web.get("/portal/auth", self._consent),
            web.post(API + "oauth2/access_token/", self._exchange),
            web.post(API + "oauth2/revoke_token/", self._revoke),
            web.get(API + "oauth2/advertiser/get/", self._advertiser_get),
            web.get(API + INFO, self._advertiser_info),
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
        # TikTok appends auth_code and state to the redirect URI (research §2.2).
        target = (
            query["redirect_uri"]
            + "?"
            + urlencode({"auth_code": code, "state": query.get("state", "")})
        )
        raise web.HTTPFound(target)

    def _throttled(self) -> web.Response | None:
        """QPS, QPM and QPD per app, all answered with code 40100 in an HTTP 200 and no headers
        (rate-limits yml `signalling`). The QPS text is TikTok's ("App [id] reaches the QPS
        limit 10, current QPS is …": help.catchr.io, research §4.4); TikTok published no QPM or
        QPD text, so the fake words them the same way with the window's name. The windows
        slide; whether TikTok's do is not published, and sliding ones refuse at least as often."""
        now = time.monotonic()
        for window, span in ((self._second, 1.0), (self._minute, 60.0)):
            while window and now - window[0] >= span:
                window.popleft()
        day = time.strftime("%Y%m%d", time.gmtime())
        if self._day[0] != day:
            self._day = (day, 0)  # QPD resets at 00:00 UTC (rate-limits yml `recovery`)
        for name, used, limit in (
            ("QPS", len(self._second), self.rate_limit),
            ("QPM", len(self._minute), self.per_minute),
            ("QPD", self._day[1], self.per_day),
        ):
            if used >= limit:
                self.rate_limited += 1
                return envelope(
                    40100,
                    f"App [{self.app_id}] reaches the {name} limit {limit:g}, "
                    f"current {name} is {used + 1}.",
                )
        self._second.append(now)
        self._minute.append(now)
        self._day = (day, self._day[1] + 1)
        return None

    def _app_refusal(self, app_id: object, secret: object) -> web.Response | None:
        """The app's own credentials. Another app's id gives 40000 "The app_id is inconsistent
        with the token's app information…" (airbytehq/airbyte#80210); the right id with a wrong
        secret gives 40101 "Secret and app ID do not match" (errors yml; TikTok's exact text
        for this case is not published, so the fake uses the description)."""
        if app_id != self.app_id:
            return envelope(
                40000,
                "The app_id is inconsistent with the token's app information. "
                "Please retry after correcting it.",
            )
        if secret != self.app_secret:
            return envelope(40101, "Secret and app ID do not match.")
        return None

    def _gate(self) -> web.Response | None:
        if self.blocked:  # 40113 "The app has been blocked or does not exist." (errors yml)
            return envelope(40113, "The app has been blocked or does not exist.")
        return self._throttled()

    async def _json_body(self, request: web.Request) -> dict[str, object] | None:
        try:
            body = await request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def _exchange(self, request: web.Request) -> web.Response:
        refusal = self._gate()
        if refusal is not None:
            return refusal
        body = await self._json_body(request)  # JSON body (SDK Oauth2AccessTokenBody.md)
        if body is None:
            return envelope(40002, "Request body must be JSON.")
        refusal = self._app_refusal(body.get("app_id"), body.get("secret"))
        if refusal is not None:
            return refusal
        login = self.codes.pop(str(body.get("auth_code", "")), None)  # one use (research §2.2)
        if login is None:
            return envelope(40110, "The auth_code is canceled. Please re-authorize and try again.")
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
        """JSON {app_id, secret, access_token}; data is the app id and the advertisers the token
        no longer reaches (bububa api/oauth/revoke_token.go, model/oauth/revoke_token.go). What
        TikTok answers for a token it does not know is not published: the fake refuses with
        the invalid-token code."""
        refusal = self._gate()
        if refusal is not None:
            return refusal
        body = await self._json_body(request)
        if body is None:
            return envelope(40002, "Request body must be JSON.")
        refusal = self._app_refusal(body.get("app_id"), body.get("secret"))
        if refusal is not None:
            return refusal
        login = self.tokens.pop(str(body.get("access_token", "")), None)
        if login is None:
            return envelope(40105, "Access token is incorrect or has been revoked.")
        return envelope(
            0, data={"app_id": self.app_id, "advertiser_ids": self.logins[login].advertisers}
        )

    def _login_for(self, request: web.Request) -> tuple[str | None, web.Response | None]:
        refusal = self._gate()
        if refusal is not None:
            return None, refusal
        if self.sandbox:
            # Neither endpoint exists in the sandbox (sandbox yml `supported_endpoints`); 40008
            # covers "an unsupported endpoint in sandbox environment" (errors yml; 40014 is
            # documented for the same case too).
            return None, envelope(40008, "The interface (endpoint) has not been implemented.")
        token = request.headers.get("Access-Token")  # header, not Bearer (research §3)
        if not token:
            return None, envelope(
                40104,
                "Access token is null, you should set it in http header with key Access-Token.",
            )
        login = self.tokens.get(token)
        if login is None:
            return None, envelope(40105, "Access token is incorrect or has been revoked.")
        return login, None

    def _reachable(self, login: str) -> list[str]:
        return [a for a in self.logins[login].advertisers if a not in self.deleted]

    async def _advertiser_get(self, request: web.Request) -> web.Response:
        login, refusal = self._login_for(request)
        if refusal is not None:
            return refusal
        refusal = self._app_refusal(request.query.get("app_id"), request.query.get("secret"))
        if refusal is not None:
            return refusal
        # data.list of {advertiser_id, advertiser_name}, no pagination (research §3.1).
        rows = [
            {"advertiser_id": a, "advertiser_name": self.advertisers[a].name}
            for a in self._reachable(login or "")
        ]
        return envelope(0, data={"list": rows})

    async def _advertiser_info(self, request: web.Request) -> web.Response:
        login, refusal = self._login_for(request)
        if refusal is not None:
            return refusal
        try:  # JSON-encoded arrays (research §3)
            wanted = json.loads(request.query.get("advertiser_ids", ""))
            fields = json.loads(request.query.get("fields", "[]"))
        except ValueError:
            return envelope(40002, "advertiser_ids: invalid JSON")
        if not isinstance(wanted, list) or not all(isinstance(i, str) for i in wanted):
            return envelope(40002, "advertiser_ids: must be a list of strings")
        if not isinstance(fields, list) or not set(fields) <= FIELDS:
            return envelope(40002, "fields: unknown field")
        if len(wanted) > 100:  # Airbyte batches 100; above: 40011 (research §3.2)
            return envelope(40011, "Too many IDs are provided in a single request")
        granted = set(self._reachable(login or ""))
        for ident in wanted:
            if ident in self.refusals:
                return envelope(*self.refusals[ident])
            if ident not in granted:
                # The whole call fails for one unreachable id (singer test_account_access.py;
                # a partial list is the other possibility and is not published).
                return envelope(40001, f"advertiser {ident} doesn't exist or has been deleted.")
        rows = []
        for ident in wanted:
            row = vars(self.advertisers[ident])
            rows.append({k: v for k, v in row.items() if not fields or k in fields})
        return envelope(0, data={"list": rows})
