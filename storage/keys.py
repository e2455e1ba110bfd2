"""Start-up key check and key rotation over every encrypted column.

Both work on the raw stored strings (no ORM), so they cover any table that gains an encrypted
column without being told about it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Column, Table, Text, select, type_coerce, update

from storage.db import Database
from storage.models import Base
from storage.secrets import SecretsError, UndecryptableSecret
from storage.types import EncryptedText

log = logging.getLogger(__name__)


def encrypted_columns() -> Iterator[tuple[Table, Column[object]]]:
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                yield table, column


def _primary_key(table: Table) -> Column[object]:
    (pk,) = table.primary_key.columns
    return pk


async def verify_secrets(db: Database) -> int:
    """Refuse to run with keys that cannot open what is stored: better a clear start-up error
    than every sync failing later. Returns how many secrets were checked."""
    checked, missing = 0, set()
    async with db.reader() as session:
        for _table, column in encrypted_columns():
            raw = type_coerce(column, Text())
            result = await session.stream(select(raw).where(column.is_not(None)))
            async for (stored,) in result:
                checked += 1
                try:
                    db.keyring.open(stored)
                except UndecryptableSecret:
                    missing.add(stored.partition("$")[0] or "unknown")
    if missing:
        raise SecretsError(
            f"stored secrets were encrypted with key(s) {', '.join(sorted(missing))}, which "
            "ADOPS_ENCRYPTION_KEYS does not contain; add the old key after the new one"
        )
    return checked


@dataclass(frozen=True)
class RotationReport:
    rotated: int
    already_current: int


async def rotate_keys(db: Database, *, batch_size: int = 200) -> RotationReport:
    """Re-seal every secret under the newest key, committing in batches so that a crash keeps
    the work done; running it again continues where it stopped."""
    rotated = current = 0
    for table, column in encrypted_columns():
        pk = _primary_key(table)
        raw = type_coerce(column, Text())
        last = None
        while True:
            query = select(pk, raw).where(column.is_not(None)).order_by(pk).limit(batch_size)
            if last is not None:
                query = query.where(pk > last)
            async with db.transaction() as session:
                rows = (await session.execute(query)).all()
                for key, stored in rows:
                    if not db.keyring.needs_rotation(stored):
                        current += 1
                        continue
                    await session.execute(
                        update(table)
                        .where(pk == key)
                        .values({column.name: type_coerce(db.keyring.rotate(stored), Text())})
                    )
                    rotated += 1
            if len(rows) < batch_size:
                break
            last = rows[-1][0]
        log.info("rotated secrets in %s.%s", table.name, column.name)
    return RotationReport(rotated=rotated, already_current=current)
