"""Ad accounts as people look them up: filtered, paged lists, typeahead options, lookups.

Archived accounts never appear unless a filter asks for them; `storage.db` enforces that for every
query, so nothing here has to remember it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.errors import InvalidInput, NotFound
from bot.permissions import Actor, Permission
from bot.tags import clean_tags, existing_tags
from bot.text import row_id
from bot.trackers import EffectiveTracker, effective_trackers
from storage.db import INCLUDE_ARCHIVED, Database
from storage.models import (
    AccountTag,
    AdAccount,
    Profile,
    ProfileAccess,
    ProfileStatus,
    Tag,
    TagSource,
    fold,
    natural_key,
)

Status = Literal["active", "archived", "all"]
MAX_PAGE_SIZE = 100
MAX_OPTIONS = 100


def account_label(account: AdAccount) -> str:
    return f"{account.name} ({account.external_id})"


@dataclass(frozen=True)
class AccountFilter:
    provider: str | None = None
    status: Status = "active"
    tags: tuple[str, ...] = ()
    profile: str | None = None
    enabled: bool | None = None
    text: str | None = None


@dataclass(frozen=True)
class TagLabel:
    name: str
    auto: bool
    id: int = 0


@dataclass(frozen=True)
class AccountRow:
    id: int
    provider: str
    external_id: str
    name: str
    enabled: bool
    archived: bool
    currency: str | None
    timezone: str | None
    provider_status: str | None
    profile_id: int | None
    profile_name: str | None
    profile_status: str | None
    access_lost: bool
    tags: tuple[TagLabel, ...]
    tracker: EffectiveTracker

    @property
    def label(self) -> str:
        return f"{self.name} ({self.external_id})"


@dataclass(frozen=True)
class AccountPage:
    rows: list[AccountRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class AccountOption:
    id: int
    label: str
    provider: str
    archived: bool


class AccountService:
    def __init__(self, db: Database, clock: Clock, provider_names: Sequence[str]) -> None:
        self._db = db
        self._clock = clock
        self._providers = tuple(provider_names)

    async def list_accounts(
        self, actor: Actor, flt: AccountFilter, *, page: int = 1, page_size: int = 10
    ) -> AccountPage:
        actor.require(Permission.VIEW)
        page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        async with self._db.reader() as session:
            stmt = await self._filtered(session, flt)
            total = await session.scalar(
                stmt.with_only_columns(func.count(AdAccount.id)).order_by(None)
            )
            pages = max(1, -(-(total or 0) // page_size))
            page = max(1, min(page, pages))
            accounts = (
                await session.scalars(
                    stmt.order_by(AdAccount.sort_key, AdAccount.id)
                    .offset((page - 1) * page_size)
                    .limit(page_size)
                )
            ).all()
            rows = await self._rows(session, list(accounts))
        return AccountPage(rows=rows, total=total or 0, page=page, page_size=page_size)

    async def get(self, actor: Actor, account_id: int) -> AccountRow:
        """By id, archived or not: callers holding an id (a button) must learn what happened."""
        actor.require(Permission.VIEW)
        async with self._db.reader() as session:
            account = await session.scalar(
                select(AdAccount)
                .where(AdAccount.id == account_id)
                .execution_options(**{INCLUDE_ARCHIVED: True})
            )
            if account is None:
                raise NotFound("That ad account no longer exists.")
            (row,) = await self._rows(session, [account])
            return row

    async def resolve(self, actor: Actor, ref: str) -> AccountRow:
        """A typed reference: external id, or exact name (case-insensitive). Archived included,
        since audit and unarchive need to find them."""
        actor.require(Permission.VIEW)
        ref = ref.strip()
        async with self._db.reader() as session:
            matches = (
                await session.scalars(
                    select(AdAccount)
                    .where(
                        (AdAccount.external_id == ref)
                        | (AdAccount.search_text.startswith(fold(ref) + " ", autoescape=True))
                    )
                    .execution_options(**{INCLUDE_ARCHIVED: True})
                    .limit(6)
                )
            ).all()
            exact = [a for a in matches if a.external_id == ref or fold(a.name) == fold(ref)]
            if not exact:
                raise NotFound(f"No ad account with id or name {ref!r}.")
            if len(exact) > 1:
                names = ", ".join(account_label(a) for a in exact[:5])
                raise InvalidInput(f"{ref!r} matches several accounts ({names}); use the id.")
            (row,) = await self._rows(session, exact)
            return row

    async def options(
        self,
        actor: Actor,
        query: str,
        *,
        provider: str | None = None,
        include_archived: bool = False,
        limit: int = MAX_OPTIONS,
    ) -> list[AccountOption]:
        """Typeahead: at most 100 matches on name or id, archived only when asked for.

        Slack waits for these before the user sees a menu, so they skip the ORM session (see
        `Database.rows`) and therefore filter archived accounts here."""
        actor.require(Permission.VIEW)
        stmt = (
            select(
                AdAccount.id,
                AdAccount.name,
                AdAccount.external_id,
                AdAccount.provider,
                AdAccount.archived,
            )
            .order_by(AdAccount.sort_key, AdAccount.id)
            .limit(max(1, min(limit, MAX_OPTIONS)))
        )
        if not include_archived:
            stmt = stmt.where(AdAccount.archived.is_(False))
        if query.strip():
            stmt = stmt.where(AdAccount.search_text.contains(fold(query.strip()), autoescape=True))
        if provider is not None:
            stmt = stmt.where(AdAccount.provider == provider)
        rows = await self._db.rows(stmt)
        return [
            AccountOption(id=i, label=f"{name} ({ext})", provider=prov, archived=arch)
            for i, name, ext, prov, arch in rows
        ]

    async def matching_ids(self, actor: Actor, flt: AccountFilter, *, limit: int) -> list[int]:
        """Every account a filter selects, for "apply to the whole list" bulk operations."""
        actor.require(Permission.VIEW)
        async with self._db.reader() as session:
            stmt = await self._filtered(session, flt)
            ids = await session.scalars(
                stmt.with_only_columns(AdAccount.id)
                .order_by(AdAccount.sort_key, AdAccount.id)
                .limit(limit)
            )
            return list(ids.all())

    async def profiles_for(self, actor: Actor, account_id: int) -> list[tuple[int, str]]:
        """Profiles an account may be moved to: same provider, active, and able to reach it."""
        actor.require(Permission.VIEW)
        async with self._db.reader() as session:
            rows = (
                await session.execute(
                    select(Profile.id, Profile.name)
                    .join(ProfileAccess, ProfileAccess.profile_id == Profile.id)
                    .join(AdAccount, AdAccount.id == ProfileAccess.account_id)
                    .where(
                        ProfileAccess.account_id == account_id,
                        ProfileAccess.lost_at.is_(None),
                        Profile.status == ProfileStatus.ACTIVE,
                        Profile.provider == AdAccount.provider,
                    )
                )
            ).all()
        return sorted(((pid, name) for pid, name in rows), key=lambda r: natural_key(r[1]))

    async def _filtered(self, session: AsyncSession, flt: AccountFilter) -> Select:
        stmt = select(AdAccount)
        if flt.status == "archived":
            stmt = stmt.where(AdAccount.archived.is_(True))
        if flt.status in ("archived", "all"):
            stmt = stmt.execution_options(**{INCLUDE_ARCHIVED: True})
        if flt.provider is not None:
            if flt.provider not in self._providers:
                raise NotFound(
                    f"No provider named {flt.provider!r} (known: {', '.join(self._providers)})."
                )
            stmt = stmt.where(AdAccount.provider == flt.provider)
        if flt.enabled is not None:
            stmt = stmt.where(AdAccount.enabled.is_(flt.enabled))
        if flt.tags:
            for tag in await existing_tags(session, clean_tags(flt.tags)):
                tagged = select(AccountTag.account_id).where(AccountTag.tag_id == tag.id)
                stmt = stmt.where(AdAccount.id.in_(tagged))
        if flt.profile is not None:
            ref = flt.profile.strip()
            condition = Profile.name_key == fold(ref)
            if (number := row_id(ref)) is not None:
                condition = condition | (Profile.id == number)
            profile_ids = (await session.scalars(select(Profile.id).where(condition))).all()
            if not profile_ids:
                raise NotFound(f"No profile named {ref!r}.", field="profile")
            stmt = stmt.where(AdAccount.profile_id.in_(profile_ids))
        if flt.text and flt.text.strip():
            stmt = stmt.where(
                AdAccount.search_text.contains(fold(flt.text.strip()), autoescape=True)
            )
        return stmt

    async def _rows(self, session: AsyncSession, accounts: list[AdAccount]) -> list[AccountRow]:
        if not accounts:
            return []
        ids = [a.id for a in accounts]
        profile_ids = {a.profile_id for a in accounts if a.profile_id is not None}
        profiles = {
            p.id: p
            for p in (
                await session.scalars(select(Profile).where(Profile.id.in_(profile_ids)))
            ).all()
        }
        tags: dict[int, list[TagLabel]] = defaultdict(list)
        tag_rows = await session.execute(
            select(AccountTag.account_id, Tag.name, AccountTag.source, Tag.id)
            .join(Tag, Tag.id == AccountTag.tag_id)
            .where(AccountTag.account_id.in_(ids))
        )
        for account_id, name, source, tag_id in sorted(
            tag_rows, key=lambda r: (r[2] == TagSource.AUTO, natural_key(r[1]))
        ):
            tags[account_id].append(TagLabel(name, source == TagSource.AUTO, tag_id))
        trackers = await effective_trackers(session, accounts)
        rows = []
        for a in accounts:
            profile = profiles.get(a.profile_id) if a.profile_id is not None else None
            rows.append(
                AccountRow(
                    id=a.id,
                    provider=a.provider,
                    external_id=a.external_id,
                    name=a.name,
                    enabled=a.enabled,
                    archived=a.archived,
                    currency=a.currency,
                    timezone=a.timezone,
                    provider_status=a.provider_status,
                    profile_id=a.profile_id,
                    profile_name=profile.name if profile else None,
                    profile_status=profile.status if profile else None,
                    access_lost=a.access_lost_at is not None,
                    tags=tuple(tags.get(a.id, ())),
                    tracker=trackers[a.id],
                )
            )
        return rows
