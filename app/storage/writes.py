"""Where the request path's writes run: the counterpart of ``app.storage.reads``.

A write is a function of a synchronous ``Connection`` (storefront events, webhook claims,
served lists), run in a transaction of its own and committed before ``run`` returns. On a
SQLite file, with ``sqlite_fast_paths`` on, the writes go to the writer thread of
``app.storage.sqlite_writes`` (small ones inline); other databases (PostgreSQL, an
in-memory SQLite, the fast paths off) run them through a session."""

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.storage.database import transaction
from app.storage.row_inserts import RowsInto
from app.storage.sqlite_writes import sqlite_writer_for

T = TypeVar("T")
NO_WAIT_FOR_DISK = "SET LOCAL synchronous_commit TO off"
"""For this transaction only: its commit returns before the WAL reaches the disk."""


class Writes(Protocol):
    async def run(self, work: Callable[[Connection], T]) -> T:
        """``work`` in a transaction of its own, committed before this returns."""
        ...

    async def run_small(self, work: Callable[[Connection], T]) -> T:
        """As ``run``, for a write of a few rows (which may run on the calling thread)."""
        ...

    async def insert_rows(self, into: RowsInto, rows: Sequence[dict[str, Any]]) -> None:
        """Insert ``rows`` (dicts with the same keys, column names) in one transaction of
        their own, committed before this returns: a small write."""
        ...

    def dispose(self) -> None: ...


class SessionWrites:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def run(self, work: Callable[[Connection], T]) -> T:
        async with transaction(self._sessions) as session:
            return await session.run_sync(lambda sync: work(sync.connection()))

    async def run_small(self, work: Callable[[Connection], T]) -> T:
        return await self.run(work)

    async def insert_rows(self, into: RowsInto, rows: Sequence[dict[str, Any]]) -> None:
        statement = insert(into.table)

        def work(connection: Connection) -> None:
            if not into.wait_for_disk and connection.dialect.name == "postgresql":
                connection.exec_driver_sql(NO_WAIT_FOR_DISK)
            connection.execute(statement, list(rows))

        await self.run_small(work)

    def dispose(self) -> None:
        pass


def writes_for(database_url: str, sessions: async_sessionmaker[AsyncSession],
               fast: bool = True) -> Writes:
    """The writer thread for a SQLite file (unless ``fast`` is off), the session otherwise
    (an in-memory SQLite database is private to its connection)."""
    writer = sqlite_writer_for(database_url) if fast else None
    return SessionWrites(sessions) if writer is None else writer
