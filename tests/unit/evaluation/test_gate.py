"""The quality gate's comparison: a cell more than the tolerance below its floor fails."""

from typing import Any

from app.evaluation.gate import breaches

FLOOR: dict[str, Any] = {
    "tolerance": 0.01,
    "protocols": {
        "leave-last-basket:test": {"ndcg_at_10": {"all": 0.30, "explore": 0.12}},
        "cut:2011-10-01": {"ndcg_at_10": {"all": 0.28, "explore": 0.10}},
    },
}
AT_FLOOR = {"leave-last-basket:test": {"all": 0.30, "explore": 0.12},
            "cut:2011-10-01": {"all": 0.28, "explore": 0.10}}


def test_figures_at_or_within_the_tolerance_pass() -> None:
    within = {"leave-last-basket:test": {"all": 0.2901, "explore": 0.13},
              "cut:2011-10-01": {"all": 0.28, "explore": 0.0901}}
    assert breaches(FLOOR, AT_FLOOR) == []
    assert breaches(FLOOR, within) == []


def test_a_figure_below_the_floor_minus_the_tolerance_fails_naming_the_cell() -> None:
    dropped = {**AT_FLOOR, "cut:2011-10-01": {"all": 0.28, "explore": 0.0899}}
    found = breaches(FLOOR, dropped)
    assert [b.cell for b in found] == ["cut:2011-10-01 / explore"]
    assert "cut:2011-10-01 / explore" in str(found[0]) and "0.0899" in str(found[0])


def test_a_cell_that_was_not_measured_fails() -> None:
    found = breaches(FLOOR, {"leave-last-basket:test": AT_FLOOR["leave-last-basket:test"]})
    assert sorted(b.cell for b in found) == ["cut:2011-10-01 / all", "cut:2011-10-01 / explore"]
