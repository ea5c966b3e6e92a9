"""Serving latency and throughput over real HTTP against ``affinity serve`` (one process).

Against the 100k-product world: ``recommendations`` (HOME, PRODUCT, CART),
``similarProducts`` and ``rerankSearch`` of 100 ids, each at a fixed open-loop rate
(p50/p95/p99), then each at saturation (closed loop) for its maximum throughput, next to
the framework floor, a trivial query (``{ __typename }``) through the same endpoint, key
check and GraphQL stack, measured in the same run. On SQLite (what ships) by default;
``--databases sqlite postgres`` measures PostgreSQL beside it."""

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import defaultdict
from typing import Any

from benchmarks import synthetic
from benchmarks.common import Result, Target, write_result
from benchmarks.ingestion import has_track_events
from benchmarks.loadgen import (
    OVERLOAD_SECONDS,
    Outcome,
    Pool,
    closed_loop,
    open_loop,
    request_bytes,
    send_all,
    until_idle,
)
from benchmarks.server import HOST, serve
from benchmarks.world import World, build_world

REFERENCES = ("trivial", "catalog_listing", "catalog_listing_100")
RATE = 200.0
LIGHT_RATE = 40.0  # well within every workload's capacity: latency without queueing
LIGHT_SECONDS = 3.0
SECONDS = 8.0
SATURATION_SECONDS = 5.0
CONCURRENCY = 16
PRODUCT_FIELDS = "id title price currency imageUrl url available"
ITEMS = f"recommendationId items {{ product {{ {PRODUCT_FIELDS} }} score reasons {{ code message }} }}"


