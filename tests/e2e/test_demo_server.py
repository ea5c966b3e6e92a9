"""End to end: the CLI sets up the demo, a real server answers over real HTTP."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

AFFINITY = str(Path(sys.executable).parent / "affinity")
SIMILAR = """query($id: ID!) { similarProducts(productId: $id, first: 6) {
  recommendationId items { product { id title productType available } reasons { message } } } }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AFFINITY, *args], env=env, capture_output=True, text=True, timeout=600,
                          check=False)


class Server:
    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.env = {**os.environ, "AFFINITY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'a.db'}",
                    "AFFINITY_DATA_DIR": str(tmp / "data"), "AFFINITY_PORT": str(self.port),
                    "AFFINITY_WORKER_INTERVAL_SECONDS": "0.2"}
        self.url = f"http://127.0.0.1:{self.port}"
        self.key = ""
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([AFFINITY, "serve"], env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def query(self, query: str, **variables: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables},
                              headers={"X-Affinity-Storefront-Key": self.key}, timeout=10)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("e2e"))
    demo = _run(server.env, "demo")
    assert demo.returncode == 0, demo.stderr
    first = json.loads(demo.stdout.strip().splitlines()[-1])
    server.key = first["storefront_key"]
    # The order history is in the KPI rollups before the server starts: its measurement
    # loop has no backlog to hold SQLite's write lock with while the first shoppers wait.
    assert first["rollup_rows_folded"] >= first["orders_created"] > 0
    server.start()
    yield server
    server.stop()


def test_demo_is_idempotent_and_prints_the_key(server: Server) -> None:
    again = _run(server.env, "demo")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout.strip().splitlines()[-1])
    assert report["storefront_key"] == server.key
    assert report["orders_created"] == 0 and report["embedded"] == 0 and report["rebuilt"] is False
    assert report["rollup_rows_folded"] == 0
    listed = [json.loads(line) for line in _run(server.env, "shop", "list").stdout.splitlines()]
    assert {"shop": "demo.myshopify.com", "storefront_key": server.key}.items() <= listed[0].items()


def test_answers_name_no_server_and_carry_security_headers(server: Server) -> None:
    response = httpx.get(f"{server.url}/health", timeout=5)
    assert response.json() == {"status": "ok"}
    assert "server" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(f"{server.url}/demo/config.json", timeout=5).status_code == 404


def test_a_demo_mug_gives_mugs_and_cups(server: Server) -> None:
    body = server.query(SIMILAR, id="21844")  # Red Retrospot Mug
    items = body["data"]["similarProducts"]["items"]
    titles = [i["product"]["title"].lower() for i in items]
    assert sum(any(w in t for w in ("mug", "cup", "beaker")) for t in titles) >= 4, titles
    assert all(i["product"]["available"] and i["reasons"] for i in items)


def test_a_bad_import_is_rejected_and_loses_nothing(server: Server, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,title\n21844,\n")
    result = _run(server.env, "catalog", "import", "--shop", "demo.myshopify.com", str(bad))
    assert result.returncode == 2 and "line 2: title: missing" in result.stderr
    body = server.query("query { product(id: \"21844\") { title } }")
    assert body["data"]["product"]["title"] == "Red Retrospot Mug"


def test_an_imported_change_reaches_a_running_server(server: Server, tmp_path: Path) -> None:
    change = tmp_path / "change.jsonl"
    change.write_text(json.dumps({"id": "NEWMUG1", "title": "Red Retrospot Espresso Mug",
                                  "price": 3.5, "product_type": "Mugs & Cups"}) + "\n")
    result = _run(server.env, "catalog", "import", "--shop", "demo.myshopify.com", str(change))
    assert result.returncode == 0, result.stderr
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ids = [i["product"]["id"] for i in server.query(SIMILAR, id="21844")["data"]["similarProducts"]["items"]]
        if "NEWMUG1" in ids:
            return
        time.sleep(0.5)
    pytest.fail("the new product never appeared among the neighbours")


def test_shop_add_prints_credentials_once(server: Server) -> None:
    result = _run(server.env, "shop", "add", "new-shop.myshopify.com", "--platform", "shopify",
                  "--webhook-secret", "s3cret")
    created = json.loads(result.stdout)
    assert set(created) == {"shop", "storefront_key", "admin_token", "server_key",
                            "customer_token_secret"}
    assert created["server_key"].startswith("srk_")
    assert created["customer_token_secret"].startswith("cts_")
    rotated = json.loads(_run(server.env, "shop", "rotate-keys", "--domain",
                              "new-shop.myshopify.com").stdout)
    assert rotated["server_key"] != created["server_key"]
    assert rotated["customer_token_secret"] != created["customer_token_secret"]
    duplicate = _run(server.env, "shop", "add", "new-shop.myshopify.com", "--webhook-secret", "x")
    assert duplicate.returncode == 2 and "already exists" in duplicate.stderr
    assert "s3cret" not in duplicate.stderr + duplicate.stdout
