"""The measurement loop folds a backlog a fold at a time with a pause as long as the fold
between two (on SQLite a fold holds the only write lock: the served lists written
meanwhile get it in the pauses); a command's own backlog is folded back to back."""

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import pytest

from app import measurement
from app.attribution.rollup import STEADY, FoldLimits, FoldReport
from app.settings import Settings


class Folds:
    """``fold_pending``: ``waiting`` folds report more rows waiting, then none."""

    def __init__(self, waiting: int) -> None:
        self.waiting = waiting
        self.calls = 0
        self.limits: list[FoldLimits] = []

    def __call__(self, session: Any, windows: Any, limits: FoldLimits) -> FoldReport:
        self.calls += 1
        self.limits.append(limits)
        more = self.calls <= self.waiting
        return FoldReport(rankings=10, more=more)


class NoDatabase:
    """``Writes`` that hands the work no connection (the fold is a stand-in), and tells
    which way each write went."""

    def __init__(self) -> None:
        self.ways: list[str] = []

    async def run(self, work: Callable[[Any], Any]) -> Any:
        self.ways.append("writer")
        return work(None)

    async def run_small(self, work: Callable[[Any], Any]) -> Any:
        self.ways.append("small")
        return work(None)


class _FlushesNothing:
    def flush(self) -> None:
        pass


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(measurement, "Session", lambda bind: nullcontext(_FlushesNothing()))
    monkeypatch.setattr(measurement.asyncio, "sleep", sleep)
    return slept


def _worker(writes: NoDatabase | None = None) -> measurement.MeasurementWorker:
    settings = Settings(rollup_interval_seconds=0.5, _env_file=None)  # type: ignore[call-arg]
    return measurement.MeasurementWorker(None, settings,  # type: ignore[arg-type]
                                         writes=writes or NoDatabase())  # type: ignore[arg-type]


async def test_a_backlog_is_folded_with_a_pause_between_folds(
        monkeypatch: pytest.MonkeyPatch, pauses: list[float]) -> None:
    folds = Folds(waiting=3)
    monkeypatch.setattr(measurement, "fold_pending", folds)
    report = await _worker().fold()
    assert folds.calls == 4 and report.more is False
    assert len(pauses) == 3  # between folds, none after the last
    assert all(0 <= p <= 0.5 for p in pauses)  # never longer than the loop's interval


async def test_a_commands_backlog_is_folded_back_to_back(
        monkeypatch: pytest.MonkeyPatch, pauses: list[float]) -> None:
    folds = Folds(waiting=3)
    monkeypatch.setattr(measurement, "fold_pending", folds)
    assert await _worker().fold_backlog() == 40
    assert folds.calls == 4 and pauses == []


async def test_a_seconds_rows_are_folded_as_a_small_write_and_a_backlog_on_the_writer(
        monkeypatch: pytest.MonkeyPatch, pauses: list[float]) -> None:
    """What a second brings is folded in one short fold on the event loop's thread (a
    hand-over to the writer thread costs more than the fold); what is left after it, in
    larger folds on the writer thread."""
    folds, writes = Folds(waiting=2), NoDatabase()
    monkeypatch.setattr(measurement, "fold_pending", folds)
    await _worker(writes).fold()
    assert writes.ways == ["small", "writer", "writer"]
    assert folds.limits == [STEADY, FoldLimits(), FoldLimits()]
    assert STEADY.rows < FoldLimits().rows and STEADY.crediting_rows < FoldLimits().crediting_rows

    folds, writes = Folds(waiting=0), NoDatabase()
    monkeypatch.setattr(measurement, "fold_pending", folds)
    await _worker(writes).fold()
    assert writes.ways == ["small"]


async def test_the_loop_checks_guardrails_every_guardrail_period_not_every_fold(
        monkeypatch: pytest.MonkeyPatch, pauses: list[float]) -> None:
    clock = [1000.0]
    monkeypatch.setattr(measurement.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(measurement, "fold_pending", Folds(waiting=0))
    worker, checks = _worker(), []

    async def check() -> int:
        checks.append(clock[0])
        return 0

    monkeypatch.setattr(worker, "check_guardrails", check)
    for _ in range(5):  # five passes a second apart: one check
        await worker._pass()
        clock[0] += 1.0
    clock[0] += measurement.GUARDRAIL_SECONDS
    await worker._pass()
    assert checks == [1000.0, 1005.0 + measurement.GUARDRAIL_SECONDS]
    await worker.run_once()  # a command's pass always checks
    assert len(checks) == 3
