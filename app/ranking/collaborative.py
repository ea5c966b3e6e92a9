"""One shopper's collaborative (ALS) scores over every model row.

Scoring all rows is a product of the whole item-factor matrix with the shopper's vector:
the largest piece of a personalized request on a big catalog. A shopper's vector only
changes with their evidence (their known factors, or the products folded in), so the
product runs once per shopper and evidence; what requests need from it is kept: the best
rows (the collaborative candidates) and the scale that normalizes every score to [-1, 1].
The score of any other row is then one dot product."""

from typing import Any

import numpy as np

from app.ranking.artefact import Floats
from app.ranking.top import top_rows

KEPT_ROWS = 200  # the default number of collaborative candidates
SHOPPERS = 4096  # the latest shoppers' scores kept per model


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
