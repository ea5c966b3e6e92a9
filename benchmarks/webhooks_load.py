"""Webhook acceptance under load: deliveries per second and acknowledgement latency.

Starts the real server (``affinity serve``: one uvicorn process, the inbox processor
running inside it as in production, the embedding worker off) on 127.0.0.1 against a
fresh SQLite file and a fresh PostgreSQL database, then sends signed Shopify deliveries
(products/update, orders/create, inventory_levels/update, plus 5 % redeliveries) from
``--concurrency`` connections. Measures, per backend: accepted deliveries per second,
acknowledgement latency percentiles, and how fast the inbox drained (deliveries processed
per second, watched for at most ``--drain-seconds``).

    .venv/bin/python benchmarks/webhooks_load.py [--deliveries 2000] [--concurrency 4 32]

Writes ``benchmarks/results/webhooks.json``. Bounded in count and time; loopback only."""

import argparse
import asyncio
import collections
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import migrate
from app.ingestion.service import inbox_counts
from app.storage.database import create_engine, create_session_factory, transaction
from benchmarks.loadgen import Pool, paused_collector, request_bytes
from tests.factories import make_shop
from webhooks.signatures import hmac_sha256_base64

PAYLOADS = ROOT / "tests" / "payloads" / "shopify"
SECRET = "bench-secret"
POSTGRES = os.environ.get("AFFINITY_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
TIME_LIMIT = 300.0
# The longest wait for the inbox to empty after the load: the processed rate is read over
# the time waited, so a slow machine does not spend minutes draining a backlog.
DRAIN_LIMIT = 120.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _deliveries(count: int, seed: int = 7) -> list[tuple[str, bytes, str]]:
    """(topic, body, webhook id); distinct resources so every delivery does real work."""
    rng = random.Random(seed)
    product = json.loads((PAYLOADS / "products_update.json").read_text())
    order = json.loads((PAYLOADS / "orders_create.json").read_text())
    level = json.loads((PAYLOADS / "inventory_levels_update.json").read_text())
    out: list[tuple[str, bytes, str]] = []
    for n in range(count):
        roll = rng.random()
        if out and roll < 0.05:
            out.append(out[rng.randrange(len(out))])  # a redelivery: same webhook id
            continue
        if roll < 0.6:
            body = {**product, "id": 10_000 + n, "handle": f"bench-{n}", "title": f"Bench product {n}",
                    "variants": [{**v, "id": 100_000 + 2 * n + i, "inventory_item_id": 100_000 + 2 * n + i}
                                 for i, v in enumerate(product["variants"])]}
            topic = "products/update"
        elif roll < 0.9:
            body = {**order, "id": 50_000 + n}
            topic = "orders/create"
        else:
            body = {**level, "inventory_item_id": 100_000 + 2 * rng.randrange(max(1, n)),
                    "available": rng.randrange(0, 5)}
            topic = "inventory_levels/update"
        out.append((topic, json.dumps(body).encode(), uuid.uuid4().hex))
    return out


async def _prepare(url: str, domain: str) -> None:
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        async with transaction(create_session_factory(engine)) as session:
            await make_shop(session, domain=domain, webhook_secret=SECRET)
    finally:
        await engine.dispose()


async def _pending(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with transaction(create_session_factory(engine)) as session:
            return await inbox_counts(session)
    finally:
        await engine.dispose()


def _start_server(url: str, port: int, data_dir: str, processor: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AFFINITY_DATABASE_URL": url, "AFFINITY_WORKER_ENABLED": "false",
           "AFFINITY_DATA_DIR": data_dir, "AFFINITY_LOG_LEVEL": "WARNING",
           "AFFINITY_WEBHOOK_PROCESSOR_ENABLED": str(processor).lower()}
    return subprocess.Popen([sys.executable, "-m", "app.commands", "serve", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def _wait_healthy(base: str) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{base}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the server did not become healthy")


def _requests(domain: str, deliveries: list[tuple[str, bytes, str]], port: int) -> list[bytes]:
    """Each delivery as Shopify sends it, signed in advance (signing is the sender's cost)."""
    return [request_bytes("/webhooks/shopify", body, {
        "X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": hmac_sha256_base64(SECRET, body),
        "X-Shopify-Shop-Domain": domain, "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Event-Id": webhook_id, "X-Shopify-API-Version": "2025-07"},
        f"127.0.0.1:{port}") for topic, body, webhook_id in deliveries]


async def _send_all(port: int, requests: list[bytes],
                    concurrency: int) -> tuple[list[float], dict[str, int], float]:
    """``concurrency`` keep-alive connections send back to back (the lean client of the
    serving benchmark: the sender shares the 2 cores with the server)."""
    queue = collections.deque(requests)
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    pool = Pool("127.0.0.1", port)

    async def worker() -> None:
        connection = await pool.acquire()
        try:
            while queue:
                payload = queue.popleft()
                started = time.perf_counter()
                status, body = await connection.exchange(payload)
                latencies.append((time.perf_counter() - started) * 1000)
                key = json.loads(body).get("status", str(status)) if status == 200 else str(status)
                outcomes[key] = outcomes.get(key, 0) + 1
        finally:
            pool.release(connection)

    started = time.perf_counter()
    try:
        async with paused_collector():
            await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))),
                                   TIME_LIMIT)
    finally:
        pool.close()
    return latencies, outcomes, time.perf_counter() - started


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def _drain_time(url: str, since: float, limit: float) -> tuple[float, dict[str, int]]:
    """Seconds from ``since`` until the inbox is empty, or until ``limit`` seconds from now."""
    deadline = time.monotonic() + limit
    counts = await _pending(url)
    while counts["pending"] and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        counts = await _pending(url)
    return time.perf_counter() - since, counts


