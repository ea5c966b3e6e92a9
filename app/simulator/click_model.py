"""The position-biased click model of a simulated shopper (a cascade-free examination
model, as in Craswell et al. 2008 and the position-based model of Chuklin et al. 2015).

A shopper examines the item at position ``p`` (0 for the first) with probability
``1 / (1 + p) ** decay``; an examined item is clicked with probability ``relevant_click``
when it is relevant (in the shopper's held-out next basket) and ``noise_click`` otherwise.
A clicked relevant item goes to the cart with probability ``add_to_cart``; a shopper with
a cart checks out with probability ``checkout``. Irrelevant clicks never reach the cart:
revenue only comes from items the shopper really bought next."""

import random
from collections.abc import Sequence
from dataclasses import dataclass

MAX_DECAY = 10.0


@dataclass(frozen=True)
class ClickModel:
    decay: float = 0.8
    relevant_click: float = 0.6
    noise_click: float = 0.02
    add_to_cart: float = 0.8
    checkout: float = 0.9

    def __post_init__(self) -> None:
        if not 0.0 <= self.decay <= MAX_DECAY:
            raise ValueError(f"decay must be between 0 and {MAX_DECAY}")
        for name in ("relevant_click", "noise_click", "add_to_cart", "checkout"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be a probability")

    def examination(self, position: int) -> float:
        """The probability that the item at ``position`` (0-based) is looked at."""
        if position < 0:
            raise ValueError("positions start at 0")
        return float(1.0 / (1.0 + position) ** self.decay)

    def click_probability(self, position: int, relevant: bool) -> float:
        attraction = self.relevant_click if relevant else self.noise_click
        return self.examination(position) * attraction


@dataclass(frozen=True)
class Click:
    position: int
    product_id: str
    added_to_cart: bool


def clicks_on(model: ClickModel, shown: Sequence[str], relevant: frozenset[str],
              already: set[str], rng: random.Random) -> list[Click]:
    """The clicks of one shopper on one list, top to bottom. Products in ``already`` (clicked
    on an earlier list) are looked at but not clicked again. The draws are made in a fixed
    order (examination, attraction, cart for each position) so that a seed replays them."""
    clicks: list[Click] = []
    for position, product in enumerate(shown):
        examined = rng.random() < model.examination(position)
        is_relevant = product in relevant
        attracted = rng.random() < (model.relevant_click if is_relevant else model.noise_click)
        carted = rng.random() < model.add_to_cart
        if examined and attracted and product not in already:
            already.add(product)
            clicks.append(Click(position, product, is_relevant and carted))
    return clicks
