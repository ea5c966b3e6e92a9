"""TIFU-KNN (Hu et al., SIGIR 2020, "Modeling Personalized Item Frequency Information for
Next-basket Recommendation"): a reference model for next-basket prediction.

A customer's baskets in time order are cut into groups of ``group_size`` baskets (the last,
newest group may be partial). A group's vector is the mean over its baskets of
``within_decay ** (n - b) * one_hot(basket b)`` (``n`` baskets in the group, the newest has
exponent 0); the personal vector is the mean over the ``G`` groups of
``group_decay ** (G - g) * group vector g``. The prediction is
``alpha * personal + (1 - alpha) * mean of the k nearest customers' personal vectors``,
nearest by cosine similarity of the personal vectors.

Columns are kept in the order of the items given; callers that want ties broken by
popularity give the items most popular first (see ``TifuKnn.ranked``)."""

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

from app.datasets.online_retail import Basket

DEFAULT_PARAMETERS = Path(__file__).with_name("tifu.json")
Rows = npt.NDArray[np.int64]
Dense = npt.NDArray[np.float64]
SIMILARITY_CHUNK = 512
"""Query customers whose similarities to everyone are held at once (512 x customers)."""


@dataclass(frozen=True)
class TifuParameters:
    group_size: int = 2
    within_decay: float = 0.9
    group_decay: float = 0.7
    neighbours: int = 300
    alpha: float = 0.9

    def __post_init__(self) -> None:
        if self.group_size < 1 or self.neighbours < 1:
            raise ValueError("group_size and neighbours must be at least 1")
        if not (0 < self.within_decay <= 1 and 0 < self.group_decay <= 1
                and 0 <= self.alpha <= 1):
            raise ValueError("decays must be in (0, 1] and alpha in [0, 1]")


def load_parameters(path: Path = DEFAULT_PARAMETERS) -> TifuParameters:
    """The tuned parameters written by ``app.evaluation.tifu_tuning``."""
    chosen = json.loads(path.read_text())["parameters"]
    return TifuParameters(**{k: chosen[k] for k in asdict(TifuParameters())})


def histories(fit: Sequence[Basket], columns: Mapping[str, int]) -> dict[str, list[list[int]]]:
    """Each customer's baskets in time order, as column lists (unknown items dropped)."""
    ordered = sorted(fit, key=lambda b: (b.placed_at, b.invoice_no))
    out: dict[str, list[list[int]]] = defaultdict(list)
    for basket in ordered:
        cols = [columns[i] for i in dict.fromkeys(basket.items) if i in columns]
        if cols:
            out[basket.customer_id].append(cols)
    return dict(out)


def personal_vectors(baskets_of: Sequence[Sequence[Sequence[int]]], items: int,
                     group_size: int, within_decay: float,
                     group_decay: float) -> sparse.csr_matrix:
    """One row per customer (the order of ``baskets_of``): the decayed, grouped frequencies."""
    rows: list[int] = []
    cols: list[int] = []
    weights: list[float] = []
    for row, baskets in enumerate(baskets_of):
        count = len(baskets)
        groups = -(-count // group_size)
        for position, basket in enumerate(baskets):
            group, within = divmod(position, group_size)
            in_group = min(group_size, count - group * group_size)
            weight = (group_decay ** (groups - 1 - group) / groups
                      * within_decay ** (in_group - 1 - within) / in_group)
            rows.extend([row] * len(basket))
            cols.extend(basket)
            weights.extend([weight] * len(basket))
    # Duplicate (row, column) entries are summed: an item in several baskets adds up.
    return sparse.csr_matrix((np.asarray(weights), (rows, cols)),
                             shape=(len(baskets_of), items))


def unit_rows(vectors: sparse.csr_matrix) -> sparse.csr_matrix:
    """The rows scaled to length 1 (all-zero rows stay zero)."""
    norms = np.sqrt(np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel())
    scale = sparse.diags(1.0 / np.where(norms > 0, norms, 1.0))
    return sparse.csr_matrix(scale @ vectors)


def nearest(unit: sparse.csr_matrix, rows: Rows, count: int) -> Rows:
    """For each of ``rows``, the ``count`` other rows most cosine-similar to it (``unit``:
    rows of length 1), nearest first (ties: lower row first); fewer when there are fewer."""
    count = min(count, unit.shape[0] - 1)
    out = np.zeros((len(rows), max(count, 0)), np.int64)
    for start in range(0, len(rows), SIMILARITY_CHUNK):
        chunk = rows[start : start + SIMILARITY_CHUNK]
        similarity = (unit[chunk] @ unit.T).toarray()
        similarity[np.arange(len(chunk)), chunk] = -np.inf  # never one's own neighbour
        order = np.argsort(-similarity, axis=1, kind="stable")
        out[start : start + len(chunk)] = order[:, :count]
    return out


def neighbour_mean(vectors: sparse.csr_matrix, neighbours: Rows) -> Dense:
    """The mean personal vector of each row's neighbours (one dense row per query)."""
    queries, count = neighbours.shape
    if count == 0:
        return np.zeros((queries, vectors.shape[1]))
    select = sparse.csr_matrix(
        (np.full(queries * count, 1.0 / count), neighbours.ravel(),
         np.arange(0, queries * count + 1, count)), shape=(queries, vectors.shape[0]))
    return np.asarray((select @ vectors).toarray())


def blend(vectors: sparse.csr_matrix, rows: Rows, neighbours: Dense, alpha: float) -> Dense:
    personal = np.asarray(vectors[rows].toarray())
    return alpha * personal + (1.0 - alpha) * neighbours


class TifuKnn:
    """TIFU-KNN fitted on some baskets over ``items`` (the columns, in tie-break order)."""

    def __init__(self, fit: Sequence[Basket], items: Sequence[str],
                 parameters: TifuParameters) -> None:
        self.items = list(items)
        self.parameters = parameters
        by_customer = histories(fit, {item: n for n, item in enumerate(self.items)})
        self._row = {c: n for n, c in enumerate(by_customer)}
        self._vectors = personal_vectors(
            list(by_customer.values()), len(self.items), parameters.group_size,
            parameters.within_decay, parameters.group_decay)
        self._unit = unit_rows(self._vectors)

    def knows(self, customer: str) -> bool:
        return customer in self._row

    def scores(self, customers: Sequence[str]) -> Dense:
        """One row of item scores per (known) customer."""
        rows = np.asarray([self._row[c] for c in customers], np.int64)
        around = neighbour_mean(self._vectors,
                                nearest(self._unit, rows, self.parameters.neighbours))
        return blend(self._vectors, rows, around, self.parameters.alpha)

    def ranked(self, customer: str) -> list[str]:
        """Every item by score; equal scores keep the order of ``items``."""
        if customer not in self._row:
            return list(self.items)
        order = np.argsort(-self.scores([customer])[0], kind="stable")
        return [self.items[i] for i in order]


def by_popularity(fit: Sequence[Basket], items: Sequence[str]) -> list[str]:
    """``items``, those bought by the most customers first (equal counts keep their order):
    the tie-break order of the references' rankings."""
    buyers: dict[str, set[str]] = defaultdict(set)
    for basket in fit:
        for item in basket.items:
            buyers[item].add(basket.customer_id)
    return sorted(items, key=lambda i: -len(buyers.get(i, ())))
