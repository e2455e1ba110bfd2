"""Session tokens kept in the profile row, encrypted, instead of in one process's memory.

MediaGo invalidates the previous access token whenever a new one is issued, so replicas that
each kept their own token would knock each other's out; sharing the row means a replica that
finds its token refused first looks for the one another replica just stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from storage.db import Database
from storage.models import Profile
from storage.secrets import Secret


class DatabaseTokenCache:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, profile_ref: str) -> tuple[str, datetime] | None:
        if not profile_ref.isdigit():
            return None
        async with self._db.reader() as session:
            row = (
                await session.execute(
                    select(Profile.session_token, Profile.session_token_expires_at).where(
                        Profile.id == int(profile_ref)
                    )
                )
            ).first()
        if row is None or row[0] is None or row[1] is None:
            return None
        return row[0].reveal(), row[1]

    async def set(self, profile_ref: str, token: str, expires_at: datetime) -> None:
        if not profile_ref.isdigit():
            return
        async with self._db.transaction() as session:
            await session.execute(
                update(Profile)
                .where(Profile.id == int(profile_ref))
                .values(session_token=Secret(token), session_token_expires_at=expires_at)
            )
