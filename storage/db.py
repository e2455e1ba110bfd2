"""Engine and session setup for SQLite and PostgreSQL, and the shared archived-account filter.

SQLite gets two engines on the same file: reads use a plain `BEGIN` and never block each other
(WAL); writes go through a single connection that starts with `BEGIN IMMEDIATE`. SQLite allows one
writer at a time anyway, and its busy handler is no queue: under a burst, a writer sleeping in it
could lose the lock to newer ones until its timeout ran out ("database is locked"). Waiting for the
one connection instead puts this process's writers in a first-come, first-served line; the busy
timeout is left for another process on the same file. PostgreSQL needs no such split.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Row, Select, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from storage.models import AdAccount
from storage.secrets import Keyring
from storage.types import bind_keyring

SQLITE_BUSY_TIMEOUT_MS = 15_000
# How long a write may wait for its turn before it fails: long, because a burst of writes is
# worked through in order, and failing one loses a change the user was told would be made.
SQLITE_WRITER_QUEUE_TIMEOUT_S = 120.0

# Execution option that lets a query see archived accounts. Everything else never does.
INCLUDE_ARCHIVED = "include_archived"


class AdopsSession(Session):
    """Session class carrying the archived-account filter (see `_hide_archived`)."""


@event.listens_for(AdopsSession, "do_orm_execute")
def _hide_archived(state: ORMExecuteState) -> None:
    """Archived accounts vanish from every ORM SELECT unless the query opts in.

    Lists, selectors, option menus and counts cannot forget the rule, because they never have to
    remember it; code that must see archived rows (unarchive, sync upserts) says so explicitly.
    """
    if (
        state.is_select
        and not state.is_column_load
        and not state.is_relationship_load
        and not state.execution_options.get(INCLUDE_ARCHIVED, False)
    ):
        state.statement = state.statement.options(
            with_loader_criteria(
                AdAccount, lambda cls: cls.archived.is_(False), include_aliases=True
            )
        )


def default_sqlite_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{(data_dir / 'adops.db').resolve()}"


class Database:
    """Owns the engines and hands out sessions: `transaction()` to write, `reader()` to read."""

    def __init__(
        self,
        url: str,
        keyring: Keyring,
        *,
        echo: bool = False,
        busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    ) -> None:
        parsed = make_url(url)
        self.url = parsed
        self.backend = parsed.get_backend_name()
        self.is_sqlite = self.backend == "sqlite"
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            busy = busy_timeout_ms
            self.engine = self._sqlite_engine(
                url,
                "BEGIN IMMEDIATE",
                echo,
                busy,
                pool_size=1,
                max_overflow=0,
                pool_timeout=SQLITE_WRITER_QUEUE_TIMEOUT_S,
            )
            self.read_engine = self._sqlite_engine(url, "BEGIN", echo, busy)
        else:
            self.engine = create_async_engine(
                url, echo=echo, hide_parameters=True, pool_pre_ping=True
            )
            self.read_engine = self.engine
        self.keyring = keyring
        for engine in self._engines():
            bind_keyring(engine, keyring)
        self._writer = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=AdopsSession
        )
        self._reader = async_sessionmaker(
            self.read_engine, expire_on_commit=False, sync_session_class=AdopsSession
        )

    def _engines(self) -> list[AsyncEngine]:
        return list(dict.fromkeys([self.engine, self.read_engine]))

    @staticmethod
    def _sqlite_engine(
        url: str, begin: str, echo: bool, busy_timeout_ms: int, **pool: Any
    ) -> AsyncEngine:
        engine = create_async_engine(
            url,
            echo=echo,
            hide_parameters=True,
            connect_args={"timeout": busy_timeout_ms / 1000},
            **pool,
        )

        _set_pragmas(engine.sync_engine, busy_timeout_ms)

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql(begin)

        return engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block exits, rolled back entirely if it raises."""
        async with self._writer.begin() as session:
            yield session

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        async with self._reader() as session, session.begin():
            yield session

    async def rows(self, statement: Select[Any]) -> Sequence[Row[Any]]:
        """One bounded Core SELECT, past the ORM session: for the typeahead, the query Slack waits
        on as someone types. The archived filter is an ORM session hook, so a statement run here
        must apply it itself."""
        async with self.read_engine.connect() as connection:
            return (await connection.execute(statement)).all()

    @asynccontextmanager
    async def listening(self, channel: str, on_notify: Callable[[], None]) -> AsyncIterator[None]:
        """PostgreSQL only: `on_notify()` on every NOTIFY to `channel` while the block runs, on a
        connection of its own (asyncpg's listener API)."""
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection

            def notified(*_args: Any) -> None:
                on_notify()

            await driver.add_listener(channel, notified)
            try:
                yield
            finally:
                await driver.remove_listener(channel, notified)

    async def dispose(self) -> None:
        for engine in self._engines():
            await engine.dispose()


def _set_pragmas(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN, so the lock mode is ours to choose.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
