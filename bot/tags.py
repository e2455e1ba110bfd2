"""Tags: free-form labels on accounts, case-insensitively unique, usable as filters.

Tags are created on first use and shared by every account; an account's link to a tag remembers
whether a person or the first sync (timezone, currency) put it there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput, NotFound
from bot.permissions import Actor, Permission
from bot.text import clean_name
from storage.db import Database
from storage.models import AccountTag, AdAccount, Tag, TagSource, fold

TAG_MAX_LEN = 64
MAX_TAGS_PER_CALL = 50


@dataclass(frozen=True)
class TagInfo:
    name: str
    accounts: int


def clean_tag(value: str, *, field: str | None = None) -> str:
    name = clean_name(value, what="tag", max_len=TAG_MAX_LEN, field=field)
    if "," in name:
        raise InvalidInput("A tag cannot contain a comma (commas separate tags).", field=field)
    return name


def clean_tags(values: Iterable[str], *, field: str | None = None) -> list[str]:
    """Clean and de-duplicate (case-insensitively, first spelling wins)."""
    seen: dict[str, str] = {}
    for value in values:
        name = clean_tag(value, field=field)
        seen.setdefault(fold(name), name)
    if not seen:
        raise InvalidInput("Give at least one tag.", field=field)
    if len(seen) > MAX_TAGS_PER_CALL:
        raise InvalidInput(f"At most {MAX_TAGS_PER_CALL} tags at a time.", field=field)
    return list(seen.values())


def split_tags(text: str) -> list[str]:
    return [part for part in text.split(",") if part.strip()]


async def ensure_tags(session: AsyncSession, names: Sequence[str], *, at: datetime) -> list[Tag]:
    """Get or create, safe against a concurrent creator of the same tag (on another replica)."""
    keys = {fold(name): name for name in names}
    if not keys:
        return []
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(Tag)
        .values([{"name": name, "name_key": key, "created_at": at} for key, name in keys.items()])
        .on_conflict_do_nothing(index_elements=["name_key"])
    )
    rows = (await session.scalars(select(Tag).where(Tag.name_key.in_(keys)))).all()
    by_key = {tag.name_key: tag for tag in rows}
    return [by_key[key] for key in keys]


async def known_tags(session: AsyncSession, names: Sequence[str]) -> tuple[list[Tag], list[str]]:
    """The tags of these names that exist, and the names no tag has (in the order given)."""
    keys = {fold(name): name for name in names}
    rows = (await session.scalars(select(Tag).where(Tag.name_key.in_(keys)))).all()
    by_key = {tag.name_key: tag for tag in rows}
    found = [by_key[key] for key in keys if key in by_key]
    return found, [name for key, name in keys.items() if key not in by_key]


async def existing_tags(session: AsyncSession, names: Sequence[str]) -> list[Tag]:
    """Tags that must already exist (filters): an unknown name is an error, not a no-op, so a
    typo is noticed."""
    found, missing = await known_tags(session, names)
    if missing:
        raise NotFound(f"No tag named {', '.join(repr(m) for m in missing)}.", field="tag")
    return found


class TagService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def list_tags(self, actor: Actor, *, query: str = "", limit: int = 100) -> list[TagInfo]:
        """Tags in use on visible (non-archived) accounts, most used first."""
        actor.require(Permission.VIEW)
        count = func.count(AdAccount.id)
        stmt = (
            select(Tag.name, count)
            .join(AccountTag, AccountTag.tag_id == Tag.id)
            .join(AdAccount, AdAccount.id == AccountTag.account_id)
            .group_by(Tag.id, Tag.name)
            .order_by(count.desc(), Tag.name_key)
            .limit(limit)
        )
        if query.strip():
            stmt = stmt.where(Tag.name_key.contains(fold(query.strip()), autoescape=True))
        async with self._db.reader() as session:
            rows = (await session.execute(stmt)).all()
        return [TagInfo(name=name, accounts=n) for name, n in rows]


async def add_auto_tags(
    session: AsyncSession, account_id: int, values: Sequence[str | None], *, at: datetime
) -> list[str]:
    """The timezone and currency tags a first sync puts on an account, marked `auto`. Values that
    would not make a valid tag are dropped rather than failing the sync. An existing link (say,
    a person added the same tag earlier) is left as it is."""
    names = []
    for value in values:
        if value is None:
            continue
        try:
            names.append(clean_tag(value))
        except InvalidInput:
            continue
    tags = await ensure_tags(session, names, at=at)
    have = set(
        (
            await session.scalars(
                select(AccountTag.tag_id).where(AccountTag.account_id == account_id)
            )
        ).all()
    )
    new = [t for t in tags if t.id not in have]
    for tag in new:
        session.add(
            AccountTag(account_id=account_id, tag_id=tag.id, source=TagSource.AUTO, added_at=at)
        )
    return [t.name for t in new]
