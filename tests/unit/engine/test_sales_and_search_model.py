"""The sales calendar (only days before the asked instant count) and the search model's
listwise fit on tiny, hand-checkable data."""

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from app.ranking.artefact import load_artefact, save_artefact
from app.ranking.history import OrderRecord
from app.ranking.runtime import ModelRuntime
from app.ranking.sales import SALES_FEATURES, SalesCalendar, day_of, sale_keys
from app.ranking.training import TrainingParams, train
from app.search.features import SEARCH_FEATURES
from app.search.model import SearchModel, fit, load_search_model, stack

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
COLUMN = {name: i for i, name in enumerate(SALES_FEATURES)}


def _calendar() -> SalesCalendar:
    # row 0 sold 40, 20 and 2 days before T0 and once after it; row 1 only after T0.
    keys = np.concatenate([sale_keys([0], T0 - timedelta(days=d)) for d in (40, 20, 2)]
                          + [sale_keys([0, 1], T0 + timedelta(days=3))])
    return SalesCalendar(keys)


def test_counts_windows_and_ages_before_now_only() -> None:
    row = _calendar().history([0, 1, -1], T0)
    assert row[0, COLUMN["sales_7d"]] == pytest.approx(math.log1p(1))
    assert row[0, COLUMN["sales_30d"]] == pytest.approx(math.log1p(2))
    assert row[0, COLUMN["sales_90d"]] == pytest.approx(math.log1p(3))
    assert row[0, COLUMN["sales_before"]] == pytest.approx(math.log1p(3))
    assert row[0, COLUMN["days_since_sale"]] == pytest.approx(math.log1p(2))
    assert row[0, COLUMN["days_since_first_sale"]] == pytest.approx(math.log1p(40))
    assert row[0, COLUMN["never_sold"]] == 0.0
    for unsold in (1, 2):  # sold only later, and not in the model at all
        assert row[unsold, COLUMN["never_sold"]] == 1.0
        assert row[unsold, COLUMN["sales_before"]] == 0.0


def test_history_matches_each_rows_sales_counted_one_by_one() -> None:
    rng = np.random.default_rng(11)
    sales = [(int(rng.integers(0, 30)), int(rng.integers(-120, 10))) for _ in range(400)]
    calendar = SalesCalendar(np.concatenate(
        [sale_keys([row], T0 + timedelta(days=offset)) for row, offset in sales[:300]]))
    for row, offset in sales[300:]:  # live orders: the calendar's second array
        calendar.add([row], T0 + timedelta(days=offset))
    rows = list(range(-1, 32))  # -1: unknown; 30 and 31: never sold
    found = calendar.history(rows, T0)
    today = day_of(T0)
    for i, row in enumerate(rows):
        before = sorted(day_of(T0 + timedelta(days=offset)) for r, offset in sales
                        if r == row and row >= 0 and day_of(T0 + timedelta(days=offset)) < today)
        for days in (7, 30, 90):
            expected = sum(1 for day in before if day >= today - days)
            assert found[i, COLUMN[f"sales_{days}d"]] == pytest.approx(math.log1p(expected))
        assert found[i, COLUMN["sales_before"]] == pytest.approx(math.log1p(len(before)))
        assert found[i, COLUMN["never_sold"]] == (0.0 if before else 1.0)
        since_last = today - before[-1] if before else 3650
        since_first = today - before[0] if before else 3650
        assert found[i, COLUMN["days_since_sale"]] == pytest.approx(math.log1p(since_last))
        assert found[i, COLUMN["days_since_first_sale"]] == pytest.approx(math.log1p(since_first))


def test_live_orders_count_at_once() -> None:
    calendar = _calendar()
    calendar.add([1], T0 - timedelta(days=1))
    row = calendar.history([1], T0)
    assert row[0, COLUMN["sales_7d"]] == pytest.approx(math.log1p(1))
    assert row[0, COLUMN["never_sold"]] == 0.0


def test_training_builds_the_calendar_and_it_survives_the_round_trip(tmp_path: Path) -> None:
    history = [OrderRecord(f"o{n}", "a", T0 - timedelta(days=n), ("mug", "cup"))
               for n in (1, 5, 50)]
    artefact = train(history, ["mug", "cup", "tea"], T0, "v1", TrainingParams(factors=2, iterations=2))
    save_artefact(tmp_path, 1, artefact)
    loaded = ModelRuntime(load_artefact(tmp_path, 1, "v1"))
    row = loaded.sales.history([0, 2], T0)
    assert row[0, COLUMN["sales_7d"]] == pytest.approx(math.log1p(2))
    assert row[1, COLUMN["never_sold"]] == 1.0
    loaded.observe_order(["tea"], T0 - timedelta(hours=30))
    assert loaded.sales.history([2], T0)[0, COLUMN["never_sold"]] == 0.0


def test_the_listwise_fit_learns_which_feature_predicts_the_bought_result() -> None:
    rng = np.random.default_rng(3)
    lists = []
    signal = SEARCH_FEATURES.index("closest")
    for _ in range(200):
        x = np.zeros((8, len(SEARCH_FEATURES)))
        x[:, signal] = rng.random(8)
        x[:, 0] = rng.random(8)  # noise in another column
        relevant = np.zeros(8, bool)
        relevant[int(np.argmax(x[:, signal]))] = True
        lists.append((x, relevant))
    weights = fit(stack(lists))
    assert weights["closest"] > 5 * abs(weights.get("prior", 0.0))
    model = SearchModel(weights)
    hits = [bool(y[int(np.argmax(model.score(x)))]) for x, y in lists]
    assert sum(hits) / len(hits) > 0.9


def test_the_shipped_model_names_only_known_features(tmp_path: Path) -> None:
    model = load_search_model()
    assert set(model.weights) <= set(SEARCH_FEATURES) and model.weights
    bad = tmp_path / "weights.json"
    bad.write_text('{"weights": {"no_such_feature": 1.0}}')
    with pytest.raises(ValueError, match="no_such_feature"):
        load_search_model(bad)


def test_reads_between_live_orders_see_every_order_so_far() -> None:
    """Live orders are sorted in at the next read: reads in between see the same as a
    calendar that got them all before its first read."""
    rng = np.random.default_rng(5)
    sales = [(int(rng.integers(0, 20)), int(rng.integers(-60, 0))) for _ in range(120)]
    interleaved, at_once = _calendar(), _calendar()
    rows = list(range(20))
    for n, (row, offset) in enumerate(sales):
        interleaved.add([row], T0 + timedelta(days=offset))
        if n % 7 == 0:
            interleaved.history(rows, T0)
    for row, offset in sales:
        at_once.add([row], T0 + timedelta(days=offset))
    assert np.array_equal(interleaved.history(rows, T0), at_once.history(rows, T0))
    assert interleaved.history(rows, T0)[:, COLUMN["sales_before"]].sum() > 0
