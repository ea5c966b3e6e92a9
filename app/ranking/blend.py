"""One score per candidate: a logistic blend of its features, with weights tuned by the
evaluation harness (``affinity evaluate --tune``) and shipped in ``weights.json``."""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from app.ranking.features import NEW_FEATURES, OWNED_FEATURES

DEFAULT_WEIGHTS = Path(__file__).with_name("weights.json")
ANONYMOUS = "ANONYMOUS"
Vector = npt.NDArray[np.float64]


@dataclass
class BlendWeights:
    owned: dict[str, float]
    new: dict[str, float]
    placements: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    """Per-placement overrides, e.g. ``{"PRODUCT": {"new": {"context": 4.0}}}``."""
    provenance: dict[str, Any] = field(default_factory=dict)

    def vectors(self, placement: str, anonymous: bool = False) -> tuple[Vector, Vector]:
        """Base weights, then the ``ANONYMOUS`` set for shoppers without purchases (tuned
        on guest sessions), then the placement's own overrides."""
        owned, new = dict(self.owned), dict(self.new)
        for key in (ANONYMOUS if anonymous else None, placement):
            override = self.placements.get(key or "", {})
            owned.update(override.get("owned", {}))
            new.update(override.get("new", {}))
        return (np.asarray([owned.get(k, 0.0) for k in OWNED_FEATURES]),
                np.asarray([new.get(k, 0.0) for k in NEW_FEATURES]))

    def to_json(self) -> str:
        return json.dumps({"owned": self.owned, "new": self.new, "placements": self.placements,
                           "provenance": self.provenance}, indent=2, sort_keys=True)


def load_weights(path: Path = DEFAULT_WEIGHTS) -> BlendWeights:
    raw = json.loads(path.read_text())
    return BlendWeights(raw["owned"], raw["new"], raw.get("placements", {}),
                        raw.get("provenance", {}))


def sigmoid(values: Vector) -> Vector:
    return 1.0 / (1.0 + np.exp(-np.clip(values, -50, 50)))


def blend(owned_x: Vector, new_x: Vector, owned_mask: npt.NDArray[np.bool_],
          weights: tuple[Vector, Vector]) -> Vector:
    """Probability-like scores: buy-again and discovery are comparable on one scale."""
    return np.where(owned_mask, sigmoid(owned_x @ weights[0]), sigmoid(new_x @ weights[1]))
