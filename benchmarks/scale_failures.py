"""The scale benchmarks' failures under load, each read from every request's record
(``benchmarks.scale_load``) and from the database, on the topology of ``benchmarks.scale``:

- ``scale_kill_server``: ``kill -9`` of server B under open-loop HOME load through nginx:
  every failed request was in flight at the kill; the p99 after the kill, A alone.
- ``scale_kill_worker``: ``kill -9`` of ``affinity worker`` once it has taken an index
  version and is building it: the old version keeps serving, a second worker completes a
  build, and no version number is held twice (rows of ``index_builds``).
- ``scale_redis_down``: the benchmark's own redis-server shut down (``nosave``) for 10 s
  under HOME and ``trackEvents`` load, then started again: no 5xx, every accepted event
  stored, and a visitor's views on A reach B again.

``scale_kill_writer`` is in ``benchmarks.scale_writer``."""

import asyncio
import time
from typing import Any

from sqlalchemy import text

from app.index.files import index_folder, read_pointer
from app.settings import Settings
from app.storage.database import create_engine
from benchmarks.cluster import Role
from benchmarks.common import Target
from benchmarks.loadgen import Pool
from benchmarks.scale_context import Figures, Scale
from benchmarks.scale_db import STORED_WAIT_SECONDS, execute, stored_all, stored_counts, until
from benchmarks.scale_load import (
    accepted,
    in_flight,
    propagation,
    summary,
    timeline,
    under_load,
    viewed_products,
    views,
)
from benchmarks.server import HOST
from benchmarks.world import World

HOME_GOAL_MS = 25.0
WORKER_RATE = 40.0
RECOVERY_SECONDS = 30.0
TOUCHED_BEYOND_THRESHOLD = 100


# -- kill -9 of a server -------------------------------------------------------------


async def _kill_server(scale: Scale) -> Figures:
    victim = scale.servers[1]
    marks: dict[str, float] = {}

    async def kill_midway() -> None:
        await asyncio.sleep(scale.options.kill_seconds)
        marks["signalled"] = time.perf_counter()
        await asyncio.to_thread(victim.role.kill_hard)
        marks["dead"] = time.perf_counter()  # reaped: its sockets are closed
        await asyncio.sleep(scale.options.kill_seconds)

    answered = scale.two.answered_by()
    start = time.perf_counter()
    records, _ = await under_load(Pool(HOST, scale.two.port),
                                   scale.loads["recommendations_home"],
                                   scale.options.kill_rate, kill_midway)
    signalled, dead = marks["signalled"], marks["dead"]
    failed = [r for r in records if not r.ok]
    outside = [r for r in failed if not in_flight(r, signalled, dead)]
    after = scale.two.answered_by()
    return {"rate": scale.options.kill_rate,
            "in_flight_at_kill": sum(1 for r in records if in_flight(r, signalled, dead)),
            "kill_took_ms": round(1000 * (dead - signalled), 1),
            "failed": len(failed), "failed_not_in_flight": len(outside),
            "timeline": timeline(records, start),
            "before": summary(r for r in records if r.due < signalled),
            "after": summary(r for r in records if r.due >= signalled),
            "answered_by": {k: v - answered.get(k, 0) for k, v in after.items()
                            if v > answered.get(k, 0)}}


def kill_server(scale: Scale) -> tuple[Figures, list[Target]]:
    figures = asyncio.run(_kill_server(scale))
    before, after = figures["before"]["p99_ms"], figures["after"]["p99_ms"]
    met = (figures["failed_not_in_flight"] == 0 and after is not None
           and after <= HOME_GOAL_MS)
    print(f"  kill -9 of a server: {figures['failed']} failed, "
          f"{figures['in_flight_at_kill']} in flight; p99 {before} -> {after} ms", flush=True)
    return figures, [Target(
        "scale_kill_server kill -9 of one server under load: p99 after, the other alone",
        after, "ms", f"<= {HOME_GOAL_MS:g}", met,
        f"HOME at {figures['rate']:g} req/s through nginx, {scale.options.kill_seconds:g} s "
        f"before and after; {figures['failed']} requests failed, "
        f"{figures['failed_not_in_flight']} of them not in flight at the kill (of "
        f"{figures['in_flight_at_kill']} in flight on both servers); p99 before {before} ms")]


# -- kill -9 of the worker mid-build -------------------------------------------------


