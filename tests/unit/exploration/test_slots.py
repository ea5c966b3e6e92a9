"""The exploration slot is filled by the strategy's pick among the best-scored fresh
products; the rest of the list is the same whichever strategy serves it."""

from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np

from app.catalog.snapshot import CatalogProduct, ShopCatalog
from app.ids import ShopId
from app.profiles.service import Shopper
from app.ranking.candidates.pool import CandidatePool, Source
from app.ranking.exploration.strategies import FixedShare
from app.ranking.rules import DEFAULT_RULES
from app.ranking.service import RecommendationEngine, Scored
from app.ranking.types import RecommendationRequest
from app.recommendations.types import Placement

BEST = [f"best-{i}" for i in range(12)]
FRESH = [f"fresh-{i}" for i in range(25)]


class Catalog:
    def products(self, product_ids: Iterable[str]) -> dict[str, CatalogProduct]:
        return {p: CatalogProduct(n, p, p.title()) for n, p in enumerate(product_ids)}


class Prefers:
    """Puts one product first when it is offered; records what it was offered."""

    def __init__(self, product_id: str, pool_per_slot: int = 10) -> None:
        self.product_id = product_id
        self.pool_per_slot = pool_per_slot
        self.offered: list[str] = []

    def order(self, product_ids: Sequence[str]) -> list[int]:
        self.offered = list(product_ids)
        positions = list(range(len(product_ids)))
        if self.product_id in product_ids:
            chosen = product_ids.index(self.product_id)
            positions.remove(chosen)
            positions.insert(0, chosen)
        return positions


def _scored() -> Scored:
    pool = CandidatePool()
    pool.add_all(BEST, Source.POPULAR)
    pool.add_all(FRESH, Source.NEW_ARRIVAL)
    candidates = pool.resolve({}, ())
    scores = np.array([2.0 - i / 100 for i in range(len(BEST))]
                      + [1.0 - i / 100 for i in range(len(FRESH))])
    return Scored(candidates, scores, None, candidates.has(Source.NEW_ARRIVAL))


def _listed(explorer: Any) -> list[str]:
    engine = RecommendationEngine(*(cast(Any, None) for _ in range(5)))
    request = RecommendationRequest(ShopId(1), Placement.HOME, Shopper("v1", None), first=10)
    items = engine._select(request, _scored(), cast(ShopCatalog, Catalog()), DEFAULT_RULES,
                           explorer=explorer)
    return [item.product.platform_id for item in items]


def test_the_fixed_share_shows_the_best_scored_fresh_product_last() -> None:
    assert _listed(FixedShare()) == [*BEST[:9], "fresh-0"]


def test_the_strategy_picks_the_slot_among_the_best_scored_fresh_products() -> None:
    explorer = Prefers("fresh-7")
    assert _listed(explorer) == [*BEST[:9], "fresh-7"]
    assert explorer.offered == FRESH[:10]
    beyond = Prefers("fresh-12")  # not among the ten offered: the slot keeps the best-scored
    assert _listed(beyond) == [*BEST[:9], "fresh-0"]
