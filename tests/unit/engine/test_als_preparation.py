"""On the request path a new shopper's ALS scores are computed once, on a worker thread;
known customers whose best rows the artefact keeps are scored where asked (it is cheap)."""

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from app.ranking.collaborative import AlsScores
from app.ranking.history import OrderRecord
from app.ranking.runtime import ModelRuntime
from app.ranking.training import TrainingParams, train

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PRODUCTS = ["mug", "cup", "tea", "hose", "trowel", "seeds"]
BASKETS = [("a", ["mug", "cup"]), ("b", ["mug", "cup", "tea"]), ("c", ["hose", "trowel"]),
           ("d", ["hose", "trowel", "seeds"]), ("a", ["mug", "tea"]), ("e", ["mug", "cup"])]


def _runtime() -> ModelRuntime:
    history = [OrderRecord(f"o{n}", buyer, T0 + timedelta(days=n), tuple(items))
               for n, (buyer, items) in enumerate(BASKETS)]
    return ModelRuntime(train(history, PRODUCTS, T0 + timedelta(days=6), "v1",
                              TrainingParams(factors=4, iterations=3)))


class Recording:
    """Wraps a runtime's computation: which threads computed, how often."""

    def __init__(self, runtime: ModelRuntime) -> None:
        self.threads: list[threading.Thread] = []
        compute = runtime._compute_als

        def recorded(customer_id: str | None, counts: dict[int, float]) -> AlsScores | None:
            self.threads.append(threading.current_thread())
            return compute(customer_id, counts)

        runtime._compute_als = recorded  # type: ignore[method-assign]


async def test_a_visitor_is_folded_in_off_the_event_loop_once() -> None:
    runtime = _runtime()
    recording = Recording(runtime)
    counts = {runtime.artefact.row_of["hose"]: 1.0, runtime.artefact.row_of["seeds"]: 2.0}
    found = await asyncio.gather(*(runtime.shopper_als_scores(None, counts) for _ in range(3)))
    assert len(recording.threads) == 1
    assert found[0] is not None and found[0] is found[1] is found[2]
    assert recording.threads[0] is not threading.main_thread()
    prepared = runtime.als_scores(None, counts)
    assert len(recording.threads) == 1  # found, not computed again on the loop's thread
    assert prepared is found[0]
    direct = _runtime().als_scores(None, counts)
    assert prepared is not None and direct is not None
    rows = np.arange(len(PRODUCTS))
    assert np.allclose(prepared[rows], direct[rows], atol=1e-6)
    assert prepared.top(3) == direct.top(3)


async def test_known_customers_with_kept_best_rows_are_scored_on_the_loop() -> None:
    runtime = _runtime()
    recording = Recording(runtime)
    assert recording.threads == []
    assert await runtime.shopper_als_scores("a", {}) is not None
    assert recording.threads == [threading.main_thread()]  # cheap: computed where asked
    assert runtime.als_scores("a", {}) is not None
    assert recording.threads == [threading.main_thread()]


@pytest.mark.parametrize("customer_id", [None, "someone-new"])
async def test_nothing_to_prepare_without_factors_or_history(customer_id: str | None) -> None:
    runtime = _runtime()
    recording = Recording(runtime)
    assert await runtime.shopper_als_scores(customer_id, {}) is None
    assert recording.threads == [] and runtime.als_scores(customer_id, {}) is None
