"""A new shopper's ALS scores are computed once, on a worker thread, before the synchronous
scoring asks for them; known customers whose best rows the artefact keeps need nothing."""

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
    await asyncio.gather(*(runtime.prepare_als(None, counts) for _ in range(3)))
    assert len(recording.threads) == 1
    assert recording.threads[0] is not threading.main_thread()
    prepared = runtime.als_scores(None, counts)
    assert len(recording.threads) == 1  # found, not computed again on the loop's thread
    direct = _runtime().als_scores(None, counts)
    assert prepared is not None and direct is not None
    rows = np.arange(len(PRODUCTS))
    assert np.allclose(prepared[rows], direct[rows], atol=1e-6)
    assert prepared.top(3) == direct.top(3)


async def test_known_customers_with_kept_best_rows_need_no_preparation() -> None:
    runtime = _runtime()
    recording = Recording(runtime)
    await runtime.prepare_als("a", {})
    assert recording.threads == []
    assert runtime.als_scores("a", {}) is not None
    assert recording.threads == [threading.main_thread()]  # cheap: computed where asked


@pytest.mark.parametrize("customer_id", [None, "someone-new"])
async def test_nothing_to_prepare_without_factors_or_history(customer_id: str | None) -> None:
    runtime = _runtime()
    recording = Recording(runtime)
    await runtime.prepare_als(customer_id, {})
    assert recording.threads == [] and runtime.als_scores(customer_id, {}) is None
