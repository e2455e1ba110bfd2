"""TikTok's settings for the bot: the developer app, the API and authorisation URLs (production or
the sandbox), and the pace the app's tier allows."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from providers.http import env_number
from providers.tiktok_codes import SANDBOX_HOSTS, SANDBOX_TEXT

log = logging.getLogger("providers.tiktok")

DEFAULT_API_URL = "https://business-api.tiktok.com/open_api/v1.3/"
DEFAULT_AUTH_URL = "https://business-api.tiktok.com/portal/auth"


@dataclass(frozen=True)
class TikTokConfig:
    app_id: str | None = None
    app_secret: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    auth_url: str = DEFAULT_AUTH_URL
    rate_limit: float = 10.0
    timeout: float = 20.0

    @property
    def configured(self) -> bool:
        return bool(self.app_id and self.app_secret)

    @property
    def sandbox(self) -> bool:
        return (urlparse(self.api_url).hostname or "") in SANDBOX_HOSTS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TikTokConfig:
        api_url = env.get("TIKTOK_API_URL", "").strip() or DEFAULT_API_URL
        auth_url = env.get("TIKTOK_AUTH_URL", "").strip() or DEFAULT_AUTH_URL
        for name, url in (("TIKTOK_API_URL", api_url), ("TIKTOK_AUTH_URL", auth_url)):
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{name} must be an http(s) URL")
        app_id = env.get("TIKTOK_APP_ID", "").strip() or None
        app_secret = env.get("TIKTOK_APP_SECRET", "").strip() or None
        if (app_id is None) != (app_secret is None):
            given = "TIKTOK_APP_ID" if app_id else "TIKTOK_APP_SECRET"
            missing = "TIKTOK_APP_SECRET" if app_id else "TIKTOK_APP_ID"
            raise ValueError(
                f"{missing} is required when {given} is set: TikTok needs both (or neither, "
                "to leave TikTok off)"
            )
        config = cls(
            app_id=app_id,
            app_secret=app_secret,
            api_url=api_url if api_url.endswith("/") else api_url + "/",
            auth_url=auth_url,
            rate_limit=env_number(env, "TIKTOK_RATE_LIMIT", 10.0),
            timeout=env_number(env, "TIKTOK_TIMEOUT", 20.0),
        )
        if config.sandbox:
            log.warning("TIKTOK_API_URL is TikTok's sandbox: %s", SANDBOX_TEXT)
        return config
