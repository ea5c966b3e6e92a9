"""In a server, full collections run on a schedule; elsewhere the collector is left alone."""

import asyncio
import gc
from collections.abc import Iterator

import pytest

from app.process import heap


@pytest.fixture
def serving(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """A server's collector settings, with ``gc.collect`` recorded instead of run; the
    test process's own settings come back afterwards."""
    thresholds = gc.get_threshold()
    collections: list[int] = []
    monkeypatch.setattr(heap.gc, "collect", lambda generation=2: collections.append(generation) or 0)
    monkeypatch.setattr(heap.gc, "freeze", lambda: None)
    heap.tune_for_serving()
    try:
        yield collections
    finally:
        heap._serving = False
        gc.set_threshold(*thresholds)


def test_a_server_never_starts_a_full_collection_by_count(serving: list[int]) -> None:
    young, middle, full = gc.get_threshold()
    assert (young, middle) == heap.SERVER_THRESHOLDS[:2]
    # a middle-generation collection each 40,000 net allocations: years at any request rate
    assert full >= 1_000_000
    assert serving == [2]  # settled once, as before


async def test_full_collections_run_on_schedule_until_stopped(
        serving: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()
    times: list[float] = []
    third = asyncio.Event()

    def collect(generation: int = 2) -> int:
        serving.append(generation)
        times.append(loop.time())
        if len(times) == 3:
            third.set()
        return 0

    monkeypatch.setattr(heap.gc, "collect", collect)
    serving.clear()
    stop = asyncio.Event()
    started = loop.time()
    task = asyncio.create_task(heap.collect_on_schedule(stop, seconds=0.02))
    await asyncio.wait_for(third.wait(), 10)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert set(serving) == {2}
    # each one a full interval after the one before: on schedule, never in a busy loop
    gaps = [b - a for a, b in zip([started, *times], times, strict=False)]
    assert min(gaps) >= 0.02 * 0.9, gaps
    count = len(serving)
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(serving) == count  # none after the stop


async def test_outside_a_server_nothing_is_scheduled(monkeypatch: pytest.MonkeyPatch) -> None:
    collections: list[int] = []
    monkeypatch.setattr(heap.gc, "collect", lambda generation=2: collections.append(generation) or 0)
    assert not heap._serving
    await asyncio.wait_for(heap.collect_on_schedule(asyncio.Event(), seconds=0.01), 1.0)
    heap.settle()
    assert collections == []
