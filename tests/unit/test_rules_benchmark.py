"""The 50-rule serving benchmark: its rules are valid rules of every kind a merchant uses
on HOME, and its target is met only when the rules were applied and nothing failed."""

from dataclasses import dataclass

from app.rules.specs import KINDS, checked_spec
from benchmarks.compare import Slice
from benchmarks.rules_serving import NONE, RULE_COUNT, RULES, cost_target, fifty_rules
from benchmarks.side_by_side import Run


@dataclass
class _World:
    products: int = 2_000


def test_the_fifty_rules_are_valid_and_of_every_kind_but_include() -> None:
    specs = fifty_rules(_World())  # type: ignore[arg-type]
    assert len(specs) == RULE_COUNT == 50
    assert [checked_spec(s) for s in specs]  # raises InvalidInput on a bad one
    assert {s.kind for s in specs} == set(KINDS) - {"include"}
    assert {s.placement for s in specs} == {"HOME"}
    assert [s.position for s in specs if s.kind == "pin"] == [1, 3, 5, 7, 9]


def served(side: str, lists: int, first_pinned: int) -> dict[str, object]:
    return {"side": side, "index": 0, "lists": lists, "first_pinned": first_pinned}


def measured(ruled_p99: float, none_p99: float, lists: list[dict[str, object]],
             failed: int = 0) -> Run:
    return Run([Slice(NONE, 0, 4.0, none_p99, 3.9), Slice(RULES, 0, 4.1, ruled_p99, 4.0, failed)],
               lists)


def test_a_small_difference_with_the_rules_applied_meets_the_target() -> None:
    target = cost_target(measured(6.8, 6.0, [served(RULES, 800, 790), served(NONE, 800, 3)]), 4.0)
    assert (target.value, target.met) == (0.8, True)


def test_rules_not_applied_or_a_failure_or_a_larger_difference_miss_it() -> None:
    applied = [served(RULES, 800, 790), served(NONE, 800, 3)]
    not_applied = cost_target(measured(6.0, 6.0, [served(RULES, 800, 0), served(NONE, 800, 0)]), 4.0)
    assert not not_applied.met and "not applied" in not_applied.note
    assert not cost_target(measured(7.5, 6.0, applied), 4.0).met
    assert not cost_target(measured(6.0, 6.0, applied, failed=2), 4.0).met
