"""A simulation from start to report: the experiment is created and started through the
admin API, the shoppers visit (a bounded number at once, each with a random generator
seeded by the run's seed and their customer id, so that shown the same lists a shopper
decides the same way whatever the interleaving), the rollups are given time to settle, and the report is what the admin
API then says, next to the simulator's own counts."""

import asyncio
import random
import secrets
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from app.datasets.online_retail import Basket
from app.errors import InvalidInput
from app.simulator.admin import AdminApi
from app.simulator.click_model import ClickModel
from app.simulator.protocol import Progress, ShopAccess, SimulationFailed, no_progress
from app.simulator.report import build_report, reported_totals
from app.simulator.shoppers import ShopperPlan
from app.simulator.storefront import Storefront
from app.simulator.variants import VariantChoice
from app.simulator.visit import LIST_LENGTH, Tally, visit
from app.simulator.world import WORLD_FILE, build_world, copy_world, save_world, serving

MAX_CONCURRENCY = 64
POLL_SECONDS = 1.0
STABLE_POLLS = 5
"""Unchanged answers in a row that count as settled when they disagree with the
simulator's own counts (an event or order the server dropped never arrives)."""
REQUEST_TIMEOUT_SECONDS = 60.0
RUNNING = "running"


@dataclass(frozen=True)
class SimulationOptions:
    variants: Sequence[VariantChoice]
    seed: int = 0
    concurrency: int = 8
    click_model: ClickModel = field(default_factory=ClickModel)
    settle_seconds: float = 120.0
    holdout_share: float | None = None
    """The shop's global holdout when known (0 on a server of the simulator's own)."""
    guardrails: bool = False
    """Keep the server's default guardrails (off: none that could stop a variant)."""
    exploration: str | None = None
    """On a server of the simulator's own: its exploration strategy (none: the default)."""
    world_cache: Path | None = None
    """On a server of the simulator's own: a folder keeping the built world for later runs."""

    def __post_init__(self) -> None:
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise InvalidInput(f"concurrency must be between 1 and {MAX_CONCURRENCY}")


async def _visit_all(plans: Sequence[ShopperPlan], storefront: Storefront,
                     options: SimulationOptions, tally: Tally, progress: Progress) -> None:
    gate = asyncio.Semaphore(options.concurrency)
    first_order = secrets.randbelow(9 * 10**8) + 10**8  # distinct orders on a shared server
    step, reported = max(1, len(plans) // 50), [0]

    async def one(number: int, plan: ShopperPlan) -> None:
        rng = random.Random(f"{options.seed}:{plan.customer_id}")
        async with gate:
            await visit(plan, storefront, options.click_model, rng,
                        first_order * 100_000 + number, tally)
        if tally.shoppers - reported[0] >= step or tally.shoppers == len(plans) > reported[0]:
            reported[0] = tally.shoppers
            progress("shoppers", tally.shoppers, len(plans))

    await asyncio.gather(*(one(n, plan) for n, plan in enumerate(plans)))


async def _settled_experiment(admin: AdminApi, experiment_id: str, tally: Tally,
                              timeout: float) -> tuple[dict[str, Any], bool]:
    """Poll the experiment until its results match the simulator's counts or stop
    changing; whether they matched."""
    deadline = time.monotonic() + timeout
    last: tuple[float, ...] | None = None
    unchanged = 0
    while True:
        experiment = await admin.experiment(experiment_id)
        totals = reported_totals(experiment["results"])
        if (totals["impressions"], totals["clicks"], totals["orders"]) == (
                tally.impressions, tally.clicks, tally.orders):
            return experiment, True
        now = tuple(totals.values())
        unchanged = unchanged + 1 if now == last else 0
        last = now
        if unchanged >= STABLE_POLLS or time.monotonic() >= deadline:
            return experiment, False
        await asyncio.sleep(POLL_SECONDS)


async def simulate(base_url: str, access: ShopAccess, plans: Sequence[ShopperPlan],
                   options: SimulationOptions, progress: Progress = no_progress) -> dict[str, Any]:
    """Run the simulation against the server at ``base_url``; the report."""
    limits = httpx.Limits(max_connections=options.concurrency * 2)
    try:
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS, limits=limits) as client:
            return await _experiment(client, base_url, access, plans, options, progress)
    except httpx.HTTPError as exc:
        raise SimulationFailed(f"the server stopped answering ({type(exc).__name__})") from exc


async def _experiment(client: httpx.AsyncClient, base_url: str, access: ShopAccess,
                      plans: Sequence[ShopperPlan], options: SimulationOptions,
                      progress: Progress) -> dict[str, Any]:
    name = f"simulation-{options.seed}-{secrets.token_hex(4)}"
    admin = AdminApi(client, base_url, access.admin_token)
    experiment_id = await admin.create_experiment(name, options.variants, options.guardrails)
    await admin.start_experiment(experiment_id)
    tally = Tally()
    started = time.monotonic()
    await _visit_all(plans, Storefront(client, base_url, access), options, tally, progress)
    visited_in = time.monotonic() - started
    experiment, matched = await _settled_experiment(admin, experiment_id, tally,
                                                    options.settle_seconds)
    stopped = experiment["status"] == RUNNING
    if stopped:
        await admin.stop_experiment(experiment_id, "simulation finished")
    return build_report(experiment, name=name, control=options.variants[0].name,
                        treatment=options.variants[1].name, extra={
                            "experiment_id": experiment_id, "server": base_url,
                            "shop": access.domain, "seed": options.seed,
                            "holdout_share": options.holdout_share,
                            "exploration": options.exploration,
                            "simulated": tally.as_dict(), "rollups_match": matched,
                            "stopped_by_simulator": stopped,
                            "visit_seconds": round(visited_in, 1),
                            "click_model": asdict(options.click_model),
                            "list_length": LIST_LENGTH})


async def simulate_locally(data_root: Path, fit: list[Basket], plans: Sequence[ShopperPlan],
                           options: SimulationOptions, progress: Progress = no_progress,
                           keep: Path | None = None, holdout_share: float = 0.0) -> dict[str, Any]:
    """Build a shop of the simulation's own, serve it, simulate against it. In a temporary
    folder removed afterwards, or in ``keep`` (a new or empty folder), kept with everything
    the simulation stored, to be served again (``affinity serve``, the console).
    ``holdout_share``: the server's global holdout (0: every shopper in the experiment)."""
    if keep is not None:
        if keep.exists() and any(keep.iterdir()):
            raise InvalidInput("--keep must name a new or empty folder")
        keep.mkdir(parents=True, exist_ok=True)
        return await _simulate_in(keep, data_root, fit, plans, options, progress, holdout_share)
    with tempfile.TemporaryDirectory(prefix="affinity-simulate-") as folder:
        return await _simulate_in(Path(folder), data_root, fit, plans, options, progress,
                                  holdout_share)


async def _simulate_in(folder: Path, data_root: Path, fit: list[Basket],
                       plans: Sequence[ShopperPlan], options: SimulationOptions,
                       progress: Progress, holdout_share: float) -> dict[str, Any]:
    cache = options.world_cache
    if cache is not None and (cache / WORLD_FILE).is_file():
        world, access = copy_world(cache, folder, holdout_share, options.exploration)
    else:
        world, access = await build_world(folder, data_root, fit, progress, holdout_share,
                                          options.exploration)
        if cache is not None:
            save_world(world, access, cache)
    with serving(world) as base_url:
        return await simulate(base_url, access, plans,
                              replace(options, holdout_share=holdout_share), progress)
