"""Shoppers are test customers with a history: their earlier items most recent first,
their held-out basket as what they buy next, drawn the same way for the same seed."""

from datetime import UTC, datetime

import pytest

from app.datasets.online_retail import Basket
from app.errors import InvalidInput
from app.evaluation.protocol import leave_last_basket
from app.simulator.shoppers import plan_shoppers


def _basket(invoice: str, customer: str, day: int, items: str, split: str) -> Basket:
    return Basket(invoice, customer, datetime(2011, 1, day, tzinfo=UTC), tuple(items.split()),
                  split)


BASKETS = [
    _basket("1", "a", 1, "x y", "train"), _basket("2", "a", 2, "z x", "valid"),
    _basket("3", "a", 3, "q", "test"),
    _basket("4", "b", 1, "y", "test"),  # no history: not a shopper
] + [_basket(f"c{n}", f"c{n}", 1, "x", "valid") for n in range(20)] + [
    _basket(f"t{n}", f"c{n}", 2, "y", "test") for n in range(20)]
SPLIT = leave_last_basket(BASKETS, "test")


def test_a_shopper_has_their_history_most_recent_first_and_their_next_basket() -> None:
    plans = {p.customer_id: p for p in plan_shoppers(SPLIT, 21, seed=0)}
    assert "b" not in plans
    assert plans["a"].history == ("z", "x", "y")
    assert plans["a"].next_basket == frozenset({"q"})


def test_the_same_seed_draws_the_same_shoppers() -> None:
    def drawn(seed: int) -> list[str]:
        return [p.customer_id for p in plan_shoppers(SPLIT, 5, seed)]

    assert drawn(1) == drawn(1)
    assert any(drawn(seed) != drawn(1) for seed in range(2, 10))


@pytest.mark.parametrize("count", [0, 22])
def test_more_shoppers_than_test_customers_with_a_history_is_refused(count: int) -> None:
    with pytest.raises(InvalidInput):
        plan_shoppers(SPLIT, count, seed=0)
