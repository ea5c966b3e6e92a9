"""Would a country or hour-of-day popularity help the discovery blend? Measured on the
``valid`` split (fit on ``train``), on the serving path's own candidates and features, with
one more column per tried feature: the log lift of an item's share among the customers of
the shopper's country (or the baskets of the request's hour) over its share everywhere,
shrunk towards 1 with ``--prior`` pseudo-counts. Two folds over the cases: the blend is
fitted (logistic, then one round of coordinate ascent) on one half and measured on the
other; the per-case differences to the base blend get a bootstrap interval.

    .venv/bin/python scripts/context_study.py --data ../shared/datasets/online-retail
"""

import argparse
import asyncio
import csv
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from app.datasets.online_retail import read_baskets
from app.evaluation.harness import collect_for_tuning
from app.evaluation.protocol import leave_last_basket
from app.evaluation.tuning import EXPLORE_WEIGHT, Case, _ascend, _logistic, _ndcg, cases_from
from app.ranking.blend import load_weights, sigmoid

Floats = npt.NDArray[np.float64]
Lift = Callable[[str], float]


def lift_table(counts: Counter[str], total: int, overall: Counter[str], everyone: int,
               prior: float) -> Lift:
    def lift(item: str) -> float:
        base = (overall[item] + 1) / (everyone + 2)
        return float(np.log((counts[item] + prior * base) / (total + prior) / base))
    return lift


def tables(data: Path, prior: float) -> tuple[dict[str, str], Callable[[str], Lift],
                                              Callable[[int], Lift]]:
    """Each customer's country, and the lift tables of a country and of an hour (train only)."""
    with open(data / "baskets.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    country_of: dict[str, str] = {}
    for row in rows:
        country_of.setdefault(row["customer_id"], row["country"])
    train = [r for r in rows if r["split_llb"] == "train"]
    bought: dict[str, set[str]] = defaultdict(set)
    for row in train:
        bought[row["customer_id"]].update(row["items"].split())
    by_country: dict[str, Counter[str]] = defaultdict(Counter)
    customers, items = Counter[str](), Counter[str]()
    for customer, products in bought.items():
        customers[country_of[customer]] += 1
        by_country[country_of[customer]].update(products)
        items.update(products)
    by_hour: dict[int, Counter[str]] = defaultdict(Counter)
    baskets, basket_items = Counter[int](), Counter[str]()
    for row in train:
        hour, products = datetime.fromisoformat(row["timestamp"]).hour, set(row["items"].split())
        baskets[hour] += 1
        by_hour[hour].update(products)
        basket_items.update(products)
    return (country_of,
            lambda c: lift_table(by_country[c], customers[c], items, len(bought), prior),
            lambda h: lift_table(by_hour[h], baskets[h], basket_items, len(train), prior))


def per_case(cases: list[Case], wo: Floats, wn: Floats) -> Floats:
    """NDCG@10 in ``all`` and ``explore`` mode per case (NaN: no new item in the target)."""
    out = []
    for c in cases:
        scores = np.where(c.owned, sigmoid(c.owned_x @ wo), sigmoid(c.new_x @ wn))
        new = int(c.relevant[~c.owned].sum())
        explore = (_ndcg(np.where(c.owned, -np.inf, scores), c.relevant & ~c.owned, new)
                   if new else np.nan)
        out.append((_ndcg(scores, c.relevant, c.targets), explore))
    return np.asarray(out)


def held_out(cases: list[Case]) -> Floats:
    """Every case's figures, from the blend fitted on the other half of the cases."""
    out = np.zeros((len(cases), 2))
    parity = np.arange(len(cases)) % 2
    for fold in (0, 1):
        fit = [c for c, p in zip(cases, parity, strict=True) if p != fold]
        wo = _logistic(np.vstack([c.owned_x[c.owned] for c in fit]),
                       np.concatenate([c.relevant[c.owned] for c in fit]).astype(float))
        wn = _logistic(np.vstack([c.new_x[~c.owned] for c in fit]),
                       np.concatenate([c.relevant[~c.owned] for c in fit]).astype(float))
        wo, wn = _ascend(fit, wo, wn, 1)
        out[parity == fold] = per_case([c for c, p in zip(cases, parity, strict=True)
                                        if p == fold], wo, wn)
    return out


def interval(values: Floats, rng: np.random.Generator) -> tuple[float, float]:
    means = [rng.choice(values, len(values)).mean() for _ in range(2000)]
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


async def study(data: Path, prior: float) -> None:
    scored, targets = await collect_for_tuning(data, load_weights())
    base = cases_from(scored, targets)
    split = leave_last_basket(read_baskets(data), "valid")
    asked = sorted(split.cases, key=lambda c: c.at)
    country_of, country, hour = tables(data, prior)
    kept = [a for a, s in zip(asked, scored, strict=True) if s.owned_x is not None]
    columns: dict[str, list[Floats]] = {"country": [], "hour": []}
    for case, s in zip(kept, [s for s in scored if s.owned_x is not None], strict=True):
        ids = s.candidates.product_ids(range(len(s.candidates)))
        by_country, by_hour = country(country_of[case.customer_id]), hour(case.at.hour)
        columns["country"].append(np.asarray([by_country(i) for i in ids]))
        columns["hour"].append(np.asarray([by_hour(i) for i in ids]))
    variants = {"base": base}
    for name, extra in [("country", ("country",)), ("hour", ("hour",)),
                        ("country+hour", ("country", "hour"))]:
        variants[name] = [Case(c.owned_x, np.column_stack([c.new_x, *(columns[e][i] for e in extra)]),
                               c.owned, c.relevant, c.targets) for i, c in enumerate(base)]
    figures = {name: held_out(cases) for name, cases in variants.items()}
    rng = np.random.default_rng(0)
    for name, got in figures.items():
        full, explore = got[:, 0].mean(), np.nanmean(got[:, 1])
        line = (f"{name:13s} all {full:.4f} explore {explore:.4f} "
                f"objective {full + EXPLORE_WEIGHT * explore:.4f}")
        if name != "base":
            for col, mode in ((0, "all"), (1, "explore")):
                diff = got[:, col] - figures["base"][:, col]
                diff = diff[~np.isnan(diff)]
                low, high = interval(diff, rng)
                line += f" | {mode} {diff.mean():+.4f} [{low:+.4f}, {high:+.4f}]"
        sys.stdout.write(line + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets/online-retail"))
    parser.add_argument("--prior", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(study(args.data, args.prior))


if __name__ == "__main__":
    main()
