"""Read-only units of work on PostgreSQL run each statement on its own (no ``BEGIN`` and
``COMMIT`` round trips); elsewhere, and for every other unit of work, nothing changes."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.storage.database import create_session_factory, reading_session_factory, transaction

TRANSACTION_ID = text("SELECT txid_current()")


async def _second_statement_alone(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Whether two statements of one unit of work ran in transactions of their own."""
    async with transaction(sessions) as session:
        first = (await session.execute(TRANSACTION_ID)).scalar()
        return first != (await session.execute(TRANSACTION_ID)).scalar()


async def test_reading_sessions_run_each_statement_alone_on_postgresql(
        engine: AsyncEngine) -> None:
    reading = reading_session_factory(engine)
    if engine.dialect.name != "postgresql":
        assert reading.kw["bind"] is engine  # SQLite: the same sessions
        return
    assert await _second_statement_alone(reading)
    assert not await _second_statement_alone(create_session_factory(engine))
    # The pooled connection is handed back as it was: a plain session still has a transaction.
    assert not await _second_statement_alone(create_session_factory(engine))
