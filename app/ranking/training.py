"""Build a model artefact from purchase history: ALS (``implicit``), co-purchase
neighbours (plus co-views, ``ranking.coviews``), popularity, decayed trend, per-product
repeat rates and the customers' next-basket vectors (``ranking.nextbasket``). Purchases
are orders only: a storefront's checkout events are never read."""

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt
from scipy import sparse

from app.ranking.artefact import Floats, ModelArtefact
from app.ranking.collaborative import customer_best_rows
from app.ranking.coviews import CoviewLimits, coview_similarity
from app.ranking.history import OrderRecord, ViewSession
from app.ranking.nextbasket import NextBasketParams, neighbourhoods, personal_vectors
from app.ranking.sales import sale_keys
from app.ranking.session_intent import transition_matrix
from app.ranking.weighting import BM25_B, BM25_K1, bm25_idf, bm25_rows

DAY = 86400.0


@dataclass(frozen=True)
class TrainingParams:
    factors: int = 100
    regularization: float = 0.1
    iterations: int = 15
    bm25_k1: float = BM25_K1
    bm25_b: float = BM25_B
    neighbours: int = 50
    trend_days: float = 10.0
    repeat_prior: float = 5.0
    coview_weight: float = 0.5
    coviews: CoviewLimits = field(default_factory=CoviewLimits)
    next_basket: NextBasketParams = field(default_factory=NextBasketParams)
    random_state: int = 42


DEFAULT_PARAMS = TrainingParams()


def _orders_matrix(
    history: Sequence[OrderRecord], rows: dict[str, int], buyers: dict[str, int]
) -> sparse.csr_matrix:
    """Buyers x products, the number of orders holding each product."""
    r, c = [], []
    for order in history:
        for product in order.products:
            if product in rows:
                r.append(buyers[order.buyer])
                c.append(rows[product])
    data = np.ones(len(r), dtype=np.float32)
    matrix = sparse.csr_matrix((data, (r, c)), shape=(len(buyers), len(rows)))
    matrix.sum_duplicates()
    return matrix


def _als(counts: sparse.csr_matrix, p: TrainingParams) -> tuple[Floats, Floats, Floats, float]:
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    idf, average = bm25_idf(counts)
    weighted = bm25_rows(counts, idf, average, p.bm25_k1, p.bm25_b).astype(np.float32)
    with threadpool_limits(1, "blas"):  # implicit's own threads do the work
        model = AlternatingLeastSquares(
            factors=p.factors, regularization=p.regularization, iterations=p.iterations,
            random_state=p.random_state,
            num_threads=int(os.environ.get("AFFINITY_ALS_THREADS", "0")))
        model.fit(weighted, show_progress=False)
    return (np.asarray(model.item_factors, dtype=np.float32),
            np.asarray(model.user_factors, dtype=np.float32), idf, average)


