"""Sources read from the model artefact: buy-again, collaborative (ALS), bought together
(co-purchase neighbours of the shopper's and the context's products), trending, popular."""

import numpy as np
import numpy.typing as npt

from app.candidates.pool import CandidatePool, Source
from app.ranking.runtime import ModelRuntime


def top_rows(scores: npt.NDArray[np.float32], count: int) -> list[int]:
    if count <= 0 or not scores.size:
        return []
    count = min(count, scores.size)
    part = np.argpartition(-scores, count - 1)[:count]
    return [int(i) for i in part[np.argsort(-scores[part])]]


def add_buy_again(pool: CandidatePool, purchased: list[str]) -> None:
    for product_id in purchased:
        pool.add(product_id, Source.BUY_AGAIN)


def add_collaborative(pool: CandidatePool, model: ModelRuntime,
                      scores: npt.NDArray[np.float32] | None, count: int) -> None:
    if scores is None:
        return
    ids = model.artefact.product_ids
    for row in top_rows(scores, count):
        pool.add(ids[row], Source.COLLABORATIVE)


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


def add_ranked(pool: CandidatePool, model: ModelRuntime, scores: npt.NDArray[np.float32],
               count: int, source: Source) -> None:
    ids = model.artefact.product_ids
    for row in top_rows(scores, count):
        pool.add(ids[row], source)
