"""A fake MediaGo API per the provisional contract (research/mediago.md §7): API-token exchange
at client or account level (a new access token invalidates the previous one), account lists in
the shapes seen, and the 401/403/429 replies."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field

from aiohttp import web

from fakes._server import FakeServer


@dataclass
class ApiToken:
    """What an account manager issues; `basic` is the value that goes after `Basic `."""

    basic: str
    level: str = "account"
    accounts: list[tuple[str, str]] = field(default_factory=list)
    mediago: bool = True
    live: str | None = None
    issued: int = 0


class FakeMediaGo(FakeServer):
    def __init__(self, *, latency: float = 0.0, seed: int = 0, expires_in: int = 3600) -> None:
        super().__init__(latency=latency, seed=seed)
        self.tokens: dict[str, ApiToken] = {}
        self.expires_in = expires_in
        self.shape = "bare"

    def env(self) -> dict[str, str]:
        return {"MEDIAGO_API_URL": self.base}

    def add_credentials(
        self,
        secret: str,
        *,
        accounts: int = 0,
        level: str = "account",
        mediago: bool = True,
        prefix: str = "News",
    ) -> ApiToken:
        """Register an API token issued already Base64-encoded (sent as is)."""
        token = ApiToken(secret, level=level, mediago=mediago)
        self.tokens[secret] = token
        for n in range(accounts):
            self.grant(secret, prefix=prefix, n=n)
        return token

    def grant(self, secret: str, *, prefix: str = "News", n: int | None = None) -> str:
        token = self.tokens[secret]
        number = len(token.accounts) + 1 if n is None else n + 1
        ident = f"{abs(hash(secret)) % 10_000:04d}{number:05d}"
        token.accounts.append((ident, f"{prefix} {number:03d}"))
        return ident

    def revoke(self, secret: str) -> None:
        self.tokens.pop(secret, None)

    def expire_live_tokens(self) -> None:
        for token in self.tokens.values():
            token.live = None

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/data/v1/client/authentication", self._auth("client")),
            web.post("/data/v1/authentication", self._auth("account")),
            web.get("/data/v1/client/accounts", self._accounts("client")),
            web.get("/manage/v1/account", self._accounts("account")),
        ]

    def _auth(self, level: str):  # type: ignore[no-untyped-def]
        async def handler(request: web.Request) -> web.Response:
            header = request.headers.get("Authorization", "")
            token = self.tokens.get(header.removeprefix("Basic ").strip())
            if token is None or token.level != level:
                return web.json_response({"error": "invalid api token"}, status=401)
            token.live = "mg-" + secrets.token_hex(16)
            token.issued += 1
            return web.json_response({"access_token": token.live, "expires_in": self.expires_in})

        return handler

    def _accounts(self, level: str):  # type: ignore[no-untyped-def]
        async def handler(request: web.Request) -> web.Response:
            bearer = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            token = next((t for t in self.tokens.values() if t.live and t.live == bearer), None)
            if token is None:
                return web.json_response({"error": "access_token is invalid"}, status=401)
            if not token.mediago:
                return web.json_response(
                    {
                        "errno": 403,
                        "errmsg": "This account is not authorized for MediaGo platform. "
                        "Please use Discovery's API to request",
                    },
                    status=403,
                )
            rows = [{"account_id": i, "account_name": n, "pixels": []} for i, n in token.accounts]
            if self.shape == "data":
                return web.json_response({"errno": 0, "data": {"accounts": rows}})
            return web.json_response(rows)

        return handler


def as_basic(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()
