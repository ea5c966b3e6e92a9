"""One shopper's collaborative (ALS) scores over every model row.

Scoring all rows is a product of the whole item-factor matrix with the shopper's vector:
the largest piece of a personalized request on a big catalog. A shopper's vector only
changes with their evidence (their known factors, or the products folded in), so the
product runs once per shopper and evidence; what requests need from it is kept: the best
rows (the collaborative candidates) and the scale that normalizes every score to [-1, 1].
The score of any other row is then one dot product."""

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import numpy as np

from app.ranking.artefact import Floats
from app.ranking.top import top_rows

KEPT_ROWS = 200  # the default number of collaborative candidates
SHOPPERS = 4096


class AlsScores:
    def __init__(self, factors: Floats, user: Floats) -> None:
        full = factors @ user
        top = float(np.abs(full).max()) if full.size else 0.0
        self._factors = factors
        self._user = (user / top if top > 0 else user).astype(np.float32)
        self._best = top_rows(full, KEPT_ROWS)
        self._all_kept = len(self._best) == full.size

    def __getitem__(self, rows: Any) -> Any:
        """Normalized scores of a row or an array of rows (as indexing the full vector)."""
        return self._factors[rows] @ self._user

    def top(self, count: int) -> list[int]:
        """The best ``count`` rows, best first."""
        if count > len(self._best) and not self._all_kept:
            self._best = top_rows(self._factors @ self._user, count)
            self._all_kept = len(self._best) == len(self._factors)
        return self._best[:count]


class ShopperScores:
    """The latest shoppers' ``AlsScores``, least recently used first out."""

    def __init__(self, capacity: int = SHOPPERS) -> None:
        self._capacity = capacity
        self._kept: OrderedDict[Hashable, AlsScores] = OrderedDict()

    def get(self, key: Hashable) -> AlsScores | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def put(self, key: Hashable, scores: AlsScores) -> None:
        self._kept[key] = scores
        if len(self._kept) > self._capacity:
            self._kept.popitem(last=False)
