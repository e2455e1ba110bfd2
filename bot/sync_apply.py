"""Writing one listing into the database: new accounts, refreshed details, and access that is
gained or lost.

Access is only taken away by a complete listing, and never by a single reply that would drop
more than half of what a profile reaches: that listing's absentees are marked missing and keep
their access until the next listing agrees they are gone. Whatever a provider answers, one
misread reply cannot strand most of a profile's accounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import account_label
from bot.audit import Change, Target
from bot.tags import add_auto_tags
from providers.base import AccountInfo, AccountListing
from storage.db import INCLUDE_ARCHIVED
from storage.models import AdAccount, Profile, ProfileAccess

_CHUNK = 500


@dataclass
class Applied:
    new: list[str] = field(default_factory=list)
    updated: int = 0
    lost: list[str] = field(default_factory=list)
    held: int = 0
    reachable_before: int = 0
    changes: list[Change] = field(default_factory=list)


def account_target(account: AdAccount) -> Target:
    return Target("account", str(account.id), account_label(account))


async def apply_listing(
    session: AsyncSession, profile: Profile, listing: AccountListing, now: datetime
) -> Applied:
    out = Applied()
    gone = set(listing.lost)
    infos = {i.external_id: i for i in listing.accounts if i.external_id not in gone}
    existing = await _accounts_by_external_id(session, profile.provider, [*infos, *gone])
    access = {
        row.account_id: row
        for row in (
            await session.scalars(
                select(ProfileAccess).where(ProfileAccess.profile_id == profile.id)
            )
        ).all()
    }
    out.reachable_before = sum(1 for row in access.values() if row.lost_at is None)
    seen: set[int] = set()
    for external_id, info in infos.items():
        account = existing.get(external_id)
        if account is None:
            account = await _discover(session, profile, info, now, out, listing)
        else:
            detailed = external_id not in listing.unrefreshed
            await _refresh(session, account, profile, info, now, out, detailed=detailed)
        seen.add(account.id)
        row = access.get(account.id)
        if row is None:
            session.add(
                ProfileAccess(
                    profile_id=profile.id,
                    account_id=account.id,
                    first_seen_at=now,
                    last_seen_at=now,
                )
            )
        else:
            row.last_seen_at = now
            row.lost_at = None
            row.missing_since = None
    if listing.complete:
        reasons = {existing[e].id: r for e, r in listing.lost.items() if e in existing}
        await _lose(session, profile, access, seen, reasons, now, out)
    return out


async def _accounts_by_external_id(
    session: AsyncSession, provider: str, ids: list[str]
) -> dict[str, AdAccount]:
    found: dict[str, AdAccount] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = await session.scalars(
            select(AdAccount)
            .where(
                AdAccount.provider == provider,
                AdAccount.external_id.in_(ids[start : start + _CHUNK]),
            )
            .execution_options(**{INCLUDE_ARCHIVED: True})
        )
        found.update((a.external_id, a) for a in rows)
    return found


async def _discover(
    session: AsyncSession,
    profile: Profile,
    info: AccountInfo,
    now: datetime,
    out: Applied,
    listing: AccountListing,
) -> AdAccount:
    """A new account. One whose details could not be read yet gets its automatic tags at the
    first sync that reads them."""
    detailed = info.external_id not in listing.unrefreshed
    account = AdAccount(
        provider=profile.provider,
        external_id=info.external_id,
        name=(info.name or info.external_id)[:512],
        currency=info.currency,
        timezone=info.timezone,
        provider_status=info.status,
        enabled=True,
        archived=False,
        profile_id=profile.id,
        first_synced_at=now if detailed else None,
        last_synced_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    await session.flush()
    if detailed:
        await add_auto_tags(session, account.id, [info.timezone, info.currency], at=now)
    out.new.append(account_label(account))
    out.changes.append(
        Change(
            "account.discovered",
            account_target(account),
            None,
            {"profile": profile.name, "currency": info.currency, "timezone": info.timezone},
        )
    )
    return account


async def _refresh(
    session: AsyncSession,
    account: AdAccount,
    profile: Profile,
    info: AccountInfo,
    now: datetime,
    out: Applied,
    *,
    detailed: bool,
) -> None:
    if account.archived:
        return
    if account.profile_id is None:
        account.profile_id = profile.id
        out.changes.append(
            Change(
                "account.profile",
                account_target(account),
                {"profile_id": None},
                {"profile_id": profile.id, "profile": profile.name},
            )
        )
    if not account.enabled:
        return
    changed = False
    for attribute, value in (
        ("name", info.name),
        ("currency", info.currency),
        ("timezone", info.timezone),
        ("provider_status", info.status),
    ):
        if value is not None and getattr(account, attribute) != value:
            setattr(account, attribute, value[:512] if attribute == "name" else value)
            changed = True
    if account.profile_id == profile.id and account.access_lost_at is not None:
        account.access_lost_at = None
        account.access_lost_reason = None
        changed = True
    if account.first_synced_at is None and detailed:
        account.first_synced_at = now
        await add_auto_tags(session, account.id, [info.timezone, info.currency], at=now)
    account.last_synced_at = now
    if changed:
        account.updated_at = now
        out.updated += 1


async def _lose(
    session: AsyncSession,
    profile: Profile,
    access: dict[int, ProfileAccess],
    seen: set[int],
    reasons: dict[int, str],
    now: datetime,
    out: Applied,
) -> None:
    """Access the listing no longer shows. Rows already marked missing by an earlier listing
    are confirmed; the others are held when this listing alone would drop more than half of
    what the profile reaches."""
    reachable = {aid: row for aid, row in access.items() if row.lost_at is None}
    missing = {aid for aid in reachable if aid not in seen}
    confirmed = {aid for aid in missing if reachable[aid].missing_since is not None}
    fresh = missing - confirmed
    hold = len(missing) * 2 > len(reachable)
    for aid in fresh if hold else ():
        reachable[aid].missing_since = now
    out.held = len(fresh) if hold else 0
    flagged = confirmed | (set() if hold else fresh)
    if not flagged:
        return
    for aid in flagged:
        reachable[aid].lost_at = now
        reachable[aid].missing_since = None
    accounts = (
        await session.scalars(
            select(AdAccount)
            .where(AdAccount.id.in_(list(flagged)))
            .execution_options(**{INCLUDE_ARCHIVED: True})
        )
    ).all()
    for account in accounts:
        reason = reasons.get(account.id) or f"{profile.name} can no longer reach it"
        out.lost.append(account_label(account))
        if account.profile_id == profile.id and account.access_lost_at is None:
            account.access_lost_at = now
            account.access_lost_reason = reason[:500]
            account.updated_at = now
            out.changes.append(
                Change(
                    "account.access_lost",
                    account_target(account),
                    None,
                    {"profile": profile.name, "reason": reason},
                )
            )
