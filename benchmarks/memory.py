"""Memory: the server's resident set with the 100k-product world, and what visitor
profiles add to it.

The server is started on a scratch copy of the world, warmed up with recommendations, and
its RSS read; then ``VISITORS`` distinct visitors each send an event through
``trackEvents`` (batches of 50, as a storefront does), with the RSS read along the way.
Stored history lives in the database (its growth is reported beside); in memory the server
keeps recent session state for a bounded number of visitors, so once more visitors than
that bound have been seen, the RSS growth measured is what any number of visitors, a
million included, costs. The figure is that growth; the per-visitor cost before the bound
is reported too."""

import argparse
import asyncio
import json
import random
import shutil
import time
import uuid
from collections.abc import Callable
from typing import Any

from benchmarks.common import WORK, Result, Target, not_implemented, write_result
from benchmarks.ingestion import TRACK, accepted_all, has_track_events
from benchmarks.loadgen import Pool, open_loop, request_bytes
from benchmarks.server import HOST, serve
from benchmarks.serving import workloads
from benchmarks.world import build_world, copy_world

VISITORS = 120_000
EVENTS_PER_VISITOR = 1
BATCH = 50
CHECKPOINTS = 6


def visitor_batches(visitors: int, products: int, seed: int = 3) -> list[bytes]:
    """Each visitor views ``EVENTS_PER_VISITOR`` products; 50 events a call."""
    rng = random.Random(seed)
    events = [{"type": "PRODUCT_VIEWED", "visitorId": f"m{v:07d}", "eventId": uuid.uuid4().hex,
               "productId": str(1_000_000 + rng.randrange(products)),
               "consent": {"analytics": True, "personalization": True}}
              for v in range(visitors) for _ in range(EVENTS_PER_VISITOR)]
    return [json.dumps({"query": TRACK, "variables": {"events": events[i : i + BATCH]}}).encode()
            for i in range(0, len(events), BATCH)]


async def _warm(port: int, warm: list[bytes]) -> None:
    """The serving path's own memory first: recommendations for a few seconds."""
    pool = Pool(HOST, port)
    try:
        await open_loop(pool, warm, 100, 3)
    finally:
        pool.close()


async def _load(port: int, key: str, bodies: list[bytes],
                rss: Callable[[], int]) -> dict[str, Any]:
    """Send every batch once; the RSS after each of ``CHECKPOINTS`` equal parts."""
    pool = Pool(HOST, port)
    payloads = [request_bytes("/graphql", b, {"X-Affinity-Storefront-Key": key}, HOST)
                for b in bodies]
    step = max(1, len(payloads) // CHECKPOINTS)
    curve, errors = [], 0
    started = time.perf_counter()
    try:
        for start in range(0, len(payloads), step):
            errors += await _send_all(pool, payloads[start : start + step])
            visitors = min(len(payloads), start + step) * BATCH // EVENTS_PER_VISITOR
            curve.append({"visitors": visitors, "rss_mib": round(rss() / 2**20, 1)})
    finally:
        pool.close()
    return {"calls": len(payloads), "errors": errors, "curve": curve,
            "seconds": round(time.perf_counter() - started, 1)}


async def _send_all(pool: Pool, payloads: list[bytes], concurrency: int = 8) -> int:
    """Send every payload once, ``concurrency`` at a time; the number that failed."""
    queue = list(reversed(payloads))
    failed = 0

    async def sender() -> None:
        nonlocal failed
        while queue:
            payload = queue.pop()
            connection = await pool.acquire()
            status, body = await connection.exchange(payload)
            pool.release(connection)
            failed += 0 if accepted_all(status, body) else 1

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return failed


def run(visitors: int) -> Result:
    world = build_world(100_000)
    if not has_track_events():
        result = Result("memory", {"products": world.products})
        result.targets = [not_implemented("profile memory per million visitors", "GiB", "<= 0.5",
                                          "no trackEvents mutation to create profiles")]
        result.summary = "not implemented"
        return result
    scratch = copy_world(world, WORK / "scratch-memory")
    database = scratch.folder / "affinity.db"
    try:
        warm = workloads(world)["recommendations_product"][:200]
        bodies = visitor_batches(visitors, world.products)
        with serve(scratch.env(), log_name="memory") as server:
            asyncio.run(_warm(server.port, warm))
            before, db_before = server.rss_bytes(), database.stat().st_size
            load = asyncio.run(_load(server.port, world.storefront_key, bodies, server.rss_bytes))
            time.sleep(1.0)
            after = server.rss_bytes()
            wal = database.with_name("affinity.db-wal")
            db_after = database.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    finally:
        shutil.rmtree(scratch.folder, ignore_errors=True)
    growth = max(0, after - before)
    first = load["curve"][0] if load["curve"] else {"visitors": 1, "rss_mib": after / 2**20}
    per_visitor = max(0.0, first["rss_mib"] * 2**20 - before) / max(1, first["visitors"])
    disk_per_million = (db_after - db_before) / visitors * 1e6 / 2**30
    result = Result("memory", {
        "products": world.products, "visitors": visitors,
        "events_per_visitor": EVENTS_PER_VISITOR, "load": load,
        "rss_with_100k_products_mib": round(before / 2**20, 1),
        "rss_after_visitors_mib": round(after / 2**20, 1),
        "rss_growth_mib": round(growth / 2**20, 1),
        "rss_bytes_per_visitor_below_the_bound": round(per_visitor, 1),
        "database_gib_per_million_visitors": round(disk_per_million, 3),
    })
    value = round(growth / 2**30, 3)
    result.targets = [Target(
        "profile memory for 1M visitors (server RSS growth)", value, "GiB", "<= 0.5",
        value <= 0.5 and load["errors"] == 0,
        f"measured with {visitors} visitors, past the in-memory session bound, so a million "
        f"cost the same; {per_visitor:.0f} B/visitor below the bound; RSS "
        f"{before / 2**20:.0f} MiB with 100k products; database "
        f"+{disk_per_million:.2f} GiB per million visitors")]
    result.summary = (f"RSS {before / 2**20:.0f} MiB with 100k products, +{growth / 2**20:.0f} MiB "
                      f"after {visitors} visitors ({per_visitor:.0f} B each below the bound)")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--visitors", type=int, default=VISITORS)
    args = parser.parse_args()
    started = time.monotonic()
    write_result(run(args.visitors), started)


if __name__ == "__main__":
    main()
