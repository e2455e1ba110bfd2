"""Trackers: named connections with a tracking template, a default per provider integration, and
per-account overrides (another tracker, paused, another template).

The effective link of an account is always derived, never stored, so changing an integration
default is reflected on every account that does not override it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import audit
from bot.audit import Change, Target
from bot.clock import Clock
from bot.errors import Conflict, InvalidInput, NotFound
from bot.permissions import Actor, Permission
from bot.text import clean_block, clean_name
from bot.tracking_templates import check_template
from storage.db import Database
from storage.models import (
    AccountTrackerOverride,
    AdAccount,
    IntegrationTracker,
    Tracker,
    fold,
    natural_key,
)

TRACKER_KINDS = ("voluum", "redtrack", "binom", "clickflare", "keitaro", "other")
NAME_MAX_LEN = 80
TEMPLATE_MAX_LEN = 2000


@dataclass(frozen=True)
class TrackerInfo:
    id: int
    name: str
    kind: str
    tracking_template: str
    default_for: tuple[str, ...]
    overriding_accounts: int


@dataclass(frozen=True)
class EffectiveTracker:
    """What an account actually uses, and where each part comes from."""

    tracker_id: int | None
    tracker_name: str | None
    template: str | None
    paused: bool
    tracker_source: Literal["default", "override", "none"]
    template_overridden: bool

    @property
    def state(self) -> Literal["none", "paused", "active"]:
        if self.tracker_id is None:
            return "none"
        return "paused" if self.paused else "active"


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


@dataclass(frozen=True)
class TrackerSettings:
    """A change to an account's override. KEEP leaves a part alone; `tracker_id=None` and
    `template=None` mean "back to the integration default"."""

    tracker_id: int | _Keep | None = KEEP
    paused: bool | _Keep = KEEP
    template: str | _Keep | None = KEEP


def clean_template(value: str, providers: Sequence[str], *, field: str | None = None) -> str:
    """A template that only holds macros of `providers` (`bot.tracking_templates`)."""
    template = clean_block(value, what="tracking template", max_len=TEMPLATE_MAX_LEN, field=field)
    check_template(template, providers, field=field)
    return template


def clean_kind(value: str, *, field: str | None = None) -> str:
    kind = value.strip().lower()
    if kind not in TRACKER_KINDS:
        raise InvalidInput(f"Tracker type must be one of: {', '.join(TRACKER_KINDS)}.", field=field)
    return kind


async def effective_trackers(
    session: AsyncSession, accounts: Sequence[AdAccount]
) -> dict[int, EffectiveTracker]:
    """Effective links for a page of accounts in three queries, whatever the page size."""
    if not accounts:
        return {}
    ids = [a.id for a in accounts]
    overrides = {
        o.account_id: o
        for o in (
            await session.scalars(
                select(AccountTrackerOverride).where(AccountTrackerOverride.account_id.in_(ids))
            )
        ).all()
    }
    defaults = {
        d.provider: d.tracker_id for d in (await session.scalars(select(IntegrationTracker))).all()
    }
    wanted = {o.tracker_id for o in overrides.values() if o.tracker_id} | set(defaults.values())
    trackers = {
        t.id: t for t in (await session.scalars(select(Tracker).where(Tracker.id.in_(wanted))))
    }
    return {a.id: _effective(a, overrides.get(a.id), defaults, trackers) for a in accounts}


def _effective(
    account: AdAccount,
    override: AccountTrackerOverride | None,
    defaults: dict[str, int],
    trackers: dict[int, Tracker],
) -> EffectiveTracker:
    tracker_id: int | None
    if override is not None and override.tracker_id is not None:
        tracker_id, source = override.tracker_id, "override"
    elif account.provider in defaults:
        tracker_id, source = defaults[account.provider], "default"
    else:
        tracker_id, source = None, "none"
    tracker = trackers.get(tracker_id) if tracker_id is not None else None
    own_template = override.tracking_template if override is not None else None
    return EffectiveTracker(
        tracker_id=tracker_id,
        tracker_name=tracker.name if tracker else None,
        template=own_template or (tracker.tracking_template if tracker else None),
        paused=bool(override and override.paused),
        tracker_source=source,  # type: ignore[arg-type]
        template_overridden=own_template is not None,
    )


def override_snapshot(override: AccountTrackerOverride | None) -> dict[str, object]:
    if override is None:
        return {"tracker_id": None, "paused": False, "template": None}
    return {
        "tracker_id": override.tracker_id,
        "paused": override.paused,
        "template": override.tracking_template,
    }


class TrackerService:
    def __init__(self, db: Database, clock: Clock, provider_names: Sequence[str]) -> None:
        self._db = db
        self._clock = clock
        self._providers = tuple(provider_names)

    async def list_trackers(self, actor: Actor, *, matching: str = "") -> list[TrackerInfo]:
        """All trackers in name order; with `matching`, those whose name contains it."""
        actor.require(Permission.VIEW)
        query = select(Tracker)
        if matching.strip():
            query = query.where(Tracker.name_key.contains(fold(matching.strip()), autoescape=True))
        async with self._db.reader() as session:
            trackers = sorted(
                (await session.scalars(query)).all(), key=lambda t: natural_key(t.name)
            )
            defaults = (await session.scalars(select(IntegrationTracker))).all()
            counts = dict(
                (
                    await session.execute(
                        select(AccountTrackerOverride.tracker_id, func.count())
                        .join(AdAccount, AdAccount.id == AccountTrackerOverride.account_id)
                        .where(AccountTrackerOverride.tracker_id.is_not(None))
                        .group_by(AccountTrackerOverride.tracker_id)
                    )
                ).all()
            )
        return [
            TrackerInfo(
                id=t.id,
                name=t.name,
                kind=t.kind,
                tracking_template=t.tracking_template,
                default_for=tuple(sorted(d.provider for d in defaults if d.tracker_id == t.id)),
                overriding_accounts=counts.get(t.id, 0),
            )
            for t in trackers
        ]

    async def override_of(self, actor: Actor, account_id: int) -> AccountTrackerOverride | None:
        actor.require(Permission.VIEW)
        async with self._db.reader() as session:
            return await session.get(AccountTrackerOverride, account_id)

    async def integration_defaults(self, actor: Actor) -> dict[str, TrackerInfo | None]:
        trackers = {t.id: t for t in await self.list_trackers(actor)}
        async with self._db.reader() as session:
            defaults = {
                d.provider: d.tracker_id
                for d in (await session.scalars(select(IntegrationTracker))).all()
            }
        return {p: trackers.get(defaults[p]) if p in defaults else None for p in self._providers}

    async def create(self, actor: Actor, *, name: str, kind: str, template: str) -> int:
        actor.require(Permission.MANAGE)
        name = clean_name(name, what="tracker name", max_len=NAME_MAX_LEN, field="name")
        kind = clean_kind(kind, field="kind")
        template = clean_template(template, self._providers, field="template")
        now = self._clock()
        async with self._db.transaction() as session:
            await self._unique_name(session, name)
            tracker = Tracker(
                name=name, kind=kind, tracking_template=template, created_at=now, updated_at=now
            )
            session.add(tracker)
            await session.flush()
            after = {"name": name, "kind": kind, "template": template}
            await audit.record(
                session,
                actor,
                [Change("tracker.create", Target("tracker", str(tracker.id), name), None, after)],
                at=now,
            )
            return tracker.id

    async def update(
        self,
        actor: Actor,
        tracker_id: int,
        *,
        name: str | None = None,
        kind: str | None = None,
        template: str | None = None,
    ) -> None:
        actor.require(Permission.MANAGE)
        now = self._clock()
        async with self._db.transaction() as session:
            tracker = await self._get(session, tracker_id)
            before = {
                "name": tracker.name,
                "kind": tracker.kind,
                "template": tracker.tracking_template,
            }
            if name is not None:
                name = clean_name(name, what="tracker name", max_len=NAME_MAX_LEN, field="name")
                if fold(name) != tracker.name_key:
                    await self._unique_name(session, name)
                tracker.name = name
            if kind is not None:
                tracker.kind = clean_kind(kind, field="kind")
            if template is not None:
                tracker.tracking_template = clean_template(
                    template, self._providers, field="template"
                )
            after = {
                "name": tracker.name,
                "kind": tracker.kind,
                "template": tracker.tracking_template,
            }
            if after == before:
                return
            tracker.updated_at = now
            target = Target("tracker", str(tracker.id), tracker.name)
            await audit.record(
                session, actor, [Change("tracker.update", target, before, after)], at=now
            )

    async def check_name(self, actor: Actor, name: str, *, tracker_id: int | None) -> None:
        """Refuse a name another tracker has, with one quick read, so that a form can say so
        before it closes; `create` and `update` check again in their transaction."""
        actor.require(Permission.MANAGE)
        async with self._db.reader() as session:
            taken = await session.scalar(select(Tracker.id).where(Tracker.name_key == fold(name)))
        if taken is not None and taken != tracker_id:
            raise Conflict(f"A tracker named {name!r} already exists.", field="name")

    async def delete(self, actor: Actor, tracker_id: int) -> str:
        """Delete a tracker nothing uses, and return its name. One that is an integration's
        default, or that accounts link (archived ones too: they keep their settings), is
        refused with what to change first."""
        actor.require(Permission.MANAGE)
        now = self._clock()
        async with self._db.transaction() as session:
            tracker = await self._get(session, tracker_id)
            defaults = (
                await session.scalars(
                    select(IntegrationTracker.provider).where(
                        IntegrationTracker.tracker_id == tracker_id
                    )
                )
            ).all()
            if defaults:
                raise Conflict(
                    f"{tracker.name} is the default tracker for {', '.join(sorted(defaults))}; "
                    "choose another default (or none) for it first."
                )
            overrides = await session.scalar(
                select(func.count())
                .select_from(AccountTrackerOverride)
                .where(AccountTrackerOverride.tracker_id == tracker_id)
                .execution_options(include_archived=True)
            )
            if overrides:
                raise Conflict(
                    f"{overrides} account(s) link {tracker.name} directly (archived ones "
                    "included); give them another tracker or the integration default first "
                    "(Bulk actions → Use the integration's default tracker)."
                )
            before = {
                "name": tracker.name,
                "kind": tracker.kind,
                "template": tracker.tracking_template,
            }
            await session.delete(tracker)
            await audit.record(
                session,
                actor,
                [
                    Change(
                        "tracker.delete",
                        Target("tracker", str(tracker_id), tracker.name),
                        before,
                        None,
                    )
                ],
                at=now,
            )
            return tracker.name

    async def set_integration_default(
        self, actor: Actor, provider: str, tracker_id: int | None
    ) -> None:
        actor.require(Permission.MANAGE)
        if provider not in self._providers:
            raise NotFound(f"No provider named {provider!r}.")
        now = self._clock()
        async with self._db.transaction() as session:
            current = await session.get(IntegrationTracker, provider)
            before = {"tracker_id": current.tracker_id if current else None}
            if tracker_id is not None:
                await self._get(session, tracker_id)
            if before["tracker_id"] == tracker_id:
                return
            if tracker_id is None:
                await session.delete(current)
            elif current is None:
                session.add(
                    IntegrationTracker(provider=provider, tracker_id=tracker_id, updated_at=now)
                )
            else:
                current.tracker_id = tracker_id
                current.updated_at = now
            target = Target("integration", provider, provider)
            await audit.record(
                session,
                actor,
                [Change("integration.tracker", target, before, {"tracker_id": tracker_id})],
                at=now,
            )

    @staticmethod
    async def _get(session: AsyncSession, tracker_id: int) -> Tracker:
        tracker = await session.get(Tracker, tracker_id)
        if tracker is None:
            raise NotFound("That tracker no longer exists.")
        return tracker

    @staticmethod
    async def _unique_name(session: AsyncSession, name: str) -> None:
        taken = await session.scalar(select(Tracker.id).where(Tracker.name_key == fold(name)))
        if taken is not None:
            raise Conflict(f"A tracker named {name!r} already exists.", field="name")
