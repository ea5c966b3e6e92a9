"""The serving path: profile, candidates, features, blended score, rules, reasons, and the
list returned with its id, recorded first (``serve``). Heavy models come from memory
(``ModelStore``).

Each list is served in the shopper's variant (``app.ranking.variants``): the shop's holdout
and running experiments pick it from memory, and the list records it with the server's own
time to it. The shop's own settings (exploration, diversity caps, days a bought product
stays hidden) replace the server's defaults, and its merchandising rules are the last layer
(``ShopRulesSource``, from memory): with rules active, the engine selects a reserve beyond
``first`` so that filtered slots are filled, then the rules filter, boost, bury and pin."""

import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.snapshot import CatalogProduct, CatalogSnapshots, ShopCatalog
from app.index.neighbours import ContentNeighbours
from app.profiles.service import build_profile
from app.profiles.session_state import SessionState
from app.profiles.types import Profile
from app.ranking.blend import BlendWeights, blend
from app.ranking.candidates.catalog_sources import NewArrivals, add_catalog
from app.ranking.candidates.content import add_content
from app.ranking.candidates.model_sources import (
    add_bought_together,
    add_buy_again,
    add_collaborative,
    add_neighbourhood,
    add_rows,
)
from app.ranking.candidates.pool import Candidate, CandidatePool, Candidates, Source, among
from app.ranking.exploration.strategies import ExplorationStrategy, Explorer, FixedShare
from app.ranking.features import ShopperSignals, feature_matrices, shopper_signals
from app.ranking.reasons import NEW_ARRIVAL, reasons_for
from app.ranking.rules import (
    DEFAULT_RULES,
    Blocked,
    DiversityCap,
    NoShopRules,
    RuleSettings,
    ShopRulesSource,
    blocked_products,
    exploration_slots,
)
from app.ranking.runtime import ModelRuntime
from app.ranking.store import ModelStore
from app.ranking.types import DEFAULT_LIMITS, CandidateLimits, RecommendationRequest
from app.ranking.variants import (
    ENGINE,
    NoExperiments,
    RecordsServedLists,
    VariantConfig,
    VariantPicker,
)
from app.recommendations.types import (
    Placement,
    Reason,
    RecommendationList,
    ScoredProduct,
)
from app.storage.database import transaction, utcnow
from app.storage.reads import Reads, SessionReads

NEW_ARRIVAL_DAYS = 30
MIN_RESERVE = 10
"""With merchandising rules active, at least this many items (and ``first``) beyond ``first``
are selected, for the slots filters empty."""
NEIGHBOURHOOD_CANDIDATES = 100
"""The best items of what the shopper's nearest customers buy, added as candidates."""
FRESH_PICK = Reason("FRESH_PICK", "Something new to discover")


@dataclass
class Scored:
    candidates: Candidates
    scores: np.ndarray
    model_version: str | None
    fresh: npt.NDArray[np.bool_]
    """New arrivals, and products nobody has bought yet (never exposed by the models)."""
    owned_x: np.ndarray | None = None
    new_x: np.ndarray | None = None
    owned: np.ndarray | None = None


def _context(request: RecommendationRequest, profile: Profile) -> list[str]:
    context = [str(p) for p in request.context]
    if request.placement is Placement.CART and not context:
        context = list(profile.cart)
    return context


def _in_variant(request: RecommendationRequest, config: VariantConfig) -> RecommendationRequest:
    """The request as the variant serves it: a baseline list is the one the engine serves
    to a shopper who declines personalization."""
    if config.personalized:
        return request
    return replace(request, shopper=replace(request.shopper, personalization=False))


def _tuned_rules(rules: RuleSettings, config: VariantConfig) -> RuleSettings:
    if config.exploration is None:
        return rules
    return replace(rules, exploration_share=config.exploration)


def _for_placement(profile: Profile, placement: Placement) -> Profile:
    if placement is Placement.EMAIL:  # no live session in an email
        profile.recent_views, profile.cart = [], []
    return profile


