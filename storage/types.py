"""Column types shared by the models: UTC timestamps and encrypted text."""

from __future__ import annotations

import weakref
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeDecorator

from storage.secrets import Keyring, Secret, SecretsError

# Keyrings are looked up per dialect instance, i.e. per engine, so two databases with different keys
# can live in one process (tests, key migrations) without module-level mutable state.
_KEYRINGS: weakref.WeakKeyDictionary[Dialect, Keyring] = weakref.WeakKeyDictionary()


def bind_keyring(engine: AsyncEngine, keyring: Keyring) -> None:
    _KEYRINGS[engine.sync_engine.dialect] = keyring


def keyring_for(dialect: Dialect) -> Keyring:
    try:
        return _KEYRINGS[dialect]
    except KeyError:
        raise SecretsError("no encryption keyring is bound to this database engine") from None


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EncryptedText(TypeDecorator[Secret]):
    """A `Secret` sealed with the engine's keyring before it reaches the database."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Secret):
            raise TypeError("encrypted columns take a Secret, never a plain string")
        return keyring_for(dialect).seal(value.reveal())

    def process_result_value(self, value: str | None, dialect: Dialect) -> Secret | None:
        if value is None:
            return None
        return Secret(keyring_for(dialect).open(value))
