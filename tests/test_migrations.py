"""Alembic is the only way the schema is made: upgrading an empty database gives the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from storage.db import Database
from storage.migrate import current_revision, head_revision, upgrade
from storage.models import Base


async def test_upgrade_head_matches_the_models(db: Database):
    def diff(sync_conn):
        return compare_metadata(MigrationContext.configure(sync_conn), Base.metadata)

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    assert await current_revision(db) == head_revision()


async def test_upgrade_is_idempotent(db: Database):
    await upgrade(db)
    assert await current_revision(db) == head_revision()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path, keyring):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", keyring)
    await upgrade(db)
    async with db.reader() as session:
        mode = (await session.execute(text("PRAGMA journal_mode"))).scalar()
        fks = (await session.execute(text("PRAGMA foreign_keys"))).scalar()
    await db.dispose()
    assert (mode, fks) == ("wal", 1)


async def test_existing_alerts_keep_their_episode_key_through_0004(tmp_path, keyring):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}", keyring)
    await upgrade(db, "0001")
    now = "2026-11-01 09:00:00"
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO profiles (id, provider, name, name_key, status, secret, meta, "
                "created_at, updated_at) VALUES (7, 'tiktok', 'P', 'p', 'invalid', 'x', '{}', "
                ":now, :now)"
            ),
            {"now": now},
        )
        await conn.execute(
            text(
                "INSERT INTO ad_accounts (id, provider, external_id, name, search_text, enabled, "
                "archived, profile_id, created_at, updated_at) VALUES (3, 'tiktok', '70', 'A', "
                "'a 70', 1, 0, 7, :now, :now)"
            ),
            {"now": now},
        )
        await conn.execute(
            text(
                "INSERT INTO profile_access (profile_id, account_id, first_seen_at, last_seen_at) "
                "VALUES (7, 3, :now, :now)"
            ),
            {"now": now},
        )
        await conn.execute(
            text(
                "INSERT INTO alerts (profile_id, kind, episode, status, reason, "
                "accounts_affected, reminders_sent, attempts, created_at) "
                "VALUES (7, 'invalid', 'e1', 'open', 'r', 0, 0, 0, :now)"
            ),
            {"now": now},
        )
    await upgrade(db)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT subject, profile_id FROM alerts"))).all()
        access = (
            await conn.execute(text("SELECT account_id, missing_since FROM profile_access"))
        ).all()
    await db.dispose()
    assert rows == [("profile:7", 7)]
    assert access == [(3, None)]  # no table rebuilt under it (that would cascade)
