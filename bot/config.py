"""Configuration: one typed settings object read from the environment and validated at start.

Every problem is reported at once, each naming its variable, so a bad deployment fails at boot
with a message an operator can act on rather than at the first Slack request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from storage.db import default_sqlite_url
from storage.secrets import parse_keys

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_SYNC_INTERVAL = 15 * 60
MIN_SYNC_INTERVAL = 30
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,20}$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd]?)$")
_DATABASE_URL = re.compile(r"^(sqlite\+aiosqlite|postgresql\+asyncpg)://")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(Exception):
    """Invalid configuration; `problems` lists one line per variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    data_dir: Path = Path("data")
    database_url: str = ""
    encryption_keys: tuple[str, ...] = field(default=(), repr=False)
    public_url: str | None = None
    admins: frozenset[str] = frozenset()
    alert_channel: str | None = None
    sync_interval: float = DEFAULT_SYNC_INTERVAL
    port: int = 3000
    log_level: str = "INFO"
    providers: Mapping[str, Any] = field(default_factory=dict)

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        from providers.registry import PROVIDERS

        read = _Reader(env)
        data_dir = Path(read.text("ADOPS_DATA_DIR") or "data")
        providers: dict[str, Any] = {}
        for name, provider_cls in PROVIDERS.items():
            try:
                providers[name] = provider_cls.Config.from_env(env)
            except ValueError as exc:
                read.problems.append(str(exc))
        settings = cls(
            slack_bot_token=read.token("SLACK_BOT_TOKEN", "xoxb-", "a bot token"),
            slack_signing_secret=read.text("SLACK_SIGNING_SECRET"),
            slack_app_token=read.token("SLACK_APP_TOKEN", "xapp-", "an app-level token"),
            slack_api_url=read.url("SLACK_API_URL") or DEFAULT_SLACK_API_URL,
            data_dir=data_dir,
            database_url=read.database_url() or default_sqlite_url(data_dir),
            encryption_keys=tuple(parse_keys(read.text("ADOPS_ENCRYPTION_KEYS") or "")),
            public_url=(read.url("ADOPS_PUBLIC_URL") or "").rstrip("/") or None,
            admins=read.admins(),
            alert_channel=read.channel("ADOPS_ALERT_CHANNEL"),
            sync_interval=read.interval("ADOPS_SYNC_INTERVAL"),
            port=read.port("PORT"),
            log_level=read.log_level("LOG_LEVEL"),
            providers=providers,
        )
        if not settings.encryption_keys and settings.database_url.startswith("postgresql"):
            read.problems.append(
                "ADOPS_ENCRYPTION_KEYS is required with PostgreSQL: every replica must share "
                "the same keys (generate one with `adops-bot generate-key`)"
            )
        if read.problems:
            raise ConfigError(read.problems)
        return settings

    def check_serving(self) -> None:
        """What running the Slack app needs on top of what every command needs."""
        problems = []
        if not self.slack_bot_token:
            problems.append("SLACK_BOT_TOKEN is required to run the bot (xoxb-…)")
        if not self.socket_mode and not self.slack_signing_secret:
            problems.append(
                "SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN for "
                "Socket Mode)"
            )
        if problems:
            raise ConfigError(problems)


class _Reader:
    """Reads one variable at a time, noting each problem and going on, so that every problem is
    reported at once."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self.problems: list[str] = []

    def text(self, name: str) -> str | None:
        value = self._env.get(name, "").strip()
        return value or None

    def url(self, name: str) -> str | None:
        value = self.text(name)
        if value is not None:
            parsed = urlparse(value)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                self.problems.append(f"{name} must be an http(s) URL, got {value!r}")
        return value

    def token(self, name: str, prefix: str, what: str) -> str | None:
        value = self.text(name)
        if value and not value.startswith(prefix):
            self.problems.append(f"{name} must be {what} starting with {prefix!r}")
        return value

    def database_url(self) -> str | None:
        value = self.text("DATABASE_URL")
        if value and not _DATABASE_URL.match(value):
            self.problems.append(
                "DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        return value

    def admins(self) -> frozenset[str]:
        admins = frozenset(re.split(r"[\s,]+", self.text("ADOPS_ADMINS") or "")) - {""}
        for admin in sorted(admins):
            if not _USER_ID.match(admin):
                self.problems.append(
                    f"ADOPS_ADMINS: {admin!r} is not a Slack user id like U0123ABCD"
                )
        return admins

    def channel(self, name: str) -> str | None:
        value = self.text(name)
        if value and not _CHANNEL_ID.match(value):
            self.problems.append(f"{name} must be a channel id like C0123ABCD (not a #name)")
        return value

    def interval(self, name: str) -> float:
        raw = self.text(name)
        if not raw:
            return float(DEFAULT_SYNC_INTERVAL)
        match = _DURATION.match(raw.lower())
        if not match:
            self.problems.append(f"{name} must be seconds or a duration like 15m, 1h")
            return float(DEFAULT_SYNC_INTERVAL)
        seconds = float(match[1]) * _UNITS[match[2]]
        if seconds < MIN_SYNC_INTERVAL:
            self.problems.append(f"{name} must be at least {MIN_SYNC_INTERVAL}s")
        return seconds

    def port(self, name: str) -> int:
        raw = self.text(name)
        if not raw:
            return 3000
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            self.problems.append(f"{name} must be a TCP port number, got {raw!r}")
            return 3000
        return int(raw)

    def log_level(self, name: str) -> str:
        level = (self.text(name) or "INFO").upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            self.problems.append(f"{name} must be one of DEBUG, INFO, WARNING, ERROR")
        return level
