"""``affinity evaluate`` (offline quality of the recommendations, or of search) and
``affinity model train``."""

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.commands.common import Commands, Database, emit, progress
from app.settings import Settings
from app.storage.database import transaction

TABLE_MODELS = ("affinity", "popularity", "personal-popularity", "als", "tifu-knn")


def register(commands: Commands) -> None:
    evaluate = commands.add_parser("evaluate", help="measure recommendation quality offline")
    evaluate.add_argument("--data", required=True, help="the Online Retail dataset folder")
    evaluate.add_argument("--task", default="recommendations", choices=["recommendations", "search"],
                          help="recommendations (carousels) or search (rerankSearch)")
    evaluate.add_argument("--protocol", default="leave-last-basket",
                          choices=["leave-last-basket", "guest-sessions"],
                          help="guest-sessions: first half of a guest basket viewed, "
                               "predict the rest (cold-start sessions)")
    evaluate.add_argument("--cut", help="temporal cut date YYYY-MM-DD instead of the protocol")
    evaluate.add_argument("--mode", default="all", choices=["all", "explore", "both"],
                          help="both: one run, both tables; the JSON is then keyed by mode")
    evaluate.add_argument("--output", help="write the metrics as JSON here")
    evaluate.add_argument("--limit", type=int, help="only the first N test customers")
    evaluate.add_argument("--weights", help="blend weights JSON to use (or to write, --tune)")
    evaluate.add_argument("--tune", action="store_true",
                          help="tune the blend weights on the valid split and write them")
    evaluate.add_argument("--tune-tifu", action="store_true",
                          help="tune the TIFU-KNN reference on the valid split and write its "
                               "parameters (--output, default app/evaluation/tifu.json)")
    evaluate.add_argument("--gate-refresh", metavar="FILE",
                          help="measure the quality gate's subset and write it as the floor")
    evaluate.add_argument("--gate-check", metavar="FILE",
                          help="measure the floor file's subset; exit 1 when a cell is below")
    evaluate.set_defaults(handler=cmd_evaluate)
    model = commands.add_parser("model", help="collaborative models").add_subparsers(
        dest="action", required=True)
    train = model.add_parser("train", help="train a shop's model artefact now")
    train.add_argument("--shop", required=True)
    train.set_defaults(handler=cmd_model_train)


def metrics_table(result: dict[str, Any]) -> str:
    header = (f"{'mode':8} {'model':20} {'HR@10':>7} {'Recall@10':>9} {'NDCG@10':>8} "
              f"{'MRR':>7} {'users':>6}")
    lines = [f"protocol {result['protocol']}", header]
    for mode in ("all", "explore"):
        for name in TABLE_MODELS:
            m = result.get(mode, {}).get(name)
            if m:
                lines.append(f"{mode:8} {name:20} {m['HR@10']:7.4f} {m['Recall@10']:9.4f} "
                             f"{m['NDCG@10']:8.4f} {m['MRR']:7.4f} {m['users']:6d}")
    latency = result.get("latency_ms", {})
    if latency:
        lines.append(f"recommendations latency: p50 {latency['p50']} ms, "
                     f"p99 {latency['p99']} ms over {latency['requests']} requests")
    return "\n".join(lines)


def output_json(result: dict[str, Any], modes: tuple[str, ...]) -> dict[str, Any]:
    """One object per model (one mode), or ``{mode: {model: ...}}`` for both modes."""
    per_mode = {mode: {name: result[mode][name] for name in TABLE_MODELS} for mode in modes}
    return per_mode[modes[0]] if len(modes) == 1 else per_mode


async def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if args.task == "search":
        from app.commands.search import cmd_evaluate_search

        return await cmd_evaluate_search(args, settings)
    from app.evaluation.harness import collect_for_tuning, run_evaluation
    from app.ranking.blend import DEFAULT_WEIGHTS, load_weights

    data = Path(args.data)
    if args.tune_tifu or args.gate_refresh or args.gate_check:
        from app.commands.quality import run_quality_command

        return await run_quality_command(args, data)
    if args.tune:
        from app.evaluation.tuning import cases_from, tune

        current = load_weights()
        scored, targets = await collect_for_tuning(data, current, args.limit, progress)
        weights = tune(cases_from(scored, targets))
        # Session and placement overrides are tuned elsewhere (guest sessions): kept as they are.
        weights.placements = current.placements
        weights.provenance = {**current.provenance, **weights.provenance}
        target = Path(args.weights or DEFAULT_WEIGHTS)
        target.write_text(weights.to_json() + "\n")
        sys.stdout.write(f"weights written to {target}\n{weights.to_json()}\n")
        return 0
    cut = datetime.fromisoformat(args.cut).replace(tzinfo=UTC) if args.cut else None
    if args.protocol == "guest-sessions":
        return await _sessions(args, settings, data, cut)
    modes: tuple[str, ...] = ("all", "explore") if args.mode == "both" else (args.mode,)
    chosen = load_weights(Path(args.weights)) if args.weights else None
    result = await run_evaluation(data, protocol=args.protocol, cut=cut, modes=modes,
                                  limit=args.limit, weights=chosen, progress=progress)
    sys.stdout.write(metrics_table(result) + "\n")
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(output_json(result, modes), indent=2) + "\n")
    return 0


async def _sessions(args: argparse.Namespace, settings: Settings, data: Path,
                    cut: datetime | None) -> int:
    from app.embeddings.factory import build_embedder
    from app.evaluation.sessions import DEFAULT_CUT, run_session_evaluation
    from app.ranking.blend import load_weights

    weights = load_weights(Path(args.weights)) if args.weights else None
    result = await run_session_evaluation(data, build_embedder(settings), cut=cut or DEFAULT_CUT,
                                          weights=weights, limit=args.limit, progress=progress)
    for name in ("affinity", "popularity"):
        m = result[name]
        sys.stdout.write(f"{result['protocol']} {name:12} HR@10 {m['HR@10']:.4f} Recall@10 "
                         f"{m['Recall@10']:.4f} NDCG@10 {m['NDCG@10']:.4f} MRR {m['MRR']:.4f} "
                         f"users {m['users']}\n")
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
    return 0


async def cmd_model_train(args: argparse.Namespace, settings: Settings) -> int:
    from app.ids import ShopId
    from app.ranking.jobs import train_shop_model
    from app.ranking.settings import EngineSettings
    from app.shops.service import get_by_domain

    models_dir = EngineSettings().models_dir or settings.data_dir / "models"
    async with Database(settings) as db, transaction(db.sessions) as session:
        shop = await get_by_domain(session, args.shop)
        trained = await train_shop_model(session, ShopId(shop.id), models_dir)
    emit({"shop": args.shop, "version": trained.artefact.version, "orders": trained.orders,
          "products": trained.artefact.size, "folder": str(trained.folder)})
    return 0
