"""A loaded artefact plus the live state that moves between two trainings (trend)."""

import asyncio
import math
import threading
from collections.abc import Callable
from datetime import datetime

import numpy as np
from scipy import sparse

from app.process.lru import Lru
from app.ranking.artefact import Floats, ModelArtefact
from app.ranking.collaborative import SHOPPERS, AlsScores, Rows
from app.ranking.sales import SalesCalendar
from app.ranking.top import top_rows
from app.ranking.weighting import BM25_B, BM25_K1, bm25_rows

DAY = 86400.0
OrderListener = Callable[[list[str], datetime], None]
"""Told of the products of every order this runtime observed (to tell other processes)."""


class LiveTrend:
    """Exponentially decayed purchase counts, updated as orders arrive."""

    def __init__(self, seed: Floats, as_of: datetime, days: float) -> None:
        self._values = seed.astype(np.float64).copy()
        self._at = as_of
        self._days = days
        # Requests within one second, with no order in between, share one computation:
        # the decay over a second is a few parts in a million.
        self._cached: tuple[tuple[int, int], Floats, dict[int, list[int]]] | None = None
        self._version = 0

    def _decay_to(self, when: datetime) -> None:
        if when > self._at:
            self._values *= math.exp(-(when - self._at).total_seconds() / DAY / self._days)
            self._at = when

    def add(self, rows: list[int], when: datetime, weight: float = 1.0) -> None:
        self._decay_to(when)
        factor = math.exp(-max(0.0, (self._at - when).total_seconds()) / DAY / self._days)
        np.add.at(self._values, rows, weight * factor)
        self._version += 1

    def _current(self, now: datetime) -> tuple[Floats, dict[int, list[int]]]:
        key = (self._version, int(now.timestamp()))
        if self._cached is None or self._cached[0] != key:
            self._decay_to(now)
            logged = np.log1p(self._values)
            top = float(logged.max()) if logged.size else 0.0
            normalized = (logged / top if top > 0 else logged).astype(np.float32)
            normalized.setflags(write=False)
            self._cached = (key, normalized, {})
        return self._cached[1], self._cached[2]

    def normalized(self, now: datetime) -> Floats:
        """Each row's decayed purchases, log-scaled to [0, 1] (read-only)."""
        return self._current(now)[0]

    def top(self, count: int, now: datetime) -> list[int]:
        """The ``count`` trending rows, best first."""
        values, tops = self._current(now)
        if count not in tops:
            tops[count] = top_rows(values, count)
        return tops[count]


