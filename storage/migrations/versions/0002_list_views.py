"""list views: the filter of an accounts list, under a key a button can carry

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "list_views",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_list_views")),
    )
    op.create_index(op.f("ix_list_views_used_at"), "list_views", ["used_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_list_views_used_at"), table_name="list_views")
    op.drop_table("list_views")
