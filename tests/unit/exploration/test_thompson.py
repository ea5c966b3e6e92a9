"""Thompson sampling orders fresh products by what their impressions and clicks say."""

from collections import Counter

import numpy as np

from app.ranking.exploration.counts import ProductCounts
from app.ranking.exploration.strategies import FixedShare, ThompsonSampling, exploration_strategy
from app.ranking.exploration.thompson import BetaPrior, posterior, thompson_order

PRODUCTS = ["a", "b", "c", "d"]


def _counts(impressions: dict[str, int], clicks: dict[str, int]) -> ProductCounts:
    return ProductCounts(Counter(impressions), Counter(clicks))


def _first_places(counts: ProductCounts, draws: int, seed: int = 0) -> Counter[str]:
    rng = np.random.default_rng(seed)
    return Counter(PRODUCTS[thompson_order(PRODUCTS, counts, BetaPrior(), rng)[0]]
                   for _ in range(draws))


def test_the_same_seed_draws_the_same_orders() -> None:
    counts = _counts({"a": 40, "b": 40, "c": 5}, {"a": 4, "b": 2, "c": 1})
    first = [thompson_order(PRODUCTS, counts, BetaPrior(), np.random.default_rng(7))
             for _ in range(3)]
    again = [thompson_order(PRODUCTS, counts, BetaPrior(), np.random.default_rng(7))
             for _ in range(3)]
    assert first == again
    orders = {tuple(thompson_order(PRODUCTS, counts, BetaPrior(), np.random.default_rng(seed)))
              for seed in range(20)}
    assert len(orders) > 1  # the order is drawn, not fixed


def test_a_often_clicked_product_comes_first_most_of_the_time() -> None:
    counts = _counts({"a": 200, "b": 200, "c": 200, "d": 200}, {"c": 30, "a": 2})
    first = _first_places(counts, 500)
    assert first.most_common(1)[0][0] == "c"
    assert first["c"] > 450


def test_an_unseen_product_is_still_tried_while_one_shown_often_without_clicks_sinks() -> None:
    counts = _counts({"a": 300, "b": 300, "c": 300}, {"a": 6, "b": 6, "c": 6})
    first = _first_places(counts, 2000)
    assert first["d"] > 0  # never shown: drawn first now and then by its wide posterior
    sunk = _counts({"a": 300, "b": 300, "c": 300, "d": 500}, {"a": 6, "b": 6, "c": 6})
    assert _first_places(sunk, 2000)["d"] < first["d"]


def test_the_prior_is_centred_on_the_shops_pooled_rate() -> None:
    counts = _counts({"a": 998}, {"a": 49})
    alpha, beta = BetaPrior(strength=10).parameters(counts)
    assert abs(alpha / (alpha + beta) - 0.05) < 1e-9
    assert abs(alpha + beta - 10) < 1e-9


def test_clicks_beyond_the_counted_impressions_are_not_taken_as_a_rate_above_one() -> None:
    alpha, beta = posterior(["a"], _counts({"a": 1}, {"a": 3}), (1.0, 1.0))
    assert alpha.tolist() == [2.0] and beta.tolist() == [1.0]


def test_the_fixed_share_keeps_the_score_order() -> None:
    assert FixedShare().order(PRODUCTS) == [0, 1, 2, 3]


def test_the_setting_names_the_strategy() -> None:
    assert isinstance(exploration_strategy("fixed"), FixedShare)
    assert isinstance(exploration_strategy("thompson"), ThompsonSampling)
