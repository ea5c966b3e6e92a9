"""Ingestion on SQLite and PostgreSQL: ``trackEvents`` in batches of 50 (events per second
over real HTTP, closed loop) and webhook deliveries per second with signature check and
dedupe (``benchmarks/webhooks_load.py``, run as it is and read back)."""

import argparse
import asyncio
import json
import random
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import make_url

from benchmarks import synthetic
from benchmarks.common import (
    PYTHON,
    REPO,
    RESULTS,
    WORK,
    Result,
    Target,
    affinity,
    bench_env,
    not_implemented,
    write_result,
)
from benchmarks.loadgen import Outcome, Pool, closed_loop, request_bytes
from benchmarks.server import HOST, serve

BATCH = 50
SECONDS = 8.0
CONCURRENCY = 8
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
WEBHOOK_DELIVERIES = 2000
ORIGIN = "https://events.example"  # the shop's storefront: the beacons' Origin
# Seconds the inbox is watched after each webhook load (its processing rate is read over
# them): the suite's time budget, not the targets, sets this.
WEBHOOK_DRAIN_SECONDS = 20
# Enough distinct batches that none is sent twice at ~25,000 events/s (a replay is all
# duplicates, cheaper than new events, and counts as an error).
TRACK_BATCHES = 5000
TRACK = """mutation($events: [EventInput!]!) {
  trackEvents(events: $events) { accepted duplicates rejected { index reason } } }"""
KINDS = ("PRODUCT_VIEWED", "PRODUCT_VIEWED", "PRODUCT_VIEWED", "PRODUCT_CLICKED",
         "PRODUCT_ADDED_TO_CART")


def batches(count: int, products: int, seed: int = 5) -> Iterator[list[dict[str, Any]]]:
    """Batches of 50 consenting storefront events from synthetic visitors."""
    rng = random.Random(seed)
    for _ in range(count):
        visitor = f"v{rng.randrange(1_000_000):07d}"
        yield [{"type": rng.choice(KINDS), "visitorId": visitor, "eventId": uuid.uuid4().hex,
                "productId": str(1_000_000 + rng.randrange(products)),
                "consent": {"analytics": True, "personalization": True}}
               for _ in range(BATCH)]


