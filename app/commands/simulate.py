"""``affinity simulate``: shoppers of the Online Retail data driving a server over HTTP."""

import argparse
import json
import logging
from pathlib import Path

from app.commands.common import Commands, emit, progress
from app.errors import InvalidInput
from app.experiments.directory import MAX_HOLDOUT_SHARE
from app.settings import Settings

REMOTE = ("shop", "storefront_key", "server_key", "admin_token", "webhook_secret")


def register(commands: Commands) -> None:
    sim = commands.add_parser(
        "simulate", help="simulate shoppers against a server and report the experiment")
    sim.add_argument("--data", required=True, type=Path, help="the Online Retail dataset folder")
    sim.add_argument("--variants", default="baseline,engine",
                     help="A,B[,...]: engine, baseline or a JSON variant file; the first is the control")
    sim.add_argument("--shoppers", type=int, default=500, help="test customers who visit")
    sim.add_argument("--output", required=True, type=Path, help="where the JSON report goes")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--concurrency", type=int, default=8, help="shoppers visiting at once")
    sim.add_argument("--guardrails", action="store_true",
                     help="keep the default guardrails (off: none that could stop a variant)")
    sim.add_argument("--keep", type=Path,
                     help="without --server: build the simulated shop in this new folder and "
                          "keep it (serve it afterwards with AFFINITY_DATABASE_URL and "
                          "AFFINITY_DATA_DIR of that folder)")
    sim.add_argument("--holdout", type=float, default=0.0,
                     help="without --server: the server's global holdout share, 0 to 0.5 "
                          "(default 0: every shopper in the experiment)")
    sim.add_argument("--exploration", choices=("fixed", "thompson"),
                     help="without --server: the server's exploration strategy "
                          "(AFFINITY_ENGINE_EXPLORATION; default: the server's default)")
    sim.add_argument("--world-cache", type=Path,
                     help="without --server: reuse the shop built in this folder by an earlier "
                          "run (a copy of it), or build one and keep it there (runs then compare "
                          "on the same index and model; the folder holds the shop's keys)")
    sim.add_argument("--server", help="a running server's base URL (default: start one)")
    for name in REMOTE:
        sim.add_argument("--" + name.replace("_", "-"), help="with --server")
    sim.set_defaults(handler=cmd_simulate)


def kept_world(folder: Path, report: dict[str, object]) -> dict[str, str]:
    """What serves a kept world again: its settings and its shop."""
    folder = folder.resolve()
    return {"AFFINITY_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'affinity.db'}",
            "AFFINITY_DATA_DIR": str(folder / "data"), "shop": str(report["shop"])}


async def cmd_simulate(args: argparse.Namespace, _: Settings) -> int:
    from app.datasets.online_retail import read_baskets
    from app.evaluation.protocol import leave_last_basket
    from app.simulator.protocol import ShopAccess
    from app.simulator.run import SimulationOptions, simulate, simulate_locally
    from app.simulator.shoppers import plan_shoppers
    from app.simulator.variants import parse_variants

    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    options = SimulationOptions(parse_variants(args.variants), args.seed, args.concurrency,
                                guardrails=args.guardrails, exploration=args.exploration,
                                world_cache=args.world_cache and args.world_cache.resolve())
    split = leave_last_basket(read_baskets(args.data), "test")
    plans = plan_shoppers(split, args.shoppers, args.seed)
    if not 0 <= args.holdout <= MAX_HOLDOUT_SHARE:
        raise InvalidInput(f"--holdout must be from 0 to {MAX_HOLDOUT_SHARE}")
    if args.server is None:
        report = await simulate_locally(args.data, split.fit, plans, options, progress,
                                        keep=args.keep and args.keep.resolve(),
                                        holdout_share=args.holdout)
    else:
        if args.keep is not None or args.holdout or args.exploration or args.world_cache:
            raise InvalidInput("--keep, --holdout, --exploration and --world-cache are for a "
                               "shop of the simulation's own "
                               "(without --server)")
        missing = [name for name in REMOTE if not getattr(args, name)]
        if missing:
            raise InvalidInput("--server needs " + ", ".join(
                "--" + name.replace("_", "-") for name in missing))
        access = ShopAccess(args.shop, args.storefront_key, args.server_key, args.admin_token,
                            args.webhook_secret)
        report = await simulate(args.server, access, plans, options, progress)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    emit({"output": str(args.output), "experiment": report["experiment"],
          "lift": report["lift"], "srm_p": report["srm_p"],
          **({"kept": kept_world(args.keep, report)} if args.keep is not None else {})})
    return 0
