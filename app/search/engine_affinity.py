"""Shopper affinity from the recommendation engine's model: the same blended probability
(buy-again, ALS, co-purchase, trend) that ranks carousels, evaluated on the search results."""

from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession

from app.candidates.pool import Candidate
from app.catalog.models import Product
from app.ids import ShopId
from app.profiles.service import Shopper as ProfileShopper
from app.profiles.service import build_profile
from app.profiles.session_state import SessionStore
from app.ranking.blend import BlendWeights, blend
from app.ranking.features import feature_matrices, shopper_signals
from app.ranking.store import ModelStore
from app.recommendations.types import Placement
from app.search.protocol import PersonalScore, Shopper
from app.search.purchase_affinity import PurchaseHistoryAffinity


class EngineAffinity:
    """Engine probability plus the purchase-history affinity (type, content, reasons)."""

    def __init__(self, models: ModelStore, session_state: SessionStore, weights: BlendWeights,
                 history: PurchaseHistoryAffinity, engine_weight: float = 1.0) -> None:
        self._models = models
        self._state = session_state
        self._weights = weights
        self._history = history
        self.engine_weight = engine_weight

    async def scores(self, session: AsyncSession, shop_id: ShopId, shopper: Shopper,
                     products: list[Product], vectors: dict[int, npt.NDArray[np.float32]],
                     now: datetime) -> dict[int, PersonalScore]:
        base = await self._history.scores(session, shop_id, shopper, products, vectors, now)
        probabilities = await self.probabilities(session, shop_id, shopper, products, now)
        if probabilities is None:
            return base
        merged: dict[int, PersonalScore] = {}
        for product, probability in zip(products, probabilities, strict=True):
            known = base.get(product.id)
            score = (known.score if known else 0.0) + self.engine_weight * float(probability)
            merged[product.id] = PersonalScore(score, known.reason if known else None)
        return merged

    async def probabilities(self, session: AsyncSession, shop_id: ShopId, shopper: Shopper,
                            products: list[Product], now: datetime) -> npt.NDArray[np.float64] | None:
        model = self._models.get(shop_id)
        if model is None or not products:
            return None
        who = ProfileShopper(shopper.visitor_id, shopper.customer_id)
        profile = await build_profile(session, shop_id, who, now, self._state, with_taste=False)
        if not profile.personalized:
            return None
        signals = shopper_signals(model, profile, [], now)
        candidates = [Candidate(p.platform_id) for p in products]
        owned_x, new_x = feature_matrices(model, signals, profile, candidates, now)
        owned = np.asarray([p.platform_id in profile.purchases for p in products], bool)
        weights = self._weights.vectors(Placement.SEARCH.value, anonymous=not profile.purchases)
        return blend(owned_x, new_x, owned, weights)
