"""Compare two revisions of the server under one serving workload, side by side.

    python -m benchmarks.compare BASE [OTHER] [--workload recommendations_home]
        [--rate 200] [--slices 10] [--seconds 4]

On a shared machine two runs a few minutes apart differ by more than most changes do: the
same HOME load cost the event loop 3.9 ms of CPU a request in one run and 6.7 ms within the
hour. Here both revisions serve at once, each its own server on the same 100k world, and
slices of open-loop load alternate between them (A B, then B A, ...), so that each pair of
slices meets the same machine. BASE and OTHER are git revisions (OTHER: this checkout as
it is, uncommitted changes included); a revision runs from a worktree under
``var/bench/compare/``. The world is built by this checkout: compare revisions whose
database schema is the same.

Prints each side's median p50, p99 and server CPU per request over its slices, how many
pairs of slices each side won on p99 (a slice with no answer counts as infinitely slow),
the requests that failed, and writes every slice to
``var/bench/compare/result.json``."""

import argparse
import asyncio
import json
import statistics
import subprocess
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.common import REPO, WORK
from benchmarks.loadgen import Pool, closed_loop, open_loop, send_all, until_idle
from benchmarks.server import HOST, Server, serve
from benchmarks.serving import distinct_searches, histories, thread_cpu_seconds, workloads
from benchmarks.world import World, build_world

COMPARE = WORK / "compare"
WORKING_TREE = "."


@dataclass(frozen=True)
class Slice:
    side: str
    index: int
    p50_ms: float
    p99_ms: float
    cpu_ms_per_request: float
    failed: int = 0


def percentile_ms(value: object) -> float:
    """A percentile in ms; a slice with no answer at all is infinitely slow, not 0 ms."""
    return float(value) if isinstance(value, int | float) else float("inf")


def slice_order(index: int, sides: list[str]) -> list[str]:
    """The sides in the order they are loaded in slice ``index``: A B, B A, A B, ..."""
    return sides if index % 2 == 0 else sides[::-1]


def summarize(slices: list[Slice]) -> dict[str, dict[str, float]]:
    """Per side, the medians over its slices and the pairs of slices it won on p99."""
    sides = list(dict.fromkeys(s.side for s in slices))
    by_index: dict[int, dict[str, Slice]] = {}
    for s in slices:
        by_index.setdefault(s.index, {})[s.side] = s
    summary: dict[str, dict[str, float]] = {}
    for side in sides:
        mine = [s for s in slices if s.side == side]
        others = [o for o in sides if o != side]
        won = sum(1 for pair in by_index.values() if side in pair and all(
            o in pair and pair[side].p99_ms < pair[o].p99_ms for o in others))
        summary[side] = {
            "p50_ms": round(statistics.median(s.p50_ms for s in mine), 2),
            "p99_ms": round(statistics.median(s.p99_ms for s in mine), 2),
            "cpu_ms_per_request": round(statistics.median(s.cpu_ms_per_request for s in mine), 3),
            "pairs_won_on_p99": won,
            "slices": len(mine),
            "failed": sum(s.failed for s in mine),
        }
    return summary


def checkout(revision: str) -> Path:
    """This checkout for ``.``, else a worktree of the revision (made once, reused)."""
    if revision == WORKING_TREE:
        return REPO
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--verify", revision + "^{commit}"],
                            capture_output=True, text=True, check=True).stdout.strip()
    path = COMPARE / commit[:12]
    if not (path / "app").is_dir():
        COMPARE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "-C", str(REPO), "worktree", "prune"], check=True)
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(path), commit],
                       check=True, capture_output=True)
    return path


async def _measure(servers: dict[str, Server], world: World, workload: str, rate: float,
                   slices: int, seconds: float) -> list[Slice]:
    loads = workloads(world)
    payloads, idle = loads[workload], loads["trivial"][0]
    pools = {side: Pool(HOST, server.port) for side, server in servers.items()}
    measured: list[Slice] = []
    try:
        for pool in pools.values():  # as the serving benchmark: histories, caches, warm-up
            await send_all(pool, histories(world), 4)
            await send_all(pool, distinct_searches(payloads), 4)
            await closed_loop(pool, payloads, 4, 2.0)
        for index in range(slices):
            for side in slice_order(index, list(servers)):
                pid = servers[side].process.pid
                await until_idle(pools[side], idle)
                cpu = thread_cpu_seconds(pid)
                outcome = await open_loop(pools[side], payloads, rate, seconds)
                used = thread_cpu_seconds(pid) - cpu
                summary = outcome.summary()
                done = max(len(outcome.latencies), 1)
                measured.append(Slice(side, index, percentile_ms(summary["p50_ms"]),
                                      percentile_ms(summary["p99_ms"]), 1000 * used / done,
                                      outcome.failed))
                print(f"  slice {index} {side}: p50 {summary['p50_ms']} ms, "
                      f"p99 {summary['p99_ms']} ms, {1000 * used / done:.2f} ms CPU a request, "
                      f"{outcome.failed} failed", flush=True)
    finally:
        for pool in pools.values():
            pool.close()
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("base")
    parser.add_argument("other", nargs="?", default=WORKING_TREE)
    parser.add_argument("--workload", default="recommendations_home")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--slices", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    if args.base == args.other:
        raise SystemExit("give two different revisions")
    world = build_world(100_000)
    if args.workload not in workloads(world):
        raise SystemExit(f"unknown workload {args.workload!r}: {', '.join(workloads(world))}")
    sides = {f"A:{args.base}": checkout(args.base), f"B:{args.other}": checkout(args.other)}
    with ExitStack() as stack:
        servers = {side: stack.enter_context(serve(world.env(), repo=path,
                                                   log_name=f"compare-{n}"))
                   for n, (side, path) in enumerate(sides.items())}
        slices = asyncio.run(_measure(servers, world, args.workload, args.rate, args.slices,
                                      args.seconds))
    summary = summarize(slices)
    for side, figures in summary.items():
        print(f"{side}: p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, "
              f"{figures['cpu_ms_per_request']} ms CPU a request (medians of "
              f"{figures['slices']} slices); won {figures['pairs_won_on_p99']} pairs on p99; "
              f"{figures['failed']} requests failed")
    COMPARE.mkdir(parents=True, exist_ok=True)
    (COMPARE / "result.json").write_text(json.dumps({
        "workload": args.workload, "rate": args.rate, "seconds": args.seconds,
        "sides": {side: str(path) for side, path in sides.items()},
        "summary": summary, "slices": [asdict(s) for s in slices]}, indent=2) + "\n")


if __name__ == "__main__":
    main()
