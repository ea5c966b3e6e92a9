"""What an experiment is made of, as a caller describes it, and the checks every part
passes before anything is stored. Reasons never quote the input."""

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from app.errors import InvalidInput
from app.experiments.configs import parse_config, stored_config
from app.ranking.variants import HOLDOUT, VariantKind
from app.recommendations.types import Placement

MIN_VARIANTS = 2
MAX_VARIANTS = 8
MAX_NAME_LENGTH = 64
SHARE_TOLERANCE = 1e-6
VARIANT_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
CAROUSELS = frozenset(p.value for p in Placement if p is not Placement.SEARCH)
"""Placements whose lists the engine ranks itself (tuned variants apply to these only)."""


@dataclass(frozen=True)
class VariantSpec:
    name: str
    config: str
    """``engine``, ``baseline`` or a JSON object (``app.experiments.configs``)."""
    share: float


@dataclass(frozen=True)
class GuardrailSpec:
    """Limits that stop a variant by themselves, evaluated once the variant has the
    minimum sample."""

    latency_p99_ms: float = 250.0
    """The variant's serving latency p99 may not exceed this."""
    max_click_to_cart_drop: float = 0.2
    """Click-to-cart may not fall below control's by more than this share (0.2: 20 %)."""
    max_aov_drop: float = 0.2
    """Average order value may not fall below control's by more than this share."""
    min_shoppers: int = 500
    """Shoppers a variant (and control) needs before click-to-cart and AOV are judged."""
    min_lists: int = 200
    """Served lists a variant needs before its latency is judged."""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT_GUARDRAILS = GuardrailSpec()


@dataclass(frozen=True)
class ExperimentSpec:
    name: str
    placement: str | None
    """One placement (``HOME``, ``SEARCH``, ...) or None for every placement."""
    control: str
    variants: list[VariantSpec] = field(default_factory=list)
    guardrails: GuardrailSpec | None = None


def check_name(name: str) -> str:
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= MAX_NAME_LENGTH:
        raise InvalidInput(f"an experiment's name is 1 to {MAX_NAME_LENGTH} characters")
    return name.strip()


def check_placement(placement: str | None) -> str | None:
    if placement is None:
        return None
    if placement not in {p.value for p in Placement}:
        raise InvalidInput("placement must be one of " + ", ".join(p.value for p in Placement))
    return placement


def check_variant_names(names: list[str], control: str) -> None:
    if not MIN_VARIANTS <= len(names) <= MAX_VARIANTS:
        raise InvalidInput(f"an experiment has {MIN_VARIANTS} to {MAX_VARIANTS} variants")
    for name in names:
        if not isinstance(name, str) or not VARIANT_NAME.fullmatch(name):
            raise InvalidInput(f"variant names are 1 to {MAX_NAME_LENGTH} characters of "
                               "A-Z, a-z, 0-9, _ and -")
        if name == HOLDOUT:
            raise InvalidInput(f"the variant name {HOLDOUT} is reserved for the shop's holdout")
    if len(set(names)) != len(names):
        raise InvalidInput("variant names must be unique")
    if control not in names:
        raise InvalidInput("control must name one of the variants")


def check_shares(shares: dict[str, float], control: str) -> None:
    """Each share from 0 to 1, summing to 1, control's above 0."""
    for share in shares.values():
        if (isinstance(share, bool) or not isinstance(share, int | float)
                or not math.isfinite(share) or not 0 <= share <= 1):
            raise InvalidInput("each traffic share is a number from 0 to 1")
    if abs(math.fsum(shares.values()) - 1.0) > SHARE_TOLERANCE:
        raise InvalidInput("traffic shares must sum to 1")
    if shares.get(control, 0.0) <= 0:
        raise InvalidInput("control needs a traffic share above 0")


def check_guardrails(spec: GuardrailSpec) -> GuardrailSpec:
    numbers = (spec.latency_p99_ms, spec.max_click_to_cart_drop, spec.max_aov_drop)
    if not all(isinstance(n, int | float) and math.isfinite(n) for n in numbers):
        raise InvalidInput("guardrail limits are numbers")
    if not 1 <= spec.latency_p99_ms <= 60_000:
        raise InvalidInput("the latency guardrail is from 1 to 60000 ms")
    if not (0 < spec.max_click_to_cart_drop <= 1 and 0 < spec.max_aov_drop <= 1):
        raise InvalidInput("guardrail drops are shares above 0, at most 1")
    if not (1 <= spec.min_shoppers <= 10**7 and 1 <= spec.min_lists <= 10**8):
        raise InvalidInput("guardrail minimum samples are from 1 to 10 million shoppers "
                           "and 100 million lists")
    return spec


def guardrails_of(raw: dict[str, Any] | None) -> GuardrailSpec:
    """The guardrails stored with an experiment (the defaults for what is missing)."""
    known = {k: v for k, v in (raw or {}).items() if k in GuardrailSpec.__dataclass_fields__}
    return GuardrailSpec(**known)


def stored_variants(spec: ExperimentSpec) -> list[dict[str, Any]]:
    """The variants as stored: each checked, its config in canonical form."""
    names = [v.name for v in spec.variants]
    if not MIN_VARIANTS <= len(spec.variants) <= MAX_VARIANTS:
        raise InvalidInput(f"an experiment has {MIN_VARIANTS} to {MAX_VARIANTS} variants")
    check_variant_names(names, spec.control)
    check_shares({v.name: v.share for v in spec.variants}, spec.control)
    stored = []
    for variant in spec.variants:
        config = parse_config(variant.config)
        if config.kind is VariantKind.TUNED and spec.placement not in CAROUSELS:
            raise InvalidInput("variants with weights or exploration need one carousel "
                               "placement (HOME, PRODUCT, CART, POST_PURCHASE or EMAIL); "
                               "on SEARCH a variant is engine or baseline")
        stored.append({"name": variant.name, "config": stored_config(config),
                       "share": float(variant.share)})
    return stored
