"""The search model: a linear score over ``SEARCH_FEATURES``, fitted listwise (softmax
cross-entropy over each query's results) on the valid split by
``affinity evaluate --task search --tune`` and shipped in ``weights.json``."""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from app.search.features import SEARCH_FEATURES
from app.search.protocol import Matrix

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
Vector = npt.NDArray[np.float64]
# Shoppers the shop knows nothing about keep the storefront's order; the query's semantic
# match only breaks near-ties (a centred cosine moves a result at most a place or two).
ANONYMOUS = {"prior": 4.0, "semantic": 1.0}
# Without a fitted file: the storefront's order, nudged by the query and by buy-again.
FALLBACK = {**ANONYMOUS, "bought_before": 2.0, "engine_logit": 0.5}


def _vector(weights: dict[str, float]) -> Vector:
    unknown = set(weights) - set(SEARCH_FEATURES)
    if unknown:
        raise ValueError(f"unknown search features: {sorted(unknown)}")
    return np.asarray([weights.get(n, 0.0) for n in SEARCH_FEATURES])


@dataclass
class SearchModel:
    weights: dict[str, float]
    provenance: dict[str, Any] = field(default_factory=dict)
    anonymous: dict[str, float] = field(default_factory=lambda: dict(ANONYMOUS))

    def __post_init__(self) -> None:
        self._personal = _vector(self.weights)
        self._anonymous = _vector(self.anonymous)
        self._version = hashlib.sha256(self.to_json().encode()).hexdigest()[:12]

    @property
    def version(self) -> str:
        """A short fingerprint of the weights."""
        return self._version

    def score(self, features: Matrix, personalized: bool = True) -> Vector:
        scores: Vector = features @ (self._personal if personalized else self._anonymous)
        return scores

    def to_json(self) -> str:
        return json.dumps({"weights": self.weights, "anonymous": self.anonymous,
                           "provenance": self.provenance}, indent=2, sort_keys=True) + "\n"


def load_search_model(path: Path = WEIGHTS_FILE) -> SearchModel:
    if not path.is_file():
        return SearchModel(dict(FALLBACK), {"source": "built-in fallback"})
    raw = json.loads(path.read_text())
    return SearchModel({k: float(v) for k, v in raw["weights"].items()}, raw.get("provenance", {}),
                       {k: float(v) for k, v in raw.get("anonymous", ANONYMOUS).items()})


@dataclass
class Queries:
    """Stacked feature rows of many queries: ``starts[q]`` is where query ``q`` begins."""

    features: Matrix
    relevant: npt.NDArray[np.bool_]
    starts: npt.NDArray[np.int64]


def stack(lists: list[tuple[Matrix, npt.NDArray[np.bool_]]]) -> Queries:
    kept = [(x, y) for x, y in lists if len(y) and y.any()]
    starts = np.cumsum([0] + [len(y) for _, y in kept[:-1]]).astype(np.int64)
    return Queries(np.vstack([x for x, _ in kept]), np.concatenate([y for _, y in kept]), starts)


def _loss(w: Vector, x: Matrix, target: Vector, starts: npt.NDArray[np.int64],
          group: npt.NDArray[np.int64], l2: float) -> tuple[float, Vector]:
    s = x @ w
    top = np.maximum.reduceat(s, starts)[group]
    e = np.exp(s - top)
    z = np.add.reduceat(e, starts)
    p = e / z[group]
    loss = -float(np.sum(target * np.log(np.maximum(p, 1e-300)))) / len(starts)
    grad = x.T @ (p - target) / len(starts)
    return loss + l2 * float(w @ w), grad + 2 * l2 * w


def fit(queries: Queries, l2: float = 1e-3) -> dict[str, float]:
    """Weights that maximize the likelihood of the relevant results under a softmax over
    each query's results (each relevant result an equal share of its query's target)."""
    x, starts = queries.features, queries.starts
    group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(x))))
    counts = np.add.reduceat(queries.relevant.astype(np.float64), starts)
    target = queries.relevant / counts[group]
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    result = minimize(_loss, np.zeros(x.shape[1]), args=(x / scale, target, starts, group, l2),
                      jac=True, method="L-BFGS-B", options={"maxiter": 500})
    weights = result.x / scale
    return {name: round(float(v), 5) for name, v in zip(SEARCH_FEATURES, weights, strict=True)
            if abs(v) > 1e-9}
