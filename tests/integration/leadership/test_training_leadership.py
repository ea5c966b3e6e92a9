"""Two trainers (two processes' worth: each its own loaded models and its own hold on the
lock) with a shop due for training: the shop is trained once, and the other trainer serves
the model the first one saved instead of training again."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.ids import ShopId
from app.leadership.choose import leadership_for
from app.orders.changes import OrderChange, OrderLineChange
from app.orders.service import record_orders
from app.ranking.artefact import shop_folder
from app.ranking.scheduler import ModelTrainer
from app.ranking.store import ModelStore
from app.storage.database import transaction
from tests.factories import MUGS_AND_MORE, product
from tests.fakes import HashingEmbedder
from tests.support import Harness, harness

CATALOG = [product(pid, title) for pid, title in MUGS_AND_MORE]
BASKETS = [("o1", "c1", ["1", "3"]), ("o2", "c2", ["1", "3", "10"]), ("o3", "c3", ["4", "5"]),
           ("o4", "c4", ["4", "5"]), ("o5", "c1", ["1"]), ("o6", "c5", ["1", "3"])]


@pytest.fixture
async def api(own_database: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(own_database, tmp_path, HashingEmbedder()) as h:
        yield h


async def add_orders(api: Harness, shop: ShopId) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    changes = [OrderChange(o, c, start + timedelta(days=n),
                           tuple(OrderLineChange(f"{o}-{p}", p, None, 1, 5.0) for p in items))
               for n, (o, c, items) in enumerate(BASKETS)]
    async with transaction(api.services.sessions) as session:
        await record_orders(session, shop, changes)


def trainer(api: Harness) -> ModelTrainer:
    models_dir = api.services.models_dir
    return ModelTrainer(api.services.sessions, ModelStore(models_dir), models_dir, 24,
                        leadership=leadership_for(api.services.engine, api.settings.data_dir))


async def test_two_trainers_train_a_due_shop_once(api: Harness) -> None:
    shop, _ = await api.add_shop(CATALOG)
    await add_orders(api, shop)
    pair = [trainer(api), trainer(api)]
    trained = await asyncio.gather(*(t.run_once() for t in pair))
    assert sorted(trained) == [0, 1]
    versions = [p for p in shop_folder(api.services.models_dir, shop).iterdir() if p.is_dir()]
    assert len(versions) == 1
    assert await asyncio.gather(*(t.run_once() for t in pair)) == [0, 0]
