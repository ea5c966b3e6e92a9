"""``affinity evaluate --tune-tifu | --gate-refresh FILE | --gate-check FILE``: tune the
TIFU-KNN reference on ``valid``, and record or check the quality gate's NDCG@10 floor."""

import argparse
import sys
from pathlib import Path

from app.commands.common import emit, progress


async def run_quality_command(args: argparse.Namespace, data: Path) -> int:
    if args.tune_tifu:
        return _tune_tifu(data, Path(args.output) if args.output else None)
    from app.evaluation import gate

    if args.gate_refresh:
        floor = await gate.refresh(data, Path(args.gate_refresh), progress)
        emit({"floor": args.gate_refresh,
              "ndcg_at_10": {n: p["ndcg_at_10"] for n, p in floor["protocols"].items()}})
        return 0
    measured, below = await gate.check(data, Path(args.gate_check), progress)
    emit({"floor": args.gate_check, "ndcg_at_10": measured, "below": [str(b) for b in below]})
    return 1 if below else 0


def _tune_tifu(data: Path, output: Path | None) -> int:
    from app.datasets.online_retail import read_baskets, read_products
    from app.evaluation.protocol import leave_last_basket
    from app.evaluation.tifu import DEFAULT_PARAMETERS, by_popularity
    from app.evaluation.tifu_tuning import tune_tifu, write_tuned

    baskets = read_baskets(data)
    items = by_popularity(leave_last_basket(baskets, "valid").fit,
                          [p.platform_id for p in read_products(data)])
    tuned = tune_tifu(baskets, items, progress)
    target = output or DEFAULT_PARAMETERS
    write_tuned(tuned, target)
    sys.stdout.write(f"TIFU-KNN parameters written to {target}\n")
    emit(tuned["parameters"] | tuned["provenance"])
    return 0
