"""Opening the bot's storage from settings: keys, database, migrations, key check.

Every entry point (server, `migrate`, `rotate-keys`, the shell) goes through `open_database`, so
none of them can run on an unmigrated schema or with keys that cannot read the stored secrets.
"""

from __future__ import annotations

import logging

from bot.config import Settings
from storage.db import Database, awaiting_ack

__all__ = ["awaiting_ack", "keyring_from", "open_database"]
from storage.keys import verify_secrets
from storage.migrate import upgrade
from storage.secrets import Keyring, load_or_create_key_file

log = logging.getLogger(__name__)


def keyring_from(settings: Settings) -> Keyring:
    if settings.encryption_keys:
        return Keyring(list(settings.encryption_keys))
    return Keyring([load_or_create_key_file(settings.data_dir)])


async def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    db = Database(settings.database_url, keyring_from(settings))
    try:
        if migrate:
            await upgrade(db)
        checked = await verify_secrets(db)
    except BaseException:
        await db.dispose()
        raise
    log.info("database ready (%s, %d stored secrets readable)", db.backend, checked)
    return db
