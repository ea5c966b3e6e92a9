"""Session intent: what shoppers add next, after the products they just looked at.

Co-purchase neighbours (``training._neighbours``) say which products share buyers, with no
order. An order's lines keep the order they were added in, and the last products of a live
session say most about the next ones. So training counts, for every product, the products
that followed it within ``window`` lines of one order (each at ``decay ** (distance - 1)``),
row-normalizes the counts and keeps the ``keep`` best per row (``transition_matrix``); a
request sums the rows of the session's products, the latest weighted most
(``session_scores``), over a few sparse rows like the co-purchase spread.

Measured on the guest sessions of the Online Retail data (fit on customer orders before
2011-10-01, the session's later products as target, the rest of the list by popularity):
the followers alone (``recency`` 2) reach NDCG@10 0.177 / 0.230 on the earlier / later
half of the sessions, against 0.065 / 0.054 with every viewed product weighted alike, and
0.187 / 0.176 for the co-purchase neighbours. Building it from 13,081 orders takes 0.9 s
(1.2 MB); 10 session products cost a request about 0.2 ms."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from app.profiles.types import Profile
from app.ranking.artefact import ModelArtefact

Scores = npt.NDArray[np.float32]


@dataclass(frozen=True)
class TransitionParams:
    window: int = 10
    """How many later lines of an order count as following a product."""
    decay: float = 0.7
    """A product ``d`` lines later counts ``decay ** (d - 1)``."""
    keep: int = 50
    """The best followers kept per product."""
    recency: float = 2.0
    """A session product ``n`` places before the latest weighs ``exp(-recency * n)``."""


DEFAULT_TRANSITIONS = TransitionParams()


def _pairs(orders: Sequence[Sequence[int]], params: TransitionParams,
           ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """(earlier row, later row, weight) for every pair within ``window`` lines of an order."""
    flat = np.fromiter((r for order in orders for r in order), np.int64)
    owner = np.repeat(np.arange(len(orders)), [len(order) for order in orders])
    sources, targets, weights = [], [], []
    for distance in range(1, params.window + 1):
        same = (owner[:-distance] == owner[distance:]) & (flat[:-distance] != flat[distance:])
        sources.append(flat[:-distance][same])
        targets.append(flat[distance:][same])
        weights.append(np.full(int(same.sum()), params.decay ** (distance - 1), np.float32))
    if not sources:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0, np.float32)
    return np.concatenate(sources), np.concatenate(targets), np.concatenate(weights)


def _top_per_row(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """The ``keep`` largest entries of every row, all rows at once."""
    coo = matrix.tocoo()
    order = np.lexsort((-coo.data, coo.row))
    rows = coo.row[order]
    position = np.arange(len(rows))
    new_row = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.zeros(0, bool)
    starts = np.maximum.accumulate(np.where(new_row, position, 0))
    kept = order[position - starts < keep]
    return sparse.csr_matrix((coo.data[kept], (coo.row[kept], coo.col[kept])),
                             shape=matrix.shape)


def transition_matrix(orders: Sequence[Sequence[int]], size: int,
                      params: TransitionParams = DEFAULT_TRANSITIONS) -> sparse.csr_matrix:
    """Products x products: row ``p`` the share of what followed ``p`` in the orders (rows
    in line order), the ``keep`` best per row."""
    sources, targets, weights = _pairs([o for o in orders if len(o) > 1], params)
    counts = sparse.csr_matrix((weights, (sources, targets)), shape=(size, size))
    counts.sum_duplicates()
    totals = np.asarray(counts.sum(axis=1)).ravel()
    shares = sparse.diags(1.0 / np.maximum(totals, 1e-9)).astype(np.float32) @ counts
    return _top_per_row(shares.tocsr(), params.keep).astype(np.float32)


def session_scores(transitions: sparse.csr_matrix, latest_first: Sequence[int],
                   params: TransitionParams = DEFAULT_TRANSITIONS) -> Scores | None:
    """What follows the session's products (model rows, the latest first), max-normalized;
    ``None`` without a product that has followers."""
    if not latest_first:
        return None
    # A few sparse rows added in place (a row's columns are distinct), as the co-purchase
    # spread does: about half the time of slicing the rows out as a matrix.
    vector = np.zeros(transitions.shape[1], np.float32)
    indptr, indices, data = transitions.indptr, transitions.indices, transitions.data
    for n, row in enumerate(latest_first):
        start, end = indptr[row], indptr[row + 1]
        vector[indices[start:end]] += np.float32(np.exp(-params.recency * n)) * data[start:end]
    top = float(vector.max())
    if top <= 0:
        return None
    vector /= np.float32(top)
    return vector


def latest_first(context: Sequence[str], profile: Profile) -> list[str]:
    """The session's products, the latest first: the page's or cart's products (listed in
    the order they were added), the cart, then the views (kept the latest first)."""
    return list(dict.fromkeys([*reversed(context), *reversed(profile.cart),
                               *profile.recent_views]))


def session_vector(artefact: ModelArtefact, latest_first: Sequence[str],
                   params: TransitionParams = DEFAULT_TRANSITIONS) -> Scores | None:
    """``session_scores`` of the session's products (platform ids, the latest first);
    ``None`` for an artefact saved without transitions."""
    if artefact.transitions is None:
        return None
    rows = [artefact.row_of[p] for p in dict.fromkeys(latest_first) if p in artefact.row_of]
    return session_scores(artefact.transitions, rows, params)