def accepted_all(status: int, body: bytes) -> bool:
    return status == 200 and f'"accepted":{BATCH}'.encode() in body.replace(b" ", b"")


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A scratch PostgreSQL database, or ``None`` when none is reachable."""
    import asyncpg

    name = f"affinity_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(POSTGRES).set(drivername="postgresql").render_as_string(hide_password=False)

    async def execute(sql: str) -> None:
        connection = await asyncpg.connect(admin, timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    try:
        asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    except (TimeoutError, OSError, asyncpg.PostgresError):
        yield None
        return
    try:
        yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def prepare(url: str, data_dir: str) -> str:
    """Migrate, add a shop and a small catalog; the storefront key."""
    env = bench_env(url, WORK / data_dir)
    affinity(["migrate"], env)
    shop = affinity(["shop", "add", "events.example", "--webhook-secret", "s",
                     "--origin", ORIGIN], env)[0]
    catalog = synthetic.write_catalog(WORK / "catalog-1k.jsonl", 1000)
    affinity(["catalog", "import", "--shop", "events.example", str(catalog)], env)
    return str(shop["storefront_key"])


async def _track(port: int, key: str, seconds: float) -> dict[str, Any]:
    payloads = [request_bytes("/graphql", json.dumps({"query": TRACK, "variables": {"events": b}})
                              .encode(), {"X-Affinity-Storefront-Key": key}, HOST)
                for b in batches(TRACK_BATCHES, 1000)]
    # The same events through the plain JSON endpoint the snippets' beacons use: the
    # difference is what GraphQL input conversion costs.
    beacons = [request_bytes(f"/collect?key={key}", json.dumps({"events": b}).encode(),
                             {"Origin": ORIGIN}, HOST)
               for b in batches(TRACK_BATCHES // 2, 1000, seed=6)]
    pool = Pool(HOST, port)
    try:
        await closed_loop(pool, payloads[:50], 2, 1.0, accepted_all)  # warm-up
        outcome = await closed_loop(pool, payloads[50:], CONCURRENCY, seconds, accepted_all)
        collect = await closed_loop(pool, beacons, CONCURRENCY, seconds / 2, beacon_accepted)
    finally:
        pool.close()
    return {"batch": BATCH, "concurrency": CONCURRENCY, "calls": outcome.summary(),
            "events_per_second": events_per_second(outcome),
            "collect_endpoint": {"calls": collect.summary(),
                                 "events_per_second": events_per_second(collect)}}


def events_per_second(outcome: Outcome) -> float:
    rate = outcome.summary()["achieved_rps"]
    return round(float(rate) * BATCH, 1) if isinstance(rate, float) else 0.0


def beacon_accepted(status: int, body: bytes) -> bool:
    return status in (200, 202) and f'"accepted":{BATCH}'.encode() in body.replace(b" ", b"")


def track_events(url: str, name: str, seconds: float) -> dict[str, Any]:
    data_dir = f"scratch-events-{name}"
    shutil.rmtree(WORK / data_dir, ignore_errors=True)
    key = prepare(url, data_dir)
    # The embedding worker off: it would embed the whole imported catalog while events are
    # measured (as the webhook benchmark's server, which has it off too).
    env = bench_env(url, WORK / data_dir, AFFINITY_WORKER_ENABLED="false")
    with serve(env, ready=None, log_name=f"events-{name}") as server:
        return asyncio.run(_track(server.port, key, seconds))


def has_track_events() -> bool:
    try:
        from app.graphql.schema import Mutation  # noqa: F401
    except ImportError:
        return False
    from app.graphql import events  # noqa: F401

    return True


def webhooks(deliveries: int) -> dict[str, Any]:
    output = RESULTS / "webhooks.json"
    subprocess.run([PYTHON, "benchmarks/webhooks_load.py", "--backend", "both", "--deliveries",
                    str(deliveries), "--concurrency", "4", "--processor", "both",
                    "--drain-seconds", str(WEBHOOK_DRAIN_SECONDS),
                    "--output", str(output)], cwd=REPO, check=True, capture_output=True,
                   timeout=300)
    return dict(json.loads(output.read_text())["results"])


def _targets(events: dict[str, Any], hooks: dict[str, Any]) -> list[Target]:
    out = []
    if events:
        rates = {k: v["events_per_second"] for k, v in events.items()}
        worst = min(rates, key=lambda k: rates[k])
        beacons = ", ".join(f"{k} {v['collect_endpoint']['events_per_second']:.0f}/s"
                            for k, v in events.items())
        out.append(Target("trackEvents (batches of 50)", rates[worst], "events/s", ">= 5000",
                          rates[worst] >= 5000,
                          ", ".join(f"{k} {v:.0f}/s" for k, v in rates.items())
                          + f"; the same batches to /collect (no GraphQL): {beacons}"))
    else:
        out.append(not_implemented("trackEvents (batches of 50)", "events/s", ">= 5000",
                                   "no trackEvents mutation in the schema"))
    # The headline is the shipped all-in-one server (the inbox processor inside it); the
    # same server with the processor run as its own role is in the note.
    shipped = {k: v for k, v in hooks.items() if "ack_only" not in k}
    split = {k: v for k, v in hooks.items() if "ack_only" in k}
    rates = {k: v["acknowledged_per_second"] for k, v in shipped.items()}
    p99 = {k: v["ack_ms"]["p99"] for k, v in shipped.items()}
    slow, late = min(rates, key=lambda k: rates[k]), max(p99, key=lambda k: p99[k])
    aside = "; processor as its own role: " + ", ".join(
        f"{k} {v['acknowledged_per_second']:.0f}/s p99 {v['ack_ms']['p99']:.0f} ms"
        for k, v in split.items())
    out.append(Target("webhook deliveries (signed, deduplicated)", rates[slow], "deliveries/s",
                      ">= 300", rates[slow] >= 300,
                      ", ".join(f"{k} {v:.0f}/s" for k, v in rates.items()) + aside))
    out.append(Target("webhook acknowledgement p99", p99[late], "ms", "<= 50", p99[late] <= 50,
                      ", ".join(f"{k} {v:.1f} ms" for k, v in p99.items()) + aside))
    return out


def run(seconds: float, deliveries: int) -> Result:
    events: dict[str, Any] = {}
    if has_track_events():
        database = WORK / "scratch-events.db"
        for path in WORK.glob("scratch-events.db*"):
            path.unlink()
        events["sqlite"] = track_events(f"sqlite+aiosqlite:///{database}", "sqlite", seconds)
        with postgres_database() as url:
            if url is not None:
                events["postgres"] = track_events(url, "postgres", seconds)
    hooks = webhooks(deliveries)
    result = Result("ingestion", {"track_events": events, "webhooks": hooks})
    result.targets = _targets(events, hooks)
    result.summary = "; ".join(f"{t.name}: {t.value} {t.unit}" for t in result.targets)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--deliveries", type=int, default=WEBHOOK_DELIVERIES)
    args = parser.parse_args()
    started = time.monotonic()
    write_result(run(args.seconds, args.deliveries), started)


if __name__ == "__main__":
    main()
