"""A shopper's ALS scores: the same values and best rows as scoring every row at once."""

import numpy as np

from app.lru import Lru
from app.ranking.collaborative import KEPT_ROWS, AlsScores
from app.ranking.top import top_rows


def test_scores_match_the_normalized_full_product() -> None:
    rng = np.random.default_rng(5)
    factors = rng.normal(size=(3000, 16)).astype(np.float32)
    user = rng.normal(size=16).astype(np.float32)
    full = factors @ user
    normalized = full / np.abs(full).max()
    scores = AlsScores(factors, user)
    rows = np.asarray([0, 17, 2999, 17], np.int64)
    assert np.allclose(scores[rows], normalized[rows], atol=1e-6)
    assert abs(float(scores[42]) - float(normalized[42])) < 1e-6
    assert scores.top(10) == top_rows(full, 10)
    assert scores.top(KEPT_ROWS + 50) == top_rows(full, KEPT_ROWS + 50)  # beyond what is kept
    assert float(np.abs(scores[np.arange(3000)]).max()) == 1.0


def test_latest_shoppers_are_kept() -> None:
    kept: Lru[str, AlsScores] = Lru(capacity=2)
    a, b, c = (AlsScores(np.eye(3, dtype=np.float32), np.ones(3, np.float32)) for _ in range(3))
    kept.put("a", a)
    kept.put("b", b)
    assert kept.get("a") is a  # now the most recently used
    kept.put("c", c)
    assert kept.get("b") is None and kept.get("a") is a and kept.get("c") is c
