"""Splits of the Online Retail baskets: leave-last-basket (tune on valid, report on test)
and a temporal cut (fit before the cut, predict each known customer's next basket)."""

from dataclasses import dataclass
from datetime import datetime

from app.datasets.online_retail import Basket

FIT_SPLITS = {"test": ("train", "valid"), "valid": ("train",)}


@dataclass(frozen=True)
class Case:
    customer_id: str
    at: datetime
    target: frozenset[str]


@dataclass(frozen=True)
class Split:
    fit: list[Basket]
    cases: list[Case]
    name: str


def leave_last_basket(baskets: list[Basket], stage: str = "test") -> Split:
    fit = [b for b in baskets if b.split in FIT_SPLITS[stage]]
    cases = [Case(b.customer_id, b.placed_at, frozenset(b.items))
             for b in baskets if b.split == stage]
    return Split(fit, cases, f"leave-last-basket:{stage}")


def temporal_cut(baskets: list[Basket], cut: datetime) -> Split:
    """Fit on everything before ``cut``; the target is each customer's first basket after
    it, for customers who bought before it (a new customer has nothing to personalize)."""
    fit = [b for b in baskets if b.placed_at < cut]
    known = {b.customer_id for b in fit}
    first: dict[str, Basket] = {}
    for b in sorted((b for b in baskets if b.placed_at >= cut), key=lambda b: b.placed_at):
        if b.customer_id in known and b.customer_id not in first:
            first[b.customer_id] = b
    cases = [Case(c, b.placed_at, frozenset(b.items)) for c, b in first.items()]
    return Split(fit, cases, f"cut:{cut.date().isoformat()}")
