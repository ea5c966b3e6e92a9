"""Shopper affinity for search: the recommendation engine's features and blended probability
(buy-again, ALS, co-purchase, trend) that rank carousels, evaluated on the search results,
next to the purchase-history matches that explain a move."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.snapshot import CatalogProduct
from app.ids import ShopId
from app.index.protocol import AlignedVectors
from app.profiles.service import Shopper as ProfileShopper
from app.profiles.service import build_profile
from app.profiles.session_state import SessionState
from app.profiles.types import Profile
from app.ranking.blend import BlendWeights, blend
from app.ranking.candidates.pool import Candidates
from app.ranking.features import feature_matrices, shopper_signals
from app.ranking.runtime import ModelRuntime
from app.ranking.store import ModelStore
from app.recommendations.types import Placement
from app.search.protocol import EngineEvidence, PersonalEvidence, Shopper
from app.search.purchase_affinity import PurchaseHistoryAffinity
from app.storage.reads import Reads, SessionReads


class EngineAffinity:
    """Engine features plus the purchase-history matches (type, content, reasons)."""

    def __init__(self, models: ModelStore, session_state: SessionState, weights: BlendWeights,
                 history: PurchaseHistoryAffinity, reads: Reads | None = None) -> None:
        self._models = models
        self._state = session_state
        self._weights = weights
        self._history = history
        self._reads = reads or SessionReads()

    async def evidence(self, session: AsyncSession, shop_id: ShopId, shopper: Shopper,
                       products: list[CatalogProduct], vectors: AlignedVectors,
                       now: datetime) -> PersonalEvidence:
        who = ProfileShopper(shopper.visitor_id, shopper.customer_id)
        async with self._reads.reader(session) as reader:
            profile = await build_profile(reader, shop_id, who, now, self._state)
        counts = {p: s.orders for p, s in profile.purchases.items()}
        history = await self._history.matches(session, shop_id, counts, products, vectors)
        model = self._models.get(shop_id)
        if model is None or not products or not profile.personalized:
            return PersonalEvidence(history)
        return PersonalEvidence(history, await self._engine_evidence(model, profile, products, now))

    async def _engine_evidence(self, model: ModelRuntime, profile: Profile,
                               products: list[CatalogProduct], now: datetime) -> EngineEvidence:
        signals = await shopper_signals(model, profile, [], now)
        candidates = Candidates.of_products([p.platform_id for p in products],
                                            model.artefact.row_of)
        owned = candidates.within(profile.purchases)
        owned_x, new_x = feature_matrices(model, signals, profile, candidates, owned, now)
        found = candidates.rows
        weights = self._weights.vectors(Placement.SEARCH.value, anonymous=not profile.purchases)
        return EngineEvidence(owned_x, new_x, owned, blend(owned_x, new_x, owned, weights),
                              model.sales.history(found.tolist(), now))
