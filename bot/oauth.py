"""One-time OAuth tickets and states.

A Slack user gets a link carrying a *ticket* (bound to workspace, user, purpose and profile).
Opening it consumes the ticket and issues a *state* bound to a cookie set in that browser; the
provider's callback must bring the state back in the same browser, before it expires, once.
Only hashes are stored, and every consumption is one conditional UPDATE, so two replicas (or a
replayed URL) can never both succeed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update

from bot.clock import Clock
from bot.errors import DomainError, InvalidInput
from bot.permissions import Actor, Permission
from storage.db import Database
from storage.models import OAuthState

START_PATH = "/oauth/start"
CALLBACK_PATH = "/oauth/callback"
"""Where the bot's sign-in pages are served (the provider's redirect URL ends in the latter)."""
TICKET_TTL = timedelta(minutes=10)
STATE_TTL = timedelta(minutes=10)
PURPOSES = ("connect", "reauth")


class OAuthError(DomainError):
    pass


EXPIRED = OAuthError(
    "This link has expired or was already used. Ask for a new one in Slack "
    "(`/adops connect tiktok`, or Re-authenticate on the profile)."
)


@dataclass(frozen=True)
class Grant:
    """Who asked for this authorisation and what for, as recorded when the link was made."""

    provider: str
    purpose: str
    team_id: str
    user_id: str
    profile_id: int | None
    context: dict[str, Any]


@dataclass(frozen=True)
class Started:
    state: str
    binding: str
    grant: Grant


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OAuthTickets:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def issue(
        self,
        actor: Actor,
        *,
        provider: str,
        purpose: str,
        team_id: str,
        profile_id: int | None = None,
        context: dict[str, Any] | None = None,
    ) -> str:
        actor.require(Permission.MANAGE)
        if purpose not in PURPOSES or (purpose == "reauth") != (profile_id is not None):
            raise InvalidInput("A re-authentication link needs a profile; a new connection none.")
        token = secrets.token_urlsafe(32)
        now = self._clock()
        async with self._db.transaction() as session:
            session.add(
                OAuthState(
                    token_hash=_hash(token),
                    kind="ticket",
                    provider=provider,
                    purpose=purpose,
                    team_id=team_id,
                    user_id=actor.id,
                    profile_id=profile_id,
                    context=dict(context or {}),
                    created_at=now,
                    expires_at=now + TICKET_TTL,
                )
            )
        return token

    async def start(self, ticket: str) -> Started:
        """Spend the ticket and issue the state for the provider round trip."""
        now = self._clock()
        state, binding = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        async with self._db.transaction() as session:
            row = await self._consume(session, ticket, "ticket", now)
            session.add(
                OAuthState(
                    token_hash=_hash(state),
                    kind="state",
                    provider=row.provider,
                    purpose=row.purpose,
                    team_id=row.team_id,
                    user_id=row.user_id,
                    profile_id=row.profile_id,
                    binding_hash=_hash(binding),
                    context=row.context,
                    created_at=now,
                    expires_at=now + STATE_TTL,
                )
            )
            return Started(state=state, binding=binding, grant=_grant(row))

    async def finish(self, state: str, binding: str | None) -> Grant:
        """Spend the state; it only counts in the browser that started the flow."""
        if not binding:
            raise OAuthError(
                "This sign-in was not started in this browser (the session cookie is missing). "
                "Open the link from Slack again."
            )
        now = self._clock()
        async with self._db.transaction() as session:
            row = await self._consume(session, state, "state", now, binding_hash=_hash(binding))
            return _grant(row)

    async def purge(self) -> int:
        """Drop spent and expired rows; nothing in them is needed afterwards."""
        cutoff = self._clock() - timedelta(days=1)
        async with self._db.transaction() as session:
            result = await session.execute(delete(OAuthState).where(OAuthState.expires_at < cutoff))
            return result.rowcount or 0

    @staticmethod
    async def _consume(
        session: Any, token: str, kind: str, now: Any, *, binding_hash: str | None = None
    ) -> OAuthState:
        if not token or len(token) > 200:
            raise EXPIRED
        conditions = [
            OAuthState.token_hash == _hash(token),
            OAuthState.kind == kind,
            OAuthState.consumed_at.is_(None),
            OAuthState.expires_at > now,
        ]
        if binding_hash is not None:
            conditions.append(OAuthState.binding_hash == binding_hash)
        result = await session.execute(
            update(OAuthState).where(*conditions).values(consumed_at=now)
        )
        if result.rowcount != 1:
            raise EXPIRED
        return (
            await session.scalars(select(OAuthState).where(OAuthState.token_hash == _hash(token)))
        ).one()


def _grant(row: OAuthState) -> Grant:
    return Grant(
        provider=row.provider,
        purpose=row.purpose,
        team_id=row.team_id,
        user_id=row.user_id,
        profile_id=row.profile_id,
        context=dict(row.context or {}),
    )
