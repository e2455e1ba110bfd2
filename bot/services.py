"""Everything the bot is made of, built once per process from a database, a clock and the
providers: the one container the web process, the scheduler process and the tests share."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping

from bot.accounts import AccountService
from bot.alerts import Alerts
from bot.app_settings import AppSettings
from bot.audit import AuditLog
from bot.bulk import BulkService
from bot.clock import Clock, utcnow
from bot.connect import Connector
from bot.list_views import ListViews
from bot.oauth import CALLBACK_PATH, OAuthTickets
from bot.profiles import ProfileService, ProviderInfo
from bot.roles import RoleService
from bot.sync import SyncEngine
from bot.sync_requests import SyncRequests
from bot.tags import TagService
from bot.trackers import TrackerService
from providers.base import Credentials, Provider
from storage.db import Database


def provider_catalog() -> dict[str, ProviderInfo]:
    from providers.registry import PROVIDERS

    return {
        name: ProviderInfo(name=name, display_name=cls.display_name, uses_oauth=cls.uses_oauth)
        for name, cls in PROVIDERS.items()
    }


class Services:
    def __init__(
        self,
        db: Database,
        *,
        admins: frozenset[str] = frozenset(),
        alert_channel: str | None = None,
        clock: Clock = utcnow,
        catalog: Mapping[str, ProviderInfo] | None = None,
        providers: Mapping[str, Provider] | None = None,
        public_url: str | None = None,
        owner: str | None = None,
    ) -> None:
        catalog = dict(catalog if catalog is not None else provider_catalog())
        self.db = db
        self.clock = clock
        self.catalog = catalog
        self.providers = dict(providers or {})
        self.public_url = public_url
        self.owner = owner or f"{os.uname().nodename}-{os.getpid()}-{secrets.token_hex(3)}"[-64:]
        """Who this process is, in leases and claims shared with other processes."""
        self.accounts = AccountService(db, clock, list(catalog))
        self.bulk = BulkService(db, clock)
        self.profiles = ProfileService(db, clock, catalog, revoke=self._revoke)
        self.tags = TagService(db)
        self.trackers = TrackerService(db, clock, list(catalog))
        self.audit = AuditLog(db, clock)
        self.roles = RoleService(db, clock, admins)
        self.settings = AppSettings(db, clock, alert_channel)
        self.list_views = ListViews(db, clock)
        self.tickets = OAuthTickets(db, clock)
        self.sync = SyncEngine(db, clock, self.providers, self.profiles)
        self.sync_requests = SyncRequests(db, clock)
        self.connector = Connector(
            self.profiles,
            self.sync,
            self.sync_requests,
            f"{public_url}{CALLBACK_PATH}" if public_url else None,
        )
        self.alerts = Alerts(
            db,
            clock,
            self.settings,
            catalog,
            self.bulk,
            owner=self.owner,
            admins=self.roles.admin_ids,
        )

    @property
    def oauth_providers(self) -> set[str]:
        return {name for name, info in self.catalog.items() if info.uses_oauth}

    async def _revoke(self, provider: str, credentials: Credentials) -> bool:
        """How removing a profile reaches its provider (one not configured: nothing to do)."""
        found = self.providers.get(provider)
        return await found.revoke(credentials) if found is not None else False

    async def close(self) -> None:
        for provider in self.providers.values():
            await provider.close()