class RecommendationEngine:
    def __init__(self, models: ModelStore, neighbours: ContentNeighbours,
                 catalogs: CatalogSnapshots, sessions: SessionState,
                 weights: BlendWeights, rules: RuleSettings = DEFAULT_RULES,
                 limits: CandidateLimits = DEFAULT_LIMITS,
                 reads: Reads | None = None, served: RecordsServedLists | None = None,
                 variants: VariantPicker | None = None,
                 shop_rules: ShopRulesSource | None = None,
                 exploration: ExplorationStrategy | None = None) -> None:
        """``served``: where ``serve`` records each list; none for an engine that only ranks
        (an offline replay, whose lists nobody is shown). ``variants``: who is in which
        experiment's variant or the holdout (none: every shopper gets the engine).
        ``shop_rules``: each shop's settings and merchandising rules (none: the server's
        defaults, no rules). ``exploration``: which fresh products fill the exploration slots
        (none: the best-scored ones)."""
        self._models = models
        self._neighbours = neighbours
        self._catalogs = catalogs
        self._sessions = sessions
        self.weights = weights
        self._rules = rules
        self._limits = limits
        self._reads = reads or SessionReads()
        self.new_arrivals = NewArrivals(NEW_ARRIVAL_DAYS)
        self._served = served
        self._variants = variants or NoExperiments()
        self._shop_rules: ShopRulesSource = shop_rules or NoShopRules()
        self._exploration: ExplorationStrategy = exploration or FixedShare()

    async def serve(self, sessions: async_sessionmaker[AsyncSession],
                    request: RecommendationRequest,
                    started: float | None = None) -> RecommendationList:
        """The list for ``request`` in the shopper's variant, recorded under its id with the
        experiment, the variant and the time since ``started`` (``time.perf_counter()``
        when the request arrived; default now) before it is returned (``Unavailable`` when
        it cannot be). Ranked in a unit of work of its own that ends before the list is
        recorded: a request waiting for its list's write holds no connection of the pool
        that write needs."""
        if self._served is None:
            raise RuntimeError("this engine ranks only: it has no served-list recorder")
        started = time.perf_counter() if started is None else started
        shopper = request.shopper
        async with transaction(sessions) as session:
            chosen = await self._variants.assignment(
                session, request.shop_id, request.placement.value, shopper.visitor_id,
                shopper.customer_id)
            result = await self.recommend(session, request, chosen.config)
        latency_ms = (time.perf_counter() - started) * 1000.0
        await self._served.record(request.shop_id, request.placement.value, shopper.visitor_id,
                                  shopper.customer_id, result, experiment_id=chosen.experiment_id,
                                  variant=chosen.variant, latency_ms=latency_ms)
        return result

    async def recommend(self, session: AsyncSession, request: RecommendationRequest,
                        config: VariantConfig = ENGINE,
                        merchandise: bool = True) -> RecommendationList:
        """The list for ``request`` as the variant ``config`` ranks it, with the shop's
        settings, and its merchandising rules unless ``merchandise`` is False (a preview's
        list without them)."""
        request = _in_variant(request, config)
        now = request.now or utcnow()
        shop = await self._shop_rules.shop_rules(session, request.shop_id)
        rules = _tuned_rules(shop.settings(self._rules), config)
        profile = await self._profile(session, request, now)
        context = _context(request, profile)
        model = self._models.get(request.shop_id)
        catalog = await self._catalogs.catalog(session, request.shop_id)
        scored = await self.score(session, request, profile, context, model, now, catalog,
                                  config, rules)
        listed = shop.for_list(request.placement.value, now) if merchandise else None
        explorer = await self._exploration.explorer(session, request.shop_id)
        if listed is None:
            items = self._select(request, scored, catalog, rules, explorer=explorer)
            return RecommendationList(uuid.uuid4().hex, items, scored.model_version)
        reserve = max(MIN_RESERVE, request.first)
        wide = self._select(request, scored, catalog, rules, reserve, explorer)
        ruled = listed.apply(wide, catalog, avoid={*context, *profile.cart, *profile.dismissed})
        return RecommendationList(uuid.uuid4().hex, ruled.items[: request.first],
                                  scored.model_version, fell_back=ruled.fell_back)

    async def scored_candidates(self, session: AsyncSession,
                                request: RecommendationRequest) -> Scored:
        """Candidates with their features and scores, before the rules pick the list."""
        now = request.now or utcnow()
        profile = await self._profile(session, request, now)
        model = self._models.get(request.shop_id)
        catalog = await self._catalogs.catalog(session, request.shop_id)
        return await self.score(session, request, profile, _context(request, profile), model, now,
                                catalog)

    async def _profile(self, session: AsyncSession, request: RecommendationRequest,
                       now: datetime) -> Profile:
        async with self._reads.reader(session) as reader:
            profile = await build_profile(reader, request.shop_id, request.shopper, now,
                                          self._sessions)
        return _for_placement(profile, request.placement)

    async def score(self, session: AsyncSession, request: RecommendationRequest,
                    profile: Profile, context: list[str], model: ModelRuntime | None,
                    now: datetime, catalog: ShopCatalog,
                    config: VariantConfig = ENGINE, rules: RuleSettings | None = None) -> Scored:
        """``rules``: the settings in force (default: the engine's own)."""
        pool = CandidatePool()
        signals = await shopper_signals(model, profile, context, now) if model else None
        await self._gather(session, request, profile, context, model, signals, pool, now,
                           catalog)
        blocked = set(self._blocked(profile, context, model, now, request.exclude_purchased,
                                    rules or self._rules).product_ids)
        if model is None or signals is None:
            candidates = pool.resolve({}, (), blocked)
            new_arrival = candidates.has(Source.NEW_ARRIVAL)
            scores = candidates.content + 0.01 * new_arrival
            return Scored(candidates, scores, None, new_arrival)
        a = model.artefact
        candidates = pool.resolve(a.row_of, a.product_ids, blocked)
        owned = candidates.within(profile.purchases)
        owned_x, new_x = feature_matrices(model, signals, profile, candidates, owned, now)
        weights = self.weights.vectors(request.placement.value, anonymous=not profile.purchases)
        factors = config.factors()
        if factors is not None:
            weights = (weights[0] * factors[0], weights[1] * factors[1])
        scores = blend(owned_x, new_x, owned, weights)
        return Scored(candidates, scores, a.version, _fresh(candidates, model), owned_x, new_x,
                      owned)

    def _blocked(self, profile: Profile, context: list[str], model: ModelRuntime | None,
                 now: datetime, exclude_purchased: bool, rules: RuleSettings) -> Blocked:
        replenishable: set[str] = set()
        if model is not None:
            rate = model.artefact.repeat_rate
            replenishable = {p for p in profile.purchases if p in model.artefact.row_of
                             and rate[model.artefact.row_of[p]] >= rules.replenishable_rate}
        return blocked_products(profile, context, now, rules, replenishable,
                                exclude_purchased)

    async def _gather(self, session: AsyncSession, request: RecommendationRequest,
                      profile: Profile, context: list[str], model: ModelRuntime | None,
                      signals: ShopperSignals | None, pool: CandidatePool, now: datetime,
                      catalog: ShopCatalog) -> None:
        limits = self._limits
        anchors = list(dict.fromkeys([*context, *profile.session_products]))
        await add_content(session, request.shop_id, self._neighbours, catalog, pool,
                          anchors[: limits.content_anchors], limits.content_per_anchor)
        await self.new_arrivals.add(session, request.shop_id, pool, now)
        if model is None or signals is None:
            if len(pool) < request.first * 2:
                await add_catalog(session, request.shop_id, pool, request.first * 4)
            return
        recent = sorted(profile.purchases, key=lambda p: -profile.purchases[p].recent_slow)
        add_buy_again(pool, recent[: limits.buy_again])
        add_bought_together(pool, model.artefact, [*anchors, *recent][: limits.anchors],
                            limits.per_anchor)
        add_collaborative(pool, signals.als, limits.collaborative)
        add_neighbourhood(pool, signals.next_basket.around if signals.next_basket else None,
                          NEIGHBOURHOOD_CANDIDATES)
        add_rows(pool, model.trend.top(limits.trending, now), Source.TRENDING)
        add_rows(pool, model.popular(limits.popular), Source.POPULAR)

    def _select(self, request: RecommendationRequest, scored: Scored,
                catalog: ShopCatalog, rules: RuleSettings,
                reserve: int = 0, explorer: Explorer | None = None) -> list[ScoredProduct]:
        """The ``request.first`` items (best, then exploration slots), followed by up to
        ``reserve`` more of the best (for merchandising rules to fill filtered slots)."""
        candidates = scored.candidates
        first = request.first
        order = np.argsort(-scored.scores, kind="stable")
        fetch = (first + reserve) * self._limits.scored_to_fetch + 20
        best = candidates.take(order[:fetch].tolist())
        explore = exploration_slots(first, rules)
        anchors = [a for c in best for a in c.sources.values() if a]
        explorer = explorer or FixedShare()
        pool = explore * explorer.pool_per_slot
        fresh = candidates.take(_fresh_with_rows(scored, order, fetch, pool, anchors))
        pooled = fresh[:pool]  # the ``pool`` best-scored fresh candidates, in score order
        fresh = [pooled[i] for i in explorer.order([c.product_id for c in pooled])] + fresh[pool:]
        wanted = [c.product_id for c in best] + [c.product_id for c in fresh[:pool]]
        rows = catalog.products(dict.fromkeys([*wanted, *anchors]))
        titles = {pid: p.title for pid, p in rows.items()}
        score_of = {c.product_id: float(score)
                    for c, score in zip(best, scored.scores[order[:fetch]].tolist(), strict=True)}
        taken = _take(best, rows, request, rules, first - explore + reserve, score_of, titles)
        picked = {i.product.platform_id for i in taken}
        extra = _take([c for c in fresh if c.product_id not in picked], rows, request,
                      rules, first - min(len(taken), first - explore), {}, titles, explore=True)
        if len(taken) + len(extra) < first + reserve:
            more = [c for c in best if c.product_id not in picked | {i.product.platform_id for i in extra}]
            taken += _take(more, rows, request, RuleSettings(max_per_vendor=10**6, max_per_product_type=10**6),
                           first + reserve - len(taken) - len(extra), score_of, titles)
        head = max(0, first - len(extra))
        return [*taken[:head], *extra, *taken[head:]][: first + reserve]


