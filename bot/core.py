"""The core's services, wired once from settings, a database and a clock."""

from __future__ import annotations

from collections.abc import Mapping

from bot.accounts import AccountService
from bot.app_settings import AppSettings
from bot.audit import AuditLog
from bot.bulk import BulkService
from bot.clock import Clock, utcnow
from bot.list_views import ListViews
from bot.profiles import ProfileService, ProviderInfo, Revoke
from bot.roles import RoleService
from bot.tags import TagService
from bot.trackers import TrackerService
from storage.db import Database


def provider_catalog() -> dict[str, ProviderInfo]:
    from providers.registry import PROVIDERS

    return {
        name: ProviderInfo(name=name, display_name=cls.display_name, uses_oauth=cls.uses_oauth)
        for name, cls in PROVIDERS.items()
    }


class Core:
    def __init__(
        self,
        db: Database,
        *,
        admins: frozenset[str] = frozenset(),
        alert_channel: str | None = None,
        clock: Clock = utcnow,
        catalog: Mapping[str, ProviderInfo] | None = None,
        revoke: Revoke | None = None,
    ) -> None:
        catalog = dict(catalog if catalog is not None else provider_catalog())
        self.db = db
        self.clock = clock
        self.catalog = catalog
        self.accounts = AccountService(db, clock, list(catalog))
        self.bulk = BulkService(db, clock)
        self.profiles = ProfileService(db, clock, catalog, revoke=revoke)
        self.tags = TagService(db)
        self.trackers = TrackerService(db, clock, list(catalog))
        self.audit = AuditLog(db, clock)
        self.roles = RoleService(db, clock, admins)
        self.settings = AppSettings(db, clock, alert_channel)
        self.list_views = ListViews(db, clock)
