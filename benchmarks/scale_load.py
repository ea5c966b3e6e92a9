"""Load that keeps every request's record, for the scale benchmarks' failure scenarios: a
kill's cost is read from which requests failed and when they were sent, not from totals.

An open loop like ``benchmarks.loadgen.open_loop`` (a request is due at its time whether or
not earlier ones answered; its latency counts from then), run until told to stop; and the
payloads of the scenarios: HOME for a visitor, storefront views with ids of the run's own."""

import asyncio
import json
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from benchmarks import synthetic
from benchmarks.common import percentiles
from benchmarks.loadgen import Check, Pool, ok_graphql, paused_collector
from benchmarks.serving import ITEMS, graphql
from benchmarks.world import World

MAX_SECONDS = 240.0
ANSWER_SECONDS = 10.0
HOME = f"""query($visitorId: ID) {{
  recommendations(placement: HOME, visitorId: $visitorId, first: 12) {{ {ITEMS} }} }}"""
TRACK = """mutation($events: [EventInput!]!) {
  trackEvents(events: $events) { accepted duplicates } }"""
CONSENT = {"analytics": True, "personalization": True}
PROPAGATION_LIMIT = 3.0
POLL_SECONDS = 0.02


@dataclass
class Record:
    """One request: when it was due and sent, when it ended, how (status 0: no answer)."""

    due: float
    sent: float
    ended: float = 0.0
    status: int = 0
    ok: bool = False
    body: bytes = b""

    @property
    def latency(self) -> float:
        return self.ended - self.due


async def exchange(pool: Pool, payload: bytes,
                   timeout: float = ANSWER_SECONDS) -> tuple[int, bytes]:
    """One request on a pooled connection, once more on a new one if the pooled one had
    been closed (nginx closes a client's connection after ``keepalive_requests``, as real
    clients also find); status 0 when there was no answer."""
    for attempt in (1, 2):
        try:
            connection = await pool.acquire(fresh=attempt == 2)
        except OSError:  # nothing listens: no answer
            return 0, b""
        try:
            status, body = await asyncio.wait_for(connection.exchange(payload), timeout)
        except TimeoutError:
            pool.discard(connection)
            return 0, b""
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pool.discard(connection)
            continue
        pool.release(connection)
        return status, body
    return 0, b""


async def _one(pool: Pool, payload: bytes, record: Record, check: Check, keep: bool) -> None:
    record.sent = time.perf_counter()
    try:
        record.status, body = await exchange(pool, payload)
    except RuntimeError:  # too many connections: the server is far behind
        record.status, body = 0, b""
    record.ended = time.perf_counter()
    record.ok = check(record.status, body)
    if keep:
        record.body = body


@paused_collector()
async def recorded_loop(pool: Pool, payloads: list[bytes], rate: float, stop: asyncio.Event,
                        check: Check = ok_graphql, keep_bodies: bool = False,
                        cycle: bool = True) -> list[Record]:
    """Send at ``rate`` per second, cycling through ``payloads`` (or each once: payloads
    with ids of their own), until ``stop`` is set (or ``MAX_SECONDS``); every request's
    record, in the order they were due: record ``i`` sent ``payloads[i % len(payloads)]``."""
    records: list[Record] = []
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter() + 0.02
    count = int(rate * MAX_SECONDS) if cycle else min(len(payloads), int(rate * MAX_SECONDS))
    for i in range(count):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                pass
        if stop.is_set():
            break
        record = Record(due, due)
        records.append(record)
        tasks.append(asyncio.create_task(
            _one(pool, payloads[i % len(payloads)], record, check, keep_bodies)))
    if tasks:
        await asyncio.wait(tasks)
    return records


async def under_load(pool: Pool, payloads: list[bytes], rate: float,
                      during: Callable[[], Awaitable[Any]],
                      events: bool = False) -> tuple[list[Record], Any]:
    """Open-loop load while ``during`` runs; every request's record and what it returned.
    ``events``: payloads that carry event ids of their own, each sent once at most, their
    answers kept."""
    stop = asyncio.Event()
    load = asyncio.create_task(recorded_loop(pool, payloads, rate, stop, keep_bodies=events,
                                             cycle=not events))
    try:
        found = await during()
    finally:
        stop.set()
        records = await load
        pool.close()
    return records, found


