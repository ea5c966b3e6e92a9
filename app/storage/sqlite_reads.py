"""The fast reads on a SQLite file: inline, on the event loop's thread.

A personalized request reads the shopper's identity links, recent events and orders: a few
index lookups. Through aiosqlite, each statement goes to the connection's own thread and
its result comes back to the event loop; under load those hand-offs, and the interpreter
lock changing hands for each, cost more than the lookups themselves (one process served
about 200 HOME carousels a second that way, 280–310 with the same reads inline).

So on SQLite (a database file) these reads run inline, through a synchronous connection of
their own, and each ``Lookup`` as a ``PreparedRead`` (a visitor-link lookup 48 → 4 µs).
SQLite in WAL mode never makes a reader wait for a writer, so an inline read does not hold
up the loop on a lock; it sees what is committed, which is what a request that only reads
needs (an event is committed before it is acknowledged)."""

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Result, event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from app.storage.database import sqlite_file_engine
from app.storage.prepared import PreparedRead

if TYPE_CHECKING:
    from app.storage.reads import Consume, Lookup

# Reads never wait long: WAL readers only meet a lock while a crashed writer's log is
# recovered, and the loop must not stall behind that for the writers' 10 s.
READ_BUSY_TIMEOUT_MS = 250


class InlineReader:
    """``execute`` of a synchronous connection, awaitable like a session's (typed as it by
    ``Reader``); a ``Lookup`` as a prepared read."""

    def __init__(self, connection: Connection,
                 prepared: "dict[Lookup, PreparedRead]") -> None:
        self._connection = connection
        self._prepared = prepared

    async def execute(self, statement: Executable,
                      params: Mapping[str, Any] | None = None) -> Result[Any]:
        return self._connection.execute(statement, params)

    def lookup_rows(self, lookup: "Lookup",
                    params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        prepared = self._prepared.get(lookup)
        if prepared is None:
            prepared = self._prepared[lookup] = PreparedRead(lookup.statement)
        return prepared.rows(self._connection, params)


class InlineReads:
    """Reads of committed data on the event loop's thread (SQLite files only)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._prepared: dict[Lookup, PreparedRead] = {}

    @asynccontextmanager
    async def reader(self, session: AsyncSession) -> AsyncIterator[InlineReader]:
        with self._engine.connect() as connection:
            yield InlineReader(connection, self._prepared)

    async def bulk(self, session: AsyncSession, statement: Executable,
                   consume: "Consume") -> None:
        """A large read: fetched, converted and handed to ``consume`` on a thread of its
        own, so that the event loop keeps serving meanwhile (``consume`` must touch nothing
        the loop uses). Read whole on the loop, 100k catalog rows held every request up for
        1.9 s."""
        def work() -> None:
            with self._engine.connect() as connection:
                consume(connection.execute(statement).all())

        await asyncio.to_thread(work)

    def dispose(self) -> None:
        self._engine.dispose()


def _configure_reader(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={READ_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def inline_reads_for(database_url: str) -> InlineReads | None:
    """Inline reads for a SQLite file; None for any other database."""
    # A read holds its connection only between two awaits that never suspend, so one is
    # kept; more are opened rather than waited for (a wait here would stall the loop).
    engine = sqlite_file_engine(database_url, pool_size=1, max_overflow=-1)
    if engine is None:
        return None
    event.listen(engine, "connect", _configure_reader)
    return InlineReads(engine)
