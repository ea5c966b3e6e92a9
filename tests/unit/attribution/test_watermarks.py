"""Watermarks move past the ids read and remember the ids skipped, until they are read
or have grown old."""

from datetime import UTC, datetime, timedelta

from app.attribution.models import RollupWatermark
from app.attribution.watermarks import GAP_SECONDS, advance

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)


def _mark(position: int = 0, gaps: list[list[float]] | None = None) -> RollupWatermark:
    return RollupWatermark(source="events", position=position, gaps=gaps or [])


def test_ids_skipped_over_become_gaps() -> None:
    mark = _mark(10)
    advance(mark, [11, 12, 15, 19], NOW)
    assert mark.position == 19
    assert [g[:2] for g in mark.gaps] == [[13, 14], [16, 18]]


def test_a_gap_read_later_is_closed_and_split_around_what_arrived() -> None:
    mark = _mark(20, [[13, 18, NOW.timestamp()]])
    advance(mark, [15], NOW)
    assert mark.position == 20
    assert [g[:2] for g in mark.gaps] == [[13, 14], [16, 18]]
    advance(mark, [13, 14, 16, 17, 18, 21], NOW)
    assert (mark.position, mark.gaps) == (21, [])


def test_old_gaps_are_given_up() -> None:
    seen = (NOW - timedelta(seconds=GAP_SECONDS + 1)).timestamp()
    mark = _mark(20, [[13, 14, seen]])
    advance(mark, [], NOW)
    assert mark.gaps == [] and mark.position == 20


def test_gaps_are_never_changed_in_place() -> None:
    """The column is JSON: the ORM sees a change only when a new value is assigned."""
    gaps = [[13, 14, NOW.timestamp()]]
    mark = _mark(20, gaps)
    advance(mark, [13, 21], NOW)
    assert gaps == [[13, 14, NOW.timestamp()]]
    assert [g[:2] for g in mark.gaps] == [[14, 14]]
