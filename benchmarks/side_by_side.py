"""What a shop's state costs the serving path, measured side by side on one server: slices
of open-loop ``recommendations`` load alternate between the state off and on (off, on; on,
off; ...), as in ``benchmarks.compare``, so that both sides are the same build, caches and
machine. A ``Switch`` puts the shop in each side's state between slices (in the world's
database, waiting out the server's refresh of it) and reads back what the lists served
during a slice show of it.

The server runs as it does by default, with its background roles (the KPI rollups fold the
served lists every second: an experiment's served lists cost the fold more, and that cost
is part of the figure). Before the first slice the rollups have caught up with the world's
rows (the visitors' browsing history sent first): folding a backlog is start-up work, not
the steady cost of either side."""

import argparse
import asyncio
import time
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import app.models  # noqa: F401  (every table, for the foreign keys)
from app.attribution.models import RollupWatermark
from app.events.models import Event, Ranking
from app.orders.models import Order, RefundLine
from benchmarks.compare import Slice, percentile_ms, slice_order, summarize
from benchmarks.loadgen import Pool, closed_loop, open_loop, send_all, until_idle
from benchmarks.server import HOST
from benchmarks.serving import ServerCpu, histories, workloads
from benchmarks.world import World

CATCH_UP_SECONDS = 300.0
RATE = 200.0
SLICES = 20
"""Slices a side. A slice's p99 at 200 requests/s rests on its 8 slowest requests and
varies by 2-3 ms from one slice to the next on a quiet host: the median of 10 could not
resolve a target of 1 ms (a run of 10 put the sides of `experiment_serving` 1.21 ms apart
with 0.03 ms of server CPU a request between them)."""
SECONDS = 4.0
SOURCES = {"rankings": Ranking.id, "events": Event.id, "orders": Order.id,
           "refund_lines": RefundLine.id}


class Switch(Protocol):
    sides: tuple[str, str]
    """The side without the state, and the side with it."""

    async def set(self, side: str) -> None:
        """Put the shop in ``side``'s state; back once the server serves it."""
        ...

    async def served_since(self) -> dict[str, int]:
        """What the lists served since the last call show of the state (counts by kind)."""
        ...

    async def forget(self) -> None:
        """Undo what the switch stored: the cached world stays as built."""
        ...


@dataclass
class Run:
    slices: list[Slice]
    served: list[dict[str, Any]]

    def summary(self) -> dict[str, dict[str, float]]:
        return summarize(self.slices)


async def rollups_caught_up(sessions: async_sessionmaker[AsyncSession],
                            timeout: float = CATCH_UP_SECONDS) -> float:
    """Wait until the rollups' watermarks have passed every stored row; the seconds waited
    (``TimeoutError`` past ``timeout``)."""
    started = time.monotonic()
    while True:
        async with sessions() as session:
            marks = dict((await session.execute(
                select(RollupWatermark.source, RollupWatermark.position))).tuples().all())
            behind = [source for source, column in SOURCES.items()
                      if (await session.scalar(select(func.max(column))) or 0)
                      > marks.get(source, 0)]
        if not behind:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"the rollups did not catch up with {', '.join(behind)}")
        await asyncio.sleep(1.0)


async def one_slice(pool: Pool, pid: int, side: str, index: int, payloads: list[bytes],
                    rate: float, seconds: float) -> Slice:
    cpu = ServerCpu(pid)
    cpu.start()
    outcome = await open_loop(pool, payloads, rate, seconds)
    busy, summary = cpu.figures(len(outcome.latencies)), outcome.summary()
    return Slice(side, index, percentile_ms(summary["p50_ms"]), percentile_ms(summary["p99_ms"]),
                 busy.get("server_cpu_ms_per_request", 0.0), outcome.failed)


async def measure(world: World, port: int, pid: int, switch: Switch,
                  sessions: async_sessionmaker[AsyncSession], workload: str, slices: int,
                  seconds: float, rate: float) -> Run:
    loads = workloads(world)
    payloads, idle = loads[workload], loads["trivial"][0]
    pool = Pool(HOST, port)
    run = Run([], [])
    try:
        await send_all(pool, histories(world), 4)
        waited = await rollups_caught_up(sessions)
        print(f"  rollups caught up after {waited:.1f} s", flush=True)
        for side in reversed(switch.sides):  # warm both ways of serving
            await switch.set(side)
            await closed_loop(pool, payloads, 4, 2.0)
        for index in range(slices):
            for side in slice_order(index, list(switch.sides)):
                await switch.set(side)
                await send_all(pool, payloads[:4], 1)  # the server reads the change
                await until_idle(pool, idle)
                await switch.served_since()
                run.slices.append(await one_slice(pool, pid, side, index, payloads, rate, seconds))
                run.served.append({"side": side, "index": index, **await switch.served_since()})
                print(f"  {run.slices[-1]}; lists {run.served[-1]}", flush=True)
    finally:
        pool.close()
        await switch.forget()
    return run


def shares(served: list[dict[str, Any]], side: str, kinds: tuple[str, ...]) -> dict[str, float]:
    """The share of the side's served lists of each kind (of all lists counted)."""
    mine = [s for s in served if s["side"] == side]
    total = sum(s.get("lists", 0) for s in mine) or 1
    return {kind: round(sum(s.get(kind, 0) for s in mine) / total, 3) for kind in kinds}



def slice_arguments(doc: str | None) -> argparse.ArgumentParser:
    """The command line every side-by-side benchmark takes: slices, seconds, rate."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--slices", type=int, default=SLICES)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--rate", type=float, default=RATE)
    return parser
