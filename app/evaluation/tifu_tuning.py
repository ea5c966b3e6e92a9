"""Tune TIFU-KNN on the ``valid`` split (fit on ``train``) by a full grid, the way the
blend weights are tuned: NDCG@10 in ``all`` mode plus ``EXPLORE_WEIGHT`` times NDCG@10 in
``explore`` mode. Never touches ``test``.

The grid has 3 x 3 x 3 personal-vector settings x 3 neighbour counts x 5 alphas (405
points). Work shared between points is done once: the personal vectors per decay setting,
the neighbour lists per setting (sorted once, cut at each k), and the explore ranking per k
(with owned items removed, only the neighbours' part ranks, whatever alpha below 1 is).
On the full valid split (about 2,800 customers with earlier baskets) it takes one to three
minutes on a 2-core machine."""

import itertools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from app.datasets.online_retail import Basket
from app.evaluation.protocol import leave_last_basket
from app.evaluation.tifu import (
    Dense,
    Rows,
    TifuParameters,
    blend,
    histories,
    nearest,
    neighbour_mean,
    personal_vectors,
    unit_rows,
)
from app.evaluation.tuning import EXPLORE_WEIGHT

K = 10
GRID: dict[str, tuple[float, ...]] = {
    "group_size": (2, 4, 8),
    "within_decay": (0.8, 0.9, 1.0),
    "group_decay": (0.6, 0.8, 1.0),
    "neighbours": (50, 200, 600),
    "alpha": (0.5, 0.7, 0.8, 0.9, 1.0),
}
Progress = Callable[[str, int, int], None]
Flags = npt.NDArray[np.bool_]


def _quiet(_: str, __: int, ___: int) -> None:
    return None


def top_k(scores: Dense, k: int = K) -> Rows:
    """The columns of each row's ``k`` best scores, best first; equal scores: lower column
    first (exactly what a stable sort of the whole row would give, without sorting it)."""
    kth = np.partition(scores, -k, axis=1)[:, -k][:, None]
    above = scores > kth
    tied = scores == kth
    room = k - above.sum(axis=1, keepdims=True)
    chosen = above | (tied & (np.cumsum(tied, axis=1) <= room))
    columns = np.nonzero(chosen)[1].reshape(len(scores), k)
    values = np.take_along_axis(scores, columns, axis=1)
    return np.take_along_axis(columns, np.lexsort((columns, -values)), axis=1)


def mean_ndcg(scores: Dense, targets: Flags, k: int = K) -> float:
    """Mean NDCG@k (binary gains, ideal = min(|target|, k)) over the rows with a target."""
    sizes = targets.sum(axis=1)
    keep = sizes > 0
    if not keep.any():
        return 0.0
    top = top_k(scores[keep], k)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    gains = (np.take_along_axis(targets[keep], top, axis=1) * discounts).sum(axis=1)
    ideal = np.cumsum(discounts)[np.minimum(sizes[keep], k) - 1]
    return float(np.mean(gains / ideal))


@dataclass
class ValidCases:
    """The valid cases of customers with earlier baskets, as matrices over the items."""

    baskets_of: list[list[list[int]]]
    rows: Rows
    targets: Flags
    items: int


def valid_cases(baskets: Sequence[Basket], items: Sequence[str]) -> ValidCases:
    split = leave_last_basket(list(baskets), "valid")
    columns = {item: n for n, item in enumerate(items)}
    by_customer = histories(split.fit, columns)
    row_of = {c: n for n, c in enumerate(by_customer)}
    cases = [c for c in split.cases if c.customer_id in row_of]
    targets = np.zeros((len(cases), len(items)), bool)
    for n, case in enumerate(cases):
        targets[n, [columns[i] for i in case.target if i in columns]] = True
    rows = np.asarray([row_of[c.customer_id] for c in cases], np.int64)
    return ValidCases(list(by_customer.values()), rows, targets, len(items))


@dataclass(frozen=True)
class Point:
    parameters: TifuParameters
    all_ndcg: float
    explore_ndcg: float

    @property
    def objective(self) -> float:
        return self.all_ndcg + EXPLORE_WEIGHT * self.explore_ndcg


def _points(cases: ValidCases, vectors: sparse.csr_matrix,
            decays: tuple[int, float, float]) -> list[Point]:
    owned = np.asarray(vectors[cases.rows].toarray()) > 0
    explore_targets = cases.targets & ~owned
    lists = nearest(unit_rows(vectors), cases.rows, int(max(GRID["neighbours"])))
    no_neighbours = mean_ndcg(np.where(owned, -np.inf, 0.0), explore_targets)
    out = []
    for k in GRID["neighbours"]:
        around = neighbour_mean(vectors, lists[:, : int(k)])
        explore = mean_ndcg(np.where(owned, -np.inf, around), explore_targets)
        for alpha in GRID["alpha"]:
            full = mean_ndcg(blend(vectors, cases.rows, around, alpha), cases.targets)
            parameters = TifuParameters(decays[0], decays[1], decays[2], int(k), alpha)
            out.append(Point(parameters, full, explore if alpha < 1 else no_neighbours))
    return out


def grid_search(cases: ValidCases, progress: Progress = _quiet) -> list[Point]:
    """Every grid point with its valid NDCG@10 in both modes."""
    settings = list(itertools.product(GRID["group_size"], GRID["within_decay"],
                                      GRID["group_decay"]))
    points: list[Point] = []
    for n, (size, within, across) in enumerate(settings):
        vectors = personal_vectors(cases.baskets_of, cases.items, int(size), within, across)
        points.extend(_points(cases, vectors, (int(size), within, across)))
        progress("settings", n + 1, len(settings))
    return points


def tune_tifu(baskets: Sequence[Basket], items: Sequence[str],
              progress: Progress = _quiet) -> dict[str, Any]:
    """The best grid point and how it was found, ready to be written as ``tifu.json``.
    ``items`` is the tie-break order (most popular first, as the references rank)."""
    started = time.monotonic()
    cases = valid_cases(baskets, items)
    points = grid_search(cases, progress)
    best = max(points, key=lambda p: p.objective)
    return {"parameters": asdict(best.parameters),
            "grid": {k: list(v) for k, v in GRID.items()},
            "provenance": {"tuned_on": "leave-last-basket:valid (fit on train)",
                           "cases": len(cases.rows),
                           "objective": f"NDCG@10 all + {EXPLORE_WEIGHT} x NDCG@10 explore",
                           "valid_ndcg": [round(best.all_ndcg, 4),
                                          round(best.explore_ndcg, 4)],
                           "seconds": round(time.monotonic() - started, 1)}}


def write_tuned(result: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(result, indent=2) + "\n")
