"""What every listener needs, built once by the app wiring."""

from __future__ import annotations

from dataclasses import dataclass

from bot.connect import Connector
from bot.core import Core
from bot.oauth import OAuthTickets
from bot.sync import SyncEngine
from handlers.registry import Registry


@dataclass
class Deps:
    core: Core
    sync: SyncEngine
    tickets: OAuthTickets
    connector: Connector
    public_url: str | None
    registry: Registry

    @property
    def oauth_providers(self) -> set[str]:
        return {name for name, info in self.core.catalog.items() if info.uses_oauth}
