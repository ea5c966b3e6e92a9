"""Rollup lag: from a storefront click being accepted to the KPI rollups counting it, against
one ``affinity serve`` (SQLite, what ships) over a scratch copy of the 100k world.

Served HOME lists are fetched first (their ``recommendationId``); then clicks on them,
each naming its list, are sent one at a time at a steady rate; the clock of each runs from
its ``trackEvents`` answer until the clicks counted in ``kpi_daily`` include it (read
every ``POLL_SECONDS``: a lag is at most that late). Clicks are sent one after another, so
their ids follow their order and the n-th is counted once the count has grown by n.

The server runs as shipped, its background roles inside it: it folds new rows itself
(``app.measurement``, every ``rollup_interval_seconds``). What the world held before (its
20,000 orders) is folded before the server starts, so that the lag measured is the steady
state's; that first fold is reported beside it. Should the server fold nothing within
``DETECT_SECONDS`` of the lists being served, the same fold (``fold_new_rows`` every
``rollup_interval_seconds``) runs in a process beside it, and the result says so."""

import argparse
import asyncio
import math
import shutil
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

import app.models  # noqa: F401  (every table, for the foreign keys)
from app.attribution.credits import DEFAULT_WINDOWS
from app.attribution.models import KpiDaily, RollupWatermark
from app.attribution.rollup import fold_new_rows
from app.events.models import Ranking
from app.settings import Settings
from app.storage.database import create_engine, create_session_factory, transaction
from benchmarks.common import PYTHON, REPO, WORK, Result, Target, percentiles, write_result
from benchmarks.kpi_query import fold_for
from benchmarks.server import LOGS, serve
from benchmarks.world import World, build_world, copy_world

CLICKS = 240
RATE = 8.0
POLL_SECONDS = 0.1
DETECT_SECONDS = 10.0
GIVE_UP_SECONDS = 30.0
TARGET_S = 5.0
INTERVAL = float(Settings.model_fields["rollup_interval_seconds"].default)
RECOMMEND = """query($v: ID!) { recommendations(placement: HOME, visitorId: $v, first: 4) {
  recommendationId items { product { id } } } }"""
TRACK = """mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }"""
CONSENT = {"analytics": True, "personalization": True}



async def served_lists(client: httpx.AsyncClient, key: str, count: int) -> list[tuple[str, str]]:
    """``count`` HOME lists for distinct visitors: (recommendationId, first product id)."""
    lists = []
    for n in range(count):
        response = await client.post("/graphql", json={"query": RECOMMEND,
                                                       "variables": {"v": f"lag-{n}"}},
                                     headers={"X-Affinity-Storefront-Key": key})
        answer = response.json()["data"]["recommendations"]
        lists.append((answer["recommendationId"], answer["items"][0]["product"]["id"]))
    return lists


class Rollups:
    """Reads of the world's database: clicks counted, and whether anything folds."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = create_session_factory(engine)

    async def clicks(self) -> int:
        async with self._sessions() as session:
            return int(await session.scalar(select(func.coalesce(func.sum(KpiDaily.clicks), 0)))
                       or 0)

    async def folded_every_list(self) -> bool:
        async with self._sessions() as session:
            last = await session.scalar(select(func.max(Ranking.id)))
            mark = await session.scalar(select(RollupWatermark.position).where(
                RollupWatermark.source == "rankings"))
        return last is not None and mark is not None and mark >= last

    async def wait_folding(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if await self.folded_every_list():
                return True
            await asyncio.sleep(POLL_SECONDS)
        return False


async def clicks_counted(client: httpx.AsyncClient, key: str, clicks: Callable[[], Awaitable[int]],
                         lists: list[tuple[str, str]], rate: float) -> dict[str, Any]:
    """Send a click on each list at ``rate`` a second; each one's lag (``clicks``: the
    clicks the rollups count now)."""
    base = await clicks()
    answered: list[float] = []
    lags: list[float] = []
    sending = asyncio.create_task(_send(client, key, lists, rate, answered))
    deadline: float | None = None
    while len(lags) < len(lists):
        counted = await clicks() - base
        now = time.perf_counter()
        lags.extend(now - answered[i] for i in range(len(lags), min(counted, len(answered))))
        if sending.done():
            sending.result()  # a failed send fails the benchmark
            deadline = deadline or now + GIVE_UP_SECONDS
            if now > deadline:
                break
        await asyncio.sleep(POLL_SECONDS)
    return {"clicks": len(lists), "counted": len(lags), "missed": len(lists) - len(lags),
            "rate_per_second": rate, **in_seconds(percentiles(lags))}


def in_seconds(summary: dict[str, float | None]) -> dict[str, float | None]:
    """``percentiles``' figures in milliseconds as seconds."""
    return {k.replace("_ms", "_s"): (None if v is None else round(v / 1000, 3)) if k.endswith("_ms")
            else v for k, v in summary.items()}


