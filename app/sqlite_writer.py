"""One writer thread for a SQLite file.

SQLite lets one connection write at a time; the others wait in its busy handler, which
polls with sleeps of up to 100 ms. Through the async driver a write also holds that lock
across several hand-overs to the event loop, each of which waits behind every other
request's work: eight concurrent ``trackEvents`` calls had a p99 of 1.5-2 s. Here the
process's request-path writes (storefront events, served lists) queue first come, first
served for one thread with one connection, and each runs in one hand-over."""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine, event

from app.db import configure_sqlite, sqlite_file_engine

T = TypeVar("T")


class SqliteWriter:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")

    async def run(self, work: Callable[[Connection], T]) -> T:
        """``work`` in a transaction of its own, committed before this returns."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._transaction, work)

    def _transaction(self, work: Callable[[Connection], T]) -> T:
        with self._engine.begin() as connection:
            return work(connection)

    def dispose(self) -> None:
        self._thread.shutdown(wait=True)
        self._engine.dispose()


def sqlite_writer_for(database_url: str) -> SqliteWriter | None:
    """A writer for a SQLite file; None for any other database (or an in-memory one)."""
    engine = sqlite_file_engine(database_url, pool_size=1, max_overflow=0)
    if engine is None:
        return None
    event.listen(engine, "connect", configure_sqlite)
    return SqliteWriter(engine)
