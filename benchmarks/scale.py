"""Scale-out acceptance: the production topology (``make cluster``: servers behind nginx,
PostgreSQL, Redis) on the PostgreSQL 100k world, measured in one run on this machine.

- ``scale_throughput``: maximum HOME lists/s and rerankSearch answers/s (closed loop, the
  same client) through nginx in front of one server, and in front of two; slices
  alternate (one, two; two, one; ...) so that both sides meet the same machine.
- ``scale_p99_300``: p99 at 300 requests/s (open loop) through nginx, two servers.
- ``scale_cross_server``: a visitor's views sent to server A change their HOME list on
  server B (delay over fresh visitors; the same on A alone is the reference).
- ``scale_kill_server``, ``scale_kill_worker``, ``scale_redis_down``: failures under load,
  in ``benchmarks.scale_failures``; ``scale_kill_writer`` in ``benchmarks.scale_writer``.

Redis is a redis-server of the benchmark's own on a free port (never the machine's); every
process is started in a process group of its own and ended on the way out
(``benchmarks.cluster``). ``--only`` and the duration flags make short runs."""

import argparse
import asyncio
import secrets
import statistics
import time
from collections import defaultdict
from collections.abc import Callable

from benchmarks import scale_db, scale_failures, scale_writer, wrk_load
from benchmarks.cluster import cluster
from benchmarks.common import WORK, Result, Target, write_result
from benchmarks.compare import slice_order
from benchmarks.loadgen import Pool, closed_loop, open_loop, until_idle
from benchmarks.scale_context import WORKLOADS, Figures, Options, Scale, start_scale
from benchmarks.scale_load import (
    POLL_SECONDS,
    PROPAGATION_LIMIT,
    exchange,
    home,
    listed_ids,
    propagation,
    viewed_products,
)
from benchmarks.server import HOST
from benchmarks.world import build_world

CONCURRENCY = 16
REFERENCE_VISITORS = 5
Scenario = Callable[[Scale], tuple[Figures, list[Target]]]


