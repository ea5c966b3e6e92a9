"""One shopper's collaborative (ALS) scores over every model row.

Scoring all rows is a product of the whole item-factor matrix with the shopper's vector:
the largest piece of a personalized request on a big catalog. A shopper's vector only
changes with their evidence (their known factors, or the products folded in), so the
product runs once per shopper and evidence; what requests need from it is kept: the best
rows (the collaborative candidates) and the scale that normalizes every score to [-1, 1].
The score of any other row is then one dot product.

For the customers the model was trained on, the vector is fixed until the next training,
so training computes their best rows and scales as well (``customer_best_rows``): the first
request of a known customer then costs a lookup instead of the product (about 2 ms for
100k products of 100 factors on 2 cores, the largest piece of a first ``rerankSearch``)."""

from typing import Any

import numpy as np
import numpy.typing as npt

from app.ranking.artefact import Floats
from app.ranking.top import top_rows

KEPT_ROWS = 200  # the default number of collaborative candidates
SHOPPERS = 4096  # the latest shoppers' scores kept per model
USERS_PER_PRODUCT = 256  # customers scored by one matrix product in customer_best_rows
Rows = npt.NDArray[np.int32]


class AlsScores:
    def __init__(self, factors: Floats, user: Floats,
                 known: tuple[Rows, float] | None = None) -> None:
        """``known``: the shopper's best rows (best first) and scale, as
        ``customer_best_rows`` computed them; without it both come from the full product."""
        if known is None:
            full = factors @ user
            top = float(np.abs(full).max()) if full.size else 0.0
            best = top_rows(full, KEPT_ROWS)
        else:
            best, top = known[0].tolist(), known[1]
        self._factors = factors
        self._user = (user / top if top > 0 else user).astype(np.float32)
        self._best = best
        self._all_kept = len(self._best) == len(factors)

    def __getitem__(self, rows: Any) -> Any:
        """Normalized scores of a row or an array of rows (as indexing the full vector)."""
        return self._factors[rows] @ self._user

    def top(self, count: int) -> list[int]:
        """The best ``count`` rows, best first."""
        if count > len(self._best) and not self._all_kept:
            self._best = top_rows(self._factors @ self._user, count)
            self._all_kept = len(self._best) == len(self._factors)
        return self._best[:count]


def customer_best_rows(item_factors: Floats, user_factors: Floats,
                       count: int = KEPT_ROWS) -> tuple[Rows, Floats]:
    """Every customer's ``count`` best rows, best first, and the largest absolute score over
    all rows (what ``AlsScores`` normalizes by): one matrix product per group of customers."""
    kept = min(count, len(item_factors))
    best = np.zeros((len(user_factors), kept), np.int32)
    scales = np.zeros(len(user_factors), np.float32)
    if not kept:
        return best, scales
    for start in range(0, len(user_factors), USERS_PER_PRODUCT):
        scores = user_factors[start : start + USERS_PER_PRODUCT] @ item_factors.T
        scales[start : start + len(scores)] = np.abs(scores).max(axis=1)
        part = np.argpartition(-scores, kept - 1, axis=1)[:, :kept]
        order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
        best[start : start + len(scores)] = np.take_along_axis(part, order, axis=1)
    return best, scales
