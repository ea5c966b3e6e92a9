"""Where the request path's small reads run.

A personalized request reads the shopper's identity links, recent events and orders: a few
index lookups. Through aiosqlite, each statement goes to the connection's own thread and
its result comes back to the event loop; under load those hand-offs, and the interpreter
lock changing hands for each, cost more than the lookups themselves (one process served
about 200 HOME carousels a second that way, 280–310 with the same reads inline).

So on SQLite (a database file) these reads run inline, on the event loop's thread, through
a synchronous connection of their own. SQLite in WAL mode never makes a reader wait for a
writer, so an inline read does not hold up the loop on a lock; it sees what is committed,
which is what a request that only reads needs (an event is committed before it is
acknowledged). Elsewhere (PostgreSQL, an in-memory SQLite) reads go through the request's
session, as does anything a transaction must see of its own writes."""

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVarTuple, overload

from sqlalchemy import Dialect, Engine, Result, Select, event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.sql.selectable import TypedReturnsRows

from app.db import sqlite_file_engine

Row = TypeVarTuple("Row")

# Reads never wait long: WAL readers only meet a lock while a crashed writer's log is
# recovered, and the loop must not stall behind that for the writers' 10 s.
READ_BUSY_TIMEOUT_MS = 250


class InlineReader:
    """``execute`` of a synchronous connection, awaitable like a session's."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    @overload
    async def execute(  # type: ignore[overload-overlap]  # as AsyncSession.execute
        self, statement: TypedReturnsRows[*Row],
        params: Mapping[str, Any] | None = None) -> Result[*Row]: ...

    @overload
    async def execute(self, statement: Executable,
                      params: Mapping[str, Any] | None = None) -> Result[Any]: ...

    async def execute(self, statement: Executable,
                      params: Mapping[str, Any] | None = None) -> Result[Any]:
        result: Result[Any] = self._connection.execute(statement, params)
        return result

    def prepared_rows(self, read: "PreparedRead",
                      params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        dialect = self._connection.dialect
        sql, parameters, results = read.compiled(dialect)
        values: list[Any] = []
        lengths: dict[str, int] = {}
        for parameter in parameters:
            value = params.get(parameter.name, parameter.default)
            if value is REQUIRED:
                raise ValueError(f"a value is required for parameter {parameter.name!r}")
            process = parameter.process
            if not parameter.expanding:
                values.append(value if process is None else process(value))
            elif not value:  # an empty IN: the statement's own rendering of it
                return [tuple(row) for row in self._connection.execute(read.statement, params)]
            else:
                lengths[parameter.name] = len(value)
                values.extend(value if process is None else map(process, value))
        if lengths:
            sql = read.expanded(dialect, sql, lengths)
        fetched = self._connection.connection.driver_connection.execute(sql, values).fetchall()
        if not any(results):
            return fetched  # type: ignore[no-any-return]
        return [tuple(value if process is None else process(value)
                      for value, process in zip(row, results, strict=True)) for row in fetched]


Reader = AsyncSession | InlineReader
"""What the shopper-history queries read through: the request's session, or inline."""

Processor = Callable[[Any], Any] | None


REQUIRED = object()
"""A parameter's default where the request must give its value."""


@dataclass(frozen=True)
class Parameter:
    name: str
    process: Processor
    expanding: bool  # a list, for ``IN``: as many positions as it has values
    default: Any  # the statement's own value (an ``OFFSET 0``, say), or REQUIRED


class PreparedRead:
    """A select that every personalized request runs (a lookup by index), returning plain
    tuples. Inline, it is compiled once and run on the driver's own cursor, its values
    converted by the columns' own bind and result processors: ``execute`` spent about ten
    times SQLite's own time on such a lookup in statement caching, execution context and
    result objects. Through a session it is ``execute`` as usual."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, list[Parameter], list[Processor]]] = {}
        self._expanded: dict[tuple[str, tuple[int, ...]], str] = {}

    async def rows(self, reader: Reader, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        if isinstance(reader, InlineReader):
            return reader.prepared_rows(self, params)
        return [tuple(row) for row in (await reader.execute(self.statement, params)).all()]

    def compiled(self, dialect: Dialect) -> tuple[str, list[Parameter], list[Processor]]:
        """The SQL, its positional parameters, each result column's processor."""
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            if not compiled.positional:
                raise ValueError("a prepared read takes positional parameters")
            binds = compiled.binds
            parameters = [Parameter(
                name, binds[name].type.dialect_impl(dialect).bind_processor(dialect),
                binds[name].expanding, REQUIRED if binds[name].required else binds[name].value)
                for name in compiled.positiontup or ()]
            results: list[Processor] = [
                c.type.dialect_impl(dialect).result_processor(dialect, None)
                for c in self.statement.selected_columns]
            found = (compiled.string, parameters, results)
            self._compiled[dialect.name] = found
        return found

    def expanded(self, dialect: Dialect, sql: str, lengths: dict[str, int]) -> str:
        """The SQL with each list parameter as that many positions."""
        key = (dialect.name, tuple(lengths.values()))
        found = self._expanded.get(key)
        if found is None:
            found = sql
            for name, length in lengths.items():
                found = found.replace(f"__[POSTCOMPILE_{name}]", ", ".join("?" * length))
            self._expanded[key] = found
        return found


Consume = Callable[[Sequence[Any]], None]
"""What a bulk read hands its rows to."""


class SessionReads:
    """Reads through the request's own session (any database)."""

    @asynccontextmanager
    async def reader(self, session: AsyncSession) -> AsyncIterator[Reader]:
        yield session

    async def bulk(self, session: AsyncSession, statement: Executable, consume: Consume) -> None:
        """A large read: its rows to ``consume``, on the event loop's thread."""
        consume((await session.execute(statement)).all())

    def dispose(self) -> None:
        pass


class InlineReads:
    """Reads of committed data on the event loop's thread (SQLite files only)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def reader(self, session: AsyncSession) -> AsyncIterator[Reader]:
        with self._engine.connect() as connection:
            yield InlineReader(connection)

    async def bulk(self, session: AsyncSession, statement: Executable, consume: Consume) -> None:
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


Reads = SessionReads | InlineReads


def _configure_reader(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={READ_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def reads_for(database_url: str) -> Reads:
    """Inline reads for a SQLite file, reads through the session otherwise."""
    # A read holds its connection only between two awaits that never suspend, so one is
    # kept; more are opened rather than waited for (a wait here would stall the loop).
    engine = sqlite_file_engine(database_url, pool_size=1, max_overflow=-1)
    if engine is None:
        return SessionReads()
    event.listen(engine, "connect", _configure_reader)
    return InlineReads(engine)
