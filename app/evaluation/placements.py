"""Fit the per-placement blend overrides (``weights.json`` "placements") on sessions built
from the data, never on the reported ones:

- ``ANONYMOUS``: the earlier half of the guest sessions (``evaluation.sessions``), the later
  half being what the guest-sessions protocol reports;
- ``PRODUCT``: a known customer on the page of the first product of their next basket (in
  line order), the rest of the basket as target;
- ``CART``: the first half of that basket in the cart, the rest as target;
- ``POST_PURCHASE``: just after the customer's last order before the cut, the next basket
  as target.

The placement sessions fit on the baskets before ``PLACEMENT_CUT`` and take each known
customer's first basket between it and the guest-session cut (so neither protocol's
reported baskets are seen); alternate customers fit and validate. The fit is coordinate
ascent (``tuning.objective``) over the discovery weights of the named features, from the
weights in force; a placement keeps its fitted override only where it beats them on the
validation half. ``python -m app.evaluation.placements --data DIR [--weights FILE]``."""

import argparse
import asyncio
import csv
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from app.datasets.online_retail import Basket, read_baskets
from app.evaluation.harness import Loaded, Replay, load
from app.evaluation.tuning import Case, cases_from, objective
from app.ids import CustomerId, ProductId
from app.profiles.service import Shopper
from app.ranking.blend import ANONYMOUS, DEFAULT_WEIGHTS, BlendWeights, load_weights
from app.ranking.features import NEW_FEATURES
from app.ranking.rules import RuleSettings
from app.ranking.types import RecommendationRequest
from app.recommendations.types import Placement
from app.storage.database import transaction

PLACEMENT_CUT = datetime(2011, 7, 1, tzinfo=UTC)
SESSION_CUT = datetime(2011, 10, 1, tzinfo=UTC)
FITTED = ("context", "content", "session_next", "copurchase", "popularity", "trend_live", "als",
          "bias")
STEPS = (-4.0, -2.0, -1.0, 1.0, 2.0, 4.0)
MULTIPLIERS = (0.0, 0.5, 1.5, 2.0)
LIST_LENGTH = 100
ANONYMOUS_ROUNDS = 3


@dataclass(frozen=True)
class PlacementSession:
    customer_id: str
    at: datetime
    context: tuple[str, ...]
    target: frozenset[str]


def line_orders(root: Path) -> dict[str, tuple[str, ...]]:
    """Each invoice's distinct products in line order (``baskets.csv`` sorts them)."""
    lines: dict[str, dict[str, None]] = {}
    with open(root / "interactions.csv", newline="") as handle:
        for r in csv.DictReader(handle):
            lines.setdefault(r["invoice_no"], {})[r["stock_code"]] = None
    return {invoice: tuple(items) for invoice, items in lines.items()}


def placement_sessions(baskets: Sequence[Basket], lines: dict[str, tuple[str, ...]],
                       cut: datetime, until: datetime) -> dict[str, list[PlacementSession]]:
    """PRODUCT, CART and POST_PURCHASE sessions of each known customer's first basket in
    [cut, until) with at least two products."""
    ordered = sorted(baskets, key=lambda b: b.placed_at)
    last: dict[str, Basket] = {b.customer_id: b for b in ordered if b.placed_at < cut}
    out: dict[str, list[PlacementSession]] = {"PRODUCT": [], "CART": [], "POST_PURCHASE": []}
    seen: set[str] = set()
    for b in ordered:
        if not cut <= b.placed_at < until or b.customer_id not in last or b.customer_id in seen:
            continue
        seen.add(b.customer_id)
        items = lines.get(b.invoice_no, b.items)
        if len(items) < 2:
            continue
        half = len(items) // 2
        who, at = b.customer_id, b.placed_at
        out["PRODUCT"].append(PlacementSession(who, at, items[:1], frozenset(items[1:])))
        out["CART"].append(PlacementSession(who, at, items[:half], frozenset(items[half:])))
        out["POST_PURCHASE"].append(PlacementSession(
            who, at, lines.get(last[who].invoice_no, last[who].items), frozenset(items)))
    return out


async def placement_cases(loaded: Loaded, placement: str,
                          sessions: Sequence[PlacementSession]) -> list[Case]:
    scored, targets = [], []
    async with transaction(loaded.sessions) as session:
        for s in sessions:
            request = RecommendationRequest(
                shop_id=loaded.shop, placement=Placement(placement),
                shopper=Shopper(None, CustomerId(s.customer_id), True),
                context=[ProductId(p) for p in s.context[:20]], first=LIST_LENGTH, now=s.at)
            scored.append(await loaded.engine.scored_candidates(session, request))
            targets.append(s.target - set(s.context))
    return cases_from(scored, targets)


def _score(cases: Sequence[Case], wo: np.ndarray, wn: np.ndarray) -> float:
    full, explore = objective(cases, wo, wn)
    return full + 0.5 * explore


