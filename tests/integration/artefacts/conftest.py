"""Two machines sharing one PostgreSQL database and nothing else: each its own data folder,
both with ``AFFINITY_ARTEFACT_STORE=postgres``."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import migrated_database
from tests.fakes import HashingEmbedder
from tests.support import Harness, harness


@pytest.fixture
def shared_database(tmp_path: Path) -> Iterator[str]:
    """A PostgreSQL database of this test alone (a worker's pass covers every shop of it)."""
    with migrated_database("postgres", tmp_path) as url:
        yield url


@pytest.fixture
async def machines(shared_database: str, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Harness, Harness]]:
    """The builder (``a``) and a server on another machine (``b``), empty data folder.
    Their background work runs only inside ``app.router.lifespan_context``."""
    monkeypatch.setenv("AFFINITY_ARTEFACT_STORE", "postgres")
    monkeypatch.setenv("AFFINITY_ARTEFACT_POLL_SECONDS", "0.05")  # a running server's checks
    async with harness(shared_database, tmp_path / "a", HashingEmbedder()) as a, \
            harness(shared_database, tmp_path / "b", HashingEmbedder()) as b:
        yield a, b
