"""The process's file modes are the composition roots' to set: the server's ``create_app``
and the command line make new files private; building the services alone changes nothing
process-wide (a library or test that builds them keeps its own umask)."""

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.asgi import create_app
from app.container import build_services
from app.settings import Settings
from app.storage.database import create_engine, create_session_factory
from tests.fakes import HashingEmbedder

USUAL_UMASK = 0o022


@pytest.fixture
def usual_umask() -> Iterator[None]:
    previous = os.umask(USUAL_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def _current_umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _settings(folder: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{folder / 'affinity.db'}",
                    data_dir=folder / "var", embedding_model="fake-hashing")


@pytest.mark.usefixtures("usual_umask")
async def test_building_the_services_leaves_the_umask_alone(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    engine = create_engine(settings.database_url)
    services = build_services(settings, engine, create_session_factory(engine),
                              lambda: HashingEmbedder())
    try:
        assert _current_umask() == USUAL_UMASK
    finally:
        services.dispose()
        await engine.dispose()


@pytest.mark.usefixtures("usual_umask")
async def test_the_server_makes_its_new_files_private(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    app = create_app(settings, embedder_factory=lambda: HashingEmbedder())
    try:
        assert _current_umask() == 0o077
        assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
        made = settings.data_dir / "made-later"
        made.write_text("x")
        assert stat.S_IMODE(made.stat().st_mode) == 0o600
    finally:
        app.state.services.dispose()
        await app.state.services.engine.dispose()
