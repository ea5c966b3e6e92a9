"""Where the request path's writes run: the counterpart of ``app.reads``.

A write is a function of a synchronous ``Connection`` (storefront events, webhook claims,
served lists), run in a transaction of its own and committed before ``run`` returns.

On a SQLite file the writes go to one writer thread with one connection. SQLite lets one
connection write at a time; the others wait in its busy handler, which polls with sleeps
of up to 100 ms. Through the async driver a write also held that lock across several
hand-overs to the event loop, each waiting behind every other request's work: eight
concurrent ``trackEvents`` calls had a p99 of 1.5 s. Here they queue first come, first
served, and each runs in one hand-over. Other databases run them through a session."""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import configure_sqlite, sqlite_file_engine, transaction

T = TypeVar("T")


class Writes(Protocol):
    async def run(self, work: Callable[[Connection], T]) -> T:
        """``work`` in a transaction of its own, committed before this returns."""
        ...

    def dispose(self) -> None: ...


class SessionWrites:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def run(self, work: Callable[[Connection], T]) -> T:
        async with transaction(self._sessions) as session:
            return await session.run_sync(lambda sync: work(sync.connection()))

    def dispose(self) -> None:
        pass


class SqliteWriter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")

    async def run(self, work: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._transaction, work)

    def _transaction(self, work: Callable[[Connection], T]) -> T:
        with self.engine.begin() as connection:
            return work(connection)

    def dispose(self) -> None:
        self._thread.shutdown(wait=True)
        self.engine.dispose()


def writes_for(database_url: str, sessions: async_sessionmaker[AsyncSession]) -> Writes:
    """The writer thread for a SQLite file, the session otherwise (an in-memory SQLite
    database is private to its connection)."""
    engine = sqlite_file_engine(database_url, pool_size=1, max_overflow=0)
    if engine is None:
        return SessionWrites(sessions)
    event.listen(engine, "connect", configure_sqlite)
    return SqliteWriter(engine)
