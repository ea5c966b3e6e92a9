"""Next-basket signals in the manner of TIFU-KNN (Hu et al., SIGIR 2020): each customer's
time-decayed, grouped purchase frequencies (the personal vector) and the mean personal
vector of the customers most like them (the neighbourhood vector).

Both are built at training time for the customers the model knows and kept in the
artefact, row-aligned with ``customer_ids``; a shopper the model does not know gets a
neighbourhood at request time from their purchases (one sparse product against the unit
personal vectors, then the mean of the nearest rows)."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from scipy import sparse

from app.ranking.history import OrderRecord

Floats = npt.NDArray[np.float32]
SIMILARITY_CHUNK = 512
"""Customers whose similarities to everyone are held at once (512 x customers)."""


@dataclass(frozen=True)
class NextBasketParams:
    """The chosen TIFU-KNN point of ``app/evaluation/tifu.json`` (tuned on ``valid``)."""

    group_size: int = 4
    within_decay: float = 1.0
    group_decay: float = 0.6
    neighbours: int = 200
    keep: int = 300
    """Items kept per customer in the stored neighbourhood vector (the largest)."""


def grouped_weights(count: int, p: NextBasketParams) -> npt.NDArray[np.float64]:
    """The weight of each of ``count`` baskets (oldest first) in the personal vector."""
    if count == 0:
        return np.zeros(0)
    position = np.arange(count)
    group, within = np.divmod(position, p.group_size)
    groups = -(-count // p.group_size)
    in_group = np.minimum(p.group_size, count - group * p.group_size)
    return np.asarray((p.group_decay ** (groups - 1 - group) / groups)
                      * (p.within_decay ** (in_group - 1 - within) / in_group))


def personal_vectors(history: Sequence[OrderRecord], rows: Mapping[str, int],
                     customers: Sequence[str], p: NextBasketParams) -> sparse.csr_matrix:
    """One row per customer of ``customers``: the grouped, decayed frequencies."""
    row_of = {c: n for n, c in enumerate(customers)}
    baskets: dict[int, list[tuple[datetime, list[int]]]] = defaultdict(list)
    for order in history:
        row = row_of.get(order.buyer)
        cols = [rows[i] for i in dict.fromkeys(order.products) if i in rows]
        if row is not None and cols:
            baskets[row].append((order.placed_at, cols))
    r: list[int] = []
    c: list[int] = []
    w: list[float] = []
    for row, held in baskets.items():
        held.sort(key=lambda b: b[0])
        for weight, (_, cols) in zip(grouped_weights(len(held), p).tolist(), held, strict=True):
            r.extend([row] * len(cols))
            c.extend(cols)
            w.extend([weight] * len(cols))
    # Duplicate (row, column) entries are summed: an item in several baskets adds up.
    return sparse.csr_matrix((np.asarray(w, np.float32), (r, c)),
                             shape=(len(customers), len(rows)))


def unit_rows(vectors: sparse.csr_matrix) -> sparse.csr_matrix:
    """The rows scaled to length 1 (all-zero rows stay zero)."""
    norms = np.sqrt(np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel())
    scale = sparse.diags(1.0 / np.where(norms > 0, norms, 1.0))
    return sparse.csr_matrix(scale @ vectors, dtype=np.float32)


def _mean_of(vectors: sparse.csr_matrix, chosen: npt.NDArray[np.int64]) -> sparse.csr_matrix:
    """Row ``q``: the mean of ``vectors`` over the rows ``chosen[q]`` (-1: none)."""
    queries, count = chosen.shape
    valid = chosen >= 0
    share = valid / np.maximum(valid.sum(axis=1, keepdims=True), 1)
    select = sparse.csr_matrix(
        (share.ravel().astype(np.float32), np.where(valid, chosen, 0).ravel(),
         np.arange(0, queries * count + 1, count)), shape=(queries, vectors.shape[0]))
    select.eliminate_zeros()
    return sparse.csr_matrix(select @ vectors)


def _keep_largest(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    matrix = matrix.tocsr()
    r: list[npt.NDArray[np.int64]] = []
    c: list[npt.NDArray[np.int32]] = []
    v: list[Floats] = []
    for i in range(matrix.shape[0]):
        start, end = matrix.indptr[i], matrix.indptr[i + 1]
        data = matrix.data[start:end]
        best = np.argsort(-data, kind="stable")[:keep]
        r.append(np.full(len(best), i))
        c.append(matrix.indices[start:end][best])
        v.append(data[best])
    if not r:
        return sparse.csr_matrix(matrix.shape, dtype=np.float32)
    return sparse.csr_matrix((np.concatenate(v), (np.concatenate(r), np.concatenate(c))),
                             shape=matrix.shape, dtype=np.float32)


def nearest(unit: sparse.csr_matrix, queries: sparse.csr_matrix, count: int,
            exclude: npt.NDArray[np.int64] | None = None) -> npt.NDArray[np.int64]:
    """For each query row (length 1), the ``count`` rows of ``unit`` most cosine-similar,
    nearest first; ``exclude[q]``: a row never chosen for query ``q`` (itself), -1 none.
    A row with nothing in common with the query (similarity 0) is no neighbour: -1."""
    count = min(count, unit.shape[0] - (0 if exclude is None else 1))
    out = np.zeros((queries.shape[0], max(count, 0)), np.int64)
    if count <= 0:
        return out
    for start in range(0, queries.shape[0], SIMILARITY_CHUNK):
        chunk = queries[start : start + SIMILARITY_CHUNK]
        similarity = np.asarray((chunk @ unit.T).toarray())
        if exclude is not None:
            own = exclude[start : start + chunk.shape[0]]
            mine = own >= 0
            similarity[np.flatnonzero(mine), own[mine]] = -np.inf
        best = np.argpartition(-similarity, count - 1, axis=1)[:, :count]
        close = np.take_along_axis(similarity, best, axis=1)
        order = np.argsort(-close, axis=1, kind="stable")
        chosen = np.take_along_axis(best, order, axis=1)
        chosen[np.take_along_axis(close, order, axis=1) <= 0] = -1
        out[start : start + chunk.shape[0]] = chosen
    return out


def neighbourhoods(personal: sparse.csr_matrix, p: NextBasketParams) -> sparse.csr_matrix:
    """Each customer's neighbourhood vector: the mean personal vector of the ``neighbours``
    most similar other customers, its ``keep`` largest items kept."""
    unit = unit_rows(personal)
    customers = personal.shape[0]
    chosen = nearest(unit, unit, p.neighbours, np.arange(customers, dtype=np.int64))
    if chosen.shape[1] == 0:
        return sparse.csr_matrix(personal.shape, dtype=np.float32)
    return _keep_largest(_mean_of(personal, chosen), p.keep)


def neighbourhood_of(personal: sparse.csr_matrix, unit: sparse.csr_matrix,
                     weights: Mapping[int, float], p: NextBasketParams) -> Floats | None:
    """The neighbourhood vector (dense over items) of a shopper the model does not know,
    from their weighted items (row -> weight); ``unit``: ``unit_rows(personal)``, kept
    with the model. ``None`` without any items."""
    if not weights or personal.shape[0] == 0:
        return None
    cols = np.fromiter(weights.keys(), np.int64, len(weights))
    values = np.fromiter(weights.values(), np.float64, len(weights))
    query = unit_rows(sparse.csr_matrix(
        (values, (np.zeros(len(cols), np.int64), cols)), shape=(1, personal.shape[1])))
    chosen = nearest(unit, query, p.neighbours)
    if chosen.shape[1] == 0:
        return None
    return np.asarray(_mean_of(personal, chosen).toarray()[0], np.float32)
