"""Sources read from the model artefact: buy-again, collaborative (ALS), bought together
(co-purchase neighbours of the shopper's and the context's products), trending, popular."""

import numpy as np

from app.candidates.pool import CandidatePool, Source
from app.ranking.collaborative import AlsScores
from app.ranking.runtime import ModelRuntime


def add_buy_again(pool: CandidatePool, purchased: list[str]) -> None:
    pool.add_all(purchased, Source.BUY_AGAIN)


def add_collaborative(pool: CandidatePool, scores: AlsScores | None, count: int) -> None:
    if scores is None:
        return
    pool.add_rows(scores.top(count), Source.COLLABORATIVE)


def add_bought_together(pool: CandidatePool, model: ModelRuntime, anchors: list[str],
                        per_anchor: int) -> None:
    """Neighbours of each anchor; the anchor named is the first (most important) one."""
    a = model.artefact
    matrix = a.neighbours
    for anchor in anchors:
        row = a.row_of.get(anchor)
        if row is None:
            continue
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        best = np.argsort(-matrix.data[start:end])[:per_anchor]
        for col in matrix.indices[start:end][best]:
            pool.add(a.product_ids[int(col)], Source.BOUGHT_TOGETHER, anchor)


def add_rows(pool: CandidatePool, rows: list[int], source: Source) -> None:
    """Rows already ranked (trending, popular), best first."""
    pool.add_rows(rows, source)
