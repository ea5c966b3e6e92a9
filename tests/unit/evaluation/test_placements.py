"""Placement sessions built from baskets, and the fit of a placement's override."""

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from app.datasets.online_retail import Basket
from app.evaluation.placements import fit_override, merge, placement_sessions
from app.evaluation.tuning import Case, objective
from app.ranking.features import NEW_FEATURES


def _basket(invoice: str, customer: str, month: int, items: tuple[str, ...]) -> Basket:
    return Basket(invoice, customer, datetime(2011, month, 1, tzinfo=UTC), items, "train")


def test_sessions_come_from_the_first_basket_after_the_cut_in_line_order() -> None:
    baskets = [_basket("1", "a", 5, ("p", "q")), _basket("2", "a", 8, ("x", "y", "z", "w")),
               _basket("3", "a", 9, ("v", "u")), _basket("4", "new", 8, ("x", "y"))]
    lines = {"2": ("z", "x", "w", "y"), "1": ("q", "p")}
    sessions = placement_sessions(baskets, lines, datetime(2011, 7, 1, tzinfo=UTC),
                                  datetime(2011, 10, 1, tzinfo=UTC))
    (product,), (cart,), (after,) = (sessions[k] for k in ("PRODUCT", "CART", "POST_PURCHASE"))
    assert product.context == ("z",) and product.target == {"x", "w", "y"}
    assert cart.context == ("z", "x") and cart.target == {"w", "y"}
    assert after.context == ("q", "p") and after.target == {"x", "y", "z", "w"}
    assert product.customer_id == "a"  # the customer unknown before the cut has none


def _case(signal: np.ndarray, relevant: np.ndarray) -> Case:
    new_x = np.zeros((len(signal), len(NEW_FEATURES)))
    new_x[:, 0] = 1.0
    new_x[:, NEW_FEATURES.index("session_next")] = signal
    new_x[:, NEW_FEATURES.index("popularity")] = np.linspace(1, 0, len(signal))
    n = len(signal)
    return Case(np.zeros((n, 3)), new_x, np.zeros(n, bool), relevant, int(relevant.sum()))


def test_the_fit_moves_a_zero_weight_that_ranks_the_targets_first() -> None:
    rng = np.random.default_rng(1)
    cases = []
    for _ in range(20):
        relevant = np.zeros(30, bool)
        relevant[rng.choice(30, 3, replace=False)] = True
        cases.append(_case(relevant + 0.1 * rng.random(30), relevant))
    wn = np.zeros(len(NEW_FEATURES))
    wn[NEW_FEATURES.index("popularity")] = 1.0
    wo = np.zeros(3)
    fitted = fit_override(cases, wo, wn, features=("session_next",))
    assert fitted[NEW_FEATURES.index("session_next")] > 0
    assert objective(cases, wo, fitted)[0] > objective(cases, wo, wn)[0]
    assert wn[NEW_FEATURES.index("session_next")] == 0  # the given weights are left alone


def test_merge_writes_only_the_fitted_overrides(tmp_path: Path) -> None:
    file = tmp_path / "weights.json"
    base = {"owned": {"bias": 1.0}, "new": {"bias": -2.0},
            "placements": {"CART": {"new": {"context": 8.0}, "owned": {"bias": 0.5}},
                           "HOME": {"new": {"trend": 1.0}}},
            "provenance": {"tuned_on": "valid"}}
    file.write_text(json.dumps(base))
    merge(file, {"CART": {"new": {"context": 2.0}, "kept_fitted": True}})
    merge(file, {"PRODUCT": {"new": {"content": 1.0}, "kept_fitted": False}})
    raw = json.loads(file.read_text())
    assert raw["owned"] == base["owned"] and raw["new"] == base["new"]
    assert raw["placements"]["CART"] == {"new": {"context": 2.0}, "owned": {"bias": 0.5}}
    assert raw["placements"]["HOME"] == {"new": {"trend": 1.0}}
    assert raw["placements"]["PRODUCT"] == {"new": {"content": 1.0}}
    assert raw["provenance"]["tuned_on"] == "valid"
    assert set(raw["provenance"]["placements_fit"]) == {"CART", "PRODUCT"}
