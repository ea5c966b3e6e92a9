"""Start ``affinity serve`` on a free loopback port, wait for ``/health``, stop it."""

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import PYTHON, REPO, WORK

HOST = "127.0.0.1"
LOGS = WORK / "logs"
# The load generators send hundreds of requests a second from one address with one key:
# the server's rate limits (0: none) would measure the limits, not the server. A caller's
# env may still set them. (A server of an earlier revision ignores these settings.)
NO_RATE_LIMITS = {f"AFFINITY_RATE_LIMIT_{name}_PER_MINUTE": "0" for name in (
    "KEY_REQUESTS", "ADDRESS_REQUESTS", "KEY_EVENTS", "ADDRESS_EVENTS", "VISITOR_EVENTS")}
# /health details (index, catalogs) are the operator's: the benchmark's servers get a token.
ADMIN_TOKEN = "bench-operator"
OPERATOR = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    started_in: float

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def rss_bytes(self) -> int:
        """Resident memory of the server process (from /proc)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0


Ready = Callable[[dict[str, Any]], bool]


def wait_healthy(base: str, process: subprocess.Popen[bytes], timeout: float,
                 ready: Ready | None = None) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}")
            try:
                response = client.get(f"{base}/health", headers=OPERATOR)
                if response.status_code == 200 and (ready is None or ready(response.json())):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.02)
    raise RuntimeError(f"the server was not healthy within {timeout} s")


def ready_to_serve(payload: dict[str, Any]) -> bool:
    """``/health`` reports the index mapped (items > 0) and every shop's catalog in memory:
    measuring while a catalog loads would measure the load. (A server of an earlier revision,
    in ``benchmarks.compare``, reports no catalogs.)"""
    index, catalogs = payload.get("index"), payload.get("catalogs", {})
    return (isinstance(index, dict) and int(index.get("items", 0)) > 0
            and isinstance(catalogs, dict) and catalogs.get("loaded") == catalogs.get("shops"))


def cli_module(repo: Path) -> str:
    """The command line's module in ``repo``: ``app.commands``, or ``app.cli`` in revisions
    from before it was a package (``benchmarks.compare`` runs older revisions)."""
    return "app.commands" if (repo / "app" / "commands").is_dir() else "app.cli"


@contextmanager
def serve(env: dict[str, str], timeout: float = 120.0, worker: bool = False,
          ready: Ready | None = ready_to_serve, log_name: str = "server",
          repo: Path = REPO) -> Iterator[Server]:
    """A running server; ``started_in`` is process start to the first healthy answer.
    ``repo``: the checkout whose ``app`` it runs (``python -m`` imports from there first)."""
    port = free_port()
    env = {**NO_RATE_LIMITS, "AFFINITY_ADMIN_TOKEN": ADMIN_TOKEN, **env,
           "AFFINITY_WORKER_ENABLED": "true" if worker else "false"}
    LOGS.mkdir(parents=True, exist_ok=True)
    log = open(LOGS / f"{log_name}.log", "ab")  # noqa: SIM115 (closed in the finally below)
    started = time.monotonic()
    process = subprocess.Popen(
        [PYTHON, "-m", cli_module(repo), "serve", "--host", HOST, "--port", str(port)],
        cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=log,
    )
    try:
        wait_healthy(f"http://{HOST}:{port}", process, timeout, ready)
        yield Server(process, port, time.monotonic() - started)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, 9)
            process.wait()
        log.close()
