"""Provider name → implementation. Adding a network is one module plus one line here."""

from __future__ import annotations

from providers.base import Provider
from providers.mediago import MediaGoProvider
from providers.tiktok import TikTokProvider

PROVIDERS: dict[str, type[Provider]] = {cls.name: cls for cls in (TikTokProvider, MediaGoProvider)}