async def _versions(world: World) -> list[tuple[int, int]]:
    engine = create_engine(world.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text(
                "SELECT version, item_count FROM index_builds WHERE shop_id = :shop "
                "ORDER BY version, id"), {"shop": world.shop_id})
            return [(int(v), int(n)) for v, n in rows]
    finally:
        await engine.dispose()


def _pointer_version(world: World) -> int | None:
    settings = Settings(data_dir=world.data_dir)
    pointer = read_pointer(index_folder(settings.index_dir, world.shop_id,
                                        settings.embedding_model))
    return None if pointer is None else pointer.version


async def _make_rebuild_due(world: World) -> int:
    """Vectors stored after the served snapshot, past the rebuild threshold (as if as many
    products had changed); how many."""
    count = int(Settings.model_fields["index_rebuild_threshold"].default) + TOUCHED_BEYOND_THRESHOLD
    await execute(world, """
        UPDATE product_embeddings SET updated_at = now() WHERE product_key IN (
          SELECT product_key FROM product_embeddings WHERE shop_id = :shop
          ORDER BY product_key LIMIT :count)""", shop=world.shop_id, count=count)
    return count


async def _worker_killed_midway(scale: Scale) -> dict[str, Any]:
    world, timeout = scale.world, scale.options.build_timeout
    found: dict[str, Any] = {"versions_before": await _versions(world),
                             "pointer_before": _pointer_version(world)}
    highest = max((v for v, _ in found["versions_before"]), default=0)
    found["touched_vectors"] = await _make_rebuild_due(world)
    first = scale.cluster.start_role("worker-1", ["worker"], AFFINITY_LOG_LEVEL="INFO")
    started = time.monotonic()

    async def reserved() -> int | None:
        return next((v for v, _ in await _versions(world) if v > highest), None)

    found["killed_version"] = await until(reserved, timeout)
    await asyncio.to_thread(first.kill_hard)
    found["killed_after_s"] = round(time.monotonic() - started, 2)
    found["pointer_at_kill"] = _pointer_version(world)
    if found["killed_version"] is None:  # no build began: nothing more to see
        found.update(pointer_after_kill=found["pointer_at_kill"], completed_version=None,
                     completed_after_s=None, versions_after=await _versions(world))
        return found
    await asyncio.sleep(2.0)  # the old version serves on, nothing builds
    found["pointer_after_kill"] = _pointer_version(world)
    second: Role = scale.cluster.start_role("worker-2", ["worker"], AFFINITY_LOG_LEVEL="INFO")
    started = time.monotonic()

    async def completed() -> int | None:
        version = _pointer_version(world)
        return version if version is not None and version > highest else None

    found["completed_version"] = await until(completed, timeout)
    found["completed_after_s"] = round(time.monotonic() - started, 2)
    await asyncio.sleep(2.0)  # the servers take the new version
    await asyncio.to_thread(second.stop)
    found["versions_after"] = await _versions(world)
    return found


async def _kill_worker(scale: Scale) -> Figures:
    records, found = await under_load(
        Pool(HOST, scale.two.port), scale.loads["recommendations_home"], WORKER_RATE,
        lambda: _worker_killed_midway(scale))
    after = [v for v, _ in found["versions_after"]]
    return {**found, "rate": WORKER_RATE, "load": summary(records),
            "duplicate_versions": len(after) - len(set(after))}


def kill_worker(scale: Scale) -> tuple[Figures, list[Target]]:
    figures = asyncio.run(_kill_worker(scale))
    killed, completed = figures["killed_version"], figures["completed_version"]
    before = figures["pointer_before"]
    midway = killed is not None and figures["pointer_at_kill"] == before
    unchanged = figures["pointer_after_kill"] == before
    failed = figures["load"]["failed"]
    done = completed is not None and completed != killed
    duplicates = figures["duplicate_versions"]
    print(f"  kill -9 of the worker: v{killed} killed, v{completed} completed, "
          f"{duplicates} duplicate versions", flush=True)
    return figures, [Target(
        "scale_kill_worker kill -9 of the worker mid-build: index versions held twice",
        duplicates, "versions", "= 0",
        midway and unchanged and failed == 0 and done and duplicates == 0,
        f"v{killed} taken and its build killed {figures['killed_after_s']} s after the worker "
        f"started ({'mid-build' if midway else 'NOT mid-build: the build had finished'}); "
        f"the pointer {'still named' if unchanged else 'NO LONGER named'} v{before} 2 s "
        f"later; {failed} of {figures['load']['requests']} HOME requests at "
        f"{WORKER_RATE:g} req/s failed throughout; a second worker completed "
        f"v{completed} in {figures['completed_after_s']} s; index_builds versions "
        f"{[v for v, _ in figures['versions_after']]}")]


