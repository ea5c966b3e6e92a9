"""What a running experiment costs the serving path: ``recommendations`` (HOME, visitors
with a browsing history) p99 at 200 requests/s with an experiment running on HOME, side by
side with none, on one server over the 100k world (``benchmarks.side_by_side``).

The experiment is started before each slice of its side and stopped before each slice of
the other (through ``app.experiments.service``, in a transaction on the world's database;
the server's directory of running experiments sees the change within its refresh period,
waited out before the slice). The two variants are the engine and the engine with another
exploration share, 50/50, so that both do about the same work (``--treatment engine``: an
A/A experiment, exactly the same work); the shop's holdout is at the server's default on
both sides. The figure is the difference of the sides' median p99; the served lists
recorded during each slice show that the experiment (and the holdout) were applied."""

import asyncio
import time
import uuid
from dataclasses import asdict

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.events.models import Ranking
from app.experiments.directory import DEFAULT_REFRESH_SECONDS
from app.experiments.models import Experiment
from app.experiments.service import create_experiment, start_experiment, stop_experiment
from app.experiments.specs import ExperimentSpec, GuardrailSpec, VariantSpec
from app.ranking.variants import HOLDOUT
from app.storage.database import create_engine, create_session_factory, transaction
from benchmarks.common import Result, Target, write_result
from benchmarks.server import serve
from benchmarks.side_by_side import Run, measure, shares, slice_arguments
from benchmarks.world import build_world

NONE, RUNNING = "no experiment", "experiment running"
WORKLOAD = "recommendations_home"
PLACEMENT = "HOME"
NAME_PREFIX = "bench-serving-"
TREATMENT = '{"exploration": 0.2}'
"""The engine with 2 exploration slots of 12 instead of 1: the same work, another list."""
SETTLE_SECONDS = DEFAULT_REFRESH_SECONDS + 0.5
"""Past the refresh period of the server's directory of running experiments."""
KINDS = ("experiment", "holdout")
MEASURING_ONLY = GuardrailSpec(latency_p99_ms=60_000.0, max_click_to_cart_drop=1.0,
                               max_aov_drop=1.0, min_shoppers=10_000_000, min_lists=100_000_000)
"""Guardrails that never stop a variant: the server's background roles check them every
second, and a variant taken out of traffic in the middle of the run would leave one side
measuring another experiment."""


class ExperimentSwitch:
    """Starts a fresh experiment on HOME, or stops the running one, in the world's
    database; and reads which experiment and variant the lists served since were in."""

    sides = (NONE, RUNNING)

    def __init__(self, sessions: async_sessionmaker[AsyncSession], shop_id: int,
                 variants: list[VariantSpec]) -> None:
        self._sessions, self._shop_id, self._variants = sessions, shop_id, variants
        self.running: int | None = None
        self._seen = 0

    async def set(self, side: str) -> None:
        if (side == RUNNING) == (self.running is not None):
            return
        async with transaction(self._sessions) as session:
            if self.running is not None:
                await stop_experiment(session, self._shop_id, self.running, "benchmark slice")
                self.running = None
            else:
                spec = ExperimentSpec(f"{NAME_PREFIX}{uuid.uuid4().hex[:12]}", PLACEMENT,
                                      "engine", self._variants, MEASURING_ONLY)
                experiment = await create_experiment(session, self._shop_id, spec)
                await start_experiment(session, self._shop_id, experiment.id)
                self.running = experiment.id
        await asyncio.sleep(SETTLE_SECONDS)

    async def served_since(self) -> dict[str, int]:
        """Lists recorded since the last call: all, in the running experiment, in the
        holdout."""
        async with self._sessions() as session:
            rows = (await session.execute(
                select(Ranking.experiment_id, Ranking.variant, func.count(), func.max(Ranking.id))
                .where(Ranking.id > self._seen).group_by(Ranking.experiment_id, Ranking.variant)
            )).all()
        counts = {"lists": 0, "experiment": 0, "holdout": 0}
        for experiment_id, variant, count, last in rows:
            self._seen = max(self._seen, int(last))
            counts["lists"] += int(count)
            if experiment_id is not None and experiment_id == self.running:
                counts["experiment"] += int(count)
            elif variant == HOLDOUT:
                counts["holdout"] += int(count)
        return counts

    async def forget(self) -> None:
        """Stop the last experiment and delete the benchmark's experiments."""
        await self.set(NONE)
        async with transaction(self._sessions) as session:
            await session.execute(delete(Experiment).where(
                Experiment.shop_id == self._shop_id, Experiment.name.like(f"{NAME_PREFIX}%")))


