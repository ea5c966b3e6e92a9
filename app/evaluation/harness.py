"""Run a protocol end to end: a fresh database loaded through the ingestion code, the
production training job, history replayed in time order (live trend), and every test
customer's recommendations asked from the real serving path."""

import tempfile
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import migrate
from app.catalog.snapshot import CatalogSnapshots
from app.datasets.online_retail import Basket, read_baskets
from app.embeddings.protocol import Embedder
from app.embeddings.service import embed_stale_products
from app.evaluation.loading import load_shop
from app.evaluation.metrics import MetricSums
from app.evaluation.protocol import Case, Split, leave_last_basket, temporal_cut
from app.evaluation.references import References
from app.ids import CustomerId, ShopId
from app.index.neighbours import ContentNeighbours
from app.index.registry import IndexRegistry
from app.index.service import build_index
from app.profiles.service import Shopper
from app.profiles.session_state import SessionStore
from app.ranking.blend import BlendWeights, load_weights
from app.ranking.jobs import train_shop_model
from app.ranking.rules import DEFAULT_RULES, RuleSettings
from app.ranking.runtime import LiveTrend, ModelRuntime
from app.ranking.service import RecommendationEngine, Scored
from app.ranking.store import ModelStore
from app.ranking.types import RecommendationRequest
from app.recommendations.types import Placement
from app.storage.database import create_engine, create_session_factory, transaction

Progress = Callable[[str, int, int], None]
MODES = ("all", "explore")
LIST_LENGTH = 100
CHUNK = 200


def _quiet(_: str, __: int, ___: int) -> None:
    return None


@dataclass
class Loaded:
    sessions: async_sessionmaker[AsyncSession]
    shop: ShopId
    engine: RecommendationEngine
    runtime: ModelRuntime
    items: list[str]
    session_state: SessionStore
    store: ModelStore


async def _content(sessions: async_sessionmaker[AsyncSession], shop: ShopId,
                   embedder: Embedder | None, index_dir: Path,
                   catalogs: CatalogSnapshots) -> ContentNeighbours:
    """The real content neighbours when an embedder is given (embed, build the index)."""
    if embedder is None:
        return ContentNeighbours(IndexRegistry(index_dir), "none", catalogs)
    async with transaction(sessions) as session:
        await embed_stale_products(session, shop, embedder)
    async with transaction(sessions) as session:
        await build_index(session, shop, embedder.model_name, index_dir, trees=20)
    return ContentNeighbours(IndexRegistry(index_dir), embedder.model_name, catalogs)


async def load(database_url: str, data_root: Path, fit: list[Basket], models_dir: Path,
               weights: BlendWeights, rules: RuleSettings, progress: Progress,
               embedder: Embedder | None = None) -> Loaded:
    await migrate.upgrade(database_url)
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    shop, products = await load_shop(sessions, data_root, fit, progress)
    as_of = max(b.placed_at for b in fit)
    async with transaction(sessions) as session:
        trained = await train_shop_model(session, shop, models_dir, as_of=as_of)
    runtime = ModelRuntime(trained.artefact)
    store = ModelStore(models_dir)
    store.install(shop, runtime)
    catalogs = CatalogSnapshots()
    neighbours = await _content(sessions, shop, embedder, models_dir / "indexes", catalogs)
    state = SessionStore()
    ranker = RecommendationEngine(store, neighbours, catalogs, state, weights, rules)
    return Loaded(sessions, shop, ranker, runtime, [p.platform_id for p in products], state,
                  store)


class Replay:
    """Feeds fit orders into the live trend up to each request's time. Only the trend: the
    trained model's sales calendar already holds every fit order (a server observes only
    the orders stored after its model was trained, ``ranking.live_orders``), and observing
    them again counted each sale twice in the sales features."""

    def __init__(self, runtime: ModelRuntime, fit: list[Basket]) -> None:
        self._baskets = sorted(fit, key=lambda b: b.placed_at)
        self._next = 0
        self._runtime = runtime
        start = self._baskets[0].placed_at if self._baskets else datetime.now()
        runtime.trend = LiveTrend(np.zeros(runtime.artefact.size, np.float32), start, 10.0)

    def until(self, when: datetime) -> None:
        while self._next < len(self._baskets) and self._baskets[self._next].placed_at < when:
            basket = self._baskets[self._next]
            rows = self._runtime.rows(list(basket.items))
            if rows:
                self._runtime.trend.add(rows, basket.placed_at)
            self._next += 1


def _request(loaded: Loaded, case: Case, mode: str) -> RecommendationRequest:
    return RecommendationRequest(
        shop_id=loaded.shop, placement=Placement.HOME,
        shopper=Shopper(visitor_id=None, customer_id=CustomerId(case.customer_id),
                        personalization=True),
        first=LIST_LENGTH, now=case.at, exclude_purchased=mode == "explore")


