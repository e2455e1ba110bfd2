"""Profile names: unique per provider whatever their case or form, numbered when none is given."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import Conflict
from storage.models import Profile, fold


def renamable(profile: Profile, name: str) -> None:
    if profile.name == name:
        raise Conflict(f"The profile is already called {name}.", field="name")


async def unique_name(
    session: AsyncSession, provider: str, display: str, name: str, *, except_id: int | None = None
) -> None:
    """Refuse a name another profile of the provider has (`except_id`: the one being renamed)."""
    taken = await session.scalar(
        select(Profile.id).where(
            Profile.provider == provider,
            Profile.name_key == fold(name),
            Profile.id != (except_id or 0),
        )
    )
    if taken is not None:
        raise Conflict(f"A {display} profile named {name!r} already exists.", field="name")


async def default_name(session: AsyncSession, provider: str, display: str) -> str:
    """`<Provider> <n>` with the first n no profile of the provider uses."""
    taken = set(
        (await session.scalars(select(Profile.name_key).where(Profile.provider == provider))).all()
    )
    n = len(taken) + 1
    while fold(f"{display} {n}") in taken:
        n += 1
    return f"{display} {n}"
