"""provider conformance: app-level alerts, held access losses, MediaGo renewal tracking

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

Alerts gain a `subject` ("profile:<id>" or "app:<provider>") that replaces `profile_id` in the
episode's unique key, so an alert about a provider's app (no profile) is deduplicated the same
way; existing rows get "profile:<their id>".
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("subject", sa.String(length=48), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("resolved_note", sa.String(length=300), nullable=True))
    op.execute("UPDATE alerts SET subject = 'profile:' || CAST(profile_id AS VARCHAR(20))")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.alter_column("subject", server_default=None)
        batch_op.alter_column(
            "profile_id",
            existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        )
        batch_op.drop_constraint("uq_alerts_profile_id_kind_episode", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_alerts_subject_kind_episode"), ["subject", "kind", "episode"]
        )
    with op.batch_alter_table("profile_access", schema=None) as batch_op:
        batch_op.add_column(sa.Column("missing_since", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_forced_renewal_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("renewal_conflict_since", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_column("renewal_conflict_since")
        batch_op.drop_column("last_forced_renewal_at")
    with op.batch_alter_table("profile_access", schema=None) as batch_op:
        batch_op.drop_column("missing_since")
    op.execute("DELETE FROM alerts WHERE profile_id IS NULL")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_alerts_subject_kind_episode", type_="unique")
        batch_op.create_unique_constraint(
            "uq_alerts_profile_id_kind_episode", ["profile_id", "kind", "episode"]
        )
        batch_op.alter_column(
            "profile_id",
            existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        )
        batch_op.drop_column("resolved_note")
        batch_op.drop_column("subject")
