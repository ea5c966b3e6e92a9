"""The next-basket vectors through the real training job, the saved artefact and the
serving path: what a customer's nearest customers buy becomes a scored candidate."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from app.embeddings.sentence_transformer import SentenceTransformerEmbedder
from app.ids import CustomerId, ShopId
from app.orders.changes import OrderChange, OrderLineChange
from app.orders.service import record_orders
from app.profiles.service import Shopper
from app.ranking.artefact import load_artefact
from app.ranking.features import NEW_FEATURES
from app.ranking.jobs import train_shop_model
from app.ranking.runtime import ModelRuntime
from app.ranking.types import RecommendationRequest
from app.recommendations.types import Placement
from app.storage.database import transaction
from tests.factories import MUGS_AND_MORE, product
from tests.support import Harness, harness

CATALOG = [product(pid, title, product_type=title.split()[-1]) for pid, title in MUGS_AND_MORE]
START = datetime.now(UTC) - timedelta(days=60)
SHARED, ONLY_THEIRS = ("1", "2", "3"), "9"
"""Everyone like the customer buys ``SHARED`` and also ``ONLY_THEIRS``; the customer never
bought ``ONLY_THEIRS``."""


def _orders() -> list[OrderChange]:
    baskets: list[tuple[str, tuple[str, ...]]] = [
        (f"like{n}", (*SHARED, ONLY_THEIRS)) for n in range(8)]
    baskets += [(f"other{n}", ("4", "5", "6")) for n in range(8)]
    baskets += [("me", SHARED), ("me", SHARED[:2])]
    return [OrderChange(f"o{n}", buyer, START + timedelta(hours=6 * n), tuple(
        OrderLineChange(f"o{n}-{p}", p, None, 1, 10.0) for p in items))
        for n, (buyer, items) in enumerate(baskets)]


@pytest.fixture
async def trained(database_url: str, tmp_path: Path, embedder: SentenceTransformerEmbedder,
                  ) -> AsyncIterator[tuple[Harness, ShopId]]:
    async with harness(database_url, tmp_path, embedder) as h:
        shop, _ = await h.add_shop(CATALOG)
        async with transaction(h.services.sessions) as session:
            await record_orders(session, shop, _orders())
            model = await train_shop_model(session, shop, h.services.models_dir)
        loaded = load_artefact(h.services.models_dir, shop, model.artefact.version)
        h.services.models.install(shop, ModelRuntime(loaded))
        yield h, shop


def _request(shop: ShopId, customer: str) -> RecommendationRequest:
    return RecommendationRequest(shop_id=shop, placement=Placement.HOME,
                                 shopper=Shopper(None, CustomerId(customer), True), first=5,
                                 exclude_purchased=True)


async def _neighbours_feature(h: Harness, shop: ShopId, customer: str) -> dict[str, float]:
    async with transaction(h.services.sessions) as session:
        scored = await h.services.ranker.scored_candidates(session, _request(shop, customer))
    assert scored.new_x is not None
    ids = scored.candidates.product_ids(range(len(scored.candidates)))
    column = NEW_FEATURES.index("neighbours")
    return {p: float(v) for p, v in zip(ids, scored.new_x[:, column], strict=True)}


async def test_what_similar_customers_buy_is_a_candidate_with_its_feature(
    trained: tuple[Harness, ShopId],
) -> None:
    h, shop = trained
    model = h.services.models.get(shop)
    assert model is not None and model.artefact.customer_around is not None
    feature = await _neighbours_feature(h, shop, "me")
    assert feature[ONLY_THEIRS] > 0
    assert feature[ONLY_THEIRS] == max(feature.values())
    assert feature.get("4", 0.0) <= feature[ONLY_THEIRS] / 2


async def test_a_customer_the_model_does_not_know_gets_a_neighbourhood(
    trained: tuple[Harness, ShopId],
) -> None:
    h, shop = trained
    async with transaction(h.services.sessions) as session:
        await record_orders(session, shop, [OrderChange(
            "late", "newcomer", datetime.now(UTC) - timedelta(hours=1),
            tuple(OrderLineChange(f"late-{p}", p, None, 1, 10.0) for p in SHARED))])
    feature = await _neighbours_feature(h, shop, "newcomer")
    assert feature[ONLY_THEIRS] == max(feature.values()) > 0
    assert np.isfinite(list(feature.values())).all()
