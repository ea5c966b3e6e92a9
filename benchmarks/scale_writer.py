"""The scale benchmarks' ``kill -9`` of an event writer (``scale_kill_writer``): with
``AFFINITY_EVENT_STREAM=true``, one of two ``affinity events write`` processes is killed
while it holds entries read and not acknowledged, under ``trackEvents`` load through nginx;
every accepted event must then be in PostgreSQL exactly once. Reported not measured when
this build has no event writer."""

import asyncio
import importlib.util
import time
from typing import Any

from app.settings import Settings
from benchmarks.cluster import Role
from benchmarks.common import Target
from benchmarks.loadgen import Pool
from benchmarks.scale_context import Figures, Scale
from benchmarks.scale_db import STORED_WAIT_SECONDS, stored_all, stored_counts, stored_ids, until
from benchmarks.scale_load import accepted, summary, under_load, views
from benchmarks.server import HOST

WRITER_BATCH = 10
WRITER_RATE = 20.0


def stream_available() -> bool:
    """Whether this build has the Redis Streams event writer."""
    return ("event_stream" in Settings.model_fields
            and importlib.util.find_spec("app.commands.events") is not None
            and importlib.util.find_spec("app.event_stream.names") is not None)


def _batches(scale: Scale, count: int, prefix: str) -> list[bytes]:
    """``trackEvents`` batches of ``WRITER_BATCH`` views, event ids under ``prefix``."""
    products = scale.world.products
    return [views(scale.world, f"{prefix}-v{i % 200}",
                  [str(1_000_000 + (i * WRITER_BATCH + k) * 7919 % products)
                   for k in range(WRITER_BATCH)], f"{prefix}-{i}") for i in range(count)]


async def _pending(client: Any, consumer: str) -> int:
    """Entries ``consumer`` has read from the events stream and not acknowledged."""
    from redis.exceptions import RedisError

    from app.event_stream.names import GROUP

    key = Settings.model_fields["event_stream_key"].default
    try:
        entries = await client.xpending_range(key, GROUP, min="-", max="+", count=10_000,
                                              consumername=consumer)
    except RedisError:  # no group yet
        return 0
    return len(entries)


async def _stream_state(client: Any) -> dict[str, Any]:
    """The events stream's length and what its group still has pending, per consumer."""
    from app.event_stream.names import GROUP

    key = Settings.model_fields["event_stream_key"].default
    pending = await client.xpending(key, GROUP)
    return {"length": int(await client.xlen(key)), "pending": int(pending["pending"]),
            "pending_by_consumer": {str(c["name"], "utf-8", "replace"): int(c["pending"])
                                    for c in pending.get("consumers") or []}}


async def _kill_with_pending(client: Any, writer: Role, consumer: str,
                             deadline: float) -> int:
    """``kill -9`` of ``writer`` as soon as it holds read, unacknowledged entries (mid-batch),
    or at ``deadline``; the entries it held when it died."""
    while time.perf_counter() < deadline and not await _pending(client, consumer):
        await asyncio.sleep(0.005)
    await asyncio.to_thread(writer.kill_hard)
    return await _pending(client, consumer)


async def _kill_writer(scale: Scale) -> Figures:
    import redis.asyncio as aioredis

    options, prefix = scale.options, f"{scale.run_id}-stream"
    consumers = [f"scale-writer-{n}" for n in (1, 2)]
    writers = [scale.cluster.start_role(f"writer-{n}", ["events", "write", "--consumer", name])
               for n, name in enumerate(consumers, start=1)]
    # Half the time, a quarter waiting for the writer to hold entries, then the other half.
    payloads = _batches(scale, int(WRITER_RATE * options.writer_seconds * 1.25) + 20, prefix)
    client = aioredis.Redis.from_url(scale.cluster.redis.url)
    marks: dict[str, int] = {}

    async def kill_midway() -> None:
        await asyncio.sleep(options.writer_seconds / 2)
        marks["held"] = await _kill_with_pending(
            client, writers[0], consumers[0], time.perf_counter() + options.writer_seconds / 4)
        await asyncio.sleep(options.writer_seconds / 2)

    try:
        records, _ = await under_load(Pool(HOST, scale.two.port), payloads, WRITER_RATE,
                                       kill_midway, events=True)
    finally:
        await client.aclose()
    answered = sum(accepted(r.body) for r in records if r.ok)
    started = time.monotonic()
    stored = await until(lambda: stored_all(scale.world, prefix, answered),
                          STORED_WAIT_SECONDS)
    rows, distinct = stored or await stored_counts(scale.world, prefix)
    found = await stored_ids(scale.world, prefix)
    missing = [i for i, r in enumerate(records)
               if accepted(r.body) and f"{prefix}-{i}-0" not in found]
    client = aioredis.Redis.from_url(scale.cluster.redis.url)
    try:
        stream = await _stream_state(client)
    finally:
        await client.aclose()
    await asyncio.to_thread(writers[1].stop)
    return {"measured": True, "stream": stream, "batches_missing": missing[:50],
            "kill_at_batch": int(WRITER_RATE * options.writer_seconds / 2), "rate": WRITER_RATE, "batch": WRITER_BATCH,
            "held_by_killed_writer": marks["held"], "load": summary(records),
            "events_accepted": answered, "events_stored": rows,
            "events_stored_distinct": distinct,
            "stored_within_s": round(time.monotonic() - started, 2) if stored else None}


def _restart_servers_with_stream(scale: Scale) -> None:
    for server in scale.servers:
        server.role.stop()
    scale.cluster.extra_env["AFFINITY_EVENT_STREAM"] = "true"
    scale.servers[:] = scale.cluster.start_servers(2, [s.port for s in scale.servers])


def kill_writer(scale: Scale) -> tuple[Figures, list[Target]]:
    name = "scale_kill_writer kill -9 of an event writer: accepted events not stored once"
    if not stream_available():
        return {"measured": False}, [Target(
            name, None, "events", "= 0", False,
            "not measured: this build has no Redis Streams event writer "
            "(AFFINITY_EVENT_STREAM, `affinity events write`)")]
    _restart_servers_with_stream(scale)
    figures = asyncio.run(_kill_writer(scale))
    answered, distinct, rows = (figures["events_accepted"], figures["events_stored_distinct"],
                                figures["events_stored"])
    wrong = max(0, answered - distinct) + (rows - distinct)
    print(f"  kill -9 of a writer: {answered} accepted, {rows} stored", flush=True)
    return figures, [Target(
        name, wrong, "events", "= 0", wrong == 0 and figures["load"]["failed"] == 0,
        f"trackEvents batches of {WRITER_BATCH} at {WRITER_RATE:g}/s through nginx for "
        f"{scale.options.writer_seconds:g} s, two writers, one killed halfway "
        f"holding {figures['held_by_killed_writer']} entries read and not acknowledged; "
        f"{answered} accepted, {distinct} stored ({rows} rows), "
        f"{figures['load']['failed']} requests failed; all stored "
        + (f"within {figures['stored_within_s']} s after the load"
           if figures["stored_within_s"] is not None else
           f"NOT within {STORED_WAIT_SECONDS:g} s"))]
