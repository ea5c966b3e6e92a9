"""The candidate pool: products gathered from several sources, each remembered with why."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum


class Source(str, Enum):
    # Hashed as its string in C, not by Enum's Python-level ``__hash__``: a request adds
    # hundreds of candidates keyed by source. Equal to its value, so the same hash.
    __hash__ = str.__hash__

    BUY_AGAIN = "BUY_AGAIN"
    CONTENT = "CONTENT"
    BOUGHT_TOGETHER = "BOUGHT_TOGETHER"
    COLLABORATIVE = "COLLABORATIVE"
    TRENDING = "TRENDING"
    POPULAR = "POPULAR"
    NEW_ARRIVAL = "NEW_ARRIVAL"


@dataclass(slots=True)
class Candidate:
    product_id: str
    sources: dict[Source, str | None] = field(default_factory=dict)
    """Each source that proposed it, with its anchor product id (if any)."""
    content: float = 0.0


class CandidatePool:
    def __init__(self) -> None:
        self._items: dict[str, Candidate] = {}

    def add(self, product_id: str, source: Source, anchor: str | None = None) -> Candidate:
        candidate = self._items.get(product_id)
        if candidate is None:
            candidate = self._items[product_id] = Candidate(product_id)
        candidate.sources.setdefault(source, anchor)
        return candidate

    def add_all(self, product_ids: Iterable[str], source: Source) -> None:
        """``add`` for many products from one source, without anchors."""
        items = self._items
        for product_id in product_ids:
            candidate = items.get(product_id)
            if candidate is None:
                items[product_id] = Candidate(product_id, {source: None})
            elif source not in candidate.sources:
                candidate.sources[source] = None

    def add_content(self, product_id: str, similarity: float, anchor: str) -> None:
        candidate = self.add(product_id, Source.CONTENT, anchor)
        if similarity > candidate.content:
            candidate.content = similarity
            candidate.sources[Source.CONTENT] = anchor

    def discard(self, product_ids: set[str]) -> None:
        for product_id in product_ids:
            self._items.pop(product_id, None)

    @property
    def items(self) -> list[Candidate]:
        return list(self._items.values())

    def __len__(self) -> int:
        return len(self._items)