def cpu_times() -> tuple[float, float]:
    """The machine's busy and total CPU time so far (every core, from /proc/stat)."""
    with open("/proc/stat") as stat:
        fields = [float(x) for x in stat.readline().split()[1:9]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


async def _max_rate(port: int, payloads: list[bytes], seconds: float,
                    idle: bytes) -> tuple[float, float, int]:
    """Answers per second at saturation, the share of the machine's CPU busy then, and the
    requests that failed: measured with wrk where installed (``benchmarks.wrk_load``),
    else with the Python client."""
    pool = Pool(HOST, port)
    try:
        await until_idle(pool, idle)
        busy0, total0 = cpu_times()
        measured = await asyncio.to_thread(wrk_load.max_rate, HOST, port, payloads,
                                           CONCURRENCY, seconds)
        if measured is None:
            outcome = await closed_loop(pool, payloads, CONCURRENCY, seconds)
            done = len(outcome.latencies)
            rate = done / outcome.seconds if outcome.seconds else 0.0
            failed = outcome.failed
        else:
            rate, failed = measured.rate, measured.failed
        busy1, total1 = cpu_times()
    finally:
        pool.close()
    return rate, (busy1 - busy0) / max(total1 - total0, 1e-9), failed


async def _throughput(scale: Scale) -> Figures:
    ports = {"one": scale.one.port, "two": scale.two.port}
    figures: Figures = {}
    for label, workload in WORKLOADS.items():
        rates: dict[str, list[float]] = defaultdict(list)
        busy: dict[str, list[float]] = defaultdict(list)
        failed = 0
        for index in range(scale.options.pairs):
            for side in slice_order(index, ["one", "two"]):
                rate, share, lost = await _max_rate(ports[side], scale.loads[workload],
                                                    scale.options.slice_seconds, scale.idle)
                rates[side].append(round(rate, 1))
                busy[side].append(round(share, 3))
                failed += lost
        one, two = statistics.median(rates["one"]), statistics.median(rates["two"])
        figures[label] = {"one_server_rps": rates["one"], "two_servers_rps": rates["two"],
                          "machine_cpu_busy_one": busy["one"], "machine_cpu_busy_two": busy["two"],
                          "ratio": round(two / one, 3) if one else None, "failed": failed,
                          "client": "wrk" if wrk_load.available() else "python"}
        print(f"  throughput {label}: one {one:.0f}/s, two {two:.0f}/s", flush=True)
    return figures


def throughput(scale: Scale) -> tuple[Figures, list[Target]]:
    figures = asyncio.run(_throughput(scale))
    targets = []
    for label, unit in (("HOME", "HOME lists/s"), ("rerankSearch", "rerankSearch answers/s")):
        ratio, failed = figures[label]["ratio"], figures[label]["failed"]
        client = ("wrk, one thread" if figures[label]["client"] == "wrk"
                  else "the Python client (wrk is not installed)")
        targets.append(Target(
            f"scale_throughput {label}, two servers / one, behind nginx", ratio, "ratio",
            ">= 1.7", ratio is not None and ratio >= 1.7 and failed == 0,
            f"{unit} ({client}, closed loop, {CONCURRENCY} connections, {failed} failed; medians of "
            f"{scale.options.pairs} slices of {scale.options.slice_seconds:g} s each): one "
            f"server {statistics.median(figures[label]['one_server_rps']):.0f}, two "
            f"{statistics.median(figures[label]['two_servers_rps']):.0f}; the machine's CPU "
            f"busy {_share(figures[label]['machine_cpu_busy_one'])} and "
            f"{_share(figures[label]['machine_cpu_busy_two'])} (client, nginx, PostgreSQL "
            "and the servers share its cores)"))
    return figures, targets


def _share(values: list[float]) -> str:
    return f"{100 * statistics.median(values):.0f}%"


async def _p99(scale: Scale) -> Figures:
    figures: Figures = {}
    pool = scale.pool(scale.two.port)
    try:
        for label, workload in WORKLOADS.items():
            await until_idle(pool, scale.idle)
            before = scale.two.answered_by()
            outcome = await open_loop(pool, scale.loads[workload], scale.options.rate,
                                      scale.options.p99_seconds)
            after = scale.two.answered_by()
            figures[label] = {**outcome.summary(), "answered_by": {
                k: v - before.get(k, 0) for k, v in after.items() if v > before.get(k, 0)}}
            print(f"  p99 at {scale.options.rate:g}/s {label}: {figures[label]['p99_ms']} ms",
                  flush=True)
    finally:
        pool.close()
    return figures


def p99_300(scale: Scale) -> tuple[Figures, list[Target]]:
    figures = asyncio.run(_p99(scale))
    rate = scale.options.rate
    targets = []
    for label, goal in (("HOME", 25.0), ("rerankSearch", 30.0)):
        loop = figures[label]
        failed = int(loop["errors"]) + int(loop["not_sent"])
        p99 = loop["p99_ms"]
        name = "HOME" if label == "HOME" else "rerankSearch (100 ids)"
        targets.append(Target(
            f"scale_p99_300 {name} p99 at {rate:g} req/s through nginx, two servers", p99,
            "ms", f"<= {goal:g}", p99 is not None and p99 <= goal and failed == 0,
            f"{failed} of {loop['sent'] + loop['not_sent']} requests failed or not sent; p50 "
            f"{loop['p50_ms']} ms; answered by {loop['answered_by']}"))
    return figures, targets


async def _steady_lists(scale: Scale, pool: Pool, visitor: str) -> bool:
    """Whether a visitor's HOME list stays the same without new events (otherwise a
    changed list would say nothing of the views)."""
    lists = [listed_ids((await exchange(pool, home(scale.world, visitor)))[1]) for _ in range(3)]
    return lists[0] is not None and all(x == lists[0] for x in lists)


async def _cross_server(scale: Scale) -> Figures:
    a, b = (scale.pool(s.port) for s in scale.servers)
    count = scale.options.visitors
    interests = viewed_products(scale.world, count + REFERENCE_VISITORS)
    try:
        steady = await _steady_lists(scale, b, f"{scale.run_id}-steady")
        across = [await propagation(a, b, scale.world, f"{scale.run_id}-x{n}", interests[n],
                                    f"{scale.run_id}-x{n}") for n in range(count)]
        alone = [await propagation(a, a, scale.world, f"{scale.run_id}-r{n}",
                                   interests[count + n], f"{scale.run_id}-r{n}")
                 for n in range(REFERENCE_VISITORS)]
    finally:
        a.close()
        b.close()
    return {"steady_without_events": steady, "across_s": _seconds(across),
            "same_server_s": _seconds(alone), "limit_s": PROPAGATION_LIMIT}


def _seconds(delays: list[float | None]) -> list[float | None]:
    return [None if d is None else round(d, 3) for d in delays]


def p95_of(delays: list[float | None], limit: float) -> float:
    """p95 of the delays, a change never seen counting as ``limit``."""
    ordered = sorted(limit if d is None else d for d in delays)
    return round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3)


