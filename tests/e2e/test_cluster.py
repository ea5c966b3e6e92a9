"""``make cluster`` as an operator runs it (scripts/cluster.sh): PostgreSQL, the demo shop,
two servers, a worker and Debian's nginx in front. Requests through nginx reach both
servers; one server killed with SIGKILL under light load costs no GET request (nginx tries
the other server); ``stop`` ends every process the cluster started."""

import asyncio
import itertools
import os
import re
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import _drop_postgres_database, skip_or_fail
from tests.e2e.test_demo_server import _free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "cluster.sh"
NGINX = "/usr/sbin/nginx"
START_SECONDS = 300
REQUESTS = 60
LOAD_SECONDS = 4.0
IN_FLIGHT = 4
UPSTREAM = re.compile(r'" (\d{3}) upstream="([^"]*)"')


@dataclass(frozen=True)
class Cluster:
    folder: Path
    listen: str
    server_ports: tuple[int, int]
    env: dict[str, str]

    def run(self, action: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SCRIPT), action], env=self.env, capture_output=True,
                              text=True, timeout=START_SECONDS, check=False)

    def pid(self, name: str) -> int:
        return int((self.folder / f"{name}.pid").read_text())

    def answered_by(self) -> Counter[str]:
        """Requests per server that answered them, from nginx's access log (the last
        address of a request that was retried)."""
        log = (self.folder / "nginx" / "nginx-access.log").read_text()
        return Counter(m.group(2).split(", ")[-1] for m in UPSTREAM.finditer(log))


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    if not Path(NGINX).exists() or shutil.which("envsubst") is None:
        skip_or_fail("nginx (Debian's package) and envsubst are needed for the cluster")
    database = f"affinity_cluster_test_{os.getpid()}_{_free_port()}"
    ports = (_free_port(), _free_port())
    listen = f"127.0.0.1:{_free_port()}"
    env = {**os.environ, "CLUSTER_DIR": str(tmp_path / "cluster"),
           "CLUSTER_DATABASE": database, "CLUSTER_LISTEN": listen,
           "CLUSTER_SERVER_PORTS": " ".join(map(str, ports)),
           "AFFINITY_LOG_LEVEL": "WARNING"}
    found = Cluster(tmp_path / "cluster", listen, ports, env)
    started = found.run("start")
    try:
        assert started.returncode == 0, started.stderr[-3000:] + _logs(found.folder)
        yield found
    finally:
        found.run("stop")
        asyncio.run(_drop_postgres_database(
            f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"))


def _logs(folder: Path) -> str:
    return "".join(f"\n--- {log.name}\n{log.read_text()[-1500:]}"
                   for log in sorted(folder.glob("*.log")))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def load(url: str, seconds: float, kill_at: float | None, pid: int) -> list[int]:
    """GET /health ``IN_FLIGHT`` at a time for ``seconds``; at ``kill_at``, SIGKILL ``pid``.
    Each response's status (0: no response at all)."""
    statuses: list[int] = []
    started = time.monotonic()

    async def client_loop(client: httpx.AsyncClient) -> None:
        while time.monotonic() - started < seconds:
            try:
                statuses.append((await client.get("/health")).status_code)
            except httpx.HTTPError:
                statuses.append(0)

    async def killer() -> None:
        if kill_at is not None:
            await asyncio.sleep(kill_at)
            os.kill(pid, 9)

    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        await asyncio.gather(killer(), *(client_loop(client) for _ in range(IN_FLIGHT)))
    return statuses


def test_requests_through_nginx_reach_both_servers_and_survive_one_killed(
    cluster: Cluster
) -> None:
    url = f"http://{cluster.listen}"
    for _ in range(REQUESTS):
        assert httpx.get(f"{url}/health", timeout=10).status_code == 200
    servers = {f"127.0.0.1:{port}" for port in cluster.server_ports}
    answered = cluster.answered_by()
    assert set(answered) == servers and min(answered.values()) >= REQUESTS // 4

    victim_port, survivor_port = cluster.server_ports
    victim = cluster.pid(f"serve-{victim_port}")
    statuses = asyncio.run(load(url, LOAD_SECONDS, LOAD_SECONDS / 3, victim))
    assert not alive(victim)
    assert len(statuses) > 20 and set(statuses) == {200}, Counter(statuses)
    after = httpx.get(f"{url}/health", timeout=10)
    assert after.status_code == 200
    assert cluster.answered_by()[f"127.0.0.1:{survivor_port}"] > answered[f"127.0.0.1:{survivor_port}"]

    others = [cluster.pid(name) for name in (f"serve-{survivor_port}", "worker", "inbox")]
    nginx = int((cluster.folder / "nginx" / "nginx.pid").read_text())
    stopped = cluster.run("stop")
    assert stopped.returncode == 0, stopped.stderr
    assert not any(alive(pid) for pid in [*others, nginx])
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/health", timeout=2)


def children(pid: int) -> list[int]:
    """The serving processes uvicorn's supervisor spawned (not multiprocessing's helper)."""
    found = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [c for c in found if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


async def test_serve_with_workers_runs_that_many_serving_processes(
    fresh_database_url: str, tmp_path: Path
) -> None:
    """``affinity serve --workers 2``: two processes answering on one port, the index built
    by another process served by both, and SIGTERM to the supervisor ends them all."""
    from tests.e2e.processes import Affinity, stop
    from tests.e2e.test_kill_recovery import (
        CATALOG,
        DOMAIN,
        FAKE_MODEL,
        SIMILAR,
        catalog_file,
        embed_with_fake_model,
    )
    from tests.integration.webhooks.support import SECRET

    affinity = Affinity(tmp_path, fresh_database_url, embedding_model=FAKE_MODEL)
    await affinity.install_shop(DOMAIN, SECRET)
    affinity.cli("catalog", "import", "--shop", DOMAIN,
                 str(catalog_file(tmp_path / "a.jsonl", 0, CATALOG)))
    await embed_with_fake_model(affinity, await affinity.shop_id(DOMAIN))
    affinity.cli("index", "build", "--shop", DOMAIN)
    supervisor = affinity.spawn("serve", "serve", "--workers", "2")
    try:
        deadline = time.monotonic() + 90
        while len(children(supervisor.pid)) < 2 or not _answers(affinity.url):
            assert supervisor.poll() is None and time.monotonic() < deadline, (
                (affinity.logs / "serve").read_text()[-3000:])
            await asyncio.sleep(0.2)
        serving = children(supervisor.pid)
        assert len(serving) == 2
        index = str(tmp_path / "data" / "indexes")
        deadline = time.monotonic() + 60
        for number in itertools.count():  # a new connection each: either process may take it
            items = affinity.query(SIMILAR, id=f"P{number % CATALOG}")["data"][
                "similarProducts"]["items"]
            assert len(items) == 5
            if all(index in Path(f"/proc/{pid}/maps").read_text() for pid in serving):
                break  # both map the one index the CLI built
            assert time.monotonic() < deadline, "a serving process never answered"
    finally:
        stop(supervisor)
    assert supervisor.returncode == 0
    assert not any(alive(pid) for pid in serving)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
