"""The schema, as typed SQLAlchemy models. Alembic migrations create it; nothing else does.

Enumerated values are stored as short strings (see the `StrEnum`s) so that adding a value never
needs a migration on PostgreSQL.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from storage.secrets import Secret
from storage.types import EncryptedText, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def fold(text: str) -> str:
    """Case- and form-insensitive key for names that must be unique regardless of spelling."""
    return unicodedata.normalize("NFKC", text).casefold()


SORT_KEY_LEN = 600
_DIGITS = re.compile(r"[0-9]+")


def natural_key(text: str) -> str:
    """A key that sorts names as people read them: "New Market 2" before "New Market 19".

    The folded text with each run of digits written as its length (two digits) and its value
    without leading zeros, so that comparing two keys character by character (the "C" collation
    on PostgreSQL, SQLite's default) compares numbers by size. Names alike for 600 characters
    of key fall back to their id."""
    return _DIGITS.sub(_sized_number, fold(text))[:SORT_KEY_LEN]


def _sized_number(match: re.Match[str]) -> str:
    digits = match[0].lstrip("0") or "0"
    return f"{min(len(digits), 99):02d}{digits}"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        Secret: EncryptedText(),
    }


class ProfileStatus(StrEnum):
    ACTIVE = "active"
    INVALID = "invalid"


class TagSource(StrEnum):
    USER = "user"
    AUTO = "auto"


class AlertStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Profile(Base):
    """One credential set for one provider."""

    __tablename__ = "profiles"
    __table_args__ = (
        UniqueConstraint("provider", "name_key"),
        Index(None, "status", "next_sync_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(80))
    name_key: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default=ProfileStatus.ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    invalid_since: Mapped[datetime | None]
    secret: Mapped[Secret]
    api_key: Mapped[Secret | None]
    key_hint: Mapped[str | None] = mapped_column(String(16))
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    session_token: Mapped[Secret | None]
    session_token_expires_at: Mapped[datetime | None]
    credentials_expire_at: Mapped[datetime | None]
    connected_by: Mapped[str | None] = mapped_column(String(32))
    last_synced_at: Mapped[datetime | None]
    last_sync_error: Mapped[str | None] = mapped_column(String(500))
    transient_error_since: Mapped[datetime | None]
    last_forced_renewal_at: Mapped[datetime | None]
    renewal_conflict_since: Mapped[datetime | None]
    next_sync_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @validates("name")
    def _keep_name_key(self, _key: str, value: str) -> str:
        self.name_key = fold(value)
        return value

    def __repr__(self) -> str:
        return f"Profile(id={self.id!r}, provider={self.provider!r}, name={self.name!r})"


class AdAccount(Base):
    """One advertiser account of one provider. Never deleted: archiving hides it."""

    __tablename__ = "ad_accounts"
    __table_args__ = (
        UniqueConstraint("provider", "external_id"),
        Index(None, "archived", "sort_key"),
        Index(None, "profile_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(512))
    search_text: Mapped[str] = mapped_column(String(700))
    sort_key: Mapped[str] = mapped_column(
        String(SORT_KEY_LEN).with_variant(String(SORT_KEY_LEN, collation="C"), "postgresql")
    )
    """`natural_key(name)`: lists are ordered by it, in one index with `archived`."""
    currency: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    provider_status: Mapped[str | None] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    archived_at: Mapped[datetime | None]
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="RESTRICT"))
    access_lost_at: Mapped[datetime | None]
    access_lost_reason: Mapped[str | None] = mapped_column(String(500))
    first_synced_at: Mapped[datetime | None]
    last_synced_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @validates("name", "external_id")
    def _keep_search_keys(self, key: str, value: str) -> str:
        """Typeahead and sorting read these columns, so they follow every change of name."""
        name = value if key == "name" else (self.name or "")
        external_id = value if key == "external_id" else (self.external_id or "")
        self.search_text = search_text(name, external_id)
        self.sort_key = natural_key(name)
        return value

    def __repr__(self) -> str:
        return f"AdAccount(id={self.id!r}, provider={self.provider!r}, ext={self.external_id!r})"


def search_text(name: str, external_id: str) -> str:
    """What typeahead matches against: folded name and id, so search is Unicode case-blind on
    every backend (SQLite's lower() only knows ASCII)."""
    return f"{fold(name)} {fold(external_id)}"[:700]


class ProfileAccess(Base):
    """Which profiles can reach which accounts, as learned from syncs. `lost_at` keeps history;
    `missing_since` marks access a single listing left out, kept until a second one agrees."""

    __tablename__ = "profile_access"
    __table_args__ = (Index(None, "account_id"),)

    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("ad_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    lost_at: Mapped[datetime | None]
    missing_since: Mapped[datetime | None]


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


class AccountTag(Base):
    __tablename__ = "account_tags"
    __table_args__ = (Index(None, "tag_id", "account_id"),)

    account_id: Mapped[int] = mapped_column(
        ForeignKey("ad_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(8), default=TagSource.USER)
    added_at: Mapped[datetime]
    added_by: Mapped[str | None] = mapped_column(String(32))


class Tracker(Base):
    """A named tracker connection (Voluum, RedTrack, …) with its tracking template."""

    __tablename__ = "trackers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    name_key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    tracking_template: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @validates("name")
    def _keep_name_key(self, _key: str, value: str) -> str:
        self.name_key = fold(value)
        return value


class IntegrationTracker(Base):
    """The tracker every account of one provider uses unless it overrides it."""

    __tablename__ = "integration_trackers"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    tracker_id: Mapped[int] = mapped_column(ForeignKey("trackers.id", ondelete="RESTRICT"))
    updated_at: Mapped[datetime]


class AccountTrackerOverride(Base):
    """Per-account departures from the integration default; each field is independent."""

    __tablename__ = "account_tracker_overrides"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("ad_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    tracker_id: Mapped[int | None] = mapped_column(ForeignKey("trackers.id", ondelete="RESTRICT"))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    tracking_template: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class Alert(Base):
    """One alert per broken episode of a profile, or of a provider app (`profile_id` empty);
    it doubles as the delivery outbox. `subject` ("profile:<id>" or "app:<provider>") is what
    makes an episode unique.

    Each pending delivery (channel post, DM, resolution update, reminder) is claimed with a short
    lease before it is sent, so replicas never send the same one twice.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("subject", "kind", "episode"),
        Index(None, "status", "next_reminder_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject: Mapped[str] = mapped_column(String(48))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    episode: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.OPEN)
    reason: Mapped[str] = mapped_column(String(500))
    accounts_affected: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    dm_channel: Mapped[str | None] = mapped_column(String(32))
    dm_ts: Mapped[str | None] = mapped_column(String(32))
    delivered_at: Mapped[datetime | None]
    dm_delivered_at: Mapped[datetime | None]
    next_reminder_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_note: Mapped[str | None] = mapped_column(String(300))
    resolution_delivered_at: Mapped[datetime | None]
    dm_user: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]


class AuditEvent(Base):
    """Who changed what, when, from what to what. Written in the transaction of the change."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index(None, "target_type", "target_id", "at"),
        Index(None, "at"),
        Index(None, "bulk_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[str] = mapped_column(String(32))
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    target_label: Mapped[str] = mapped_column(String(300))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16))
    bulk_id: Mapped[str | None] = mapped_column(String(36))


class OAuthState(Base):
    """One-time OAuth tickets (Slack link → start route) and states (start route → callback).

    Only a hash of the token is stored, so a database read does not hand out a usable link.
    """

    __tablename__ = "oauth_states"
    __table_args__ = (Index(None, "expires_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    binding_hash: Mapped[str | None] = mapped_column(String(64))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]


class RoleGrant(Base):
    """Roles granted from Slack; configured admins live in the environment, not here."""

    __tablename__ = "role_grants"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    granted_by: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime]


class AppSetting(Base):
    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(String(32))


# The bot's own work in flight lives in a module of its own; importing it here registers its
# tables with `Base.metadata`, which migrations and their test compare against.
from storage import work_models  # noqa: E402, F401
