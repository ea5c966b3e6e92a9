"""Run the search protocol end to end on a fresh database."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app import migrate
from app.catalog.service import apply_product_changes
from app.db import create_engine, create_session_factory, transaction
from app.datasets.online_retail import orders_for, read_baskets, read_products
from app.embeddings.lazy import LazyEmbedder
from app.embeddings.protocol import Embedder
from app.embeddings.service import embed_stale_products
from app.ids import ShopId
from app.orders.service import record_orders
from app.search.evaluation import (
    AlsScorer,
    SearchCase,
    basket_popularity,
    build_cases,
    hit_and_ndcg,
    summarize,
)
from app.search.protocol import Shopper
from app.search.purchase_affinity import PurchaseHistoryAffinity
from app.search.query_vectors import QueryVectors
from app.search.service import SearchReranker
from app.shops.service import create_shop

Progress = Callable[[str, int, int], None]
FIT_SPLITS = {"test": ("train", "valid"), "valid": ("train",)}


def _quiet(_: str, __: int, ___: int) -> None:
    return None


async def run_search_evaluation(
    data_root: Path,
    database_url: str,
    embedder: Embedder,
    split: str = "test",
    limit: int | None = None,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    started = time.monotonic()
    await migrate.upgrade(database_url)
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    try:
        baskets = read_baskets(data_root)
        fit = [b for b in baskets if b.split in FIT_SPLITS[split]]
        held_out = [b for b in baskets if b.split == split]
        products = read_products(data_root)
        async with transaction(sessions) as session:
            shop = ShopId((await create_shop(session, "online-retail.example", "custom")).shop.id)
            await apply_product_changes(session, shop, products)
            orders = list(orders_for(data_root, fit))
            for start in range(0, len(orders), 2000):
                await record_orders(session, shop, orders[start : start + 2000])
                progress("orders", min(start + 2000, len(orders)), len(orders))
        async with transaction(sessions) as session:
            await embed_stale_products(
                session, shop, embedder, progress=lambda n: progress("embedding", n, len(products)))
        descriptions = {p.platform_id: p.title for p in products}
        cases = build_cases(descriptions, held_out, basket_popularity(fit))[:limit]
        als = AlsScorer(fit)
        reranker = SearchReranker(
            QueryVectors(LazyEmbedder(lambda: embedder)),
            PurchaseHistoryAffinity(embedder.model_name),
            embedder.model_name,
        )
        original, affinity, by_als = [], [], []
        for start in range(0, len(cases), 200):
            async with transaction(sessions) as session:
                for case in cases[start : start + 200]:
                    original.append(hit_and_ndcg(case.candidates, case))
                    by_als.append(hit_and_ndcg(als.reorder(case), case))
                    affinity.append(hit_and_ndcg(await _rerank(reranker, session, shop, case), case))
            progress("queries", min(start + 200, len(cases)), len(cases))
    finally:
        await engine.dispose()
    return {
        "original": summarize(original),
        "affinity": summarize(affinity),
        "als": summarize(by_als),
        "split": split,
        "seconds": round(time.monotonic() - started, 1),
    }


async def _rerank(reranker: SearchReranker, session: Any, shop: ShopId, case: SearchCase) -> list[str]:
    result = await reranker.rerank(
        session, shop, case.query, case.candidates, Shopper(None, case.customer_id))
    return [item.product.platform_id for item in result.items]
