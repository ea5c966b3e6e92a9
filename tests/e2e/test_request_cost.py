"""End to end: a request built to cost exponential work is refused at once by a real server
over real HTTP, the server keeps answering meanwhile, and SIGTERM stops it within seconds
even with a request left hanging."""

import json
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_demo_server import Server, _run

FAN_OUT_LEVELS = 30


def fan_out(levels: int, name: str) -> str:
    """About 1 kB: each fragment spreads the next one twice, 2^levels paths in all."""
    parts = [f"query {name} {{ ...F0 }}"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ __typename }}")
    return "\n".join(parts)


def installed(tmp: Path) -> Server:
    """A server with one shop (its storefront key set), not started."""
    server = Server(tmp)
    server.env["AFFINITY_WORKER_ENABLED"] = "false"
    migrated = _run(server.env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    created = _run(server.env, "shop", "add", "cost.myshopify.com", "--webhook-secret", "s3cret")
    assert created.returncode == 0, created.stderr
    server.key = json.loads(created.stdout)["storefront_key"]
    return server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = installed(tmp_path_factory.mktemp("cost"))
    running.start()
    yield running
    running.stop()


def test_a_fragment_fan_out_is_refused_within_100_ms(server: Server) -> None:
    headers = {"X-Affinity-Storefront-Key": server.key}
    with httpx.Client(base_url=server.url, timeout=30, headers=headers) as client:
        assert client.post("/graphql", json={"query": "{ __typename }"}).status_code == 200
        took = []
        for attempt in range(5):  # a new text each time: parsed and checked each time
            started = time.perf_counter()
            response = client.post("/graphql", json={"query": fan_out(FAN_OUT_LEVELS,
                                                                      f"FanOut{attempt}")})
            took.append(time.perf_counter() - started)
            assert response.status_code == 200
            error = response.json()["errors"][0]
            assert "fragments are expanded" in error["message"]
            assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX"}
    assert statistics.median(took) < 0.1, took


def test_health_is_answered_while_fan_outs_arrive(server: Server) -> None:
    headers = {"X-Affinity-Storefront-Key": server.key}
    refused: list[int] = []

    def attack() -> None:
        with httpx.Client(base_url=server.url, timeout=30, headers=headers) as client:
            for attempt in range(40):
                body = client.post("/graphql", json={
                    "query": fan_out(FAN_OUT_LEVELS, f"Attack{attempt}")}).json()
                refused.append(len(body["errors"]))

    attacker = threading.Thread(target=attack)
    attacker.start()
    health: list[int] = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        while attacker.is_alive():
            health.append(client.get("/health").status_code)
    attacker.join()
    assert refused == [1] * 40
    assert health and set(health) == {200}


def test_sigterm_stops_the_server_with_a_request_left_hanging(tmp_path: Path) -> None:
    server = installed(tmp_path)
    server.start()
    assert server.process is not None
    with socket.create_connection(("127.0.0.1", server.port)) as hanging:
        # A body announced and never sent: the request waits for it until shutdown.
        hanging.sendall(f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        f"X-Affinity-Storefront-Key: {server.key}\r\n"
                        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{".encode())
        time.sleep(0.5)
        server.process.terminate()
        server.process.wait(timeout=20)  # raises if the server does not stop
    assert server.process.returncode is not None