def cross_server(scale: Scale) -> tuple[Figures, list[Target]]:
    figures = asyncio.run(_cross_server(scale))
    across, alone = figures["across_s"], figures["same_server_s"]
    p95 = p95_of(across, PROPAGATION_LIMIT)
    missed = sum(1 for d in across if d is None)
    figures["p95_s"] = p95
    print(f"  cross-server p95 {p95} s ({missed} of {len(across)} not within "
          f"{PROPAGATION_LIMIT:g} s)", flush=True)
    return figures, [Target(
        "scale_cross_server views on server A to HOME changed on server B, p95", p95, "s",
        "<= 1", p95 <= 1.0 and figures["steady_without_events"],
        f"{len(across)} fresh visitors, 3 views each, B polled every {POLL_SECONDS * 1000:g} ms; "
        f"{missed} not changed within {PROPAGATION_LIMIT:g} s (counted as that); on A alone "
        f"(reference): p95 {p95_of(alone, PROPAGATION_LIMIT)} s; a list without events "
        f"{'stays' if figures['steady_without_events'] else 'does NOT stay'} the same")]


def scenarios() -> dict[str, Scenario]:
    return {"throughput": throughput, "p99_300": p99_300, "cross_server": cross_server,
            "redis_down": scale_failures.redis_down, "kill_worker": scale_failures.kill_worker,
            "kill_server": scale_failures.kill_server,
            "kill_writer": scale_writer.kill_writer}


def run(options: Options, only: list[str] | None) -> Result:
    world = build_world(100_000, backend="postgres")
    run_id = f"scale-{secrets.token_hex(4)}"
    chosen = {k: v for k, v in scenarios().items() if not only or k in only}
    result = Result("scale", {"products": world.products, "run_id": run_id,
                              "options": options.__dict__})
    with cluster(world, WORK / "scale") as topology:
        try:
            scale = start_scale(world, topology, run_id, options)
            for name, scenario in chosen.items():
                started = time.monotonic()
                print(f"  {name}:", flush=True)
                figures, targets = scenario(scale)
                result.figures[name] = {**figures,
                                        "seconds": round(time.monotonic() - started, 1)}
                result.targets.extend(targets)
        finally:
            asyncio.run(scale_db.forget_events(world, run_id))
    result.summary = "; ".join(
        f"{t.name.split(' ')[0]} {t.value} {t.unit}{'' if t.met else ' (not met)'}"
        for t in result.targets)
    return result


def main() -> None:
    defaults = Options()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", nargs="+", choices=list(scenarios()))
    for name, value in defaults.__dict__.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args()
    options = Options(**{k: getattr(args, k) for k in defaults.__dict__})
    started = time.monotonic()
    write_result(run(options, args.only), started)


if __name__ == "__main__":
    main()
