"""sync requests and heartbeats: syncs people ask for go to the scheduler process

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sync_requests",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("batch", sa.String(length=36), nullable=False),
        sa.Column("profile_id", BIG_ID, nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=32), nullable=False),
        sa.Column("requested_label", sa.String(length=200), nullable=False),
        sa.Column("reply_url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_sync_requests_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_requests")),
    )
    op.create_index(op.f("ix_sync_requests_batch"), "sync_requests", ["batch"], unique=False)
    op.create_index(
        op.f("ix_sync_requests_done_at_created_at"),
        "sync_requests",
        ["done_at", "created_at"],
        unique=False,
    )
    op.create_table(
        "heartbeats",
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("role", "owner", name=op.f("pk_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("heartbeats")
    op.drop_index(op.f("ix_sync_requests_done_at_created_at"), table_name="sync_requests")
    op.drop_index(op.f("ix_sync_requests_batch"), table_name="sync_requests")
    op.drop_table("sync_requests")