def _fresh_with_rows(scored: Scored, order: npt.NDArray[np.int64], fetch: int, first: int,
                     anchors: list[str]) -> list[int]:
    """The fresh candidates, in score order, whose catalog rows ``_select`` fetches: the
    first ``first``, those among the ``fetch`` best, and anchors. Named candidates are
    objects already; only these of the rest are built."""
    fresh = order[scored.fresh[order]]
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    keep = ((np.arange(len(fresh)) < first) | (rank[fresh] < fetch)
            | (fresh < scored.candidates.named))
    if anchors:
        keep |= among(scored.candidates.rows[fresh], scored.candidates.rows_of(anchors))
    return fresh[keep].tolist()  # type: ignore[no-any-return]


def _fresh(candidates: Candidates, model: ModelRuntime) -> npt.NDArray[np.bool_]:
    """New arrivals, and products nobody has bought yet (never exposed by the models)."""
    found = candidates.rows
    unbought = (found < 0) | (model.artefact.popularity[np.maximum(found, 0)] <= 0)
    return candidates.has(Source.NEW_ARRIVAL) | unbought


def _take(candidates: list[Candidate], rows: dict[str, CatalogProduct], request: RecommendationRequest,
          rules: RuleSettings, count: int, score_of: dict[str, float], titles: dict[str, str],
          explore: bool = False) -> list[ScoredProduct]:
    cap = DiversityCap(rules, request.first)
    out: list[ScoredProduct] = []
    for candidate in candidates:
        if len(out) >= count:
            break
        product = rows.get(candidate.product_id)
        if product is None or not product.servable or not cap.allows(product):
            continue
        cap.take(product)
        reasons = ([NEW_ARRIVAL if Source.NEW_ARRIVAL in candidate.sources else FRESH_PICK]
                   if explore else reasons_for(candidate, product, request.placement, titles))
        out.append(ScoredProduct(product, score_of.get(candidate.product_id, 0.0), reasons))
    return out
