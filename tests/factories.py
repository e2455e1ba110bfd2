"""Rows for tests, written straight to the database: what a sync would have learned."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from storage.db import Database
from storage.models import AccountTag, AdAccount, Profile, ProfileAccess, Tag, TagSource, fold
from storage.secrets import Secret


async def make_profile(
    db: Database,
    now: datetime,
    *,
    provider: str = "tiktok",
    name: str = "Main login",
    secret: str = "tok-0123456789abcdef",
    status: str = "active",
) -> int:
    async with db.transaction() as session:
        profile = Profile(
            provider=provider,
            name=name,
            status=status,
            secret=Secret(secret),
            meta={},
            created_at=now,
            updated_at=now,
        )
        session.add(profile)
        await session.flush()
        return profile.id


async def make_accounts(
    db: Database,
    now: datetime,
    count: int,
    *,
    provider: str = "tiktok",
    prefix: str = "Acme",
    profile_id: int | None = None,
    reachable_by: tuple[int, ...] = (),
    start: int = 1,
) -> list[int]:
    """Accounts named '<prefix> 001'…, with external ids '<provider>-<n>', reachable by the given
    profiles (and by `profile_id`, which they use)."""
    ids = []
    reachers = set(reachable_by) | ({profile_id} if profile_id else set())
    async with db.transaction() as session:
        for n in range(start, start + count):
            account = AdAccount(
                provider=provider,
                external_id=f"{provider}-{prefix.lower()}-{n}",
                name=f"{prefix} {n:03d}",
                profile_id=profile_id,
                enabled=True,
                archived=False,
                created_at=now,
                updated_at=now,
            )
            session.add(account)
            await session.flush()
            ids.append(account.id)
            for reacher in reachers:
                session.add(
                    ProfileAccess(
                        profile_id=reacher,
                        account_id=account.id,
                        first_seen_at=now,
                        last_seen_at=now,
                    )
                )
    return ids


async def tag_directly(
    db: Database, now: datetime, account_id: int, name: str, *, source: str = TagSource.USER
) -> None:
    async with db.transaction() as session:
        tag = Tag(name=name, name_key=fold(name), created_at=now)
        session.add(tag)
        await session.flush()
        await session.execute(
            insert(AccountTag).values(
                account_id=account_id, tag_id=tag.id, source=source, added_at=now
            )
        )
