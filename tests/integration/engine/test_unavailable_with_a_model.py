"""A product that sells out is never served, however high a trained model ranks it.

The models (bought together, popular, trending, buy again) know nothing of availability:
they rank the best seller first until the next training, and only the serving path's
check of the catalog keeps it off the page."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.catalog.service import apply_product_changes
from app.embeddings.sentence_transformer import SentenceTransformerEmbedder
from app.ids import ShopId
from app.orders.changes import OrderChange, OrderLineChange
from app.orders.service import record_orders
from app.ranking.jobs import train_shop_model
from app.ranking.runtime import ModelRuntime
from app.storage.database import transaction
from tests.factories import MUGS_AND_MORE, product
from tests.support import Harness, harness, ids_of

RECOMMEND = """query($placement: Placement!, $visitor: ID, $ids: [ID!]) {
  recommendations(placement: $placement, visitorId: $visitor, productIds: $ids, first: 5) {
    items { product { id available } } } }"""
CATALOG = [product(pid, title, product_type=title.split()[-1]) for pid, title in MUGS_AND_MORE]
BEST_SELLER = "1"
BOUGHT_WITH_IT = "3"
PAGES: list[dict[str, Any]] = [
    {"placement": "HOME"},
    {"placement": "PRODUCT", "ids": [BOUGHT_WITH_IT]},
    {"placement": "CART", "ids": [BOUGHT_WITH_IT]},
]


@pytest.fixture
async def trained(database_url: str, tmp_path: Path,
                  embedder: SentenceTransformerEmbedder) -> AsyncIterator[tuple[Harness, ShopId, str]]:
    """A shop whose orders put the best seller in nearly every basket, with a model trained
    on them by the real training job and served from memory."""
    async with harness(database_url, tmp_path, embedder) as h:
        shop, key = await h.add_shop(CATALOG)
        start = datetime.now(UTC) - timedelta(days=30)
        others = [pid for pid, _ in MUGS_AND_MORE if pid != BEST_SELLER]
        changes = [OrderChange(f"o{n}", f"c{n % 12}", start + timedelta(hours=12 * n), tuple(
            OrderLineChange(f"o{n}-{p}", p, None, 1, 10.0)
            for p in dict.fromkeys([BEST_SELLER, BOUGHT_WITH_IT if n % 2 else others[n % 9]])))
            for n in range(40)]
        async with transaction(h.services.sessions) as session:
            await record_orders(session, shop, changes)
            model = await train_shop_model(session, shop, h.services.models_dir)
        h.services.models.install(shop, ModelRuntime(model.artefact))
        yield h, shop, key


async def _served(h: Harness, key: str, visitor: str) -> dict[str, list[str]]:
    return {page["placement"]: ids_of(await h.graphql(key, RECOMMEND, visitor=visitor, **page),
                                      "recommendations") for page in PAGES}


async def test_a_best_seller_that_sells_out_is_never_served(
    trained: tuple[Harness, ShopId, str],
) -> None:
    h, shop, key = trained
    before = await _served(h, key, "before")
    # The model ranks it first wherever it may appear: only availability keeps it off.
    assert before["HOME"][0] == BEST_SELLER
    assert before["PRODUCT"][0] == before["CART"][0] == BEST_SELLER

    async with transaction(h.services.sessions) as session:
        sold_out = product(BEST_SELLER, dict(MUGS_AND_MORE)[BEST_SELLER], available=False,
                           product_type="mug")
        await apply_product_changes(session, shop, [sold_out])
    assert h.services.models.get(shop) is not None, "still served by the same trained model"

    after = await _served(h, key, "after")
    assert all(after.values()), after
    assert not any(BEST_SELLER in shown for shown in after.values()), after
