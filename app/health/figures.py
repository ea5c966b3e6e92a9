"""One health figure: a measured value against its target, green or red, with the one thing
to do about it. Shares aim at the mission's 95 % coverage; counts and ages at a ceiling."""

from dataclasses import dataclass
from enum import Enum

COVERAGE_TARGET = 0.95
"""The mission's signal coverage target, for every share."""


class Goal(str, Enum):
    AT_LEAST = "at_least"
    """Green when the value is the target or above (shares)."""
    AT_MOST = "at_most"
    """Green when the value is the target or below (backlogs, failures, ages)."""


@dataclass(frozen=True)
class Figure:
    key: str
    """Stable name (``catalog_embedded``), for the console and tests."""
    label: str
    value: float | None
    """The measure; ``None`` when there is nothing to measure yet (red)."""
    target: float
    goal: Goal
    ok: bool
    advice: str
    """What to do, in one sentence (or what the figure means, when it is green)."""
    count: int | None = None
    """For a share: how many of ``total`` qualify."""
    total: int | None = None
    unit: str = "share"
    """``share`` (0 to 1), ``count`` or ``hours``."""


def share(key: str, label: str, count: int, total: int, *, advice: str, empty: str,
          good: str) -> Figure:
    """``count`` of ``total`` against the coverage target: ``advice`` when red, ``empty``
    when ``total`` is 0, ``good`` when green."""
    if total <= 0:
        return Figure(key, label, None, COVERAGE_TARGET, Goal.AT_LEAST, False, empty, 0, 0)
    value = count / total
    ok = value >= COVERAGE_TARGET
    return Figure(key, label, value, COVERAGE_TARGET, Goal.AT_LEAST, ok, good if ok else advice,
                  count, total)


def ceiling(key: str, label: str, value: float | None, limit: float, unit: str, *,
            advice: str, good: str, missing: str = "") -> Figure:
    """``value`` against a ceiling: green at ``limit`` or below; ``None`` is red with
    ``missing``."""
    if value is None:
        return Figure(key, label, None, limit, Goal.AT_MOST, False, missing or advice, unit=unit)
    ok = value <= limit
    return Figure(key, label, value, limit, Goal.AT_MOST, ok, good if ok else advice, unit=unit)
