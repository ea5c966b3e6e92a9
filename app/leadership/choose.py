"""The leadership an installation's database calls for."""

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.leadership.advisory import AdvisoryLockLeadership
from app.leadership.file_lock import FileLockLeadership
from app.leadership.protocol import Leadership

LOCK_FOLDER = "locks"


def leadership_for(engine: AsyncEngine, data_dir: Path) -> Leadership:
    """Advisory locks on PostgreSQL (any number of machines); lock files in the data
    folder otherwise (SQLite: every process on this machine shares that folder)."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLockLeadership(engine)
    return FileLockLeadership(data_dir / LOCK_FOLDER)


def leadership_of(sessions: async_sessionmaker[AsyncSession], data_dir: Path) -> Leadership:
    """The same, for a job that was handed only its session factory."""
    engine = sessions.kw.get("bind")
    if not isinstance(engine, AsyncEngine):
        raise TypeError("the session factory is bound to no async engine")
    return leadership_for(engine, data_dir)
