"""Admins: configured in the environment, or granted and revoked from Slack by other admins."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from bot import audit
from bot.audit import Change, Target
from bot.clock import Clock
from bot.errors import Conflict, InvalidInput
from bot.permissions import Actor, Permission, Role, Source, UserFacts, decide_role
from storage.db import Database
from storage.models import RoleGrant

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


@dataclass(frozen=True)
class AdminList:
    configured: tuple[str, ...]
    granted: tuple[str, ...]


GRANTS_TTL = 10.0


class RoleService:
    """Every Slack request needs the clicker's role before its ack, so the admins granted in
    Slack are read once per `grants_ttl` seconds, not once per request: under a burst, a read per
    request would queue behind other work for a database connection. A grant or revoke made here
    applies at once; one made on another replica within `grants_ttl`."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        configured_admins: frozenset[str],
        *,
        grants_ttl: float = GRANTS_TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._clock = clock
        self._configured = configured_admins
        self._ttl = grants_ttl
        self._monotonic = monotonic
        self._granted: frozenset[str] = frozenset()
        self._fresh_until = float("-inf")
        self._generation = 0  # bumped by local grants and revokes, so a read begun before one
        self._refreshing = asyncio.Lock()  # cannot store what that change made stale
        self.on_change: Callable[[], None] | None = None  # told of each grant and revoke

    async def _granted_admins(self) -> frozenset[str]:
        if self._monotonic() < self._fresh_until:
            return self._granted
        async with self._refreshing:  # one read for every request that found the cache stale
            if self._monotonic() >= self._fresh_until:
                started, generation = self._monotonic(), self._generation
                async with self._db.reader() as session:
                    granted = frozenset(
                        await session.scalars(
                            select(RoleGrant.user_id).where(RoleGrant.role == Role.ADMIN)
                        )
                    )
                if generation == self._generation:
                    self._granted, self._fresh_until = granted, started + self._ttl
                return granted
        return self._granted

    def _stale(self) -> None:
        self.forget_grants()
        if self.on_change is not None:
            self.on_change()

    def forget_grants(self) -> None:
        """Read the admin list again on the next check: it changed, here or in the worker."""
        self._generation += 1
        self._fresh_until = float("-inf")

    async def role_of(self, facts: UserFacts) -> Role:
        return decide_role(facts, configured=self._configured, granted=await self._granted_admins())

    async def actor(self, facts: UserFacts, *, label: str, source: Source) -> Actor:
        return Actor(id=facts.user_id, label=label, role=await self.role_of(facts), source=source)

    async def admins(self, actor: Actor) -> AdminList:
        actor.require(Permission.VIEW)
        async with self._db.reader() as session:
            granted = (
                await session.scalars(
                    select(RoleGrant.user_id)
                    .where(RoleGrant.role == Role.ADMIN)
                    .order_by(RoleGrant.granted_at)
                )
            ).all()
        return AdminList(configured=tuple(sorted(self._configured)), granted=tuple(granted))

    async def admin_ids(self) -> list[str]:
        """Everyone who is an admin by id (configured or granted), for the bot's own notices."""
        granted = await self._granted_admins()
        return sorted(self._configured | granted)

    async def grant_admin(self, actor: Actor, user_id: str) -> None:
        actor.require(Permission.MANAGE)
        _check_user_id(user_id)
        if user_id in self._configured:
            raise Conflict(f"<@{user_id}> is already an admin (configured in ADOPS_ADMINS).")
        now = self._clock()
        async with self._db.transaction() as session:
            if await session.get(RoleGrant, user_id) is not None:
                raise Conflict(f"<@{user_id}> is already an admin.")
            session.add(
                RoleGrant(user_id=user_id, role=Role.ADMIN, granted_by=actor.id, granted_at=now)
            )
            await audit.record(
                session,
                actor,
                [Change("role.grant", Target("user", user_id, user_id), None, {"role": "admin"})],
                at=now,
            )
        self._stale()

    async def revoke_admin(self, actor: Actor, user_id: str) -> None:
        actor.require(Permission.MANAGE)
        _check_user_id(user_id)
        if user_id in self._configured:
            raise Conflict(
                f"<@{user_id}> is configured in ADOPS_ADMINS; remove them there and restart."
            )
        now = self._clock()
        async with self._db.transaction() as session:
            grant = await session.get(RoleGrant, user_id)
            if grant is None:
                raise Conflict(f"<@{user_id}> is not an admin granted in Slack.")
            await session.delete(grant)
            await audit.record(
                session,
                actor,
                [Change("role.revoke", Target("user", user_id, user_id), {"role": "admin"}, None)],
                at=now,
            )
        self._stale()


def _check_user_id(user_id: str) -> None:
    if not _USER_ID.match(user_id):
        raise InvalidInput("Name a Slack user, e.g. `@jane`.")
