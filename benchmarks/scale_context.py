"""What every scale scenario runs against: servers A and B on the PostgreSQL world, nginx
in front of A alone and of both, the run's options, and its id (the prefix of every event
and visitor id it sends, so that its events are deleted afterwards)."""

import asyncio
from dataclasses import dataclass
from typing import Any

from benchmarks.cluster import Balancer, Cluster, ServerProcess
from benchmarks.loadgen import Pool, closed_loop, send_all
from benchmarks.server import HOST
from benchmarks.serving import distinct_searches, histories, workloads
from benchmarks.world import World

WORKLOADS = {"HOME": "recommendations_home", "rerankSearch": "rerank_search"}


@dataclass(frozen=True)
class Options:
    pairs: int = 2
    slice_seconds: float = 5.0
    rate: float = 300.0
    p99_seconds: float = 8.0
    visitors: int = 20
    kill_rate: float = 100.0
    kill_seconds: float = 5.0
    redis_down_seconds: float = 10.0
    build_timeout: float = 240.0
    writer_seconds: float = 12.0


@dataclass
class Scale:
    """The running topology a scenario measures: servers A and B, nginx in front of A
    alone (``one``) and of both (``two``)."""

    world: World
    cluster: Cluster
    servers: list[ServerProcess]
    one: Balancer
    two: Balancer
    loads: dict[str, list[bytes]]
    run_id: str
    options: Options

    def pool(self, port: int) -> Pool:
        return Pool(HOST, port)

    @property
    def idle(self) -> bytes:
        return self.loads["trivial"][0]


Figures = dict[str, Any]


async def warm(scale: Scale) -> None:
    """The HOME visitors' browsing history sent (fixed event ids: stored once, ever), every
    distinct search embedded, each server's caches warm."""
    first = scale.pool(scale.servers[0].port)
    try:
        await send_all(first, histories(scale.world), 4)
    finally:
        first.close()
    for server in scale.servers:
        pool = scale.pool(server.port)
        try:
            for payloads in (scale.loads[w] for w in WORKLOADS.values()):
                await send_all(pool, distinct_searches(payloads), 4)
                await closed_loop(pool, payloads, 4, 1.0)
        finally:
            pool.close()


def start_scale(world: World, topology: Cluster, run_id: str, options: Options) -> Scale:
    servers = topology.start_servers(2)
    one = topology.start_balancer("nginx-one", servers[:1])
    two = topology.start_balancer("nginx-two", servers)
    scale = Scale(world, topology, servers, one, two, workloads(world), run_id, options)
    asyncio.run(warm(scale))
    return scale
