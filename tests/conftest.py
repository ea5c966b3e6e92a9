"""Shared fixtures: databases (SQLite file and PostgreSQL), the real model, fakes."""

import asyncio
import gc
import importlib
import os
import sys
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import NoReturn, TypeVar

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app import migrate
from app.embeddings.sentence_transformer import SentenceTransformerEmbedder
from app.settings import DEFAULT_MODEL
from app.storage.database import create_engine, create_session_factory
from app.storage.sqlite_writes import SqliteWriter
from app.storage.writes import SessionWrites, Writes, writes_for

REPO = Path(__file__).resolve().parents[1]
DATASET = Path(os.environ.get("AFFINITY_TEST_DATASET_DIR")
               or REPO.parent / "shared" / "datasets" / "online-retail")
"""The Online Retail data: beside the checkout, or where ``AFFINITY_TEST_DATASET_DIR`` says."""
POSTGRES_URL = os.environ.get(
    "AFFINITY_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI") == "true"
# Servers built by the tests, in this process or as subprocesses, hold nobody out: a test of
# personalization sees it for every visitor. The holdout's own tests set their share.
os.environ["AFFINITY_HOLDOUT_SHARE"] = "0"


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _create_postgres_database() -> str:
    import asyncpg

    name = f"affinity_test_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=5)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


async def _drop_postgres_database(url: str) -> None:
    import asyncpg

    name = make_url(url).database
    connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test, or under CI=true fail it: there, nothing a test needs may be missing."""
    if IN_CI:
        pytest.fail(f"required under CI=true: {reason}")
    pytest.skip(reason, allow_module_level=True)


def require_module(name: str) -> ModuleType:
    """``pytest.importorskip``, failing instead under CI=true."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        skip_or_fail(f"the optional module {name} is not installed ({exc})")


def postgres_or_skip() -> str:
    """A fresh PostgreSQL database URL, or a skip (a failure under CI=true)."""
    try:
        return asyncio.run(_create_postgres_database())
    except (TimeoutError, OSError, Exception) as exc:  # noqa: BLE001
        skip_or_fail(f"PostgreSQL unreachable at {POSTGRES_URL}: {exc}")


@contextmanager
def migrated_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database of ``backend`` ("sqlite": a file in ``folder``;
    "postgres": a new database, dropped afterwards) migrated to the latest schema."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'affinity.db'}"
        asyncio.run(migrate.upgrade(url))
        yield url
        return
    url = postgres_or_skip()
    try:
        asyncio.run(migrate.upgrade(url))
        yield url
    finally:
        asyncio.run(_drop_postgres_database(url))


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database of each backend, migrated to the latest schema."""
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(params=["session", "sqlite_writer"])
def writes(request: pytest.FixtureRequest, database_url: str,
           engine: AsyncEngine) -> Iterator[Writes]:
    """Each way a server writes on the request path (``app.storage.writes``): through a session,
    and through the writer thread that a SQLite file gets."""
    sessions = create_session_factory(engine)
    if request.param == "session":
        chosen: Writes = SessionWrites(sessions)
    else:
        chosen = writes_for(database_url, sessions)
        assert isinstance(chosen, SqliteWriter), "the writer thread is for SQLite files"
    yield chosen
    chosen.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real default model, loaded once per test session."""
    return SentenceTransformerEmbedder(DEFAULT_MODEL)


@pytest.fixture(params=["fast", "plain"])
def graphql_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """For a module that names it in ``usefixtures``: the servers its tests build take the
    fast GraphQL path, then graphql-core's and strawberry's plain one
    (``AFFINITY_GRAPHQL_FAST_PATH``); the plain path's PostgreSQL cases are not run (the
    path does not depend on the database)."""
    monkeypatch.setenv("AFFINITY_GRAPHQL_FAST_PATH", "true" if request.param == "fast" else "false")
    return str(request.param)


@pytest.fixture
def dataset_dir() -> Path:
    if not (DATASET / "products.csv").is_file():
        skip_or_fail(f"the Online Retail dataset is not present at {DATASET}")
    return DATASET


def _closed_loop_connection(unraisable: "sys.UnraisableHookArgs") -> bool:
    return "aiosqlite" in repr(unraisable.object) or "aiosqlite" in str(unraisable.exc_value)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Leftover aiosqlite connections of closed event loops (each test has its own loop; a
    server's background work can hold a connection when its test ends) warn from
    ``__del__`` whenever the collector meets them, in whichever later test that is: such
    warnings are dropped, every other unraisable exception still fails its test."""
    previous = sys.unraisablehook

    def ignore_closed_loop_connections(unraisable: "sys.UnraisableHookArgs") -> None:
        if not _closed_loop_connection(unraisable):
            previous(unraisable)

    sys.unraisablehook = ignore_closed_loop_connections


def collect_closed_loop_connections() -> None:
    """Collect leftover aiosqlite connections of closed event loops now, so that the cost
    of collecting them falls here rather than inside a test."""
    gc.collect()


@pytest.fixture(autouse=True)
def _no_leftovers_in_dataset_tests(request: pytest.FixtureRequest) -> None:
    """Dataset tests allocate enough to trigger a full collection mid-test: collect the
    earlier tests' leftovers first, so that their warnings are not charged to this one."""
    if request.node.get_closest_marker("dataset") is not None:
        collect_closed_loop_connections()


def _only_for_sqlite(item: pytest.Item) -> bool:
    """SQLite's fast paths (inline reads, the writer thread, the driver's executemany) have
    no PostgreSQL counterpart: their PostgreSQL cases are not run rather than skipped."""
    callspec = getattr(item, "callspec", None)
    if callspec is None or callspec.params.get("database_url") != "postgres":
        return False
    return (item.get_closest_marker("sqlite_only") is not None
            or callspec.params.get("writes") == "sqlite_writer"
            or callspec.params.get("graphql_path") == "plain")  # see ``graphql_path``


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    dropped = [item for item in items if _only_for_sqlite(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not _only_for_sqlite(item)]


Report = TypeVar("Report", pytest.TestReport, pytest.CollectReport)


def _skip_failed_under_ci(report: Report) -> Report:
    """Under CI=true a skip is a failure, whatever raised it: a skipped test there is a
    test that never ran. (Deselected cases, ``_only_for_sqlite``, are not skips.)"""
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true: {reason}"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None],
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    return _skip_failed_under_ci((yield))


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector,
                               ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """The same for a whole module skipped while it is collected."""
    return _skip_failed_under_ci((yield))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The same before pytest's own end-of-run check."""
    collect_closed_loop_connections()
