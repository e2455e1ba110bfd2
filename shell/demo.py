"""The demo world: fake TikTok and MediaGo servers with a few logins' worth of realistic accounts,
and the controls (`:revoke`, `:grant`, …) that make the background loop visible."""

from __future__ import annotations

from dataclasses import dataclass

from fakes.mediago import FakeMediaGo, as_basic
from fakes.tiktok import FakeTikTok

DEMO_APP_SECRET = "demo-app-secret"  # noqa: S105 - the fake TikTok app's made-up secret
MEDIAGO_KEY = "demo-key"
MEDIAGO_SECRET = "demo-secret-not-real"  # noqa: S105 - the fake network's made-up credential

_TIKTOK_LOGINS: dict[str, list[tuple[str, str, str]]] = {
    "northwind": [
        ("Northwind Shoes DE", "EUR", "Europe/Berlin"),
        ("Northwind Shoes FR", "EUR", "Europe/Paris"),
        ("Northwind Outlet UK", "GBP", "Europe/London"),
        ("Northwind US Prospecting", "USD", "America/New_York"),
        ("Northwind US Retargeting", "USD", "America/New_York"),
    ],
    "contoso": [
        ("Contoso Games Global", "USD", "America/Los_Angeles"),
        ("Contoso Games JP", "JPY", "Asia/Tokyo"),
        ("Contoso Games BR", "BRL", "America/Sao_Paulo"),
    ],
}
_MEDIAGO_ACCOUNTS = ("Daily Brief Native", "Daily Brief Video", "Finance Weekly Native")


@dataclass
class Demo:
    tiktok: FakeTikTok
    mediago: FakeMediaGo
    mediago_secret: str = MEDIAGO_SECRET
    """The MediaGo API secret that works now: `:revoke mediago` has the account manager issue
    a new one, which is what fixes the profile."""
    mediago_issued: int = 1

    @classmethod
    async def start(cls) -> Demo:
        tiktok = FakeTikTok(app_id="demo-app", app_secret=DEMO_APP_SECRET, rate_limit=20)
        mediago = FakeMediaGo()
        await tiktok.start()
        await mediago.start()
        for login, advertisers in _TIKTOK_LOGINS.items():
            tiktok.add_login(login)
            for name, currency, timezone in advertisers:
                tiktok.grant(
                    login,
                    name=name,
                    currency=currency,
                    timezone=timezone,
                    display_timezone=timezone,
                )
        token = mediago.add_credentials(as_basic(MEDIAGO_SECRET))
        for name in _MEDIAGO_ACCOUNTS:
            mediago.grant(token.basic, prefix=name)
        return cls(tiktok, mediago)

    async def close(self) -> None:
        await self.tiktok.close()
        await self.mediago.close()

    def env(self) -> dict[str, str]:
        return {**self.tiktok.env(), **self.mediago.env()}

    def intro(self) -> list[str]:
        logins = ", ".join(self.tiktok.logins)
        return [
            f"Demo networks are running. TikTok logins: {logins} "
            f"(`connect tiktok` signs in as {self.tiktok.consent_login}; `:login NAME` switches).",
            f"MediaGo demo credentials: API key `{MEDIAGO_KEY}`, "
            f"API secret `{self.mediago_secret}`.",
        ]

    # -------------------------------------------------------------- controls

    def login(self, name: str) -> str:
        if name not in self.tiktok.logins:
            return f"No TikTok login {name!r}; there are: {', '.join(self.tiktok.logins)}."
        self.tiktok.consent_login = name
        return f"The TikTok consent page now signs in as {name}."

    def revoke(self, name: str) -> str:
        if name == "mediago":
            return self._reissue_mediago()
        if name not in self.tiktok.logins:
            return f"No TikTok login {name!r}; there are: {', '.join(self.tiktok.logins)}, mediago."
        self.tiktok.revoke(login=name)
        return f"TikTok revoked every token of {name}. Run `:tick` to let the loop notice."

    def _reissue_mediago(self) -> str:
        """Revoke the live API token and issue its replacement, reaching the same accounts, as
        an account manager would; the profile stays broken until it is given the new one."""
        old = self.mediago.tokens.get(as_basic(self.mediago_secret))
        self.mediago.revoke(as_basic(self.mediago_secret))
        self.mediago_issued += 1
        self.mediago_secret = f"demo-secret-{self.mediago_issued}-not-real"
        token = self.mediago.add_credentials(as_basic(self.mediago_secret))
        token.accounts.extend(old.accounts if old else [])
        return (
            "MediaGo revoked the demo API token. Run `:tick` to let the loop notice. Its "
            f"replacement, for Update credentials: API key `{MEDIAGO_KEY}`, API secret "
            f"`{self.mediago_secret}`."
        )

    def grant(self, count: int, name: str | None) -> str:
        if name == "mediago":
            secret = as_basic(self.mediago_secret)
            granted = [self.mediago.grant(secret, prefix="Daily Brief Extra") for _ in range(count)]
            names = ", ".join(n for i, n in self.mediago.tokens[secret].accounts if i in granted)
            return f"MediaGo granted the demo API token {count} more account(s): {names}. `:tick`."
        login = name or self.tiktok.consent_login or ""
        if login not in self.tiktok.logins:
            return f"No TikTok login {login!r}; there are: {', '.join(self.tiktok.logins)}."
        granted = [
            self.tiktok.grant(login, name=f"{login.title()} New Market {n + 1}")
            for n in range(count)
        ]
        names = ", ".join(a.name for a in granted)
        return f"{login} granted the app {count} more advertiser(s): {names}. `:tick` to sync."
