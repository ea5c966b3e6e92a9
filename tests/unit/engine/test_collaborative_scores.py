"""A shopper's ALS scores: the same values and best rows as scoring every row at once."""

import numpy as np

from app.process.lru import Lru
from app.ranking.collaborative import KEPT_ROWS, AlsScores, customer_best_rows
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


def test_customer_best_rows_are_each_customers_full_product() -> None:
    rng = np.random.default_rng(11)
    factors = rng.normal(size=(3000, 16)).astype(np.float32)
    users = rng.normal(size=(600, 16)).astype(np.float32)  # more than one product's group
    best, scales = customer_best_rows(factors, users)
    assert best.shape == (600, KEPT_ROWS) and scales.shape == (600,)
    for n in (0, 255, 256, 599):
        full = factors @ users[n]
        assert best[n].tolist() == top_rows(full, KEPT_ROWS)
        assert abs(float(scales[n]) - float(np.abs(full).max())) < 1e-5


def test_scores_from_kept_best_rows_are_the_scores_from_the_full_product() -> None:
    rng = np.random.default_rng(12)
    factors = rng.normal(size=(2000, 16)).astype(np.float32)
    users = rng.normal(size=(3, 16)).astype(np.float32)
    best, scales = customer_best_rows(factors, users)
    known = AlsScores(factors, users[1], (best[1], float(scales[1])))
    computed = AlsScores(factors, users[1])
    rows = np.arange(2000)
    assert np.allclose(known[rows], computed[rows], atol=1e-6)
    assert known.top(KEPT_ROWS) == computed.top(KEPT_ROWS)
    assert known.top(KEPT_ROWS + 10) == computed.top(KEPT_ROWS + 10)  # beyond what is kept


def test_fewer_products_than_kept_rows() -> None:
    factors = np.eye(3, dtype=np.float32)
    best, scales = customer_best_rows(factors, np.asarray([[0.1, 0.9, -2.0]], np.float32))
    assert best.tolist() == [[1, 0, 2]] and float(scales[0]) == 2.0
    empty_best, empty_scales = customer_best_rows(np.zeros((0, 3), np.float32),
                                                  np.ones((2, 3), np.float32))
    assert empty_best.shape == (2, 0) and empty_scales.tolist() == [0.0, 0.0]
