"""The bot's own work in flight: lists people were shown, syncs people asked for, and the
heartbeats that tell one process the others are alive. None of it is domain data; all of it is
purged or overwritten as it goes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId
from storage.secrets import Secret


class ListView(Base):
    """What an accounts list a person was shown was filtered on, under a short key.

    Slack sends back nothing of an ephemeral message when a button in it is pressed, and a
    button's value or a menu option's has no room for a whole filter; the key does fit, so a
    row's menu can redraw the very list it sits in. Rows are purged a day after last use."""

    __tablename__ = "list_views"
    __table_args__ = (Index(None, "used_at"),)

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    used_at: Mapped[datetime]


class SyncRequest(Base):
    """A sync someone asked for (`/adops sync`, Sync now, a connect or re-authentication). The
    web process writes it; the scheduler process claims it, syncs, and answers `reply_url` (a
    response_url, a capability link, hence encrypted) or, failing that, `requested_by` by DM.
    Requests of one `batch` are answered together."""

    __tablename__ = "sync_requests"
    __table_args__ = (Index(None, "done_at", "created_at"), Index(None, "batch"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch: Mapped[str] = mapped_column(String(36))
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(32))
    requested_label: Mapped[str] = mapped_column(String(200))
    reply_url: Mapped[Secret | None]
    created_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Heartbeat(Base):
    """The last time each process of each role showed it was alive: `/health` of a web process
    reports the scheduler's."""

    __tablename__ = "heartbeats"

    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime]
