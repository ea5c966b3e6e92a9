"""The transition model: what followed a product in orders, the latest session product
weighted most."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from app.profiles.types import Profile
from app.ranking.artefact import ModelArtefact, load_artefact, save_artefact
from app.ranking.history import OrderRecord
from app.ranking.session_intent import (
    TransitionParams,
    latest_first,
    session_scores,
    session_vector,
    transition_matrix,
)
from app.ranking.training import TrainingParams, train

PARAMS = TransitionParams(window=2, decay=0.5, keep=2, recency=2.0)


def test_followers_are_counted_within_the_window_with_decay() -> None:
    matrix = transition_matrix([[0, 1, 2, 3]], 5, PARAMS).toarray()
    # 0 -> 1 at distance 1 (weight 1), 0 -> 2 at distance 2 (0.5); 3 is out of the window.
    assert matrix[0, 1] == pytest.approx(1 / 1.5)
    assert matrix[0, 2] == pytest.approx(0.5 / 1.5)
    assert matrix[0, 3] == 0
    assert matrix[3].sum() == 0  # the last line has no followers


def test_order_matters_and_orders_do_not_mix() -> None:
    matrix = transition_matrix([[0, 1], [2, 3]], 4, PARAMS).toarray()
    assert matrix[0, 1] > 0 and matrix[1, 0] == 0
    assert matrix[1, 2] == 0  # 2 starts another order


def test_only_the_best_followers_are_kept() -> None:
    orders = [[0, 1], [0, 1], [0, 2], [0, 3], [0, 3], [0, 3]]
    matrix = transition_matrix(orders, 4, PARAMS).toarray()
    assert np.flatnonzero(matrix[0]).tolist() == [1, 3]


def test_the_latest_session_product_weighs_most() -> None:
    matrix = transition_matrix([[0, 1], [2, 3]], 4, PARAMS)
    scores = session_scores(matrix, [2, 0], PARAMS)  # 2 is the latest
    assert scores is not None
    assert scores.max() == pytest.approx(1.0)
    assert scores[3] > scores[1] > 0


def test_no_session_or_no_followers_gives_nothing() -> None:
    matrix = transition_matrix([[0, 1]], 3, PARAMS)
    assert session_scores(matrix, [], PARAMS) is None
    assert session_scores(matrix, [2], PARAMS) is None


def _trained() -> ModelArtefact:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    products = [f"p{i}" for i in range(6)]
    history = [OrderRecord(f"o{n}", f"c{n % 3}", t0 + timedelta(hours=n),
                           ("p0", "p1", "p2") if n % 2 else ("p3", "p4"))
               for n in range(12)]
    return train(history, products, t0 + timedelta(days=1), "v1",
                 TrainingParams(factors=2, iterations=1))


def test_the_artefact_keeps_the_transitions_and_serves_them(tmp_path: Path) -> None:
    save_artefact(tmp_path, 1, _trained())
    loaded = load_artefact(tmp_path, 1, "v1")
    assert loaded.transitions is not None
    scores = session_vector(loaded, ["p1", "p3"])  # p1 is the latest
    assert scores is not None
    row = loaded.row_of
    assert scores[row["p2"]] == pytest.approx(1.0)  # what followed p1
    assert 0 < scores[row["p4"]] < scores[row["p2"]]
    assert scores[row["p0"]] == 0  # p0 never followed either


def test_an_artefact_saved_without_transitions_has_no_session_scores(tmp_path: Path) -> None:
    model = _trained()
    model.transitions = None
    save_artefact(tmp_path, 2, model)
    assert session_vector(load_artefact(tmp_path, 2, "v1"), ["p1"]) is None


def test_the_latest_product_comes_first_from_page_cart_and_views() -> None:
    profile = Profile(customer_id=None, visitor_id="v", cart=["c1", "c2"],
                      recent_views=["v2", "v1", "c1"])
    # A cart page lists its products in the order they were added: the last one is newest.
    assert latest_first(["c1", "c2"], profile) == ["c2", "c1", "v2", "v1"]
    assert latest_first(["p"], Profile(customer_id=None, visitor_id="v")) == ["p"]
