"""What the webhook side needs from the process: the database and its writer, the secret
box for the shops' webhook secrets and tokens, and the serving caches it drops when a shop
stops or is removed."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.snapshot import CatalogSnapshots
from app.crypto.secret_box import SecretBox
from app.index.registry import IndexRegistry
from app.settings import Settings
from app.storage.writes import Writes


@dataclass(frozen=True)
class IngestionDependencies:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    writes: Writes
    """Where acknowledged deliveries' claims are written (``app.storage.writes``)."""
    secrets: SecretBox
    single_writer: bool
    """The database takes one writer at a time (SQLite): acknowledgements go first."""
    registry: IndexRegistry
    catalogs: CatalogSnapshots