class ModelRuntime:
    """What the request path reads: never trains, only looks up and folds in."""

    def __init__(self, artefact: ModelArtefact, trend_days: float = 10.0) -> None:
        self.artefact = artefact
        self.trend = LiveTrend(artefact.trend_raw, artefact.as_of, trend_days)
        self.sales = SalesCalendar(artefact.sales_keys)
        self.fed_until = artefact.trained_at
        """Orders stored after this instant are not in the artefact yet (see live_orders)."""
        self._solver: object | None = None
        self._popular: dict[int, list[int]] = {}
        self._shoppers: Lru[tuple[str, object], AlsScores] = Lru(SHOPPERS)
        self._folding = threading.Lock()
        self._pending: dict[tuple[str, object], asyncio.Future[AlsScores | None]] = {}
        self.order_listener: OrderListener | None = None

    def popular(self, count: int) -> list[int]:
        """The ``count`` most popular rows of the artefact, best first."""
        if count not in self._popular:
            self._popular[count] = top_rows(self.artefact.popularity, count)
        return self._popular[count]

    def rows(self, product_ids: list[str]) -> list[int]:
        row_of = self.artefact.row_of
        return [row_of[p] for p in product_ids if p in row_of]

    def observe_order(self, product_ids: list[str], when: datetime) -> None:
        self.observe_order_elsewhere(product_ids, when)
        if self.order_listener is not None:
            self.order_listener(product_ids, when)

    def observe_order_elsewhere(self, product_ids: list[str], when: datetime) -> None:
        """An order another process observed: moves the trend here, tells no one."""
        rows = self.rows(product_ids)
        if rows:
            self.trend.add(rows, when)
            self.sales.add(rows, when)

    def als_scores(self, customer_id: str | None, counts: dict[int, float]) -> AlsScores | None:
        """The shopper's ALS scores over every row (see ``ranking.collaborative``)."""
        key = self._shopper_key(customer_id, counts)
        if key is None:
            return None
        scores = self._shoppers.get(key)
        if scores is None:
            scores = self._compute_als(customer_id, counts)
            if scores is None:
                return None
            self._shoppers.put(key, scores)
        return scores

    async def shopper_als_scores(self, customer_id: str | None,
                                 counts: dict[int, float]) -> AlsScores | None:
        """As ``als_scores``, for the request path: a shopper folded in from their products
        (a visitor, or a customer since training) takes one product of all item factors and
        a selection over every row, about 3 ms at 100k products. That runs on a worker
        thread, with the interpreter lock released, so the event loop serves other requests
        meanwhile; requests of the same shopper meanwhile share it. On the loop's thread,
        new visitors' computations took a fifth of it around the slowest requests of an
        open loop of HOME carousels at 200 a second."""
        key = self._shopper_key(customer_id, counts)
        if key is None:
            return None
        scores = self._shoppers.get(key)
        if scores is not None:
            return scores
        if key[0] == "customer" and self.artefact.customer_best is not None:
            return self.als_scores(customer_id, counts)  # their best rows are kept: cheap
        pending = self._pending.get(key)
        if pending is None or pending.get_loop() is not asyncio.get_running_loop():
            pending = self._pending[key] = asyncio.ensure_future(
                asyncio.to_thread(self._compute_als, customer_id, counts))
            pending.add_done_callback(
                lambda done: self._pending.pop(key) if self._pending.get(key) is done else None)
        scores = await asyncio.shield(pending)
        if scores is not None:
            self._shoppers.put(key, scores)
        return scores

    def _shopper_key(self, customer_id: str | None,
                     counts: dict[int, float]) -> tuple[str, object] | None:
        if customer_id is not None and customer_id in self.artefact.user_row:
            return ("customer", customer_id)
        return ("products", frozenset(counts.items())) if counts else None

    def _compute_als(self, customer_id: str | None, counts: dict[int, float]) -> AlsScores | None:
        user = self.user_vector(customer_id, counts)
        if user is None:
            return None
        return AlsScores(self.artefact.item_factors, user, self._known_best(customer_id))

    def _known_best(self, customer_id: str | None) -> tuple[Rows, float] | None:
        """A trained customer's best rows and scale, where the artefact keeps them."""
        a = self.artefact
        if (customer_id is None or customer_id not in a.user_row or a.customer_best is None
                or a.customer_scale is None):
            return None
        row = a.user_row[customer_id]
        return a.customer_best[row], float(a.customer_scale[row])

    def user_vector(self, customer_id: str | None, counts: dict[int, float]) -> Floats | None:
        """The trained factors of a known customer, else folded in from their products."""
        a = self.artefact
        if customer_id is not None and customer_id in a.user_row:
            vector: Floats = a.user_factors[a.user_row[customer_id]]
            return vector
        if not counts:
            return None
        cols = list(counts)
        row = sparse.csr_matrix(
            (np.asarray([counts[c] for c in cols], np.float32), ([0] * len(cols), cols)),
            shape=(1, a.size))
        return self._fold_in(bm25_rows(row, a.idf, a.average_length, BM25_K1, BM25_B))

    def _fold_in(self, row: sparse.csr_matrix) -> Floats:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        with self._folding:  # one solver, shared by the worker threads that fold in
            if self._solver is None:
                with threadpool_limits(1, "blas"):
                    model = AlternatingLeastSquares(
                        factors=self.artefact.item_factors.shape[1],
                        regularization=self.artefact.regularization, num_threads=1)
                model.item_factors = self.artefact.item_factors
                self._solver = model
            solver: AlternatingLeastSquares = self._solver
            return np.asarray(solver.recalculate_user(0, row.astype(np.float32)), np.float32)
