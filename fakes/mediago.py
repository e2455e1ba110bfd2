"""A fake MediaGo API: API-token exchange at client or account level (a new access token
invalidates the previous one), the two account listings, and the replies MediaGo and its
sibling backend are known to send, errors included.

MediaGo's own docs show only the first paragraph of each page (research/mediago.md §6), so most
rules come from public clients and from popIn's Discovery API, which shares MediaGo's
authentication backend ([SIB], bensonchu0221/ad_tools .claude/skills/discovery-api/SKILL.md).
Each rule names its source; where none says what MediaGo answers, the comment says so and the
fake refuses. Recorded samples are in tests/data/mediago/.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import zlib
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web

from fakes._server import FakeServer, Fault

CLIENT_ACCOUNTS = "/data/v1/client/accounts"
ACCOUNTS = "/manage/v1/account"
NOT_FOR_MEDIAGO = (
    "This account is not authorized for MediaGo platform. Please use Discovery's API to request"
)


@dataclass
class ApiToken:
    """What an account manager issues; `basic` is the value that goes after `Basic `."""

    basic: str
    level: str = "account"
    accounts: list[tuple[str, str]] = field(default_factory=list)
    mediago: bool = True
    live: str | None = None
    live_until: float = 0.0
    issued: int = 0


class FakeMediaGo(FakeServer):
    def __init__(
        self,
        *,
        latency: float = 0.0,
        seed: int = 0,
        expires_in: int = 3600,
        ip_limit: float = 10.0,
    ) -> None:
        super().__init__(latency=latency, seed=seed)
        self.tokens: dict[str, ApiToken] = {}
        self.expires_in = expires_in  # 3600 s (research §2.1)
        # 10 requests/s per IP on /manage/v1 ([SIB] SKILL.md "Common Rate Limits"). MediaGo's
        # own pages say "QPS limit: 60, IP limit: 15" for some endpoints (research §5); the
        # fake keeps the stricter figure and applies it to every path.
        self.ip_limit = ip_limit
        self.rate_limited = 0
        self._window: deque[float] = deque()

    def env(self) -> dict[str, str]:
        return {"MEDIAGO_API_URL": self.base}

    # ------------------------------------------------------------- controls

    def add_credentials(
        self,
        secret: str,
        *,
        accounts: int = 0,
        level: str = "account",
        mediago: bool = True,
        prefix: str = "News",
    ) -> ApiToken:
        """Register an API token issued already Base64-encoded (sent as is, research §2.1)."""
        token = ApiToken(secret, level=level, mediago=mediago)
        self.tokens[secret] = token
        for n in range(accounts):
            self.grant(secret, prefix=prefix, n=n)
        return token

    def grant(self, secret: str, *, prefix: str = "News", n: int | None = None) -> str:
        token = self.tokens[secret]
        number = len(token.accounts) + 1 if n is None else n + 1
        ident = f"{zlib.crc32(secret.encode()) % 10_000:04d}{number:05d}"
        token.accounts.append((ident, f"{prefix} {number:03d}"))
        return ident

    def revoke(self, secret: str) -> None:
        self.tokens.pop(secret, None)

    def expire_live_tokens(self) -> None:
        for token in self.tokens.values():
            token.live = None

    def renew_elsewhere(self, secret: str) -> str:
        """Another tool holding the same API token asks for an access token: the one the bot
        holds stops working ("New access_token will invalidate the previous one", §2.1)."""
        return self._issue(self.tokens[secret])

    # --------------------------------------------------------------- routes

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/data/v1/client/authentication", self._auth("client")),
            web.post("/data/v1/authentication", self._auth("account")),
            web.get(CLIENT_ACCOUNTS, self._client_accounts),
            web.get(ACCOUNTS, self._accounts),
        ]

    def _issue(self, token: ApiToken) -> str:
        token.live = "mg-" + secrets.token_hex(16)
        token.live_until = time.monotonic() + self.expires_in
        token.issued += 1
        return token.live

    def _throttled(self) -> web.Response | None:
        """HTTP 429 with `code: 1` and `IpLimit.operateTooMuch` ([SIB] SKILL.md). The name of the
        field carrying that text is not given; the fake uses `message`."""
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= self.ip_limit:
            self.rate_limited += 1
            return web.json_response(operate_too_much_body(), status=429)
        self._window.append(now)
        return None

    def _auth(self, level: str):  # type: ignore[no-untyped-def]
        async def handler(request: web.Request) -> web.Response:
            throttled = self._throttled()
            if throttled is not None:
                return throttled
            # Every public client sends the token after `Basic ` with a form content type and an
            # empty body (research §2.2). What MediaGo answers without them is not public.
            if "x-www-form-urlencoded" not in request.headers.get("Content-Type", ""):
                return web.json_response({"error": "unsupported content type"}, status=400)
            header = request.headers.get("Authorization", "")
            token = self.tokens.get(header.removeprefix("Basic ").strip())
            if not header.startswith("Basic ") or token is None or token.level != level:
                # The exact status and body for a wrong token are not public (research §5):
                # the fake answers 401 with the text sibling clients read as a dead token
                # ("invalid api token", ad_tools src/tools/nexus/run.ts), under `error`, which
                # newsbreakmaster reads first.
                return web.json_response({"error": "invalid api token"}, status=401)
            live = self._issue(token)
            body: dict[str, object] = {"access_token": live, "expires_in": self.expires_in}
            if level == "client":
                body["client_id"] = "146"  # newsbreakmaster tests/test_mediago.py fixture
            return web.json_response(body)

        return handler

    def _bearer(self, request: web.Request) -> tuple[ApiToken | None, web.Response | None]:
        throttled = self._throttled()
        if throttled is not None:
            return None, throttled
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = next((t for t in self.tokens.values() if t.live and t.live == bearer), None)
        # popIn's 401 texts for a replaced and an expired access token ([SIB] SKILL.md).
        if token is None:
            return None, web.json_response({"error": "access_token is invalid"}, status=401)
        if time.monotonic() >= token.live_until:
            return None, web.json_response({"error": "access_token has expired"}, status=401)
        if not token.mediago:
            # A popIn token authenticates on MediaGo but its /manage/v1 answers 403 ([SIB]).
            return None, web.json_response({"errno": 403, "errmsg": NOT_FOR_MEDIAGO}, status=403)
        return token, None

    def _rows(self, token: ApiToken) -> list[dict[str, object]]:
        # account_id, account_name and pixels are the attested fields (research §4).
        return [{"account_id": i, "account_name": n, "pixels": []} for i, n in token.accounts]

    async def _client_accounts(self, request: web.Request) -> web.Response:
        token, refusal = self._bearer(request)
        if refusal is not None:
            return refusal
        if token is None or token.level != "client":
            # What an account-level token gets here is not public; 403 is popIn's "permission".
            return web.json_response({"errno": 403, "errmsg": "no permission"}, status=403)
        # Rows under data.accounts (newsbreakmaster tests/test_mediago.py fixture).
        return web.json_response({"data": {"accounts": self._rows(token)}})

    async def _accounts(self, request: web.Request) -> web.Response:
        """A bare array (EssaidMadi/TrackerApp mediago-api.client.ts). newsbreakmaster asks it
        with a client-level token too, when the client listing fails or is empty."""
        token, refusal = self._bearer(request)
        if refusal is not None or token is None:
            return refusal or web.json_response({}, status=500)
        return web.json_response(self._rows(token))


def as_basic(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


# ------------------------------------------------------------------ replies on demand


def operate_too_much_body(kind: str = "IpLimit") -> dict[str, object]:
    return {"code": 1, "message": f"{kind}.operateTooMuch", "data": {}}


def operate_too_much(kind: str = "IpLimit") -> Fault:
    """HTTP 429 `{"code": 1, …operateTooMuch}` ([SIB] SKILL.md)."""
    return Fault(
        status=429, body=json.dumps(operate_too_much_body(kind)), content_type="application/json"
    )


def http200(body: object) -> Fault:
    """An HTTP 200 whose body is not what was asked for. Errors with HTTP 200 carry `errno`
    (popIn writes, [SIB]) or `code` (popIn reads, [SIB]; newsbreakmaster checks both); MediaGo
    publishes no values, so the ones used in tests are illustrative: `{"errno": 503, "errmsg":
    "system maintenance"}`, `{"code": 500}`, `{"status": "FAIL"}`, `{"code": 0, "data": null}`,
    `{}`, `null`."""
    return Fault(status=200, body=json.dumps(body), content_type="application/json")


def gateway(status: int, *, as_json: bool = False) -> Fault:
    """A load balancer's or API gateway's reply, not MediaGo's: an HTML page, or the JSON an API
    gateway sends for a route it does not know (AWS API Gateway's `{"message": "Missing
    Authentication Token"}` with 403, or `{"message": "Not Found"}`)."""
    if not as_json:
        return Fault(status=status, body=f"<html><h1>{status}</h1>nginx</html>")
    text = "Missing Authentication Token" if status == 403 else "Not Found"
    return Fault(status=status, body=json.dumps({"message": text}), content_type="application/json")


UNREADABLE_200 = (
    {"errno": 503, "errmsg": "system maintenance"},
    {"code": 500},
    {"status": "FAIL"},
    {"code": 0, "data": None},
    {},
    None,
)
