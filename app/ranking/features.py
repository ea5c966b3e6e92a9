"""Features of (shopper, candidate) pairs: one model for products the customer bought
before (buy again), one for the rest (discovery). Names are the keys of the weights."""

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from app.profiles.types import Profile
from app.ranking.candidates.pool import Candidate, Candidates
from app.ranking.collaborative import AlsScores
from app.ranking.runtime import ModelRuntime
from app.ranking.session_intent import latest_first, session_vector
from app.ranking.shopper_vectors import NextBasketVectors, next_basket_vectors

Matrix = npt.NDArray[np.float64]
DAY = 86400.0
OWN_DECAY_DAYS = 180.0
SAME_VISIT_DAYS = 0.5

OWNED_FEATURES = ("bias", "orders", "recent_half", "recent_slow", "in_last", "repeat_share",
                  "repeat_rate", "trend", "trend_live", "popularity", "als", "item_age",
                  "gap", "recent_half_same_visit", "tifu_personal", "neighbours")
NEW_FEATURES = ("bias", "als", "copurchase", "copurchase_last", "trend", "trend_live",
                "popularity", "context", "content", "neighbours", "session_next")


class RowScores(Protocol):
    """A score per model row: a vector, or ``AlsScores``."""

    def __getitem__(self, rows: Any, /) -> Any: ...


@dataclass
class ShopperSignals:
    """Per-request vectors over all model rows, computed once per request."""

    als: AlsScores | None
    copurchase: npt.NDArray[np.float32] | None
    copurchase_last: npt.NDArray[np.float32] | None
    context: npt.NDArray[np.float32] | None
    trend_live: npt.NDArray[np.float32]
    next_basket: NextBasketVectors | None = None
    session_next: npt.NDArray[np.float32] | None = None
    """What follows the live session's products (``ranking.session_intent``)."""


def _spread(model: ModelRuntime, weights: dict[str, float]) -> npt.NDArray[np.float32] | None:
    """Sum of the co-purchase rows of weighted products, max-normalized."""
    a = model.artefact
    cols = [(a.row_of[p], w) for p, w in weights.items() if p in a.row_of and w > 0]
    if not cols:
        return None
    # The weighted sum of a few sparse rows, added in place (a row's columns are distinct);
    # only the columns they touch are non-zero, so only those are searched and scaled.
    matrix, vector = a.neighbours, np.zeros(a.size, np.float32)
    touched = []
    for row, weight in cols:
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        columns = matrix.indices[start:end]
        vector[columns] += np.float32(weight) * matrix.data[start:end]
        touched.append(columns)
    columns = np.concatenate(touched)
    top = float(np.abs(vector[columns]).max()) if len(columns) else 0.0
    if top > 0:
        vector[columns] = vector[columns] / np.float32(top)
    return vector


def own_weights(profile: Profile, now: datetime) -> dict[str, float]:
    """Purchases decayed by time, plus recent interactions (views, carts)."""
    weights = dict(profile.interactions)
    for product, stats in profile.purchases.items():
        age = (now - stats.last_at).total_seconds() / DAY if stats.last_at else 0.0
        weights[product] = weights.get(product, 0.0) + stats.orders * math.exp(
            -max(age, 0.0) / OWN_DECAY_DAYS)
    return weights


async def shopper_signals(model: ModelRuntime, profile: Profile, context: list[str],
                          now: datetime) -> ShopperSignals:
    a = model.artefact
    counts = {a.row_of[p]: float(s.orders) for p, s in profile.purchases.items() if p in a.row_of}
    for product in profile.interactions:
        if product in a.row_of:
            counts.setdefault(a.row_of[product], 1.0)
    als = (await model.shopper_als_scores(profile.customer_id, counts)
           if profile.personalized else None)
    anchors = {p: 1.0 for p in [*context, *profile.session_products]}
    return ShopperSignals(
        als=als,
        copurchase=_spread(model, own_weights(profile, now)),
        copurchase_last=_spread(model, {p: 1.0 for p in profile.last_order_items}),
        context=_spread(model, anchors),
        trend_live=model.trend.normalized(now),
        next_basket=next_basket_vectors(a, profile) if profile.personalized else None,
        session_next=session_vector(a, latest_first(context, profile)),
    )


