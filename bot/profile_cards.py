"""What a profile looks like to people: its card (status, accounts using it and reachable, last
sync) and the two sections of its "Manage ad accounts" view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AdAccount, Profile, ProfileAccess, ProfileStatus


@dataclass(frozen=True)
class ProfileCard:
    id: int
    provider: str
    name: str
    status: str
    status_reason: str | None
    invalid_since: datetime | None
    key_hint: str | None
    connected_by: str | None
    last_synced_at: datetime | None
    last_sync_error: str | None
    credentials_expire_at: datetime | None
    accounts_using: int
    accounts_reachable: int

    @property
    def active(self) -> bool:
        return self.status == ProfileStatus.ACTIVE


@dataclass(frozen=True)
class ManagedAccount:
    id: int
    label: str
    current_profile: str | None


@dataclass(frozen=True)
class ManageView:
    """The two sections of "Manage ad accounts", each capped, with full counts."""

    profile: ProfileCard
    available: list[ManagedAccount]
    available_total: int
    using: list[ManagedAccount]
    using_total: int


async def cards(session: AsyncSession, profiles: list[Profile]) -> list[ProfileCard]:
    ids = [p.id for p in profiles]
    using = dict(
        (
            await session.execute(
                select(AdAccount.profile_id, func.count(AdAccount.id))
                .where(AdAccount.profile_id.in_(ids))
                .group_by(AdAccount.profile_id)
            )
        ).all()
    )
    reachable = dict(
        (
            await session.execute(
                select(ProfileAccess.profile_id, func.count(AdAccount.id))
                .join(AdAccount, AdAccount.id == ProfileAccess.account_id)
                .where(ProfileAccess.profile_id.in_(ids), ProfileAccess.lost_at.is_(None))
                .group_by(ProfileAccess.profile_id)
            )
        ).all()
    )
    return [
        ProfileCard(
            id=p.id,
            provider=p.provider,
            name=p.name,
            status=p.status,
            status_reason=p.status_reason,
            invalid_since=p.invalid_since,
            key_hint=p.key_hint,
            connected_by=p.connected_by,
            last_synced_at=p.last_synced_at,
            last_sync_error=p.last_sync_error,
            credentials_expire_at=p.credentials_expire_at,
            accounts_using=using.get(p.id, 0),
            accounts_reachable=reachable.get(p.id, 0),
        )
        for p in profiles
    ]


async def manage_view(session: AsyncSession, card: ProfileCard, limit: int) -> ManageView:
    reachable = (
        select(ProfileAccess.account_id)
        .where(ProfileAccess.profile_id == card.id, ProfileAccess.lost_at.is_(None))
        .scalar_subquery()
    )
    available_q = select(AdAccount).where(
        AdAccount.id.in_(reachable),
        (AdAccount.profile_id != card.id) | AdAccount.profile_id.is_(None),
    )
    using_q = select(AdAccount).where(AdAccount.profile_id == card.id)
    sections = []
    for query in (available_q, using_q):
        total = await session.scalar(
            query.with_only_columns(func.count(AdAccount.id)).order_by(None)
        )
        accounts = (
            await session.scalars(query.order_by(AdAccount.sort_key, AdAccount.id).limit(limit))
        ).all()
        names = dict(
            (
                await session.execute(
                    select(Profile.id, Profile.name).where(
                        Profile.id.in_({a.profile_id for a in accounts if a.profile_id})
                    )
                )
            ).all()
        )
        sections.append(
            (
                [
                    ManagedAccount(a.id, f"{a.name} ({a.external_id})", names.get(a.profile_id))
                    for a in accounts
                ],
                total or 0,
            )
        )
    (available, available_total), (using, using_total) = sections
    return ManageView(card, available, available_total, using, using_total)
