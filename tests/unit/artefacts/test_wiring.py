"""The store a process uses follows ``artefact_store``; PostgreSQL only where the
database is PostgreSQL."""

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.artefacts.local import LocalArtefactStore
from app.artefacts.postgres import PostgresArtefactStore
from app.artefacts.wiring import ArtefactStoreUnusable, artefact_store_for
from app.settings import Settings

POSTGRES = "postgresql+asyncpg://affinity@127.0.0.1/affinity"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def test_local_by_default() -> None:
    assert isinstance(artefact_store_for(settings(), async_sessionmaker()), LocalArtefactStore)


def test_postgres_on_a_postgres_database() -> None:
    store = artefact_store_for(settings(artefact_store="postgres", database_url=POSTGRES),
                               async_sessionmaker())
    assert isinstance(store, PostgresArtefactStore) and store.shared


def test_postgres_refused_on_sqlite() -> None:
    with pytest.raises(ArtefactStoreUnusable) as refused:
        artefact_store_for(settings(artefact_store="postgres"), async_sessionmaker())
    assert "sqlite" not in str(refused.value)  # names the settings, never their values


def test_an_unknown_store_is_a_settings_error() -> None:
    with pytest.raises(ValueError):
        settings(artefact_store="s3")
