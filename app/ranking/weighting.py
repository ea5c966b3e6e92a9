"""BM25 weighting of purchase counts, shared by training and serving: training weights the
whole corpus and keeps its statistics in the artefact; serving folds a new shopper in with
those same statistics. Neither role imports the other."""

import numpy as np
from scipy import sparse

from app.ranking.artefact import Floats

BM25_K1 = 100.0
BM25_B = 0.8


def bm25_idf(matrix: sparse.csr_matrix) -> tuple[Floats, float]:
    """Each product's inverse document frequency over buyers, and the mean basket length."""
    n = matrix.shape[0]
    df = np.bincount(matrix.indices, minlength=matrix.shape[1])
    idf = np.log(n / (1.0 + df)).astype(np.float32)
    lengths = np.asarray(matrix.sum(axis=1)).ravel()
    return idf, float(lengths.mean()) if n else 1.0


def bm25_rows(
    counts: sparse.csr_matrix, idf: Floats, average_length: float, k1: float, b: float
) -> sparse.csr_matrix:
    """The same weighting as ``implicit.nearest_neighbours.bm25_weight``, row by row,
    with the training corpus statistics (so new customers can be folded in)."""
    weighted = counts.tocoo(copy=True).astype(np.float32)
    lengths = np.asarray(counts.sum(axis=1)).ravel().astype(np.float32)
    norm = (1.0 - b) + b * lengths / max(average_length, 1e-9)
    weighted.data = weighted.data * (k1 + 1.0) / (k1 * norm[weighted.row] + weighted.data)
    weighted.data *= idf[weighted.col]
    return weighted.tocsr()
