"""natural sort key: ad accounts are listed by `sort_key`, their name with numbers by value

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def _natural_key(name: str) -> str:
    """`storage.models.natural_key` as it was when this revision was written: a revision must
    backfill the same keys however the application's function changes later."""

    def sized(match: re.Match[str]) -> str:
        digits = match[0].lstrip("0") or "0"
        return f"{min(len(digits), 99):02d}{digits}"

    folded = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[0-9]+", sized, folded)[:600]


def upgrade() -> None:
    # Added NOT NULL with an empty default, which SQLite allows without rebuilding the table
    # (a rebuild drops the table, and with foreign keys on that would cascade to every row
    # that refers to an account); PostgreSQL then drops the default, which the app never uses.
    op.add_column(
        "ad_accounts",
        sa.Column(
            "sort_key",
            sa.String(length=600).with_variant(sa.String(length=600, collation="C"), "postgresql"),
            nullable=False,
            server_default="",
        ),
    )
    connection = op.get_bind()
    accounts = sa.table("ad_accounts", sa.column("id"), sa.column("name"), sa.column("sort_key"))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(accounts.c.id, accounts.c.name)
            .where(accounts.c.id > last)
            .order_by(accounts.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            accounts.update()
            .where(accounts.c.id == sa.bindparam("account_id"))
            .values(sort_key=sa.bindparam("key")),
            [{"account_id": i, "key": _natural_key(name)} for i, name in rows],
        )
        last = rows[-1][0]
    if connection.dialect.name == "postgresql":
        op.alter_column("ad_accounts", "sort_key", server_default=None)
    op.drop_index(op.f("ix_ad_accounts_archived_search_text"), table_name="ad_accounts")
    op.create_index(
        op.f("ix_ad_accounts_archived_sort_key"), "ad_accounts", ["archived", "sort_key"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ad_accounts_archived_sort_key"), table_name="ad_accounts")
    op.create_index(
        op.f("ix_ad_accounts_archived_search_text"), "ad_accounts", ["archived", "search_text"]
    )
    # ALTER TABLE … DROP COLUMN, not a batch rebuild (SQLite 3.35+), for the reason above.
    op.drop_column("ad_accounts", "sort_key")
