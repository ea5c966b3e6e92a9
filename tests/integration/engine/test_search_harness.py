"""The search protocol on the Online Retail data (skipped without it): the serving path's
features, the listwise fit, and the three orders measured on the same queries."""

from pathlib import Path

import pytest

from app.embeddings.sentence_transformer import SentenceTransformerEmbedder
from app.search.harness import collect, load_world, measure
from app.search.model import SearchModel, fit, load_search_model

pytestmark = pytest.mark.dataset


async def test_search_protocol_fits_and_reports_every_order(
    dataset_dir: Path, tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'search.db'}"
    world = await load_world(dataset_dir, url, embedder, "test", tmp_path / "models")
    try:
        cases = world.cases[:300]
        fitted = SearchModel(fit(await collect(world, cases[:150])))
        shipped = await measure(world, load_search_model(), cases[150:])
        refitted = await measure(world, fitted, cases[150:])
    finally:
        await world.engine.dispose()
    for result in (shipped, refitted):
        for name in ("original", "affinity", "als"):
            assert set(result[name]) == {"HR@10", "NDCG@10", "queries"}
            assert result[name]["queries"] == 150
    # Personal reordering must beat the storefront's order on queries it was not fitted on.
    assert shipped["affinity"]["NDCG@10"] > shipped["original"]["NDCG@10"] + 0.05
    assert refitted["affinity"]["NDCG@10"] > refitted["original"]["NDCG@10"]
