"""Sources read from the model artefact: buy-again, collaborative (ALS), bought together
(co-purchase neighbours of the shopper's and the context's products), trending, popular."""

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy import sparse

from app.ranking.candidates.pool import CandidatePool, Source


class ScoredRows(Protocol):
    """A shopper's scores over the model's rows (``ranking.collaborative.AlsScores``)."""

    def top(self, count: int) -> Sequence[int]: ...


class CoPurchases(Protocol):
    """The artefact's product neighbours (``ranking.artefact.ModelArtefact``)."""

    @property
    def neighbours(self) -> sparse.csr_matrix: ...

    @property
    def row_of(self) -> Mapping[str, int]: ...

    @property
    def product_ids(self) -> Sequence[str]: ...


def add_buy_again(pool: CandidatePool, purchased: list[str]) -> None:
    pool.add_all(purchased, Source.BUY_AGAIN)


def add_collaborative(pool: CandidatePool, scores: ScoredRows | None, count: int) -> None:
    if scores is None:
        return
    pool.add_rows(scores.top(count), Source.COLLABORATIVE)


def add_neighbourhood(pool: CandidatePool, around: npt.NDArray[np.float32] | None,
                      count: int) -> None:
    """What the shopper's nearest customers buy (``ranking.nextbasket``), as collaborative
    candidates: the ``count`` largest of the neighbourhood vector."""
    if around is None or count <= 0:
        return
    present = np.flatnonzero(around > 0)
    best = present[np.argsort(-around[present], kind="stable")[:count]]
    pool.add_rows(best.tolist(), Source.COLLABORATIVE)


def add_bought_together(pool: CandidatePool, artefact: CoPurchases, anchors: list[str],
                        per_anchor: int) -> None:
    """Neighbours of each anchor; the anchor named is the first (most important) one."""
    matrix = artefact.neighbours
    for anchor in anchors:
        row = artefact.row_of.get(anchor)
        if row is None:
            continue
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        best = np.argsort(-matrix.data[start:end])[:per_anchor]
        for col in matrix.indices[start:end][best]:
            pool.add(artefact.product_ids[int(col)], Source.BOUGHT_TOGETHER, anchor)


def add_rows(pool: CandidatePool, rows: list[int], source: Source) -> None:
    """Rows already ranked (trending, popular), best first."""
    pool.add_rows(rows, source)
