"""The quality gate: a fast, fixed subset of the evaluation whose engine NDCG@10 may not
fall more than ``TOLERANCE`` below the figures recorded in a checked-in floor file.

The subset: for each protocol (leave-last-basket and the temporal cut), ``CUSTOMERS`` test
customers drawn with a fixed seed from the protocol's test customers sorted by id, both
modes. Refreshing measures the subset and records the drawn customers with the figures, so
that a check asks exactly the customers the floor was measured on."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from app.datasets.online_retail import read_baskets
from app.evaluation.harness import MODES, Progress, run_evaluation, split_for

TOLERANCE = 0.01
CUSTOMERS = 200
SEED = 20111001
CUT = datetime(2011, 10, 1, tzinfo=UTC)
PROTOCOLS: tuple[tuple[str, datetime | None], ...] = (("leave-last-basket", None),
                                                      ("leave-last-basket", CUT))
MODEL = "affinity"


def _quiet(_: str, __: int, ___: int) -> None:
    return None


@dataclass(frozen=True)
class Breach:
    cell: str
    floor: float
    measured: float

    def __str__(self) -> str:
        return (f"{self.cell}: NDCG@10 {self.measured:.4f} is more than {TOLERANCE} below "
                f"the floor {self.floor:.4f}")


def draw_customers(data_root: Path, protocol: str, cut: datetime | None,
                   count: int = CUSTOMERS, seed: int = SEED) -> list[str]:
    """``count`` test customers of the protocol, the same for the same data and seed."""
    split = split_for(read_baskets(data_root), protocol, cut, "test")
    everyone = sorted({c.customer_id for c in split.cases})
    picked = np.random.default_rng(seed).choice(len(everyone), min(count, len(everyone)),
                                                replace=False)
    return [everyone[i] for i in sorted(picked)]


async def measure_cell_figures(data_root: Path, protocol: str, cut: datetime | None,
                               customers: Sequence[str],
                               progress: Progress = _quiet) -> tuple[str, dict[str, Any]]:
    """The protocol's name and its figures (every model, both modes) on ``customers``."""
    result = await run_evaluation(data_root, protocol=protocol, cut=cut, modes=MODES,
                                  customers=customers, progress=progress)
    return str(result["protocol"]), {mode: result[mode] for mode in MODES}


async def refresh(data_root: Path, path: Path, progress: Progress = _quiet) -> dict[str, Any]:
    """Measure the subset and write it, with its figures, as the new floor file."""
    protocols: dict[str, Any] = {}
    for protocol, cut in PROTOCOLS:
        customers = draw_customers(data_root, protocol, cut)
        name, figures = await measure_cell_figures(data_root, protocol, cut, customers, progress)
        protocols[name] = {
            "protocol": protocol, "cut": cut.date().isoformat() if cut else None,
            "ndcg_at_10": {mode: figures[mode][MODEL]["NDCG@10"] for mode in MODES},
            "references": {mode: {n: m["NDCG@10"] for n, m in figures[mode].items()
                                  if n != MODEL} for mode in MODES},
            "users": {mode: figures[mode][MODEL]["users"] for mode in MODES},
            "customers": customers}
    floor = {"model": MODEL, "metric": "NDCG@10", "tolerance": TOLERANCE,
             "subset": {"customers_per_protocol": CUSTOMERS, "seed": SEED,
                        "drawn_from": "the protocol's test customers sorted by id"},
             "protocols": protocols}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(floor, indent=2) + "\n")
    return floor


def breaches(floor: dict[str, Any], measured: dict[str, dict[str, float]]) -> list[Breach]:
    """Every cell (protocol / mode) whose measured NDCG@10 is more than the tolerance below
    its floor; a cell of the floor that was not measured counts as a breach at 0."""
    out = []
    tolerance = float(floor.get("tolerance", TOLERANCE))
    for name, recorded in floor["protocols"].items():
        for mode, minimum in recorded["ndcg_at_10"].items():
            value = measured.get(name, {}).get(mode, 0.0)
            if value < float(minimum) - tolerance:
                out.append(Breach(f"{name} / {mode}", float(minimum), value))
    return out


def parse_cut(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None


async def check(data_root: Path, path: Path,
                progress: Progress = _quiet) -> tuple[dict[str, dict[str, float]], list[Breach]]:
    """Measure the recorded subset again: the figures, and the cells below their floor."""
    floor = json.loads(path.read_text())
    measured: dict[str, dict[str, float]] = {}
    for recorded in floor["protocols"].values():
        cut = parse_cut(recorded["cut"])
        protocol, figures = await measure_cell_figures(
            data_root, recorded["protocol"], cut, recorded["customers"], progress)
        measured[protocol] = {mode: float(figures[mode][MODEL]["NDCG@10"]) for mode in MODES}
    return measured, breaches(floor, measured)
