"""The search model's features of each (query, shopper, result) triple, by name.

The storefront's rank and the query's semantic match describe the result list, the shop's
sales before the search describe each result's season; the purchase-history matches and
the recommendation engine's own features (buy-again for what the customer bought, discovery
for the rest) describe the shopper. Anonymous shoppers have zeros in every sales and personal
column, so only the storefront's rank and the query move them."""

import math

import numpy as np

from app.ranking.blend import sigmoid
from app.ranking.features import NEW_FEATURES, OWNED_FEATURES
from app.ranking.sales import SALES_FEATURES
from app.search.protocol import EngineEvidence, Matrix, PersonalEvidence

LIST_FEATURES = ("prior", "log_rank", "semantic")
HISTORY_FEATURES = ("bought_before", "type_share", "content", "closest")
ENGINE_FEATURES = ("engine_logit",
                   *(f"owned_{name}" for name in OWNED_FEATURES),
                   *(f"new_{name}" for name in NEW_FEATURES if name != "bias"))
SHARED_FEATURES = (*LIST_FEATURES, *SALES_FEATURES)
# The shared columns again for products the customer owns: the storefront's rank and the
# shop's recent sales matter differently for buying again than for discovering.
OWNED_SHARED_FEATURES = tuple(f"owned_x_{name}" for name in SHARED_FEATURES)
SEARCH_FEATURES = (*SHARED_FEATURES, *HISTORY_FEATURES, *ENGINE_FEATURES, *OWNED_SHARED_FEATURES)
MAX_LOGIT = 12.0


def prior(rank: int) -> float:
    """The storefront's order as a score: 1 for the first result, decaying like DCG."""
    return 1.0 / math.log2(rank + 2)


def _list_columns(ranks: list[int], semantic: list[float]) -> Matrix:
    """``prior``, negative log rank and semantic match, for all results at once."""
    rank = np.asarray(ranks, np.float64)
    return np.column_stack([1.0 / np.log2(rank + 2), -np.log1p(rank),
                            np.asarray(semantic, np.float64)]).reshape(-1, len(LIST_FEATURES))


def _history_columns(n: int, evidence: PersonalEvidence) -> Matrix:
    if evidence.history is None:
        return np.zeros((n, len(HISTORY_FEATURES)))
    return evidence.history.columns


def _engine_columns(n: int, engine: EngineEvidence | None) -> Matrix:
    if engine is None:
        return np.zeros((n, len(ENGINE_FEATURES)))
    p = np.clip(engine.probability, sigmoid(np.asarray(-MAX_LOGIT)), sigmoid(np.asarray(MAX_LOGIT)))
    logit = np.log(p / (1.0 - p))
    owned = engine.owned_x * engine.owned[:, None]
    new = np.delete(engine.new_x, NEW_FEATURES.index("bias"), axis=1)
    return np.column_stack([logit, owned, new])


def search_features(ranks: list[int], semantic: list[float], keys: list[int],
                    evidence: PersonalEvidence) -> Matrix:
    """One row per result (in ``keys`` order), one column per name in ``SEARCH_FEATURES``."""
    engine = evidence.engine
    sales = engine.sales if engine is not None else np.zeros((len(keys), len(SALES_FEATURES)))
    shared = np.column_stack([_list_columns(ranks, semantic), sales])
    owned = engine.owned[:, None] if engine is not None else np.zeros((len(keys), 1), bool)
    return np.column_stack([shared, _history_columns(len(keys), evidence),
                            _engine_columns(len(keys), engine), shared * owned])
