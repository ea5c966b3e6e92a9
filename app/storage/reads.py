"""Where the request path's small reads run: what the domain reads through, and the plain
adapter (the request's session, any database).

The domain states its queries and reads through a ``Reader``; it never knows how they
run. A ``Lookup`` is a select built once with bound parameters, run on every personalized
request (a lookup by index; building one costs about as much as running it). On a SQLite
file, with ``sqlite_fast_paths`` on, the reader is the inline one of
``app.storage.sqlite_reads`` and runs a lookup as a prepared statement; elsewhere
(PostgreSQL, an in-memory SQLite, the fast paths off) reads go through the request's
session, as does anything a transaction must see of its own writes."""

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol, TypeVarTuple, overload

from sqlalchemy import Result, Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.sql.selectable import TypedReturnsRows

from app.storage.sqlite_reads import InlineReader, inline_reads_for

Row = TypeVarTuple("Row")


class Reader(Protocol):
    """What the domain's reads run through: the request's session, or the inline reader."""

    @overload
    async def execute(  # type: ignore[overload-overlap]  # as AsyncSession.execute
        self, statement: TypedReturnsRows[*Row],
        params: Mapping[str, Any] | None = None) -> Result[*Row]: ...

    @overload
    async def execute(self, statement: Executable,
                      params: Mapping[str, Any] | None = None) -> Result[Any]: ...


class Lookup:
    """A select that every personalized request runs, returning plain tuples: built once,
    as a module's constant (the inline reader keeps a prepared statement per lookup).
    Through a session it is ``execute`` as usual."""

    __slots__ = ("statement",)

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement

    async def rows(self, reader: Reader, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        if isinstance(reader, InlineReader):
            return reader.lookup_rows(self, params)
        return [tuple(row) for row in (await reader.execute(self.statement, params)).all()]


Consume = Callable[[Sequence[Any]], None]
"""What a bulk read hands its rows to."""


class Reads(Protocol):
    def reader(self, session: AsyncSession) -> AbstractAsyncContextManager[Reader]:
        """What this request's small reads run through."""
        ...

    async def bulk(self, session: AsyncSession, statement: Executable, consume: Consume) -> None:
        """A large read: its rows to ``consume``."""
        ...

    def dispose(self) -> None: ...


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


def reads_for(database_url: str, fast: bool = True) -> Reads:
    """Inline reads for a SQLite file (unless ``fast`` is off), reads through the session
    otherwise."""
    inline = inline_reads_for(database_url) if fast else None
    return SessionReads() if inline is None else inline
