"""Tune the blend weights on the ``valid`` split: a logistic fit per model (buy-again and
discovery), then coordinate ascent on NDCG@10 in both modes. Never touches ``test``."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from app.ranking.blend import BlendWeights, sigmoid
from app.ranking.features import NEW_FEATURES, OWNED_FEATURES
from app.ranking.service import Scored

K = 10
L2 = 1e-3
MULTIPLIERS = (0.0, 0.5, 1.5, 2.0, -1.0)
BIAS_STEPS = (-1.0, -0.5, -0.2, 0.2, 0.5, 1.0)


@dataclass
class Case:
    owned_x: np.ndarray
    new_x: np.ndarray
    owned: np.ndarray
    relevant: np.ndarray
    targets: int


def cases_from(scored: Sequence[Scored], targets: Sequence[frozenset[str]]) -> list[Case]:
    out = []
    for s, target in zip(scored, targets, strict=True):
        if s.owned_x is None or s.new_x is None or s.owned is None:
            continue
        ids = s.candidates.product_ids(range(len(s.candidates)))
        relevant = np.asarray([p in target for p in ids], bool)
        out.append(Case(s.owned_x, s.new_x, s.owned, relevant, len(target)))
    return out


def _logistic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weights (bias first, as the feature lists have it) of an L2 logistic regression."""
    mu, sd = x[:, 1:].mean(0), x[:, 1:].std(0) + 1e-9
    z = (x[:, 1:] - mu) / sd

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        p = sigmoid(z @ w[1:] + w[0])
        value = -np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))
        grad = np.concatenate([[np.mean(p - y)], z.T @ (p - y) / len(y) + 2 * L2 * w[1:]])
        return float(value + L2 * np.sum(w[1:] ** 2)), grad

    w = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x
    scale = w[1:] / sd
    return np.concatenate([[w[0] - float(scale @ mu)], scale])


def _ndcg(scores: np.ndarray, relevant: np.ndarray, targets: int) -> float:
    top = np.argsort(-scores, kind="stable")[:K]
    gains = relevant[top] / np.log2(np.arange(2, len(top) + 2))
    ideal = (1 / np.log2(np.arange(2, min(targets, K) + 2))).sum()
    return float(gains.sum() / ideal) if ideal else 0.0


EXPLORE_WEIGHT = 0.5
"""How much explore-mode NDCG counts against all-mode NDCG in the ascent."""


def objective(cases: Sequence[Case], wo: np.ndarray, wn: np.ndarray) -> tuple[float, float]:
    """Mean NDCG@10 over the cases in ``all`` and ``explore`` mode (candidates only)."""
    full = explore = 0.0
    counted = 0
    for c in cases:
        scores = np.where(c.owned, sigmoid(c.owned_x @ wo), sigmoid(c.new_x @ wn))
        full += _ndcg(scores, c.relevant, c.targets)
        new_targets = int(c.relevant[~c.owned].sum())
        if new_targets:
            explore += _ndcg(np.where(c.owned, -np.inf, scores), c.relevant & ~c.owned, new_targets)
            counted += 1
    return full / max(len(cases), 1), explore / max(counted, 1)


def _ascend(cases: Sequence[Case], wo: np.ndarray, wn: np.ndarray,
            rounds: int) -> tuple[np.ndarray, np.ndarray]:
    def total(wo: np.ndarray, wn: np.ndarray) -> float:
        full, explore = objective(cases, wo, wn)
        return full + EXPLORE_WEIGHT * explore

    best = total(wo, wn)
    for _ in range(rounds):
        for vec in (wo, wn):
            for j in range(len(vec)):
                options = ([vec[j] + s for s in BIAS_STEPS] if j == 0
                           else [vec[j] * m for m in MULTIPLIERS])
                keep = vec[j]
                for value in options:
                    vec[j] = value
                    score = total(wo, wn)
                    if score > best + 1e-5:
                        best, keep = score, value
                vec[j] = keep
    return wo, wn


def tune(cases: Sequence[Case], rounds: int = 2) -> BlendWeights:
    owned_x = np.vstack([c.owned_x[c.owned] for c in cases])
    owned_y = np.concatenate([c.relevant[c.owned] for c in cases]).astype(float)
    new_x = np.vstack([c.new_x[~c.owned] for c in cases])
    new_y = np.concatenate([c.relevant[~c.owned] for c in cases]).astype(float)
    wo, wn = _logistic(owned_x, owned_y), _logistic(new_x, new_y)
    fitted = objective(cases, wo, wn)
    wo, wn = _ascend(cases, wo, wn, rounds)
    tuned = objective(cases, wo, wn)
    return BlendWeights(
        owned={k: round(float(v), 4) for k, v in zip(OWNED_FEATURES, wo, strict=True)},
        new={k: round(float(v), 4) for k, v in zip(NEW_FEATURES, wn, strict=True)},
        provenance={"tuned_on": "leave-last-basket:valid (fit on train)", "cases": len(cases),
                    "valid_ndcg_logistic": [round(v, 4) for v in fitted],
                    "valid_ndcg_tuned": [round(v, 4) for v in tuned]})
