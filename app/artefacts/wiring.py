"""The process's artefact store and sync, built from ``settings.artefact_store``."""

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.artefacts.fetch import ArtefactSync, Loaded
from app.artefacts.index_versions import IndexVersions
from app.artefacts.local import LocalArtefactStore
from app.artefacts.model_versions import MODEL_NAME, ModelVersions
from app.artefacts.postgres import PostgresArtefactStore
from app.artefacts.protocol import ArtefactKind, ArtefactStore
from app.settings import Settings


class ArtefactStoreUnusable(ValueError):
    """``artefact_store`` names a store the database cannot hold."""


def artefact_store_for(settings: Settings,
                       sessions: async_sessionmaker[AsyncSession]) -> ArtefactStore:
    if settings.artefact_store == "local":
        return LocalArtefactStore()
    if make_url(settings.database_url).get_backend_name() != "postgresql":
        raise ArtefactStoreUnusable("AFFINITY_ARTEFACT_STORE=postgres needs a PostgreSQL "
                                    "AFFINITY_DATABASE_URL")
    return PostgresArtefactStore(sessions)


def artefact_sync(settings: Settings, sessions: async_sessionmaker[AsyncSession],
                  models_dir: Path, index_loaded: Loaded, model_loaded: Loaded) -> ArtefactSync:
    """``index_loaded``, ``model_loaded``: told of a shop's version fetched (the index
    registry's and the model store's ``recheck``)."""
    return ArtefactSync(
        artefact_store_for(settings, sessions),
        [IndexVersions(settings.index_dir), ModelVersions(models_dir)],
        loaded={ArtefactKind.INDEX: index_loaded, ArtefactKind.MODEL: model_loaded},
        names={ArtefactKind.INDEX: settings.embedding_model, ArtefactKind.MODEL: MODEL_NAME},
        keep=settings.artefact_keep_versions, poll_seconds=settings.artefact_poll_seconds)
