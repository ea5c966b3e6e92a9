"""Run the search protocol end to end on a fresh database: load the data through the
ingestion code, train the engine's model, then measure the original order, Affinity's
reorder (the real serving path) and an ALS reorder on the same queries."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app import migrate
from app.catalog.snapshot import CatalogSnapshots
from app.datasets.online_retail import Basket, read_baskets
from app.embeddings.lazy import LazyEmbedder
from app.embeddings.protocol import Embedder
from app.embeddings.service import embed_stale_products
from app.evaluation.loading import load_shop
from app.evaluation.references import References
from app.ids import ShopId
from app.index.neighbours import ContentNeighbours
from app.index.registry import IndexRegistry
from app.profiles.session_state import SessionStore
from app.ranking.blend import load_weights
from app.ranking.jobs import train_shop_model
from app.ranking.runtime import ModelRuntime
from app.ranking.store import ModelStore
from app.search.engine_affinity import EngineAffinity
from app.search.evaluation import SearchCase, build_cases, hit_and_ndcg, summarize
from app.search.model import Queries, SearchModel, fit, load_search_model, stack
from app.search.protocol import Shopper
from app.search.purchase_affinity import PurchaseHistoryAffinity
from app.search.query_vectors import QueryVectors
from app.search.service import SearchReranker
from app.storage.database import create_engine, create_session_factory, transaction

Progress = Callable[[str, int, int], None]
FIT_SPLITS = {"test": ("train", "valid"), "valid": ("train",)}


def _quiet(_: str, __: int, ___: int) -> None:
    return None


@dataclass
class SearchWorld:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    shop: ShopId
    cases: list[SearchCase]
    times: dict[str, datetime]
    references: References
    affinity: EngineAffinity
    vectors: QueryVectors
    product_vectors: ContentNeighbours
    catalogs: CatalogSnapshots


async def load_world(data_root: Path, database_url: str, embedder: Embedder, split: str,
                     models_dir: Path, progress: Progress = _quiet,
                     queries_per_basket: int = 1) -> SearchWorld:
    await migrate.upgrade(database_url)
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    baskets = read_baskets(data_root)
    fit = [b for b in baskets if b.split in FIT_SPLITS[split]]
    held_out = [b for b in baskets if b.split == split]
    shop, products = await load_shop(sessions, data_root, fit, progress)
    async with transaction(sessions) as session:
        await embed_stale_products(
            session, shop, embedder, progress=lambda n: progress("embedding", n, len(products)))
    store = ModelStore(models_dir)
    async with transaction(sessions) as session:
        trained = await train_shop_model(session, shop, models_dir,
                                         as_of=max(b.placed_at for b in fit))
    store.install(shop, ModelRuntime(trained.artefact))
    descriptions = {p.platform_id: p.title for p in products}
    references = References(fit, list(descriptions))
    catalogs = CatalogSnapshots()
    neighbours = ContentNeighbours(IndexRegistry(models_dir / "no-index"), embedder.model_name,
                                   catalogs)  # no index: product vectors from the database
    affinity = EngineAffinity(store, SessionStore(), load_weights(),
                              PurchaseHistoryAffinity(neighbours, catalogs))
    cases = build_cases(descriptions, held_out, references.popularity_of,
                        per_basket=queries_per_basket)
    return SearchWorld(engine, sessions, shop, cases, _times(held_out), references, affinity,
                       QueryVectors(LazyEmbedder(lambda: embedder)), neighbours, catalogs)


def _times(held_out: list[Basket]) -> dict[str, datetime]:
    return {b.customer_id: b.placed_at for b in held_out}


def _reranker(world: SearchWorld, model: SearchModel) -> SearchReranker:
    return SearchReranker(world.vectors, world.affinity, world.product_vectors, world.catalogs,
                          model)


async def measure(world: SearchWorld, model: SearchModel, cases: list[SearchCase],
                  progress: Progress = _quiet) -> dict[str, Any]:
    reranker = _reranker(world, model)
    original, affinity, by_als = [], [], []
    for start in range(0, len(cases), 200):
        async with transaction(world.sessions) as session:
            for case in cases[start : start + 200]:
                original.append(hit_and_ndcg(case.candidates, case))
                als = world.references.als_reorder(case.customer_id, case.candidates)
                by_als.append(hit_and_ndcg(als, case))
                ranked = await _rerank(reranker, session, world, case)
                affinity.append(hit_and_ndcg(ranked, case))
        progress("queries", min(start + 200, len(cases)), len(cases))
    return {"original": summarize(original), "affinity": summarize(affinity),
            "als": summarize(by_als)}


async def collect(world: SearchWorld, cases: list[SearchCase],
                  progress: Progress = _quiet) -> Queries:
    """Every case's feature rows (the serving path's own) and which results were bought."""
    reranker = _reranker(world, SearchModel({}))
    lists = []
    for start in range(0, len(cases), 200):
        async with transaction(world.sessions) as session:
            for case in cases[start : start + 200]:
                found = await reranker.features(
                    session, world.shop, case.query, case.candidates,
                    Shopper(None, case.customer_id), world.times.get(case.customer_id))
                if found.personalized:  # shoppers the shop knows nothing of keep ANONYMOUS
                    relevant = np.asarray([s.platform_id in case.target for s in found.live])
                    lists.append((found.matrix, relevant))
        progress("features", min(start + 200, len(cases)), len(cases))
    return stack(lists)


async def tune(world: SearchWorld, progress: Progress = _quiet) -> SearchModel:
    """Fit the search model on the split the world was loaded for (valid: fit on train)."""
    queries = await collect(world, world.cases, progress)
    provenance = {"fitted_on": f"{len(queries.starts)} valid queries, {len(queries.relevant)} "
                               "results (engine fitted on train)",
                  "command": "affinity evaluate --task search --tune"}
    return SearchModel(fit(queries), provenance)


async def run_search_evaluation(data_root: Path, database_url: str, embedder: Embedder,
                                models_dir: Path, split: str = "test", limit: int | None = None,
                                model: SearchModel | None = None,
                                progress: Progress = _quiet) -> dict[str, Any]:
    started = time.monotonic()
    world = await load_world(data_root, database_url, embedder, split, models_dir, progress)
    chosen = model or load_search_model()
    try:
        result = await measure(world, chosen, world.cases[:limit], progress)
    finally:
        await world.engine.dispose()
    return {**result, "split": split, "weights": chosen.weights,
            "seconds": round(time.monotonic() - started, 1)}


async def _rerank(reranker: SearchReranker, session: AsyncSession, world: SearchWorld,
                  case: SearchCase) -> list[str]:
    result = await reranker.rerank(session, world.shop, case.query, case.candidates,
                                   Shopper(None, case.customer_id),
                                   now=world.times.get(case.customer_id))
    return [item.product.platform_id for item in result.items]
