"""The vector index with the shipped settings: Annoy build time and recall@10 against exact
search, on real embeddings (the Online Retail catalog, 10k synthetic products) and on the
100k-product world; and server start-up time with the 100k index: process start to the
first ``/health`` that reports the index memory-mapped and the catalog in memory, and to the
first ``similarProducts`` answered after it (what a shopper's first request waits for)."""

import argparse
import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from app.embeddings.sentence_transformer import SentenceTransformerEmbedder
from app.index.annoy_index import AnnoyVectorIndex, build_annoy_file
from app.settings import DEFAULT_MODEL, Settings
from benchmarks.common import Result, Target, write_result
from benchmarks.embedding import cached_vectors, online_retail_texts
from benchmarks.server import Server, serve
from benchmarks.world import BASE_PRODUCTS, World, base_vectors, build_world, scaled_vectors

QUERIES = 500
K = 10
SEARCH_KS = (-1, 2_000, 5_000, 10_000)
STARTS = 3
Vectors = npt.NDArray[np.float32]


def exact_top(vectors: Vectors, queries: npt.NDArray[np.int64], k: int) -> npt.NDArray[np.int64]:
    """The true k nearest items of each query item (itself excluded), by cosine."""
    scores = vectors[queries] @ vectors.T
    scores[np.arange(len(queries)), queries] = -np.inf
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    return top


def recall(vectors: Vectors, trees: int, search_ks: tuple[int, ...], fetch: int,
           count: int = QUERIES, seed: int = 1) -> dict[str, Any]:
    """Build with ``trees``, then recall@10 of ``count`` queries per search_k when the engine
    asks for ``fetch`` neighbours."""
    rng = np.random.default_rng(seed)
    queries = rng.choice(len(vectors), size=min(count, len(vectors)), replace=False)
    truth = exact_top(vectors, queries, K)
    keys = np.arange(len(vectors), dtype=np.int64)
    out: dict[str, Any] = {"items": len(vectors), "trees": trees, "fetch": fetch}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.ann"
        started = time.perf_counter()
        build_annoy_file(path, vectors, trees)
        out["build_seconds"] = round(time.perf_counter() - started, 2)
        out["file_mib"] = round(path.stat().st_size / 2**20, 1)
        for search_k in search_ks:
            index = AnnoyVectorIndex(path, keys, vectors.shape[1], 1, search_k)
            hits, seconds = 0, []
            for query, true in zip(queries, truth, strict=True):
                started = time.perf_counter()
                found = index.nearest(vectors[query], fetch + 1)
                seconds.append(time.perf_counter() - started)
                got = [key for key, _ in found if key != query][:K]
                hits += len(set(got) & set(true.tolist()))
            index.close()
            out[f"search_k={search_k}"] = {
                "recall_at_10": round(hits / (K * len(queries)), 4),
                "query_ms_p50": round(1000 * statistics.median(seconds), 3)}
    return out


def first_answer(server: Server, world: World) -> None:
    """One ``similarProducts`` of the world's first product, with items."""
    query = "query($id: ID!) { similarProducts(productId: $id, first: 12) { items { product { id } } } }"
    request = urllib.request.Request(
        f"{server.base}/graphql", method="POST",
        data=json.dumps({"query": query, "variables": {"id": "1000000"}}).encode(),
        headers={"Content-Type": "application/json",
                 "X-Affinity-Storefront-Key": world.storefront_key})
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.loads(response.read())
    if not body.get("data", {}).get("similarProducts", {}).get("items"):
        raise RuntimeError(f"the first similarProducts answered {body}")


def start_up(world: World, runs: int) -> dict[str, Any]:
    healthy, answered = [], []
    for _ in range(runs):
        with serve(world.env(), log_name="startup") as server:
            since_healthy = time.monotonic()
            first_answer(server, world)
            healthy.append(server.started_in)
            answered.append(server.started_in + time.monotonic() - since_healthy)
            rss = server.rss_bytes()
    return {"seconds": [round(t, 2) for t in healthy],
            "median_seconds": round(statistics.median(healthy), 2),
            "first_answer_seconds": [round(t, 2) for t in answered],
            "first_answer_median_seconds": round(statistics.median(answered), 2),
            "rss_after_start_mib": round(rss / 2**20, 1)}


def run(queries: int) -> Result:
    shipped = Settings(_env_file=None)  # type: ignore[call-arg]
    trees = shipped.annoy_trees
    # The engine asks the index for first + excluded + 10 neighbours (12 + 1 + 10).
    fetch = 23
    sets: dict[str, Any] = {}
    catalog = online_retail_texts()
    if catalog:
        vectors = cached_vectors("online-retail-torch", SentenceTransformerEmbedder(DEFAULT_MODEL),
                                 catalog)
        sets["online_retail"] = recall(vectors, trees, SEARCH_KS, fetch, queries)
    base = base_vectors(BASE_PRODUCTS)
    sets["synthetic_10k"] = recall(base, trees, SEARCH_KS, fetch, queries)
    world = build_world(100_000)
    sets["world_100k"] = recall(scaled_vectors(100_000, base), trees, SEARCH_KS, fetch, queries)
    startup = start_up(world, STARTS)
    real = sets.get("online_retail", sets["synthetic_10k"])
    shipped_k = f"search_k={shipped.annoy_search_k}"
    result = Result("index", {"shipped": {"annoy_trees": trees, "annoy_search_k": shipped.annoy_search_k},
                              "recall": sets, "startup_100k": startup,
                              "world_index_build_seconds": world.index_build_seconds})
    result.targets = [
        Target("server start-up with a 100k index", startup["first_answer_median_seconds"],
               "s", "<= 5", startup["first_answer_median_seconds"] <= 5,
               "process start to the first similarProducts answered; to /health reporting the "
               f"index mapped and the catalog in memory: {startup['median_seconds']} s"),
    ]
    result.summary = (f"recall@10 {real[shipped_k]['recall_at_10']} (real embeddings), "
                      f"{sets['world_100k'][shipped_k]['recall_at_10']} (100k); build 100k "
                      f"{sets['world_100k']['build_seconds']} s; start-up {startup['first_answer_median_seconds']} s "
                      f"to the first answer ({startup['median_seconds']} s to healthy)")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--queries", type=int, default=QUERIES)
    args = parser.parse_args()
    started = time.monotonic()
    write_result(run(args.queries), started)


if __name__ == "__main__":
    main()
