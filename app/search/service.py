"""Personalized reordering of a storefront's own search results.

The storefront's order is a strong prior; the query's semantic match to each product and the
shopper's affinity move items only as far as the evidence carries them. The same products
come back (unknown ids keep their slots, unavailable ones sink or are dropped)."""

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.catalog.queries import products_by_platform_ids
from app.db import utcnow
from app.embeddings.service import vectors_of
from app.errors import InvalidInput
from app.ids import ProductId, ShopId, parse_product_id
from app.recommendations.service import new_recommendation_id
from app.recommendations.types import Reason, RecommendationList, ScoredProduct
from app.search.protocol import PersonalScore, Shopper, ShopperAffinity
from app.search.query_vectors import QueryVectors

MAX_IDS = 500
MAX_QUERY_LENGTH = 500
SEMANTIC_REASON_MARGIN = 0.05
Unavailable = Literal["sink", "drop"]


@dataclass(frozen=True)
class RerankWeights:
    prior: float = 1.0
    semantic: float = 0.3
    personal: float = 0.6


@dataclass
class Slot:
    """One input position: a known product, or an id the catalog does not know."""

    platform_id: str
    product: Product | None
    score: float = 0.0
    reasons: list[Reason] | None = None


def prior(rank: int) -> float:
    """The storefront's order as a score: 1 for the first result, decaying like DCG."""
    return 1.0 / math.log2(rank + 2)


def _validate(query: str, product_ids: list[str], first: int | None) -> None:
    if not query.strip() or len(query) > MAX_QUERY_LENGTH:
        raise InvalidInput(f"query must be 1 to {MAX_QUERY_LENGTH} characters")
    if len(product_ids) > MAX_IDS:
        raise InvalidInput(f"at most {MAX_IDS} productIds, got {len(product_ids)}")
    if first is not None and not 1 <= first <= MAX_IDS:
        raise InvalidInput(f"first must be between 1 and {MAX_IDS}, got {first}")


class SearchReranker:
    def __init__(
        self,
        query_vectors: QueryVectors,
        affinity: ShopperAffinity,
        model_name: str,
        weights: RerankWeights | None = None,
        unavailable: Unavailable = "sink",
    ) -> None:
        self._query_vectors = query_vectors
        self._affinity = affinity
        self._model_name = model_name
        self.weights = weights or RerankWeights()
        self._unavailable = unavailable

    async def rerank(
        self,
        session: AsyncSession,
        shop_id: ShopId,
        query: str,
        product_ids: list[str],
        shopper: Shopper,
        first: int | None = None,
        personalize: bool = True,
        now: datetime | None = None,
    ) -> RecommendationList:
        _validate(query, product_ids, first)
        ids = list(dict.fromkeys(parse_product_id(p) for p in product_ids))
        found = await products_by_platform_ids(session, shop_id, ids)
        slots = [Slot(pid, found.get(pid)) for pid in ids]
        live = [s for s in slots if s.product is not None and s.product.servable]
        who = shopper if personalize else None
        await self._score(session, shop_id, query, live, who, ids, now or utcnow())
        ordered = self._arrange(slots, live)
        items = [self._item(s) for s in ordered][: first or len(ordered)]
        return RecommendationList(new_recommendation_id(), items)

    async def _score(
        self,
        session: AsyncSession,
        shop_id: ShopId,
        query: str,
        live: list[Slot],
        shopper: Shopper | None,
        ids: list[ProductId],
        now: datetime,
    ) -> None:
        products = [s.product for s in live if s.product is not None]
        vectors = await vectors_of(session, [p.id for p in products], self._model_name)
        semantic = await self._semantic(query, products, vectors)
        personal: dict[int, PersonalScore] = {}
        if shopper is not None and not shopper.anonymous and products:
            personal = await self._affinity.scores(
                session, shop_id, shopper, products, vectors, now)
        rank: dict[str, int] = {pid: i for i, pid in enumerate(ids)}
        w = self.weights
        for slot, product, sem in zip(live, products, semantic, strict=True):
            mine = personal.get(product.id)
            slot.score = w.prior * prior(rank[slot.platform_id]) + w.semantic * sem
            slot.score += w.personal * (mine.score if mine else 0.0)
            slot.reasons = self._reasons(query, sem, mine)

    async def _semantic(
        self, query: str, products: list[Product], vectors: dict[int, npt.NDArray[np.float32]]
    ) -> list[float]:
        """Cosine to the query, centred on the list's mean so that it only reorders."""
        if not products or not vectors:
            return [0.0] * len(products)
        q = await self._query_vectors.vector(query)
        raw = [float(vectors[p.id] @ q) if p.id in vectors else None for p in products]
        known = [r for r in raw if r is not None]
        mean = sum(known) / len(known)
        return [0.0 if r is None else r - mean for r in raw]

    @staticmethod
    def _reasons(query: str, semantic: float, personal: PersonalScore | None) -> list[Reason]:
        reasons: list[Reason] = []
        if personal is not None and personal.reason is not None:
            reasons.append(personal.reason)
        if semantic > SEMANTIC_REASON_MARGIN:
            reasons.append(Reason("QUERY_MATCH", f"Closely matches “{query.strip()}”"))
        if not reasons:
            reasons.append(Reason("SEARCH_ORDER", "Ranked by the shop's search"))
        return reasons

    def _arrange(self, slots: list[Slot], live: list[Slot]) -> list[Slot]:
        """Unknown ids keep their positions; reordered products fill the other slots."""
        ranked = iter(sorted(live, key=lambda s: -s.score))
        arranged: list[Slot] = []
        sunk: list[Slot] = []
        for slot in slots:
            if slot.product is None:
                arranged.append(slot)
            elif slot.product.servable:
                arranged.append(next(ranked))
            else:
                sunk.append(slot)
        return arranged + (sunk if self._unavailable == "sink" else [])

    @staticmethod
    def _item(slot: Slot) -> ScoredProduct:
        if slot.product is None:
            placeholder = Product(platform_id=slot.platform_id, title="", tags=[], available=True,
                                  published=True, status="active", deleted=False)
            reason = Reason("UNKNOWN_PRODUCT", "Not in the catalog yet; kept in place")
            return ScoredProduct(placeholder, 0.0, [reason])
        if not slot.product.servable:
            return ScoredProduct(slot.product, 0.0, [Reason("UNAVAILABLE", "Currently unavailable")])
        return ScoredProduct(slot.product, slot.score, slot.reasons or [])
