"""``AFFINITY_SQLITE_FAST_PATHS`` reaches a real server: the operator's health details say
which path serves, and both paths serve the same list over HTTP."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import Affinity, stop
from tests.e2e.test_demo_server import _run

pytestmark = pytest.mark.e2e
OPERATOR = "operator-token-for-the-fast-paths-test"
SIMILAR = "query($id: ID!) { similarProducts(productId: $id, first: 5) { items { product { id } } } }"


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One demo installation (catalog and index) that both servers start from in turn."""
    folder = tmp_path_factory.mktemp("fast-paths")
    server = Affinity(folder, f"sqlite+aiosqlite:///{folder / 'a.db'}")
    demo = _run(server.env, "demo")
    assert demo.returncode == 0, demo.stderr[-2000:]
    yield folder


def _serve(folder: Path, fast: bool) -> tuple[dict[str, object], list[str]]:
    server = Affinity(folder, f"sqlite+aiosqlite:///{folder / 'a.db'}",
                      sqlite_fast_paths=str(fast).lower(), admin_token=OPERATOR,
                      worker_enabled="false", demo_mode="true")
    server.start()
    try:
        health = httpx.get(f"{server.url}/health", timeout=10,
                           headers={"Authorization": f"Bearer {OPERATOR}"}).json()
        key = httpx.get(f"{server.url}/demo/config.json", timeout=10).json()["storefrontKey"]
        products = httpx.post(f"{server.url}/graphql", timeout=10,
                              headers={"X-Affinity-Storefront-Key": key},
                              json={"query": "{ products(first: 1) { id } }"}).json()
        first = products["data"]["products"][0]["id"]
        similar = httpx.post(f"{server.url}/graphql", timeout=10,
                             headers={"X-Affinity-Storefront-Key": key},
                             json={"query": SIMILAR, "variables": {"id": first}}).json()
        items = similar["data"]["similarProducts"]["items"]
        return health["database"], [i["product"]["id"] for i in items]
    finally:
        assert server.process is not None
        stop(server.process)


def test_the_setting_switches_the_running_servers_path(demo_folder: Path) -> None:
    fast_database, fast_list = _serve(demo_folder, fast=True)
    plain_database, plain_list = _serve(demo_folder, fast=False)
    assert fast_database["fast_paths"] is True and plain_database["fast_paths"] is False
    assert fast_list and fast_list == plain_list
