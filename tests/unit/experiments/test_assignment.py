"""A shopper's variant: the same wherever and whenever it is computed, traffic split as
configured, and kept through a ramp as far as the new shares allow."""

import json
import os
import subprocess
import sys
from collections import Counter

from app.experiments.assignment import (
    assign_variant,
    cumulative_bounds,
    hash_point,
    in_holdout,
    shopper_unit,
)

NAMES = ["control", "treatment", "third"]
UNITS = [shopper_unit(f"visitor-{i}", None) or "" for i in range(20_000)]
SALT = "5f0c1d2e3a4b5c6d7e8f901a2b3c4d5e"


def _split(shares: list[float], names: list[str] = NAMES) -> list[str]:
    return [assign_variant(SALT, unit, names, shares) for unit in UNITS]


def test_the_unit_is_the_visitor_else_the_customer() -> None:
    assert shopper_unit("v1", "c1") == shopper_unit("v1", None) == "v:v1"
    assert shopper_unit(None, "c1") == "c:c1"
    assert shopper_unit(None, None) is None
    assert shopper_unit("x", None) != shopper_unit(None, "x")


def test_the_same_shopper_gets_the_same_variant_on_every_call() -> None:
    first = _split([0.5, 0.3, 0.2])
    assert _split([0.5, 0.3, 0.2]) == first
    assert len(set(first)) == 3


def test_another_process_assigns_the_same_variants() -> None:
    """Nothing depends on the process: not Python's string hash seed, not memory."""
    script = ("import json, sys; from app.experiments.assignment import assign_variant; "
              f"print(json.dumps([assign_variant({SALT!r}, u, {NAMES!r}, [0.5, 0.3, 0.2]) "
              "for u in json.load(sys.stdin)]))")
    units = UNITS[:500]
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", script], input=json.dumps(units), env=env,
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == _split([0.5, 0.3, 0.2])[:500]


def test_shares_are_respected_over_twenty_thousand_shoppers() -> None:
    counts = Counter(_split([0.5, 0.3, 0.2]))
    for name, share in zip(NAMES, [0.5, 0.3, 0.2], strict=True):
        assert abs(counts[name] / len(UNITS) - share) < 0.015, (name, counts)


def test_another_salt_is_another_split() -> None:
    other = [assign_variant("another-salt", unit, NAMES, [0.5, 0.3, 0.2]) for unit in UNITS]
    same = sum(a == b for a, b in zip(other, _split([0.5, 0.3, 0.2]), strict=True))
    assert same / len(UNITS) < 0.45  # independent: 0.5² + 0.3² + 0.2² = 0.38 agree by chance


def test_a_ramp_moves_only_the_shoppers_it_must() -> None:
    before = _split([0.5, 0.5], NAMES[:2])
    after = _split([0.8, 0.2], NAMES[:2])
    moved = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert all(a == "treatment" and b == "control" for a, b in moved)
    assert abs(len(moved) / len(UNITS) - 0.3) < 0.015


def test_a_variant_taken_out_leaves_the_others_their_shoppers() -> None:
    before = _split([1 / 3, 1 / 3, 1 / 3])
    after = _split([0.5, 0.0, 0.5])
    assert "treatment" not in after
    for old, new in zip(before, after, strict=True):
        if old != "treatment":
            assert new == old


def test_bounds_never_leave_a_gap_at_the_top() -> None:
    assert cumulative_bounds([0.1] * 10)[-1] == 1.0
    points = [hash_point(SALT, u) for u in UNITS]
    assert 0 <= min(points) < 0.001 and 0.999 < max(points) < 1


def test_the_holdout_takes_its_share_and_grows_by_adding_shoppers() -> None:
    five = {u for u in UNITS if in_holdout(7, u, 0.05)}
    ten = {u for u in UNITS if in_holdout(7, u, 0.10)}
    assert abs(len(five) / len(UNITS) - 0.05) < 0.006
    assert five < ten and abs(len(ten) / len(UNITS) - 0.10) < 0.008
    assert not any(in_holdout(7, u, 0.0) for u in UNITS)
    other_shop = {u for u in UNITS if in_holdout(8, u, 0.05)}
    assert len(five & other_shop) < len(five) * 0.2


def test_the_holdout_is_independent_of_an_experiments_split() -> None:
    held = [u for u in UNITS if in_holdout(7, u, 0.2)]
    counts = Counter(assign_variant(SALT, u, NAMES[:2], [0.5, 0.5]) for u in held)
    assert abs(counts["control"] / len(held) - 0.5) < 0.04
