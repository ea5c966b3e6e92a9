"""The scale-out topology of ``make cluster``, started by the scale benchmarks on the
PostgreSQL world: a redis-server of their own (on a free port, never the machine's 6379),
``affinity serve`` processes with their background roles off, nginx rendered from
``deploy/nginx.conf.template`` in front, and background roles (``affinity worker``,
``affinity events write``) as processes of their own.

Each process runs in a process group of its own: ``kill -9`` of a role reaches every
process it started, and the cluster's exit ends every group still running, whatever
happened in between."""

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.commands.serve import BACKGROUND_OFF
from benchmarks.common import PYTHON, REPO
from benchmarks.server import (
    ADMIN_TOKEN,
    HOST,
    LOGS,
    NO_RATE_LIMITS,
    OPERATOR,
    free_port,
    ready_to_serve,
    wait_healthy,
)
from benchmarks.world import World

NGINX = Path("/usr/sbin/nginx")
TEMPLATE = REPO / "deploy" / "nginx.conf.template"
START_SECONDS = 180.0
STOP_SECONDS = 15.0


@dataclass
class Role:
    """One started command, the leader of its own process group."""

    name: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill_hard(self) -> None:
        """``kill -9`` of the whole group: no shutdown, no flush, no rollback."""
        _signal_group(self.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM to the group, SIGKILL to what is left after ``STOP_SECONDS``."""
        if self.alive():
            _signal_group(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        _signal_group(self.pid, signal.SIGKILL)  # children the leader left behind
        self.process.wait()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def spawn(name: str, argv: list[str], env: dict[str, str]) -> Role:
    """Start ``argv`` in a new process group, its output appended to ``LOGS/<name>.log``."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / f"{name}.log", "ab") as log:
        process = subprocess.Popen(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=log, start_new_session=True)
    return Role(name, process)


class Redis:
    """A redis-server of the benchmark's own, in the foreground, nothing persisted."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.role: Role | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.role = spawn("scale-redis", [
            "redis-server", "--bind", HOST, "--port", str(self.port), "--save", "",
            "--appendonly", "no", "--dir", str(self.folder)], dict(os.environ))
        self._wait_ready()

    def shutdown(self) -> None:
        """``redis-cli shutdown nosave``, as an operator (or a crash) would stop it."""
        subprocess.run(["redis-cli", "-h", HOST, "-p", str(self.port), "shutdown", "nosave"],
                       capture_output=True, timeout=10, check=False)
        if self.role is not None:
            self.role.process.wait(timeout=STOP_SECONDS)

    def stop(self) -> None:
        if self.role is not None:
            self.role.stop()

    def _wait_ready(self, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            done = subprocess.run(["redis-cli", "-h", HOST, "-p", str(self.port), "ping"],
                                  capture_output=True, text=True, timeout=5, check=False)
            if done.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")


def render_nginx(folder: Path, listen_port: int, server_ports: list[int]) -> Path:
    """The shipped template with its three variables, as ``scripts/cluster.sh`` renders it."""
    folder.mkdir(parents=True, exist_ok=True)
    upstreams = " ".join(f"server {HOST}:{p} max_fails=1 fail_timeout=5s;" for p in server_ports)
    text = (TEMPLATE.read_text().replace("${LISTEN}", f"{HOST}:{listen_port}")
            .replace("${UPSTREAMS}", upstreams).replace("${RUNTIME_DIR}", str(folder)))
    config = folder / "nginx.conf"
    config.write_text(text)
    return config


@dataclass
class Balancer:
    """nginx in front of some of the servers."""

    port: int
    role: Role
    folder: Path

    def answered_by(self) -> dict[str, int]:
        """Requests per upstream address that answered them, from the access log."""
        counts: dict[str, int] = {}
        log = self.folder / "nginx-access.log"
        for line in log.read_text().splitlines() if log.exists() else []:
            _, _, rest = line.partition('upstream="')
            last = rest.partition('"')[0].split(", ")[-1]
            counts[last] = counts.get(last, 0) + 1
        return counts


def start_nginx(name: str, folder: Path, server_ports: list[int]) -> Balancer:
    if not NGINX.exists():
        raise RuntimeError("nginx (Debian's package) is needed: apt-get install nginx")
    port = free_port()
    config = render_nginx(folder, port, server_ports)
    role = spawn(name, [str(NGINX), "-c", str(config), "-p", str(folder), "-e",
                        str(folder / "nginx-error.log"), "-g", "daemon off;"], dict(os.environ))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not role.alive():
            raise RuntimeError(f"nginx exited: see {folder / 'nginx-error.log'}")
        try:
            httpx.get(f"http://{HOST}:{port}/health", timeout=2.0)
            return Balancer(port, role, folder)
        except httpx.TransportError:
            time.sleep(0.05)
    role.stop()
    raise RuntimeError("nginx did not answer within 20 s")


@dataclass
class ServerProcess:
    role: Role
    port: int

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"


@dataclass
class Cluster:
    """Everything a scale benchmark started; ``close`` ends all of it."""

    world: World
    redis: Redis
    folder: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    roles: list[Role] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        """The roles' environment. No global holdout: a held-out visitor's HOME list is
        the baseline whatever they view (``scale_cross_server`` measures views changing
        lists; with the default 5 %, 2 of 20 visitors' lists never changed)."""
        return self.world.env(**NO_RATE_LIMITS, AFFINITY_ADMIN_TOKEN=ADMIN_TOKEN,
                              AFFINITY_REDIS_URL=self.redis.url, AFFINITY_HOLDOUT_SHARE="0",
                              **self.extra_env, **extra)

    def _keep(self, role: Role) -> Role:
        self.roles.append(role)
        return role

    def start_servers(self, count: int, ports: list[int] | None = None) -> list[ServerProcess]:
        """``count`` servers started at once (on ``ports``, or free ones); back once each
        reports the index mapped and the catalog in memory."""
        ports = ports or [free_port() for _ in range(count)]
        servers = [ServerProcess(self._keep(spawn(
            f"scale-serve-{port}",
            [PYTHON, "-m", "app.commands", "serve", "--host", HOST, "--port", str(port)],
            self.env(**BACKGROUND_OFF))), port) for port in ports]
        for server in servers:
            wait_healthy(server.base, server.role.process, START_SECONDS, ready_to_serve)
        return servers

    def start_role(self, name: str, args: list[str], **extra: str) -> Role:
        """A background role (``worker``, ``events write``) as its own process."""
        return self._keep(spawn(f"scale-{name}", [PYTHON, "-m", "app.commands", *args],
                                self.env(**extra)))

    def start_balancer(self, name: str, servers: list[ServerProcess]) -> Balancer:
        balancer = start_nginx(f"scale-{name}", self.folder / name, [s.port for s in servers])
        self._keep(balancer.role)
        return balancer

    def close(self) -> None:
        for role in reversed(self.roles):
            role.stop()
        self.roles.clear()
        self.redis.stop()


@contextmanager
def cluster(world: World, folder: Path) -> Iterator[Cluster]:
    """A redis-server of its own started; every process started through the cluster is
    ended on the way out."""
    redis = Redis(folder / "redis")
    started = Cluster(world, redis, folder)
    try:
        redis.start()
        yield started
    finally:
        started.close()


def health(base: str) -> dict[str, object]:
    """The operator's view of ``/health`` of one server."""
    response = httpx.get(f"{base}/health", headers=OPERATOR, timeout=5.0)
    return dict(response.json())
