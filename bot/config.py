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
    database_url_is_default: bool = True
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

        problems: list[str] = []

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def url(name: str, default: str | None) -> str | None:
            value = get(name) or default
            if value is not None:
                parsed = urlparse(value)
                if parsed.scheme not in ("http", "https") or not parsed.netloc:
                    problems.append(f"{name} must be an http(s) URL, got {value!r}")
            return value

        bot_token = get("SLACK_BOT_TOKEN")
        if bot_token and not bot_token.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-'")
        app_token = get("SLACK_APP_TOKEN")
        if app_token and not app_token.startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN must be an app-level token starting with 'xapp-'")

        data_dir = Path(get("ADOPS_DATA_DIR") or "data")
        database_url = get("DATABASE_URL")
        if database_url and not _DATABASE_URL.match(database_url):
            problems.append(
                "DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )

        admins = frozenset(re.split(r"[\s,]+", get("ADOPS_ADMINS") or "")) - {""}
        for admin in sorted(admins):
            if not _USER_ID.match(admin):
                problems.append(f"ADOPS_ADMINS: {admin!r} is not a Slack user id like U0123ABCD")

        alert_channel = get("ADOPS_ALERT_CHANNEL")
        if alert_channel and not _CHANNEL_ID.match(alert_channel):
            problems.append("ADOPS_ALERT_CHANNEL must be a channel id like C0123ABCD (not a #name)")

        sync_interval = float(DEFAULT_SYNC_INTERVAL)
        raw_interval = get("ADOPS_SYNC_INTERVAL")
        if raw_interval:
            match = _DURATION.match(raw_interval.lower())
            if not match:
                problems.append("ADOPS_SYNC_INTERVAL must be seconds or a duration like 15m, 1h")
            else:
                sync_interval = float(match[1]) * _UNITS[match[2]]
                if sync_interval < MIN_SYNC_INTERVAL:
                    problems.append(f"ADOPS_SYNC_INTERVAL must be at least {MIN_SYNC_INTERVAL}s")

        port = 3000
        raw_port = get("PORT")
        if raw_port:
            if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
                problems.append(f"PORT must be a TCP port number, got {raw_port!r}")
            else:
                port = int(raw_port)

        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            problems.append("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR")

        providers: dict[str, Any] = {}
        for name, provider_cls in PROVIDERS.items():
            try:
                providers[name] = provider_cls.Config.from_env(env)
            except ValueError as exc:
                problems.append(str(exc))

        settings = cls(
            slack_bot_token=bot_token,
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_app_token=app_token,
            slack_api_url=url("SLACK_API_URL", DEFAULT_SLACK_API_URL) or DEFAULT_SLACK_API_URL,
            data_dir=data_dir,
            database_url=database_url or default_sqlite_url(data_dir),
            database_url_is_default=database_url is None,
            encryption_keys=tuple(parse_keys(get("ADOPS_ENCRYPTION_KEYS") or "")),
            public_url=(url("ADOPS_PUBLIC_URL", None) or "").rstrip("/") or None,
            admins=admins,
            alert_channel=alert_channel,
            sync_interval=sync_interval,
            port=port,
            log_level=log_level,
            providers=providers,
        )
        if not settings.encryption_keys and settings.database_url.startswith("postgresql"):
            problems.append(
                "ADOPS_ENCRYPTION_KEYS is required with PostgreSQL: every replica must share "
                "the same keys (generate one with `adops-bot generate-key`)"
            )
        if problems:
            raise ConfigError(problems)
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