def _neighbours(counts: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    """Cosine between products over who bought them, the ``k`` best per product."""
    binary = (counts > 0).astype(np.float32).T.tocsr()
    norms = np.sqrt(np.asarray(binary.multiply(binary).sum(axis=1)).ravel()) + 1e-9
    co = (binary @ binary.T).tocsr().astype(np.float32)
    co.setdiag(0)
    co.eliminate_zeros()
    co = sparse.diags(1 / norms) @ co @ sparse.diags(1 / norms)
    return _top_k_rows(co.tocsr(), k)


def _top_k_rows(matrix: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    rows, cols, vals = [], [], []
    for i in range(matrix.shape[0]):
        start, end = matrix.indptr[i], matrix.indptr[i + 1]
        if start == end:
            continue
        data, idx = matrix.data[start:end], matrix.indices[start:end]
        keep = np.argsort(-data)[:k]
        rows.extend([i] * len(keep))
        cols.extend(idx[keep].tolist())
        vals.extend(data[keep].tolist())
    return sparse.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=matrix.shape)


def _normalized_log(values: npt.ArrayLike) -> Floats:
    logged = np.log1p(np.asarray(values, dtype=np.float64))
    top = logged.max() if logged.size else 0.0
    return (logged / top if top > 0 else logged).astype(np.float32)


def _trend(history: Sequence[OrderRecord], rows: dict[str, int], as_of: datetime,
           days: float) -> Floats:
    raw = np.zeros(len(rows), dtype=np.float64)
    for order in history:
        weight = np.exp(-max(0.0, (as_of - order.placed_at).total_seconds()) / DAY / days)
        for product in order.products:
            if product in rows:
                raw[rows[product]] += weight
    return raw.astype(np.float32)


def _repeat_rate(history: Sequence[OrderRecord], rows: dict[str, int], prior: float) -> Floats:
    """P(a product is in a customer's next order | the customer bought it before)."""
    owned: dict[str, set[int]] = {}
    hits = np.zeros(len(rows))
    chances = np.zeros(len(rows))
    for order in history:
        if order.buyer.startswith("guest:"):
            continue
        items = {rows[p] for p in order.products if p in rows}
        before = owned.setdefault(order.buyer, set())
        if before:
            chances[list(before)] += 1
            hits[list(before & items)] += 1
        before |= items
    overall = hits.sum() / chances.sum() if chances.sum() else 0.05
    return ((hits + overall * prior) / (chances + prior)).astype(np.float32)


def _sales_keys(history: Sequence[OrderRecord], rows: dict[str, int]) -> npt.NDArray[np.int64]:
    parts = [sale_keys([rows[p] for p in order.products if p in rows], order.placed_at)
             for order in history]
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.int64)


def _related(counts: sparse.csr_matrix, sessions: Sequence[ViewSession], rows: dict[str, int],
             p: TrainingParams) -> sparse.csr_matrix:
    """Bought together, plus viewed together by enough distinct shoppers (weighted down)."""
    bought = _neighbours(counts, p.neighbours)
    viewed = coview_similarity(sessions, rows, p.coviews)
    if viewed.nnz == 0:
        return bought
    return _top_k_rows((bought + p.coview_weight * _top_k_rows(viewed, p.neighbours)).tocsr(),
                       p.neighbours)


def train(
    history: Sequence[OrderRecord],
    product_ids: Sequence[str],
    as_of: datetime,
    version: str,
    params: TrainingParams = DEFAULT_PARAMS,
    sessions: Sequence[ViewSession] = (),
) -> ModelArtefact:
    """``history``: orders only (webhooks, backfill), never the storefront's checkout
    events, which anyone can send. ``sessions``: products viewed, clicked or carted
    together by one visitor, with where they came from (see ``ranking.coviews``)."""
    rows = {p: i for i, p in enumerate(product_ids)}
    buyers: dict[str, int] = {}
    for order in history:
        buyers.setdefault(order.buyer, len(buyers))
    counts = _orders_matrix(history, rows, buyers)
    item_factors, user_factors, idf, average = _als(counts, params)
    customers = [b for b in buyers if not b.startswith("guest:")]
    customer_factors = user_factors[[buyers[c] for c in customers]]
    best, scales = customer_best_rows(item_factors, customer_factors)
    trend_raw = _trend(history, rows, as_of, params.trend_days)
    personal = personal_vectors(history, rows, customers, params.next_basket)
    return ModelArtefact(
        version=version, as_of=as_of, product_ids=list(product_ids),
        item_factors=item_factors, customer_ids=customers,
        user_factors=customer_factors, customer_best=best, customer_scale=scales,
        regularization=params.regularization, idf=idf, average_length=average,
        neighbours=_related(counts, sessions, rows, params),
        popularity=_normalized_log(np.asarray((counts > 0).sum(axis=0)).ravel()),
        trend=_normalized_log(trend_raw), trend_raw=trend_raw,
        repeat_rate=_repeat_rate(history, rows, params.repeat_prior),
        sales_keys=_sales_keys(history, rows),
        customer_personal=personal,
        customer_around=neighbourhoods(personal, params.next_basket),
        transitions=transition_matrix(
            [[rows[p] for p in o.products if p in rows] for o in history], len(rows)),
    )