# -- Redis down for 10 s -------------------------------------------------------------


def _mixed_payloads(scale: Scale, count: int, prefix: str) -> list[bytes]:
    """HOME lists of visitors with a history, alternating with views of fresh visitors
    (event ids under ``prefix``, unique to the run)."""
    homes = scale.loads["recommendations_home"]
    return [homes[i % len(homes)] if i % 2 == 0 else
            views(scale.world, f"{prefix}-v{i}", [str(1_000_000 + (i * 7919) % scale.world.products)],
                  f"{prefix}-{i}") for i in range(count)]


async def _recovered(scale: Scale, since: float, interests: list[list[str]]) -> float | None:
    """Seconds from ``since`` until a fresh visitor's views on A change their HOME list on
    B within a second again (one visitor a try, of ``interests``); None past
    ``RECOVERY_SECONDS``."""
    a, b = (Pool(HOST, s.port) for s in scale.servers)
    try:
        for n in range(len(interests)):
            visitor = f"{scale.run_id}-up{n}"
            if await propagation(a, b, scale.world, visitor, interests[n], visitor, 1.0):
                return round(time.perf_counter() - since, 2)
            if time.perf_counter() - since > RECOVERY_SECONDS:
                break
    finally:
        a.close()
        b.close()
    return None


async def _redis_down(scale: Scale) -> Figures:
    options, prefix = scale.options, f"{scale.run_id}-redis"
    seconds = 2 + options.redis_down_seconds + RECOVERY_SECONDS + 2
    payloads = _mixed_payloads(scale, int(options.kill_rate * seconds), prefix)
    interests = viewed_products(scale.world, 64, seed=23)  # not while the load runs
    marks: dict[str, Any] = {}

    async def outage() -> None:
        await asyncio.sleep(2.0)
        marks["down"] = time.perf_counter()
        await asyncio.to_thread(scale.cluster.redis.shutdown)
        await asyncio.sleep(options.redis_down_seconds)
        await asyncio.to_thread(scale.cluster.redis.start)
        marks["up"] = time.perf_counter()
        marks["recovered_s"] = await _recovered(scale, marks["up"], interests)
        await asyncio.sleep(1.0)

    start = time.perf_counter()
    records, _ = await under_load(Pool(HOST, scale.two.port), payloads, options.kill_rate,
                                   outage, events=True)
    accepted_events = sum(accepted(r.body) for r in records if r.ok)
    rows, distinct = await until(lambda: stored_all(scale.world, prefix, accepted_events),
                                  STORED_WAIT_SECONDS) or await stored_counts(scale.world, prefix)
    down, up = marks["down"], marks["up"]
    return {"rate": options.kill_rate, "down_s": round(up - down, 2),
            "recovered_s": marks["recovered_s"], "all": summary(records),
            "down_at_s": round(down - start, 2), "up_at_s": round(up - start, 2),
            "timeline": timeline(records, start),
            "while_down": summary(r for r in records if down <= r.due < up),
            "server_errors": sum(1 for r in records if r.status >= 500),
            "no_answer": sum(1 for r in records if r.status == 0),
            "events_accepted": accepted_events, "events_stored": rows,
            "events_stored_distinct": distinct}


def redis_down(scale: Scale) -> tuple[Figures, list[Target]]:
    figures = asyncio.run(_redis_down(scale))
    errors, silent = figures["server_errors"], figures["no_answer"]
    recovered = figures["recovered_s"]
    kept = figures["events_stored_distinct"] == figures["events_accepted"]
    print(f"  Redis down: {errors} 5xx, {silent} without answer, recovered after "
          f"{recovered} s", flush=True)
    return figures, [Target(
        f"scale_redis_down Redis stopped {scale.options.redis_down_seconds:g} s under load: "
        "5xx answers", errors, "responses", "= 0",
        errors == 0 and silent == 0 and recovered is not None and kept,
        f"HOME and trackEvents at {figures['rate']:g} req/s through nginx; "
        f"{figures['all']['requests']} requests, {silent} without answer, "
        f"{figures['all']['failed']} failed in all; p99 while down "
        f"{figures['while_down']['p99_ms']} ms; views on A reached B again "
        + (f"{recovered} s after Redis restarted" if recovered is not None else
           f"NOT within {RECOVERY_SECONDS:g} s")
        + f"; {figures['events_stored_distinct']} of {figures['events_accepted']} accepted "
        "events stored")]