async def _send(client: httpx.AsyncClient, key: str, lists: list[tuple[str, str]],
                rate: float, answered: list[float]) -> None:
    start = time.perf_counter()
    for n, (recommendation_id, product_id) in enumerate(lists):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        event = {"type": "PRODUCT_CLICKED", "visitorId": f"lag-{n}", "eventId": uuid.uuid4().hex,
                 "productId": product_id, "recommendationId": recommendation_id,
                 "consent": CONSENT}
        response = await client.post("/graphql", json={"query": TRACK,
                                                       "variables": {"events": [event]}},
                                     headers={"X-Affinity-Storefront-Key": key})
        data = response.json().get("data") or {}
        if (data.get("trackEvents") or {}).get("accepted") != 1:
            raise RuntimeError(f"a click was not accepted: {response.text[:300]}")
        answered.append(time.perf_counter())


@contextmanager
def fold_loop_beside(world: World) -> Iterator[None]:
    """This module's fold loop in a process of its own, on the world's database."""
    log = open(LOGS / "rollup-lag-fold.log", "ab")  # noqa: SIM115 (closed in the finally below)
    process = subprocess.Popen([PYTHON, "-m", "benchmarks.rollup_lag", "--fold-loop",
                                world.database_url], cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=log)
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


async def fold_forever(url: str) -> None:
    """Fold new rows every ``INTERVAL`` seconds (at once again while rows are left)."""
    sessions = create_session_factory(create_engine(url))
    while True:
        async with transaction(sessions) as session:
            report = await fold_new_rows(session, DEFAULT_WINDOWS)
        if not report.more:
            await asyncio.sleep(INTERVAL)


async def measure(base: str, world: World, clicks: int, rate: float) -> dict[str, Any]:
    engine = create_engine(world.database_url)
    rollups = Rollups(engine)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30.0) as client:
            lists = await served_lists(client, world.storefront_key, clicks)
            with ExitStack() as stack:
                beside = not await rollups.wait_folding(DETECT_SECONDS)
                if beside:
                    stack.enter_context(fold_loop_beside(world))
                    if not await rollups.wait_folding(60.0):
                        raise RuntimeError("the fold loop beside the server folds nothing")
                figures = await clicks_counted(client, world.storefront_key, rollups.clicks,
                                               lists, rate)
    finally:
        await engine.dispose()
    folder = ("a fold loop beside the server (the server folded nothing within "
              f"{DETECT_SECONDS:g} s)" if beside else "the server's rollup loop")
    return {**figures, "folded_by": folder, "interval_s": INTERVAL, "poll_s": POLL_SECONDS}


async def fold_backlog(world: World) -> dict[str, Any]:
    """Fold what the world holds already (its orders), so that the lag measured is the
    steady state's, not the first fold's of a database that never had one."""
    engine = create_engine(world.database_url)
    try:
        return await fold_for(create_session_factory(engine), math.inf)
    finally:
        await engine.dispose()


def run(clicks: int, rate: float) -> Result:
    world = copy_world(build_world(100_000), WORK / "scratch-rollup-lag")
    try:
        backlog = asyncio.run(fold_backlog(world))
        print(f"  the world's backlog: {backlog['rows']:,} rows folded in {backlog['seconds']} s "
              f"(longest fold {backlog['longest_fold_s']} s)", flush=True)
        with serve(world.env(), worker=True, log_name="rollup-lag") as server:
            figures = asyncio.run(measure(server.base, world, clicks, rate))
    finally:
        shutil.rmtree(world.folder, ignore_errors=True)
    folder = figures["folded_by"]
    figures["backlog_folded_first"] = backlog
    p95 = figures["p95_s"]
    result = Result("rollup_lag", figures)
    result.targets = [Target(
        "rollup lag, click accepted to counted in the KPI rollups, p95", p95, "s",
        f"<= {TARGET_S:g}", p95 is not None and p95 <= TARGET_S and figures["missed"] == 0,
        f"{clicks} clicks at {rate:g}/s, each naming a served HOME list; folded by {folder} "
        f"every {INTERVAL:g} s; p50 {figures['p50_s']} s, max {figures['max_s']} s; "
        f"{figures['missed']} not counted within {GIVE_UP_SECONDS:g} s")]
    result.summary = f"p50 {figures['p50_s']} s, p95 {p95} s, missed {figures['missed']}; {folder}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clicks", type=int, default=CLICKS)
    parser.add_argument("--rate", type=float, default=RATE)
    parser.add_argument("--fold-loop", metavar="DATABASE_URL",
                        help="only run the fold loop on this database (the process beside the "
                             "server)")
    args = parser.parse_args()
    if args.fold_loop:
        asyncio.run(fold_forever(args.fold_loop))
        return
    started = time.monotonic()
    write_result(run(args.clicks, args.rate), started)


if __name__ == "__main__":
    main()
