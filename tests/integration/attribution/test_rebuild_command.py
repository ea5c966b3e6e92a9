"""``affinity kpis rebuild`` drops a shop's rollups and folds its stored rows again."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from app.attribution.models import KpiDaily
from app.attribution.queries import kpis
from app.commands import main
from app.storage.database import create_engine, create_session_factory, transaction
from tests.conftest import migrated_database
from tests.factories import make_shop, shop_id
from tests.integration.attribution.support import DAY, buy, fold_all, serve


@pytest.fixture
def own_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgres"
    with migrated_database(backend, tmp_path) as url:
        yield url


async def test_rebuild_restores_the_figures_of_a_damaged_rollup(
    own_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    engine = create_engine(own_database)
    sessions = create_session_factory(engine)
    try:
        async with transaction(sessions) as session:
            created = await make_shop(session)
            shop, domain = shop_id(created), created.shop.domain
            await serve(session, shop, "r1", ["p1"])
            await buy(session, shop, "o1", [("p1", 12.0, 1)], cart=["r1"])
            await fold_all(session)
            await session.execute(update(KpiDaily).values(served=99, attributed_revenue=0.0))
        monkeypatch.setenv("AFFINITY_DATABASE_URL", own_database)
        monkeypatch.setenv("AFFINITY_LOG_LEVEL", "WARNING")

        assert await asyncio.to_thread(main, ["kpis", "rebuild", "--domain", domain]) == 0
        report = json.loads(capsys.readouterr().out)
        assert (report["rankings"], report["orders"]) == (1, 1)
        async with transaction(sessions) as session:
            [row] = await kpis(session, shop, DAY, DAY, None, [])
        assert (row.served, row.orders, row.attributed_revenue) == (1, 1, 12.0)
        assert await asyncio.to_thread(main, ["kpis", "rebuild", "--domain", "nowhere.example"]) == 2

        async with transaction(sessions) as session:
            await session.execute(update(KpiDaily).values(served=7))
        assert await asyncio.to_thread(main, ["kpis", "rebuild"]) == 0  # every shop, from the start
        async with transaction(sessions) as session:
            [row] = await kpis(session, shop, DAY, DAY, None, [])
            assert (row.served, row.orders, row.attributed_revenue) == (1, 1, 12.0)
            assert (await fold_all(session)).total == 0
    finally:
        await engine.dispose()
