"""A shopper's next-basket vectors for one request (``ranking.nextbasket``): read from the
artefact for a customer it knows, or built from the profile's purchases for one it does not
(a new customer since the last training): the personal vector from each product's
0.8-per-order decayed count over the customer's orders, the neighbourhood from the nearest
known customers."""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.profiles.types import Profile
from app.ranking.artefact import ModelArtefact
from app.ranking.nextbasket import NextBasketParams, neighbourhood_of

Floats = npt.NDArray[np.float32]
SLOW_DECAY = 0.8
"""``PurchaseStats.recent_slow``'s decay per order."""


@dataclass(frozen=True)
class NextBasketVectors:
    personal: Floats
    """Dense over the model's rows: grouped, decayed purchase frequencies."""
    around: Floats
    """Dense over the model's rows: the mean personal vector of the nearest customers."""


def _dense(matrix_row: object) -> Floats:
    return np.asarray(matrix_row.toarray()[0], np.float32)  # type: ignore[attr-defined]


def profile_weights(a: ModelArtefact, profile: Profile) -> dict[int, float]:
    """Row -> the share of the customer's orders holding it, decayed by orders since."""
    orders = max(profile.order_count, 1)
    total = (1 - SLOW_DECAY**orders) / (1 - SLOW_DECAY)
    return {a.row_of[p]: s.recent_slow / total for p, s in profile.purchases.items()
            if p in a.row_of and s.recent_slow > 0}


def next_basket_vectors(a: ModelArtefact, profile: Profile,
                        params: NextBasketParams | None = None) -> NextBasketVectors | None:
    """``None`` for an artefact without the vectors, or a shopper without purchases."""
    if a.customer_personal is None or a.customer_around is None or a.customer_unit is None:
        return None
    row = a.user_row.get(profile.customer_id) if profile.customer_id else None
    if row is not None:
        return NextBasketVectors(_dense(a.customer_personal[row]),
                                 _dense(a.customer_around[row]))
    weights = profile_weights(a, profile)
    around = neighbourhood_of(a.customer_personal, a.customer_unit, weights,
                              params or NextBasketParams())
    if around is None:
        return None
    personal = np.zeros(a.size, np.float32)
    personal[list(weights)] = list(weights.values())
    return NextBasketVectors(personal, around)
