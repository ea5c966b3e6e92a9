"""TIFU-KNN on hand-made baskets whose rankings can be worked out by hand."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from app.datasets.online_retail import Basket
from app.evaluation.metrics import MetricSums
from app.evaluation.tifu import TifuKnn, TifuParameters, personal_vectors
from app.evaluation.tifu_tuning import mean_ndcg, top_k

ITEMS = ["A", "B", "C", "D", "E", "F", "G"]
START = datetime(2011, 1, 1, tzinfo=UTC)


def _baskets(customer: str, *baskets: str) -> list[Basket]:
    return [Basket(f"{customer}-{n}", customer, START + timedelta(days=n), tuple(items), "train")
            for n, items in enumerate(baskets)]


# c1 bought A twice, B in the older basket and C in the newer one; c2 shares A and B with
# c1 and also bought D; c3 shares nothing with c1.
FIT = [*_baskets("c1", "AB", "AC"), *_baskets("c2", "ABD"), *_baskets("c3", "EF")]


def test_group_decay_weighs_the_older_group_lower() -> None:
    vectors = personal_vectors([[[0, 1], [0, 2]]], 3, group_size=1, within_decay=1.0,
                               group_decay=0.5)
    # Two groups: (0.5 x [A, B] + 1 x [A, C]) / 2.
    assert vectors.toarray()[0] == pytest.approx([0.75, 0.25, 0.5])


def test_within_group_decay_and_a_partial_last_group() -> None:
    vectors = personal_vectors([[[0], [1], [2]]], 3, group_size=2, within_decay=0.5,
                               group_decay=0.5)
    # Groups [A, B] and [C]: (0.5 x mean(0.5 x A, 1 x B) + 1 x C) / 2.
    assert vectors.toarray()[0] == pytest.approx([0.0625, 0.125, 0.5])


def test_repeat_items_first_then_the_newer_with_alpha_one() -> None:
    model = TifuKnn(FIT, ITEMS, TifuParameters(group_size=1, within_decay=1.0,
                                               group_decay=0.5, neighbours=1, alpha=1.0))
    assert model.ranked("c1")[:3] == ["A", "C", "B"]
    assert model.ranked("c1")[3:] == ["D", "E", "F", "G"]  # no score: the given order


def test_the_nearest_customers_items_follow_with_alpha_below_one() -> None:
    model = TifuKnn(FIT, ITEMS, TifuParameters(group_size=1, within_decay=1.0,
                                               group_decay=0.5, neighbours=1, alpha=0.5))
    scores = model.scores(["c1"])[0]
    # c1's nearest is c2 ([A, B, D] / 1), so c1 scores 0.5 x own + 0.5 x c2's.
    assert scores[:4] == pytest.approx([0.875, 0.625, 0.25, 0.5])
    assert model.ranked("c1")[:4] == ["A", "B", "D", "C"]
    assert scores[4] == scores[5] == 0.0  # c3 is not a neighbour


def test_an_unknown_customer_gets_the_given_order() -> None:
    model = TifuKnn(FIT, ITEMS, TifuParameters())
    assert model.ranked("nobody") == ITEMS and not model.knows("nobody")


def test_top_k_is_a_stable_sort_cut_at_k() -> None:
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 4, size=(50, 30)).astype(float)  # many ties
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    assert (top_k(scores, 10) == expected).all()


def test_mean_ndcg_agrees_with_the_harness_metric() -> None:
    rng = np.random.default_rng(11)
    scores = rng.random((40, 25))
    targets = rng.random((40, 25)) < 0.15
    sums = MetricSums()
    for row, target in zip(scores, targets, strict=True):
        sums.add([str(i) for i in np.argsort(-row, kind="stable")],
                 {str(i) for i in np.flatnonzero(target)})
    assert mean_ndcg(scores, targets) == pytest.approx(sums.ndcg / sums.users)


def test_the_reference_breaks_ties_by_popularity() -> None:
    from app.evaluation.references import References

    refs = References(FIT, ["G", *ITEMS[:-1]], TifuParameters(
        group_size=1, within_decay=1.0, group_decay=0.5, neighbours=1, alpha=1.0))
    # G nobody bought, listed first in the catalog: still last.
    assert refs.tifu_knn("c1") == ["A", "C", "B", "D", "E", "F", "G"]
    assert refs.tifu_knn("nobody") == refs.popularity("nobody")
