"""A customer's taste scores every search result at once, as one product at a time would."""

import numpy as np

from app.search.purchase_affinity import _taste


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def test_similarities_match_each_product_scored_alone() -> None:
    rng = np.random.default_rng(3)
    rows = {k: _unit(rng.normal(size=16)) for k in range(12)}
    taste = _taste(rows, [1, 2, 3, 99], [1.0, 3.0, 1.0, 5.0])  # 99: no vector, left out
    assert taste is not None and taste.keys.tolist() == [1, 2, 3]
    results = [2, 5, 7, 3, 11]
    content, closest = taste.similarities(results, np.stack([rows[k] for k in results]))
    for i, key in enumerate(results):
        others = [k for k in (1, 2, 3) if k != key]  # never the product itself
        assert np.isclose(content[i], max(0.0, float(taste.centroid @ rows[key])), atol=1e-6)
        best = max(float(rows[k] @ rows[key]) for k in others)
        assert np.isclose(closest[i], max(0.0, best), atol=1e-6)