async def run_backend(name: str, url: str, count: int, concurrency: int,
                      processor: bool, drain_limit: float = DRAIN_LIMIT) -> dict[str, Any]:
    domain = f"bench-{uuid.uuid4().hex[:8]}.myshopify.com"
    await _prepare(url, domain)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        server = _start_server(url, port, data_dir, processor)
        try:
            await _wait_healthy(base)
            await _send_all(port, _requests(domain, _deliveries(100, seed=1), port),
                            concurrency)  # warm-up
            if processor:
                await _drain_time(url, time.perf_counter(), DRAIN_LIMIT)
            deliveries = _deliveries(count)
            requests = _requests(domain, deliveries, port)
            load_started = time.perf_counter()
            latencies, outcomes, seconds = await _send_all(port, requests, concurrency)
            if processor:
                drained_after, counts = await _drain_time(url, load_started, drain_limit)
            else:
                drained_after, counts = 0.0, await _pending(url)
        finally:
            server.terminate()
            server.wait(timeout=30)
    accepted = outcomes.get("accepted", 0) + outcomes.get("duplicate", 0)
    return {
        "backend": name,
        "processor": "in the server process" if processor else "off (run as its own role)",
        "deliveries": len(deliveries),
        "concurrency": concurrency,
        "outcomes": outcomes,
        "wall_seconds": round(seconds, 3),
        "acknowledged_per_second": round(accepted / seconds, 1),
        "ack_ms": {"p50": round(_percentile(latencies, 50), 2),
                   "p90": round(_percentile(latencies, 90), 2),
                   "p99": round(_percentile(latencies, 99), 2),
                   "max": round(max(latencies), 2),
                   "mean": round(statistics.fmean(latencies), 2)},
        "inbox_drained_seconds": (round(drained_after, 2) if processor and not counts["pending"]
                                  else None),
        "inbox_watched_seconds": round(drained_after, 2) if processor else None,
        "processed_per_second": round((counts["done"] - 100) / drained_after, 1) if processor else None,
        "inbox_after": counts,
    }


async def _postgres_database() -> tuple[str, str]:
    import asyncpg
    from sqlalchemy.engine import make_url

    name = f"affinity_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(POSTGRES).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin, timeout=5)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return name, make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)


async def _drop_postgres(name: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    admin = make_url(POSTGRES).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def main(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    modes = {"in-process": [True], "off": [False], "both": [False, True]}[args.processor]
    for concurrency, processor in [(c, m) for c in args.concurrency for m in modes]:
        suffix = ("" if processor else "_ack_only") + f"_c{concurrency}"
        if args.backend in ("sqlite", "both"):
            with tempfile.TemporaryDirectory() as folder:
                url = f"sqlite+aiosqlite:///{folder}/bench.db"
                results["sqlite" + suffix] = await run_backend(
                    "sqlite", url, args.deliveries, concurrency, processor, args.drain_seconds)
        if args.backend in ("postgres", "both"):
            name, url = await _postgres_database()
            try:
                results["postgres" + suffix] = await run_backend(
                    "postgres", url, args.deliveries, concurrency, processor, args.drain_seconds)
            finally:
                await _drop_postgres(name)
    return {
        "benchmark": "webhooks_load",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
        "method": "one uvicorn process with the inbox processor inside; load generator (lean "
                  "HTTP/1.1 client, deliveries signed in advance) on the same machine over "
                  "loopback; ack = time from request sent to response read",
        "results": results,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 32],
                        help="connections sending at once (one run per value)")
    parser.add_argument("--processor", choices=("in-process", "off", "both"), default="both",
                        help="run the inbox processor inside the server, not at all, or both")
    parser.add_argument("--drain-seconds", type=float, default=DRAIN_LIMIT,
                        help="longest wait for the inbox to empty after the load (the processed "
                             "rate is read over the time waited)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "webhooks.json")
    arguments = parser.parse_args()
    report = asyncio.run(main(arguments))
    output = arguments.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report["results"], indent=2))