def reference_rankers(refs: References) -> tuple[tuple[str, Callable[[str], list[str]]], ...]:
    return (("popularity", refs.popularity), ("personal-popularity", refs.personal_popularity),
            ("als", refs.als), ("tifu-knn", refs.tifu_knn))


def _score_references(refs: References, case: Case, sums: dict[str, dict[str, MetricSums]],
                      modes: tuple[str, ...]) -> None:
    owned = refs.owned(case.customer_id)
    for name, rank in reference_rankers(refs):
        ranked = rank(case.customer_id)
        for mode in modes:
            _add(sums[mode][name], ranked, set(case.target), owned, mode)


def _add(metric: MetricSums, ranked: list[str], target: set[str], owned: set[str],
         mode: str) -> None:
    if mode == "explore":
        ranked = [i for i in ranked if i not in owned]
        target = target - owned
    metric.add(ranked, target)


async def evaluate_split(loaded: Loaded, split: Split, refs: References, modes: tuple[str, ...],
                         progress: Progress) -> dict[str, Any]:
    names = ("affinity", "popularity", "personal-popularity", "als", "tifu-knn")
    sums = {m: {n: MetricSums() for n in names} for m in modes}
    replay = Replay(loaded.runtime, split.fit)
    cases = sorted(split.cases, key=lambda c: c.at)
    latencies: list[float] = []
    for start in range(0, len(cases), CHUNK):
        async with transaction(loaded.sessions) as session:
            for case in cases[start : start + CHUNK]:
                replay.until(case.at)
                owned = refs.owned(case.customer_id)
                for mode in modes:
                    began = time.perf_counter()
                    result = await loaded.engine.recommend(session, _request(loaded, case, mode))
                    latencies.append(time.perf_counter() - began)
                    ranked = [i.product.platform_id for i in result.items]
                    _add(sums[mode]["affinity"], ranked, set(case.target), owned, mode)
                _score_references(refs, case, sums, modes)
        progress("customers", min(start + CHUNK, len(cases)), len(cases))
    out: dict[str, Any] = {m: {n: s.summary() for n, s in sums[m].items()} for m in modes}
    out["latency_ms"] = _percentiles(latencies)
    return out


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ms = np.asarray(values) * 1000
    return {"p50": round(float(np.percentile(ms, 50)), 2),
            "p99": round(float(np.percentile(ms, 99)), 2), "requests": len(values)}


def split_for(baskets: list[Basket], protocol: str, cut: datetime | None, stage: str) -> Split:
    if cut is not None:
        return temporal_cut(baskets, cut)
    if protocol != "leave-last-basket":
        raise ValueError(f"unknown protocol {protocol}")
    return leave_last_basket(baskets, stage)


async def run_evaluation(
    data_root: Path, database_url: str | None = None, *, protocol: str = "leave-last-basket",
    cut: datetime | None = None, modes: tuple[str, ...] = MODES, limit: int | None = None,
    weights: BlendWeights | None = None, rules: RuleSettings = DEFAULT_RULES,
    progress: Progress = _quiet, customers: Collection[str] | None = None,
) -> dict[str, Any]:
    """``customers``: only these test customers (after them, ``limit``: only the first N)."""
    started = time.monotonic()
    baskets = read_baskets(data_root)
    split = split_for(baskets, protocol, cut, "test")
    if customers is not None:
        chosen = set(customers)
        split = Split(split.fit, [c for c in split.cases if c.customer_id in chosen], split.name)
    if limit is not None:
        split = Split(split.fit, split.cases[:limit], split.name)
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'evaluation.db'}"
        loaded = await load(url, data_root, split.fit, Path(tmp) / "models",
                            weights or load_weights(), rules, progress)
        refs = References(split.fit, loaded.items)
        result: dict[str, Any] = await evaluate_split(loaded, split, refs, modes, progress)
    result.update({"protocol": split.name, "seconds": round(time.monotonic() - started, 1)})
    return result


async def collect_for_tuning(
    data_root: Path, weights: BlendWeights, limit: int | None = None,
    progress: Progress = _quiet,
) -> tuple[list[Scored], list[frozenset[str]]]:
    """Fit on ``train`` only and gather the scored candidates of every ``valid`` case."""
    split = leave_last_basket(read_baskets(data_root), "valid")
    cases = sorted(split.cases, key=lambda c: c.at)[:limit]
    scored: list[Scored] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'tuning.db'}"
        loaded = await load(url, data_root, split.fit, Path(tmp) / "models", weights,
                            RuleSettings(), progress)
        replay = Replay(loaded.runtime, split.fit)
        for start in range(0, len(cases), CHUNK):
            async with transaction(loaded.sessions) as session:
                for case in cases[start : start + CHUNK]:
                    replay.until(case.at)
                    request = _request(loaded, case, "all")
                    scored.append(await loaded.engine.scored_candidates(session, request))
            progress("customers", min(start + CHUNK, len(cases)), len(cases))
    return scored, [c.target for c in cases]
