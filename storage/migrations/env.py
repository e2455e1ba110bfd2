"""Alembic environment: runs on a connection handed in by `storage.migrate`, or, for developers
using the `alembic` command (e.g. `alembic revision --autogenerate`), on DATABASE_URL."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from storage.models import Base
from storage.types import EncryptedText, UTCDateTime

target_metadata = Base.metadata


def _render_item(kind: str, obj: object, _autogen_context: object) -> str | bool:
    """Render our column types as plain SQL types, so revisions never import app code that may
    change after they were written."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "type" and isinstance(obj, EncryptedText):
        return "sa.Text()"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
elif context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `adops-bot migrate`")
else:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL, or run `adops-bot migrate`")
    asyncio.run(_run_from_url(url))
