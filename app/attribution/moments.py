"""Per-variant sums over an experiment's shoppers: what the statistics need for means,
ratios and their variances without reading one row per shopper."""

from dataclasses import dataclass, field

UNIT_METRICS = ("impressions", "clicks", "add_to_carts", "orders", "revenue")
"""What is counted per shopper (the experiment's unit) for every variant."""


@dataclass(frozen=True)
class VariantMoments:
    """``n`` shoppers of one variant; for every metric in ``UNIT_METRICS`` the sum over
    shoppers and the sum of squares, and for every pair ``(a, b)`` the sum of products
    (for ratio metrics such as CTR = clicks / impressions by the delta method)."""

    n: int
    sums: dict[str, float] = field(default_factory=dict)
    squares: dict[str, float] = field(default_factory=dict)
    products: dict[tuple[str, str], float] = field(default_factory=dict)