def graphql(query: str, variables: dict[str, Any], world: World, server: bool = False) -> bytes:
    """A storefront's request (public key), or with ``server`` a shop server's, which may
    name a customer (the private server key)."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    key = ({"X-Affinity-Server-Key": world.server_key} if server
           else {"X-Affinity-Storefront-Key": world.storefront_key})
    return request_bytes("/graphql", body, key, HOST)


def _catalog_facts(world: World) -> tuple[list[str], dict[str, list[str]]]:
    """Available product ids, and ids per product type (a search result stand-in)."""
    available, by_type = [], defaultdict(list)
    for row in synthetic.catalog(world.products):
        if row["available"]:
            available.append(str(row["id"]))
            by_type[str(row["product_type"])].append(str(row["id"]))
    return available, by_type


def workloads(world: World, seed: int = 7) -> dict[str, list[bytes]]:
    """Request bodies per workload, varied so that no single answer is cached."""
    rng = random.Random(seed)
    available, by_type = _catalog_facts(world)
    visitors = [f"v{n:07d}" for n in range(1000)]
    recs = f"""query($placement: Placement!, $visitorId: ID, $ids: [ID!]) {{
      recommendations(placement: $placement, visitorId: $visitorId, productIds: $ids, first: 12)
      {{ {ITEMS} }} }}"""
    similar = f"""query($id: ID!) {{ similarProducts(productId: $id, first: 12) {{ {ITEMS} }} }}"""
    rerank = f"""query($q: String!, $ids: [ID!]!, $c: ID) {{
      rerankSearch(query: $q, productIds: $ids, customerId: $c, first: 100) {{ {ITEMS} }} }}"""
    searches = []
    for kind in synthetic.TYPES:
        ids = by_type.get(kind.name, [])
        if len(ids) >= 100:
            for noun in kind.nouns:
                searches.append((f"{rng.choice(kind.materials)} {noun.lower()}", rng.sample(ids, 100)))
    listing = f"query($offset: Int!) {{ products(first: 12, offset: $offset) {{ {PRODUCT_FIELDS} }} }}"
    return {
        "trivial": [graphql("{ __typename }", {}, world)],
        # The response shape of a recommendation list from one cheap query: what the
        # framework and one database round trip cost before any ranking.
        "catalog_listing": [graphql(listing, {"offset": rng.randrange(100)}, world)
                            for _ in range(200)],
        # The same for a 100-product answer: the output size of rerankSearch of 100 ids.
        "catalog_listing_100": [graphql(listing.replace("first: 12", "first: 100"),
                                        {"offset": rng.randrange(100)}, world)
                                for _ in range(200)],
        "recommendations_home": [
            graphql(recs, {"placement": "HOME", "visitorId": rng.choice(visitors)}, world)
            for _ in range(200)],
        "recommendations_product": [
            graphql(recs, {"placement": "PRODUCT", "ids": [rng.choice(available)]}, world)
            for _ in range(2000)],
        "recommendations_cart": [
            graphql(recs, {"placement": "CART", "ids": rng.sample(available, 3)}, world)
            for _ in range(2000)],
        "similar_products": [graphql(similar, {"id": rng.choice(available)}, world)
                             for _ in range(2000)],
        # Every distinct search first, so that the warm-up embeds each query once (the
        # server caches query vectors), then searches drawn at random.
        # Half of them for a known customer: a shop server's call (the server key).
        "rerank_search": [
            _search(rerank, q, ids, rng.choice(visitors) if rng.random() < 0.5 else None, world)
            for q, ids in [*searches, *(rng.choice(searches) for _ in range(1000))]],
    }


def _search(query: str, text: str, ids: list[str], customer: str | None, world: World) -> bytes:
    return graphql(query, {"q": text, "ids": ids, "c": customer}, world,
                   server=customer is not None)


def distinct_searches(payloads: list[bytes]) -> list[bytes]:
    """The first request of each distinct search query among ``payloads`` (none for other
    workloads): sent once in the warm-up, so that every query vector is cached however
    slowly the machine embeds (a storefront's queries repeat; its cache is warm)."""
    first: dict[str, bytes] = {}
    for payload in payloads:
        variables = json.loads(payload.split(b"\r\n\r\n", 1)[1]).get("variables", {})
        query = variables.get("q")
        if isinstance(query, str):
            first.setdefault(query, payload)
    return list(first.values())


def histories(world: World, visitors: int = 1000, views: int = 5) -> list[bytes]:
    """trackEvents calls giving the HOME visitors a browsing history (fixed event ids, so
    a second run adds nothing)."""
    mutation = """mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }"""
    events = [{"type": "PRODUCT_VIEWED", "visitorId": f"v{n:07d}", "eventId": f"bench-{n}-{i}",
               "productId": str(1_000_000 + index),
               "consent": {"analytics": True, "personalization": True}}
              for n in range(visitors)
              for i, index in enumerate(synthetic.visitor_history(n, world.products)[:views])]
    return [graphql(mutation, {"events": events[i : i + 50]}, world)
            for i in range(0, len(events), 50)]


def thread_cpu_seconds(pid: int, tid: int | None = None) -> float:
    """CPU time (user + system) of a process, or of one of its threads, from /proc."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    with open(path) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerCpu:
    """How busy the server was during a loop: its main thread, which runs the event loop
    and every request's Python (the interpreter lock caps it at one core), and all its
    threads together (SQLite's writer and readers besides)."""

    def __init__(self, pid: int | None) -> None:
        self._pid = pid
        self._start: tuple[float, float, float] | None = None

    def _now(self) -> tuple[float, float, float]:
        assert self._pid is not None
        return (time.perf_counter(), thread_cpu_seconds(self._pid, self._pid),
                thread_cpu_seconds(self._pid))

    def start(self) -> None:
        self._start = self._now() if self._pid is not None and sys.platform == "linux" else None

    def figures(self, requests: int) -> dict[str, float]:
        if self._start is None or not requests:
            return {}
        (t0, main0, all0), (t1, main1, all1) = self._start, self._now()
        return {"event_loop_busy": round((main1 - main0) / (t1 - t0), 3),
                "event_loop_cpu_ms_per_request": round(1000 * (main1 - main0) / requests, 2),
                "server_cpu_ms_per_request": round(1000 * (all1 - all0) / requests, 2)}


async def measure(port: int, loads: dict[str, list[bytes]], rate: float, seconds: float,
                  saturation: float, setup: list[bytes],
                  pid: int | None = None) -> dict[str, dict[str, Any]]:
    pool = Pool(HOST, port)
    cpu = ServerCpu(pid)
    figures: dict[str, dict[str, Any]] = {}
    try:
        for payload in setup:
            connection = await pool.acquire()
            await connection.exchange(payload)
            pool.release(connection)
        for name, payloads in loads.items():  # warm-up: parse caches, model, page cache
            await send_all(pool, distinct_searches(payloads), 4)
            await closed_loop(pool, payloads, 4, 1.0)
        idle = loads["trivial"][0]
        for name, payloads in loads.items():
            # Each measurement starts on an idle server: an overloaded run leaves a backlog.
            await until_idle(pool, idle)
            light: Outcome = await open_loop(pool, payloads, LIGHT_RATE, LIGHT_SECONDS)
            await until_idle(pool, idle)
            cpu.start()
            fixed: Outcome = await open_loop(pool, payloads, rate, seconds)
            busy = cpu.figures(len(fixed.latencies))
            await until_idle(pool, idle)
            peak: Outcome = await closed_loop(pool, payloads, CONCURRENCY, saturation)
            figures[name] = {"light_load": {"rate": LIGHT_RATE, **light.summary()},
                             "open_loop": {"rate": rate, **fixed.summary(), **busy},
                             "max_throughput": {"concurrency": CONCURRENCY, **peak.summary()}}
            print(f"  {name}: p99 {figures[name]['light_load']['p99_ms']} ms at {LIGHT_RATE:g}/s, "
                  f"{figures[name]['open_loop']['p99_ms']} ms at {rate:g}/s"
                  f"{_busy(figures[name]['open_loop'])}, max {figures[name]['max_throughput']['achieved_rps']}/s", flush=True)
    finally:
        pool.close()
    return figures


def _busy(loop: dict[str, Any]) -> str:
    if "event_loop_busy" not in loop:
        return ""
    return (f"; the event loop was busy {100 * loop['event_loop_busy']:.0f}% of the time "
            f"({loop['event_loop_cpu_ms_per_request']} ms of its CPU a request)")


def targets(figures: dict[str, dict[str, Any]]) -> list[Target]:
    recs = [k for k in figures if k.startswith("recommendations_")]
    p99s = {k: figures[k]["open_loop"]["p99_ms"] for k in recs}
    worst = max(p99s, key=lambda k: p99s[k] or 1e9)
    def failed(name: str) -> int:
        loop = figures[name]["open_loop"]
        return int(loop["errors"]) + int(loop.get("not_sent") or 0)

    def planned(name: str) -> int:
        loop = figures[name]["open_loop"]
        return int(loop["sent"]) + int(loop.get("not_sent") or 0)

    errors = sum(failed(k) for k in recs)
    floor = figures["trivial"]["max_throughput"]["achieved_rps"] or 1.0
    ratios = {k: (figures[k]["max_throughput"]["achieved_rps"] or 0) / floor
              for k in figures if k not in REFERENCES}
    slowest = min(ratios, key=lambda k: ratios[k])
    rerank = figures["rerank_search"]["open_loop"]["p99_ms"]
    return [
        Target("recommendations p99 at 200 req/s", p99s[worst], "ms", "<= 25",
               p99s[worst] is not None and p99s[worst] <= 25 and errors == 0,
               f"worst of HOME (visitor with a browsing history), PRODUCT, CART: {worst}; "
               + ", ".join(f"{k.split('_')[1]} {v} ms" for k, v in p99s.items())
               + f"; {errors} requests failed, were refused or not sent (server over "
               f"{OVERLOAD_SECONDS:g} s behind); 12 products "
               f"from one plain query reach "
               f"{figures['catalog_listing']['max_throughput']['achieved_rps']} req/s; at "
               f"{LIGHT_RATE:g} req/s: " + ", ".join(
                   f"{k.split('_')[1]} {figures[k]['light_load']['p99_ms']} ms" for k in recs)),
        Target("rerankSearch (100 ids) p99 at 200 req/s", rerank, "ms", "<= 30",
               rerank is not None and rerank <= 30 and not failed("rerank_search"),
               f"{failed('rerank_search')} of {planned('rerank_search')} "
               f"requests failed, were refused or not sent (server over {OVERLOAD_SECONDS:g} s "
               "behind); at "
               f"{LIGHT_RATE:g} req/s: {figures['rerank_search']['light_load']['p99_ms']} ms; "
               f"max {figures['rerank_search']['max_throughput']['achieved_rps']} req/s, where "
               "100 products from one plain query reach "
               f"{figures['catalog_listing_100']['max_throughput']['achieved_rps']} req/s"
               + _busy(figures["rerank_search"]["open_loop"])),
        Target("max throughput / trivial-query floor", round(ratios[slowest], 3), "ratio",
               ">= 0.5", ratios[slowest] >= 0.5,
               f"slowest: {slowest}; floor {floor:.0f} req/s; 12 products from one plain "
               f"query: {figures['catalog_listing']['max_throughput']['achieved_rps']} req/s, "
               "100 products: "
               f"{figures['catalog_listing_100']['max_throughput']['achieved_rps']} req/s"),
    ]


def measure_backend(backend: str, rate: float, seconds: float,
                    saturation: float) -> dict[str, Any]:
    world = build_world(100_000, backend=backend)
    loads = workloads(world)
    setup = histories(world) if has_track_events() else []
    with serve(world.env(), log_name=f"serving-{backend}") as server:
        figures = asyncio.run(measure(server.port, loads, rate, seconds, saturation, setup,
                                      server.process.pid))
        rss = server.rss_bytes()
    return {"products": world.products, "workloads": figures,
            "server_rss_mib": round(rss / 2**20, 1)}


def run(rate: float, seconds: float, saturation: float, backends: list[str]) -> Result:
    """Targets are read on the first backend (SQLite, what ships by default); the others
    are reported beside them."""
    measured = {}
    for backend in backends:
        print(f"  on {backend}:", flush=True)
        measured[backend] = measure_backend(backend, rate, seconds, saturation)
    first = measured[backends[0]]["workloads"]
    result = Result("serving", {"rate": rate, "seconds": seconds, "databases": measured})
    result.targets = targets(first)
    for other in backends[1:]:
        theirs = targets(measured[other]["workloads"])
        for mine, alt in zip(result.targets, theirs, strict=True):
            mine.note += f"; on {other}: {alt.value} {alt.unit}"
    floor = first["trivial"]["max_throughput"]["achieved_rps"]
    result.summary = "; ".join(
        f"{k} p99 {v['open_loop']['p99_ms']} ms, max {v['max_throughput']['achieved_rps']}/s"
        for k, v in first.items() if k not in REFERENCES) + f"; floor {floor}/s ({backends[0]})"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=RATE)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--saturation-seconds", type=float, default=SATURATION_SECONDS)
    parser.add_argument("--databases", nargs="+", default=["sqlite"],
                        choices=("sqlite", "postgres"),
                        help="the targets are read on the first; PostgreSQL needs a world of "
                             "its own (built on first use) and about as long again")
    args = parser.parse_args()
    started = time.monotonic()
    write_result(run(args.rate, args.seconds, args.saturation_seconds, args.databases), started)


if __name__ == "__main__":
    main()
