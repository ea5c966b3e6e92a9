"""Impressions and clicks per product of one shop, kept in memory by each server process.

An impression is a product of a served list that the storefront reported as viewed
(``RECOMMENDATIONS_VIEWED`` with the list's id); a click is ``PRODUCT_CLICKED`` with a
list's id. The counts grow by what was stored since the last read, so a read costs the new
events only, however long the shop has been served."""

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ProductCounts:
    """Impressions and clicks of each product, and the events read so far (``event_mark``:
    the id of the last event folded in)."""

    impressions: Counter[str] = field(default_factory=Counter)
    clicks: Counter[str] = field(default_factory=Counter)
    event_mark: int = 0

    def add_impressions(self, product_ids: list[str]) -> None:
        self.impressions.update(product_ids)

    def add_click(self, product_id: str) -> None:
        self.clicks[product_id] += 1

    def total_impressions(self) -> int:
        return sum(self.impressions.values())

    def total_clicks(self) -> int:
        return sum(self.clicks.values())
