"""Reference models of the dataset's README, measured in the same run: global popularity,
the customer's own past items then popularity, ALS from ``implicit`` (BM25) and TIFU-KNN
(a next-basket model, with the parameters tuned on ``valid``: see ``tifu_tuning``)."""

import os
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from app.datasets.online_retail import Basket
from app.evaluation.tifu import TifuKnn, TifuParameters, load_parameters

ALS_FACTORS = 100
ALS_REGULARIZATION = 0.1
ALS_ITERATIONS = 15


class References:
    def __init__(self, fit: Sequence[Basket], items: Sequence[str],
                 tifu: TifuParameters | None = None) -> None:
        self.items = list(items)
        self._fit = fit
        self._tifu_parameters = tifu
        self._tifu: TifuKnn | None = None
        self._col = {c: i for i, c in enumerate(self.items)}
        customers = sorted({b.customer_id for b in fit})
        self._row = {c: i for i, c in enumerate(customers)}
        owned: Counter[tuple[int, int]] = Counter(
            (self._row[b.customer_id], self._col[i]) for b in fit for i in b.items if i in self._col)
        rows, cols = zip(*owned, strict=True) if owned else ((), ())
        self._baskets = sparse.csr_matrix(
            (np.asarray(list(owned.values()), np.float32), (rows, cols)),
            shape=(len(customers), len(self.items)))
        buyers = np.asarray((self._baskets > 0).sum(axis=0), np.float64).ravel()
        self._popularity = buyers / max(buyers.max(), 1.0)
        self._als = self._fit_als()

    def _fit_als(self) -> np.ndarray:
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.nearest_neighbours import bm25_weight
        from threadpoolctl import threadpool_limits

        binary = (self._baskets > 0).astype(np.float32)
        weighted = bm25_weight(binary.tocoo(), K1=100, B=0.8).tocsr().astype(np.float32)
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=ALS_FACTORS, regularization=ALS_REGULARIZATION,
                iterations=ALS_ITERATIONS, random_state=42,
                num_threads=int(os.environ.get("AFFINITY_ALS_THREADS", "0")))
            model.fit(weighted, show_progress=False)
        scores: np.ndarray = np.asarray(model.user_factors) @ np.asarray(model.item_factors).T
        return scores

    def _ranked(self, scores: np.ndarray) -> list[str]:
        return [self.items[i] for i in np.argsort(-scores, kind="stable")]

    def popularity(self, _: str) -> list[str]:
        return self._ranked(self._popularity)

    def personal_popularity(self, customer: str) -> list[str]:
        row = self._row.get(customer)
        if row is None:
            return self.popularity(customer)
        own = self._baskets[row].toarray().ravel()
        return self._ranked(np.where(own > 0, 1e6 + own + 0.5 * self._popularity, self._popularity))

    def als(self, customer: str) -> list[str]:
        row = self._row.get(customer)
        return self.popularity(customer) if row is None else self._ranked(self._als[row])

    def tifu_knn(self, customer: str) -> list[str]:
        """TIFU-KNN's ranking (ties and unknown customers: by popularity)."""
        if self._tifu is None:
            by_popularity = [self.items[i] for i in np.argsort(-self._popularity, kind="stable")]
            self._tifu = TifuKnn(self._fit, by_popularity,
                                 self._tifu_parameters or load_parameters())
        return self._tifu.ranked(customer)

    def popularity_of(self, item: str) -> float:
        column = self._col.get(item)
        return 0.0 if column is None else float(self._popularity[column])

    def als_reorder(self, customer: str, candidates: list[str]) -> list[str]:
        """``candidates`` by this customer's ALS scores (unknown items last, order kept)."""
        row = self._row.get(customer)
        if row is None:
            return candidates
        scores = self._als[row]
        known = {c: float(scores[self._col[c]]) for c in candidates if c in self._col}
        return sorted(candidates, key=lambda c: -known.get(c, -np.inf))

    def owned(self, customer: str) -> set[str]:
        row = self._row.get(customer)
        if row is None:
            return set()
        return {self.items[i] for i in self._baskets[row].indices}
