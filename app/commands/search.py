"""``affinity evaluate --task search``: the search protocol, tuned on valid or run on test."""

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from app.commands.common import progress
from app.search.model import WEIGHTS_FILE, load_search_model
from app.settings import Settings

TUNING_QUERIES_PER_BASKET = 5
VALID_REPORT = 2000


def search_table(result: dict[str, Any]) -> str:
    lines = [f"search protocol, split {result['split']}",
             f"{'model':10} {'HR@10':>7} {'NDCG@10':>8} {'queries':>8}"]
    for name in ("original", "affinity", "als"):
        m = result[name]
        lines.append(f"{name:10} {m['HR@10']:7.4f} {m['NDCG@10']:8.4f} {m['queries']:8d}")
    base = result["original"]["NDCG@10"]
    if base:
        lines.append(f"affinity vs original: {result['affinity']['NDCG@10'] / base - 1:+.1%} NDCG@10")
    return "\n".join(lines)


async def cmd_evaluate_search(args: argparse.Namespace, settings: Settings) -> int:
    from app.embeddings.factory import build_embedder
    from app.search.harness import load_world, measure, run_search_evaluation, tune
    data = Path(args.data)
    embedder = build_embedder(settings)
    with tempfile.TemporaryDirectory(prefix="affinity-search-eval-") as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'eval.db'}"
        if args.tune:
            world = await load_world(data, url, embedder, "valid", Path(scratch) / "models",
                                     progress, TUNING_QUERIES_PER_BASKET)
            try:
                model = await tune(world, progress=progress)
                result = await measure(world, model, world.cases[: args.limit or VALID_REPORT],
                                       progress)
            finally:
                await world.engine.dispose()
            WEIGHTS_FILE.write_text(model.to_json())
            sys.stdout.write(f"weights written to {WEIGHTS_FILE}\n")
            result = {**result, "split": "valid"}
        else:
            result = await run_search_evaluation(data, url, embedder, Path(scratch) / "models",
                                                 "test", args.limit, load_search_model(),
                                                 progress)
    sys.stdout.write(search_table(result) + "\n")
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        keys = ("original", "affinity", "als")
        Path(args.output).write_text(json.dumps({k: result[k] for k in keys}, indent=2) + "\n")
    return 0