def _at(vector: RowScores | None, row: int | None) -> float:
    return float(vector[row]) if vector is not None and row is not None else 0.0


def _days(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - then).total_seconds() / DAY) if then else 0.0


def owned_row(model: ModelRuntime, s: ShopperSignals, profile: Profile, product: str,
              now: datetime) -> list[float]:
    a = model.artefact
    row = a.row_of.get(product)
    stats = profile.purchases[product]
    gap = math.log1p(_days(now, profile.last_order_at))
    same_visit = _days(now, profile.last_order_at) < SAME_VISIT_DAYS
    repeat = float(a.repeat_rate[row]) if row is not None else float(np.median(a.repeat_rate))
    nb = s.next_basket
    return [1.0, math.log1p(stats.orders), stats.recent_half, math.log1p(stats.recent_slow),
            float(stats.in_last), profile.repeat_share, math.log(max(repeat, 1e-6)),
            _at(a.trend, row), _at(s.trend_live, row), _at(a.popularity, row), _at(s.als, row),
            -math.log1p(_days(now, stats.last_at)), gap,
            stats.recent_half * float(same_visit), _at(nb.personal if nb else None, row),
            _at(nb.around if nb else None, row)]


def new_row(model: ModelRuntime, s: ShopperSignals, candidate: Candidate) -> list[float]:
    a = model.artefact
    row = a.row_of.get(candidate.product_id)
    return [1.0, _at(s.als, row), _at(s.copurchase, row), _at(s.copurchase_last, row),
            _at(a.trend, row), _at(s.trend_live, row), _at(a.popularity, row),
            _at(s.context, row), candidate.content,
            _at(s.next_basket.around if s.next_basket else None, row), _at(s.session_next, row)]


def _column(vector: RowScores | None, rows: npt.NDArray[np.int64],
            known: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    if vector is None:
        return np.zeros(len(rows))
    return np.where(known, vector[rows], 0.0).astype(np.float64)


def new_matrix(model: ModelRuntime, s: ShopperSignals, candidates: Candidates) -> Matrix:
    """``new_row`` for every candidate at once (the request path's hot loop)."""
    a = model.artefact
    if not len(candidates):
        return np.zeros((0, len(NEW_FEATURES)))
    found = candidates.rows
    known = found >= 0
    rows = np.where(known, found, 0)
    matrix = np.empty((len(candidates), len(NEW_FEATURES)))
    matrix[:, 0] = 1.0
    for column, vector in enumerate((s.als, s.copurchase, s.copurchase_last, a.trend,
                                     s.trend_live, a.popularity, s.context), start=1):
        matrix[:, column] = _column(vector, rows, known)
    matrix[:, -3] = candidates.content
    matrix[:, -2] = _column(s.next_basket.around if s.next_basket else None, rows, known)
    matrix[:, -1] = _column(s.session_next, rows, known)
    return matrix


def feature_matrices(model: ModelRuntime, signals: ShopperSignals, profile: Profile,
                     candidates: Candidates, owned: npt.NDArray[np.bool_],
                     now: datetime) -> tuple[Matrix, Matrix]:
    """Rows for every candidate under both models; ``owned`` (the candidates the shopper
    bought before) decides which one scores it, and only those get a buy-again row."""
    owned_x = np.zeros((len(candidates), len(OWNED_FEATURES)))
    for i in np.flatnonzero(owned).tolist():
        owned_x[i] = owned_row(model, signals, profile, candidates.product_id(i), now)
    return owned_x, new_matrix(model, signals, candidates)
