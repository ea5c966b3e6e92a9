"""Training, the artefact round trip, live trend, blend and metrics on tiny data."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from app.evaluation.metrics import MetricSums
from app.profiles.history import fill_purchases
from app.profiles.types import Profile
from app.ranking.artefact import current_version, load_artefact, save_artefact
from app.ranking.blend import load_weights
from app.ranking.features import NEW_FEATURES, OWNED_FEATURES
from app.ranking.history import OrderRecord, ViewSession
from app.ranking.runtime import ModelRuntime
from app.ranking.training import TrainingParams, train

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PRODUCTS = ["mug", "cup", "tea", "hose", "trowel", "seeds"]


def _history() -> list[OrderRecord]:
    baskets = [("a", ["mug", "cup"]), ("b", ["mug", "cup", "tea"]), ("c", ["hose", "trowel"]),
               ("d", ["hose", "trowel", "seeds"]), ("a", ["mug", "tea"]), ("e", ["mug", "cup"])]
    return [OrderRecord(f"o{n}", buyer, T0 + timedelta(days=n), tuple(items))
            for n, (buyer, items) in enumerate(baskets)]


def _model() -> ModelRuntime:
    artefact = train(_history(), PRODUCTS, T0 + timedelta(days=6), "v1",
                     TrainingParams(factors=4, iterations=3))
    return ModelRuntime(artefact)


def test_bought_together_neighbours_and_repeat_rates() -> None:
    a = _model().artefact
    mug = a.neighbours[a.row_of["mug"]].toarray().ravel()
    assert a.product_ids[int(np.argmax(mug))] == "cup"
    assert a.repeat_rate[a.row_of["mug"]] > a.repeat_rate[a.row_of["hose"]]
    assert a.popularity[a.row_of["mug"]] == 1.0


def test_artefact_round_trip(tmp_path: Path) -> None:
    model = _model().artefact
    save_artefact(tmp_path, 7, model)
    assert current_version(tmp_path, 7) == "v1"
    loaded = load_artefact(tmp_path, 7, "v1")
    assert loaded.product_ids == PRODUCTS
    assert np.allclose(loaded.item_factors, model.item_factors)
    assert (loaded.neighbours != model.neighbours).nnz == 0
    assert loaded.customer_best is not None and model.customer_best is not None
    assert loaded.customer_scale is not None and model.customer_scale is not None
    assert np.array_equal(loaded.customer_best, model.customer_best)
    assert np.array_equal(loaded.customer_scale, model.customer_scale)


def test_known_customers_scores_from_the_artefact_equal_the_full_product(
        tmp_path: Path) -> None:
    runtime = _model()
    trained = runtime.als_scores("a", {})
    assert trained is not None
    # An artefact saved before best rows were kept: computed from the full product.
    bare = runtime.artefact
    bare.customer_best, bare.customer_scale = None, None
    computed = ModelRuntime(bare).als_scores("a", {})
    assert computed is not None
    rows = np.arange(len(PRODUCTS))
    assert np.allclose(trained[rows], computed[rows], atol=1e-6)
    assert trained.top(3) == computed.top(3)
    save_artefact(tmp_path, 7, bare)
    assert load_artefact(tmp_path, 7, "v1").customer_best is None


def test_live_trend_moves_with_orders_and_new_customers_fold_in() -> None:
    runtime = _model()
    later = T0 + timedelta(days=30)
    before = runtime.trend.normalized(later)[runtime.artefact.row_of["seeds"]]
    for _ in range(5):
        runtime.observe_order(["seeds"], later)
    assert runtime.trend.normalized(later)[runtime.artefact.row_of["seeds"]] > before
    vector = runtime.user_vector("someone-new", {runtime.artefact.row_of["hose"]: 1.0})
    assert vector is not None and vector.shape == (4,)


def test_purchase_stats_and_repeat_share() -> None:
    profile = Profile("a", None)
    fill_purchases(profile, [(T0, ["mug", "cup"]), (T0 + timedelta(days=2), ["mug"])])
    assert profile.purchases["mug"].orders == 2 and profile.purchases["mug"].in_last
    assert profile.purchases["cup"].recent_half == 0.5
    assert profile.repeat_share > 0.4


def test_shipped_weights_cover_every_feature() -> None:
    weights = load_weights()
    owned, new = weights.vectors("HOME")
    assert len(owned) == len(OWNED_FEATURES) and len(new) == len(NEW_FEATURES)
    assert set(weights.owned) == set(OWNED_FEATURES) and set(weights.new) == set(NEW_FEATURES)


def test_metrics_follow_the_readme_definitions() -> None:
    sums = MetricSums()
    sums.add(["x", "a", "y"], {"a", "b"})
    summary = sums.summary()
    ideal = 1 + 1 / np.log2(3)
    assert summary["HR@10"] == 1.0 and summary["Recall@10"] == 0.5
    assert abs(summary["NDCG@10"] - round((1 / np.log2(3)) / ideal, 4)) < 1e-4
    assert summary["MRR"] == 0.5
    sums.add(["x"], set())  # empty targets are skipped
    assert sums.users == 1


def test_products_viewed_together_become_neighbours() -> None:
    artefact = train(_history(), PRODUCTS, T0 + timedelta(days=6), "v2",
                     TrainingParams(factors=4, iterations=3),
                     sessions=[ViewSession(f"visitor:{n}", products) for n, products in
                               enumerate([("seeds", "tea"), ("seeds", "tea", "mug")] * 3)])
    seeds = artefact.neighbours[artefact.row_of["seeds"]].toarray().ravel()
    assert seeds[artefact.row_of["tea"]] > 0
