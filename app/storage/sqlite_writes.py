"""The fast writes on a SQLite file: one writer thread, small writes inline.

On a SQLite file the writes go to one writer thread with one connection. SQLite lets one
connection write at a time; the others wait in its busy handler, which polls with sleeps
of up to 100 ms. Through the async driver a write also held that lock across several
hand-overs to the event loop, each waiting behind every other request's work: eight
concurrent ``trackEvents`` calls had a p99 of 1.5 s. Here they queue first come, first
served, and each runs in one hand-over.

A write of a few rows (``run_small``: a served list) is cheaper than the hand-over to the
writer thread, and under load that hand-over is slow: the thread needs the interpreter
lock back after each call into SQLite, and a busy event loop gives it up only every
switch interval. Served lists waited 30-60 ms for their commit that way. So on a SQLite
file such a write runs on the event loop's thread, through a connection of its own that
never waits for the write lock: when another write holds it, the write goes to the
writer thread after all. That connection leaves checkpoints (which write the database
file and sync it) to the writer thread, every ``CHECKPOINT_EVERY`` of its commits."""

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import OperationalError

from app.storage.database import configure_sqlite, sqlite_file_engine
from app.storage.prepared import PreparedInsert
from app.storage.row_inserts import RowsInto

T = TypeVar("T")
log = logging.getLogger(__name__)
# WAL pages a few hundred small commits add (a served list is one or two): well below
# SQLite's own automatic checkpoint at 1,000 pages.
CHECKPOINT_EVERY = 200


class WriteLockBusy(Exception):
    """Another connection holds SQLite's write lock: this write did not start."""


class SqliteWriter:
    def __init__(self, engine: Engine, inline: Engine | None = None) -> None:
        self.engine = engine
        self.inline = inline
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._inline_commits = 0
        self._inserts: dict[RowsInto, PreparedInsert] = {}

    async def run(self, work: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._transaction, work)

    async def run_small(self, work: Callable[[Connection], T]) -> T:
        if self.inline is not None:
            try:
                result = self._inline_transaction(self.inline, work)
            except WriteLockBusy:
                pass
            else:
                self._inline_commits += 1
                if self._inline_commits % CHECKPOINT_EVERY == 0:
                    self._thread.submit(self._checkpoint)
                return result
        return await self.run(work)

    async def insert_rows(self, into: RowsInto, rows: Sequence[dict[str, Any]]) -> None:
        """As a prepared statement on the driver's cursor (``app.storage.prepared``)."""
        prepared = self._inserts.get(into)
        if prepared is None:
            prepared = self._inserts[into] = PreparedInsert(into.table, dict(into.encoders))
        await self.run_small(lambda connection: prepared.run(connection, rows))

    def _transaction(self, work: Callable[[Connection], T]) -> T:
        with self.engine.begin() as connection:
            return work(connection)

    @staticmethod
    def _inline_transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
        with engine.connect() as connection:
            try:
                begun = connection.begin()  # BEGIN IMMEDIATE: the write lock now, or never
            except OperationalError as exc:
                if "locked" in str(exc.orig) or "busy" in str(exc.orig):
                    raise WriteLockBusy from exc
                raise
            with begun:
                return work(connection)

    def _checkpoint(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # the next one, or SQLite's own, catches up
            log.warning("checkpoint after inline writes failed", exc_info=True)

    def dispose(self) -> None:
        self._thread.shutdown(wait=True)
        self.engine.dispose()
        if self.inline is not None:
            self.inline.dispose()


def _configure_inline(dbapi_connection: Any, record: Any) -> None:
    """The driver leaves transactions to us (``_begin_immediate``); no waiting for the
    write lock; no checkpoints on this thread."""
    configure_sqlite(dbapi_connection, record)
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def sqlite_writer_for(database_url: str) -> SqliteWriter | None:
    """The writer thread for a SQLite file; None for any other database."""
    engine = sqlite_file_engine(database_url, pool_size=1, max_overflow=0)
    inline = sqlite_file_engine(database_url, pool_size=1, max_overflow=0)
    if engine is None or inline is None:
        return None
    event.listen(engine, "connect", configure_sqlite)
    event.listen(inline, "connect", _configure_inline)
    event.listen(inline, "begin", _begin_immediate)
    return SqliteWriter(engine, inline)
