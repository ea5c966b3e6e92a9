"""The bookkeeping of the experiment, KPI and rollup-lag benchmarks: which side served what,
when a difference meets its target, and when a click counts as counted."""

import asyncio
import json

import httpx
import pytest

from app.attribution.tally import DAILY_COUNTERS
from benchmarks import rollup_lag
from benchmarks.compare import Slice
from benchmarks.experiment_serving import KINDS, NONE, RUNNING, cost_target
from benchmarks.kpi_seed import rest_statements
from benchmarks.side_by_side import Run, shares


def served(side: str, experiment: int, holdout: int, other: int) -> dict[str, object]:
    return {"side": side, "index": 0, "lists": experiment + holdout + other,
            "experiment": experiment, "holdout": holdout}


def test_shares_are_counted_per_side() -> None:
    lists = [served(RUNNING, 90, 5, 5), served(NONE, 0, 4, 96), served(RUNNING, 45, 3, 2)]
    assert shares(lists, RUNNING, KINDS) == {"experiment": 0.9, "holdout": 0.053}
    assert shares(lists, NONE, KINDS) == {"experiment": 0.0, "holdout": 0.04}


def measured(running_p99: float, none_p99: float, lists: list[dict[str, object]],
             failed: int = 0) -> Run:
    return Run([Slice(NONE, 0, 4.0, none_p99, 3.9), Slice(RUNNING, 0, 4.1, running_p99, 4.0,
                                                          failed)], lists)


def test_a_small_difference_with_the_experiment_served_meets_the_target() -> None:
    lists = [served(RUNNING, 95, 5, 0), served(NONE, 0, 5, 95)]
    target = cost_target(measured(6.5, 6.0, lists), 4.0, "engine")
    assert (target.value, target.met) == (0.5, True)


def test_a_side_that_served_no_experiment_fails_however_fast() -> None:
    lists = [served(RUNNING, 0, 5, 95), served(NONE, 0, 5, 95)]
    target = cost_target(measured(6.0, 6.0, lists), 4.0, "engine")
    assert not target.met
    assert "not served" in target.note


def test_a_larger_difference_or_a_failed_request_misses_the_target() -> None:
    lists = [served(RUNNING, 95, 5, 0), served(NONE, 0, 5, 95)]
    assert not cost_target(measured(7.5, 6.0, lists), 4.0, "engine").met
    assert not cost_target(measured(6.0, 6.0, lists, failed=1), 4.0, "engine").met


def test_every_rollup_statement_writes_every_daily_counter() -> None:
    for statement in rest_statements():
        if "INSERT INTO kpi_daily" in statement:
            columns = statement.split("INSERT INTO kpi_daily (", 1)[1].split(")", 1)[0]
            assert [c.strip() for c in columns.split(",")][5:] == list(DAILY_COUNTERS)


def test_lags_are_reported_in_seconds() -> None:
    assert rollup_lag.in_seconds({"p95_ms": 1234.5, "p50_ms": None, "count": 3}) == {
        "p95_s": 1.234, "p50_s": None, "count": 3}


def track_events(accepted: list[str]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        events = json.loads(request.content)["variables"]["events"]
        accepted.extend(e["recommendationId"] for e in events)
        return httpx.Response(200, json={"data": {"trackEvents": {"accepted": len(events)}}})

    return httpx.MockTransport(answer)


def lag_run(uncounted: int) -> dict[str, object]:
    """Five clicks through a fake server whose rollups count all it accepted but the last
    ``uncounted``."""
    accepted: list[str] = []
    lists = [(f"list-{n}", f"product-{n}") for n in range(5)]

    async def clicks() -> int:
        return max(0, len(accepted) - uncounted)

    async def run() -> dict[str, object]:
        async with httpx.AsyncClient(transport=track_events(accepted), base_url="http://x") as client:
            return await rollup_lag.clicks_counted(client, "key", clicks, lists, rate=1000.0)

    figures = asyncio.run(run())
    assert accepted == [name for name, _ in lists]
    return figures


def test_each_click_counts_once_the_rollups_have_grown_by_its_rank() -> None:
    figures = lag_run(uncounted=0)
    assert (figures["counted"], figures["missed"]) == (5, 0)


def test_a_click_never_counted_is_missed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rollup_lag, "GIVE_UP_SECONDS", 0.3)
    figures = lag_run(uncounted=2)
    assert (figures["counted"], figures["missed"]) == (3, 2)