def fit_override(cases: Sequence[Case], wo: np.ndarray, wn: np.ndarray,
                 features: Sequence[str] = FITTED, rounds: int = 2) -> np.ndarray:
    """Coordinate ascent from ``wn`` over the discovery weights of ``features``: each tries
    its multiples and a few steps (a zero weight can move), keeping what raises the score."""
    wn = wn.copy()
    best = _score(cases, wo, wn)
    for _ in range(rounds):
        for j in (NEW_FEATURES.index(f) for f in features):
            keep = wn[j]
            for value in [keep * m for m in MULTIPLIERS] + [keep + s for s in STEPS]:
                wn[j] = value
                score = _score(cases, wo, wn)
                if score > best + 1e-5:
                    best, keep = score, value
            wn[j] = keep
    return wn


def _override(wn: np.ndarray, base: np.ndarray) -> dict[str, float]:
    """The discovery weights that differ from the base ones."""
    return {f: round(float(v), 4) + 0.0 for f, v, b in zip(NEW_FEATURES, wn, base, strict=True)
            if abs(v - b) > 1e-9}


def choose(key: str, weights: BlendWeights, fit: Sequence[Case], valid: Sequence[Case],
           anonymous: bool, rounds: int = 2) -> dict[str, Any]:
    """Fit ``key``'s override and keep it only if it beats the current one on ``valid``."""
    placement = key if key != ANONYMOUS else "HOME"
    wo, wn = weights.vectors(placement, anonymous=anonymous)
    base = BlendWeights(weights.owned, weights.new).vectors(placement)[1]
    before = objective(valid, wo, wn)
    fitted = fit_override(fit, wo, wn, rounds=rounds)
    after = objective(valid, wo, fitted)
    better = _score(valid, wo, fitted) > _score(valid, wo, wn)
    chosen = fitted if better else wn
    return {"new": _override(chosen, base), "kept_fitted": bool(better),
            "fit_cases": len(fit), "valid_cases": len(valid),
            "valid_ndcg_before": [round(v, 4) for v in before],
            "valid_ndcg_fitted": [round(v, 4) for v in after]}


def halves(cases: list[Case]) -> tuple[list[Case], list[Case]]:
    return cases[::2], cases[1::2]


async def fit_placements(data: Path, weights: BlendWeights) -> dict[str, dict[str, Any]]:
    baskets = read_baskets(data)
    fit = [b for b in baskets if b.placed_at < PLACEMENT_CUT]
    sessions = placement_sessions(baskets, line_orders(data), PLACEMENT_CUT, SESSION_CUT)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        loaded = await load(f"sqlite+aiosqlite:///{Path(tmp) / 'placements.db'}", data, fit,
                            Path(tmp) / "models", weights, RuleSettings(), lambda *_: None,
                            embedder=_embedder())
        Replay(loaded.runtime, fit).until(PLACEMENT_CUT)
        for placement, listed in sessions.items():
            cases = await placement_cases(loaded, placement, listed)
            out[placement] = choose(placement, weights, *halves(cases), anonymous=False)
    return out


async def fit_anonymous(data: Path, weights: BlendWeights) -> dict[str, Any]:
    from app.evaluation.sessions import guest_cases, load_sessions

    with tempfile.TemporaryDirectory() as tmp:
        loaded, _, guests = await load_sessions(data, _embedder(), Path(tmp), SESSION_CUT,
                                                weights)
        cases = await guest_cases(loaded, guests[: len(guests) // 2])
    # Few sessions (92): fitted on all of the earlier half; the later half is the check.
    return choose(ANONYMOUS, weights, cases, cases, anonymous=True, rounds=ANONYMOUS_ROUNDS)


def _embedder() -> Any:
    from app.embeddings.factory import build_embedder
    from app.settings import Settings

    return build_embedder(Settings())


def merge(weights_file: Path, fitted: dict[str, dict[str, Any]]) -> None:
    """Write only the fitted placements' discovery overrides into ``weights_file``."""
    raw = json.loads(weights_file.read_text())
    for key, result in fitted.items():
        raw.setdefault("placements", {}).setdefault(key, {})["new"] = result["new"]
    provenance = raw.setdefault("provenance", {})
    provenance.setdefault("placements_fit", {}).update(
        {k: {n: v for n, v in r.items() if n != "new"} for k, r in fitted.items()})
    weights_file.write_text(json.dumps(raw, indent=2, sort_keys=True) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    parser.add_argument("--only", choices=["anonymous", "placements"])
    args = parser.parse_args()
    weights = load_weights(Path(args.weights))
    fitted: dict[str, dict[str, Any]] = {}
    if args.only != "placements":
        fitted[ANONYMOUS] = asyncio.run(fit_anonymous(Path(args.data), weights))
    if args.only != "anonymous":
        fitted.update(asyncio.run(fit_placements(Path(args.data), weights)))
    merge(Path(args.weights), fitted)
    sys.stdout.write(json.dumps(fitted, indent=2) + "\n")


if __name__ == "__main__":
    main()