def in_flight(record: Record, signalled: float, dead: float) -> bool:
    """Whether a request was in flight at a kill signalled at ``signalled`` and done (the
    process reaped, its sockets closed) at ``dead``: sent before it was gone, not
    answered before the signal."""
    return record.sent <= dead and record.ended > signalled


def summary(records: Iterable[Record]) -> dict[str, object]:
    """Latency percentiles of the answered requests, with the failures and the statuses."""
    done = list(records)
    statuses: dict[str, int] = {}
    for r in done:
        statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
    return {**percentiles([r.latency for r in done if r.ok]), "requests": len(done),
            "failed": sum(1 for r in done if not r.ok), "statuses": dict(sorted(statuses.items()))}


def timeline(records: list[Record], start: float,
             step: float = 1.0) -> list[dict[str, object]]:
    """Per ``step`` seconds of due time from ``start``: requests, failures and p99 (ms)."""
    slots: dict[int, list[Record]] = defaultdict(list)
    for r in records:
        slots[int((r.due - start) // step)].append(r)
    return [{"at_s": round(k * step, 1), "requests": len(rs),
             "failed": sum(1 for r in rs if not r.ok),
             "p99_ms": percentiles([r.latency for r in rs if r.ok])["p99_ms"]}
            for k, rs in sorted(slots.items())]


def home(world: World, visitor: str) -> bytes:
    return graphql(HOME, {"visitorId": visitor}, world)


def views(world: World, visitor: str, product_ids: list[str], prefix: str) -> bytes:
    """``trackEvents`` of product views, with event ids of ``prefix`` (unique to the run)."""
    events = [{"type": "PRODUCT_VIEWED", "visitorId": visitor, "eventId": f"{prefix}-{i}",
               "productId": product, "consent": CONSENT}
              for i, product in enumerate(product_ids)]
    return graphql(TRACK, {"events": events}, world)


def listed_ids(body: bytes) -> list[str] | None:
    """The product ids of a ``recommendations`` answer, None if it is not one."""
    try:
        items = json.loads(body)["data"]["recommendations"]["items"]
        return [str(item["product"]["id"]) for item in items]
    except (ValueError, KeyError, TypeError):
        return None


def accepted(body: bytes) -> int:
    """How many events a ``trackEvents`` answer accepted (0 if it is not one)."""
    try:
        return int(json.loads(body)["data"]["trackEvents"]["accepted"])
    except (ValueError, KeyError, TypeError):
        return 0


def viewed_products(world: World, count: int, per_visitor: int = 3,
                    seed: int = 11) -> list[list[str]]:
    """For each of ``count`` visitors, ``per_visitor`` available products of one type: a
    coherent interest, which a HOME list answers to."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for row in synthetic.catalog(world.products):
        if row["available"]:
            by_type[str(row["product_type"])].append(str(row["id"]))
    rng = random.Random(seed)
    kinds = sorted(k for k, ids in by_type.items() if len(ids) >= per_visitor)
    return [rng.sample(by_type[rng.choice(kinds)], per_visitor) for _ in range(count)]


async def propagation(source: Pool, target: Pool, world: World, visitor: str,
                      products: list[str], prefix: str,
                      limit: float = PROPAGATION_LIMIT) -> float | None:
    """Seconds from sending ``visitor``'s views to ``source`` until ``target`` answers their
    HOME list with another list than before them; None if not within ``limit`` (or the
    views were not accepted)."""
    _, body = await exchange(target, home(world, visitor))
    before = listed_ids(body)
    sent = time.perf_counter()
    _, answer = await exchange(source, views(world, visitor, products, prefix))
    if accepted(answer) != len(products):
        return None
    while time.perf_counter() - sent < limit:
        _, body = await exchange(target, home(world, visitor))
        now = listed_ids(body)
        if now is not None and now != before:
            return time.perf_counter() - sent
        await asyncio.sleep(POLL_SECONDS)
    return None
