"""Thompson sampling over products: each product's click-through rate has a Beta posterior
from its impressions and clicks, one rate is drawn from each, and the products are ordered
by the drawn rates. A product often clicked comes first most of the time; one seldom shown
still comes first now and then, by the width of its posterior; one shown often and never
clicked sinks.

The prior is the shop's pooled rate (all its counted impressions and clicks) worth
``strength`` impressions: a product never shown draws around what the shop's products
usually get, not around one half."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.ranking.exploration.counts import ProductCounts

MIN_RATE = 1e-3
MAX_RATE = 0.5


@dataclass(frozen=True)
class BetaPrior:
    strength: float = 2.0
    """How many impressions the prior is worth."""

    def parameters(self, counts: ProductCounts) -> tuple[float, float]:
        """``(alpha, beta)`` centred on the shop's pooled click-through rate."""
        pooled = (counts.total_clicks() + 1) / (counts.total_impressions() + 2)
        rate = min(MAX_RATE, max(MIN_RATE, pooled))
        return rate * self.strength, (1.0 - rate) * self.strength


def posterior(product_ids: Sequence[str], counts: ProductCounts,
              prior: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """The Beta parameters of each product's click-through rate."""
    clicks = np.array([counts.clicks.get(p, 0) for p in product_ids], np.float64)
    shown = np.array([counts.impressions.get(p, 0) for p in product_ids], np.float64)
    clicks = np.minimum(clicks, shown)  # a click on a list whose impression was not reported
    return prior[0] + clicks, prior[1] + shown - clicks


def thompson_order(product_ids: Sequence[str], counts: ProductCounts, prior: BetaPrior,
                   rng: np.random.Generator) -> list[int]:
    """Positions into ``product_ids``, ordered by a rate drawn from each posterior (ties,
    such as draws that underflow to 0, keep the given order)."""
    if not product_ids:
        return []
    alpha, beta = posterior(product_ids, counts, prior.parameters(counts))
    drawn = rng.beta(alpha, beta)
    return np.argsort(-drawn, kind="stable").tolist()  # type: ignore[no-any-return]
