"""Migrations are the only way the schema is made: they go up and down on both backends."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from app import migrate
from app.storage.database import create_engine
from tests.conftest import _drop_postgres_database, postgres_or_skip


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
        return
    url = postgres_or_skip()
    yield url
    asyncio.run(_drop_postgres_database(url))


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_upgrade_then_downgrade_then_upgrade_again(empty_database: str) -> None:
    await migrate.upgrade(empty_database)
    tables = await _tables(empty_database)
    assert {"shops", "products", "variants", "collections", "orders", "order_lines",
            "product_embeddings", "index_builds"} <= tables
    await migrate.downgrade(empty_database, "base")
    assert await _tables(empty_database) <= {"alembic_version"}
    await migrate.upgrade(empty_database)
    assert {"shops", "products"} <= await _tables(empty_database)
