"""Who the simulated shoppers are: customers of the leave-last-basket test split who have
a history (their earlier baskets are in the shop's order history) and whose held-out last
basket is what they would buy next, the relevance the click model uses."""

import random
from dataclasses import dataclass

from app.errors import InvalidInput
from app.evaluation.protocol import Split

MAX_SHOPPERS = 100_000


@dataclass(frozen=True)
class ShopperPlan:
    customer_id: str
    history: tuple[str, ...]
    """Products bought before, most recent basket first."""
    next_basket: frozenset[str]


def plan_shoppers(split: Split, count: int, seed: int) -> list[ShopperPlan]:
    """``count`` test customers with a history, drawn with ``seed``."""
    if not 0 < count <= MAX_SHOPPERS:
        raise InvalidInput(f"the number of shoppers must be between 1 and {MAX_SHOPPERS}")
    history: dict[str, list[str]] = {}
    for basket in sorted(split.fit, key=lambda b: b.placed_at, reverse=True):
        history.setdefault(basket.customer_id, []).extend(basket.items)
    plans = sorted((ShopperPlan(case.customer_id, tuple(dict.fromkeys(history[case.customer_id])),
                                case.target)
                    for case in split.cases if case.customer_id in history),
                   key=lambda plan: plan.customer_id)
    if count > len(plans):
        raise InvalidInput(f"the data has {len(plans)} test customers with a history; "
                           "ask for at most that many shoppers")
    return random.Random(seed).sample(plans, count)