def variants(treatment: str) -> list[VariantSpec]:
    return [VariantSpec("engine", "engine", 0.5), VariantSpec("treatment", treatment, 0.5)]


def cost_target(run: Run, seconds: float, treatment: str) -> Target:
    """The difference of the sides' median p99, met only when both sides served what they
    should (the experiment's variants to at least half of the lists on its side, none on
    the other) and no request failed."""
    summary = run.summary()
    none, running = summary[NONE], summary[RUNNING]
    difference = round(running["p99_ms"] - none["p99_ms"], 2)
    with_experiment, without = shares(run.served, RUNNING, KINDS), shares(run.served, NONE, KINDS)
    applied = with_experiment["experiment"] >= 0.5 and without["experiment"] == 0
    failed = int(none["failed"] + running["failed"])
    return Target(
        "recommendations p99 at 200 req/s, experiment running minus none", difference, "ms",
        "<= 1", difference <= 1 and applied and failed == 0,
        f"medians of {running['slices']:g} alternating {seconds:g} s slices a side: p99 "
        f"{running['p99_ms']} ms with an experiment on HOME (engine vs {treatment}, 50/50), "
        f"{none['p99_ms']} ms without; p50 {running['p50_ms']} vs {none['p50_ms']} ms; server "
        f"CPU a request {running['cpu_ms_per_request']} vs {none['cpu_ms_per_request']} ms; "
        f"pairs won on p99 {running['pairs_won_on_p99']:g} vs {none['pairs_won_on_p99']:g}; "
        f"lists served in the experiment {100 * with_experiment['experiment']:.0f}% (none: "
        f"{100 * without['experiment']:.0f}%), in the holdout "
        f"{100 * with_experiment['holdout']:.0f}% / {100 * without['holdout']:.0f}%; "
        f"{failed} requests failed"
        + ("" if applied else "; the experiment's variants were not served as started"))


def run(slices: int, seconds: float, rate: float, treatment: str) -> Result:
    world = build_world(100_000)

    async def side_by_side(port: int, pid: int) -> Run:
        engine = create_engine(world.database_url)
        sessions = create_session_factory(engine)
        try:
            switch = ExperimentSwitch(sessions, world.shop_id, variants(treatment))
            return await measure(world, port, pid, switch, sessions, WORKLOAD, slices,
                                 seconds, rate)
        finally:
            await engine.dispose()

    with serve(world.env(), worker=True, log_name="experiment-serving") as server:
        measured = asyncio.run(side_by_side(server.port, server.process.pid))
    summary = measured.summary()
    result = Result("experiment_serving", {
        "workload": WORKLOAD, "rate": rate, "seconds": seconds, "slices": slices,
        "variants": [asdict(v) for v in variants(treatment)], "summary": summary,
        "served_lists": {side: shares(measured.served, side, KINDS) for side in (RUNNING, NONE)},
        "slices_measured": [asdict(s) for s in measured.slices],
        "lists_per_slice": measured.served})
    result.targets = [cost_target(measured, seconds, treatment)]
    result.summary = (f"p99 {summary[RUNNING]['p99_ms']} ms with an experiment, "
                      f"{summary[NONE]['p99_ms']} ms without; "
                      f"{result.figures['served_lists'][RUNNING]['experiment']:.0%} of the "
                      "lists on its side in the experiment")
    return result


def main() -> None:
    parser = slice_arguments(__doc__)
    parser.add_argument("--treatment", default=TREATMENT,
                        help="the second variant's config (engine: an A/A experiment)")
    args = parser.parse_args()
    started = time.monotonic()
    write_result(run(args.slices, args.seconds, args.rate, args.treatment), started)


if __name__ == "__main__":
    main()
