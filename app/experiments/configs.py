"""A variant's configuration as stored (``engine``, ``baseline`` or a JSON object) and as
the engine serves it (``app.ranking.variants.VariantConfig``): one parser for both, so that
nothing the engine cannot serve is ever stored."""

import json
import math
from typing import Any

from app.errors import InvalidInput
from app.ranking.variants import (
    BASELINE,
    BLEND_FEATURES,
    ENGINE,
    VariantConfig,
    VariantKind,
)

MAX_CONFIG_LENGTH = 2000
MAX_WEIGHT_FACTOR = 100.0
KNOWN_KEYS = frozenset({"model_version", "weights", "exploration"})
UNKNOWN = "unknown variant config"
WEIGHTS_RULE = (f"{UNKNOWN}: weights map blend feature names ({', '.join(sorted(BLEND_FEATURES))})"
                f" to factors from 0 to {MAX_WEIGHT_FACTOR:g}")
MODEL_VERSION_UNSUPPORTED = (
    "model_version variants are not supported: a shop keeps only its current model (erasure "
    "deletes the others); releases are compared by the model version each list records")


def parse_config(text: str) -> VariantConfig:
    """``engine``, ``baseline``, or ``{"weights": {...}, "exploration": 0.2}``; anything else
    is ``InvalidInput`` with the reason (never the input)."""
    if not isinstance(text, str) or len(text) > MAX_CONFIG_LENGTH:
        raise InvalidInput(f"{UNKNOWN}: a config is at most {MAX_CONFIG_LENGTH} characters")
    stripped = text.strip()
    if stripped == VariantKind.ENGINE.value:
        return ENGINE
    if stripped == VariantKind.BASELINE.value:
        return BASELINE
    try:
        raw = json.loads(stripped)
    except ValueError:
        raise InvalidInput(f"{UNKNOWN}: engine, baseline or a JSON object") from None
    if not isinstance(raw, dict) or not set(raw) <= KNOWN_KEYS:
        raise InvalidInput(f"{UNKNOWN}: a JSON object takes only model_version, weights and "
                           "exploration")
    if "model_version" in raw:
        raise InvalidInput(MODEL_VERSION_UNSUPPORTED)
    factors = _weight_factors(raw.get("weights", {}))
    exploration = _exploration(raw.get("exploration"))
    if not factors and exploration is None:
        return ENGINE
    return VariantConfig(VariantKind.TUNED, factors, exploration)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _weight_factors(weights: Any) -> tuple[tuple[str, float], ...]:
    if not isinstance(weights, dict) or not set(weights) <= BLEND_FEATURES:
        raise InvalidInput(WEIGHTS_RULE)
    factors = []
    for name in sorted(weights):
        factor = _number(weights[name])
        if factor is None or not 0 <= factor <= MAX_WEIGHT_FACTOR:
            raise InvalidInput(WEIGHTS_RULE)
        factors.append((name, factor))
    return tuple(factors)


def _exploration(value: Any) -> float | None:
    if value is None:
        return None
    share = _number(value)
    if share is None or not 0 <= share <= 1:
        raise InvalidInput(f"{UNKNOWN}: exploration is a share from 0 to 1")
    return share


def stored_config(config: VariantConfig) -> str:
    """The canonical text stored for ``config`` (parses back to an equal config)."""
    if config.kind is not VariantKind.TUNED:
        return str(config.kind.value)
    raw: dict[str, Any] = {}
    if config.weight_factors:
        raw["weights"] = dict(config.weight_factors)
    if config.exploration is not None:
        raw["exploration"] = config.exploration
    text: str = json.dumps(raw, sort_keys=True, separators=(",", ":"))
    return text
