"""Opening the bot's storage from settings: keys, database, migrations, key check.

Every entry point (server, `migrate`, `rotate-keys`, the shell) goes through `open_database`, so
none of them can run on an unmigrated schema or with keys that cannot read the stored secrets.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import make_url

from bot.config import Settings
from storage.db import Database, default_sqlite_url
from storage.keys import verify_secrets
from storage.migrate import upgrade
from storage.secrets import Keyring, load_or_create_key_file

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Something outside the bot keeps it from starting (the data folder, the database, a port).
    Its message is one line for the operator, naming what to fix; no traceback helps here."""


def keyring_from(settings: Settings) -> Keyring:
    if settings.encryption_keys:
        return Keyring(list(settings.encryption_keys))
    try:
        return Keyring([load_or_create_key_file(settings.data_dir)])
    except OSError as exc:
        raise StartupError(_cannot_write(settings.data_dir, exc)) from None


async def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    keyring = keyring_from(settings)
    where = _database_name(settings)
    try:
        _check_sqlite_folder(settings)
        db = Database(settings.database_url, keyring)
    except OSError as exc:
        raise StartupError(f"cannot open the database {where}: {_reason(exc)}") from None
    try:
        await _reach(db, where)
        if migrate:
            await upgrade(db)
        checked = await verify_secrets(db)
    except BaseException:
        await db.dispose()
        raise
    log.info("database ready (%s, %d stored secrets readable)", db.backend, checked)
    return db


async def _reach(db: Database, where: str) -> None:
    """One connection before anything else, so that a database that is down, refuses us or
    cannot be opened reads as that, not as a failed migration. Only the driver and the pool run
    here, and they fail in many types (OSError, SQLAlchemy's, asyncpg's own, a timeout): any of
    them means the first connection could not be made."""
    try:
        async with db.engine.connect():
            pass
    except Exception as exc:
        raise StartupError(f"cannot reach the database {where}: {_reason(exc)}") from None


def _check_sqlite_folder(settings: Settings) -> None:
    """SQLite writes next to its file (the write-ahead log), so its folder must be writable even
    when the database file already exists."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    folder = Path(url.database).parent
    if folder.is_dir() and not os.access(folder, os.W_OK):
        if _in_data_dir(settings):
            raise StartupError(_cannot_write(folder, PermissionError("it is read-only")))
        raise StartupError(f"cannot write to {folder}, where DATABASE_URL puts the database")


def _in_data_dir(settings: Settings) -> bool:
    """No DATABASE_URL: the SQLite file in the data folder, which errors name as such."""
    return settings.database_url == default_sqlite_url(settings.data_dir)


def _database_name(settings: Settings) -> str:
    if _in_data_dir(settings):
        return f"{make_url(settings.database_url).database} (in ADOPS_DATA_DIR)"
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    return f"{shown} (DATABASE_URL)"


def _cannot_write(folder: Path, exc: OSError) -> str:
    return f"cannot write to the data folder {folder} (ADOPS_DATA_DIR): {_reason(exc)}"


def _reason(exc: BaseException) -> str:
    """The cause in a few words: the driver's own message, without SQLAlchemy's wrapping."""
    cause = getattr(exc, "orig", None) or exc
    text = getattr(cause, "strerror", None) or str(cause) or type(cause).__name__
    return text.strip().splitlines()[0][:200]
