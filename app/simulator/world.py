"""A shop of its own for a simulation: a fresh data folder and SQLite database holding the
Online Retail catalog and the order history the models may learn from (the fit baskets of
the leave-last-basket split), embedded, indexed and trained by the ``affinity`` commands an
operator runs, then served by a real ``affinity serve`` on a free loopback port.

The simulation talks to that server over HTTP only, as a storefront and a shop platform
would; nothing in this module is on that path."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from app import migrate
from app.catalog.service import apply_product_changes
from app.crypto.secret_box import secret_box_for
from app.datasets.online_retail import Basket, orders_for, read_products
from app.ids import ShopId
from app.orders.service import record_orders
from app.settings import Settings
from app.shops.service import create_shop
from app.simulator.protocol import Progress, ShopAccess, SimulationFailed
from app.storage.database import create_engine, create_session_factory, transaction

HOST = "127.0.0.1"
DOMAIN = "simulated-retail.example"
WEBHOOK_SECRET = "simulated-webhook-secret"
OPERATOR_TOKEN = "simulator-operator"
ORDER_CHUNK = 2000
START_TIMEOUT_SECONDS = 180.0
COMMAND_TIMEOUT_SECONDS = 1800.0
RATE_LIMITS_OFF = {f"AFFINITY_RATE_LIMIT_{name}_PER_MINUTE": "0" for name in (
    "KEY_REQUESTS", "ADDRESS_REQUESTS", "KEY_EVENTS", "ADDRESS_EVENTS", "VISITOR_EVENTS")}
"""Hundreds of shoppers from one address with one key would measure the limits."""


@dataclass(frozen=True)
class LocalWorld:
    folder: Path
    database_url: str
    data_dir: Path
    holdout_share: float = 0.0
    """The server's global holdout (0: every shopper is in the experiment)."""
    exploration: str | None = None
    """The server's exploration strategy (``AFFINITY_ENGINE_EXPLORATION``; none: its default)."""

    def env(self) -> dict[str, str]:
        """The settings of every process of this world: its database and data folder, no
        rate limits, its global holdout (none by default), an operator
        token for ``/health`` details, and the background roles in the server (the KPI
        rollups among them, folded every half second)."""
        return {**os.environ, **RATE_LIMITS_OFF,
                "AFFINITY_DATABASE_URL": self.database_url,
                "AFFINITY_DATA_DIR": str(self.data_dir),
                "AFFINITY_HOLDOUT_SHARE": str(self.holdout_share),
                "AFFINITY_ADMIN_TOKEN": OPERATOR_TOKEN,
                "AFFINITY_ROLLUP_INTERVAL_SECONDS": "0.5",
                "AFFINITY_WORKER_ENABLED": "true",
                **({"AFFINITY_ENGINE_EXPLORATION": self.exploration} if self.exploration else {})}


def _settings(world: LocalWorld) -> Settings:
    return Settings(database_url=world.database_url, data_dir=world.data_dir,  # type: ignore[call-arg]
                    _env_file=None)


async def build_world(folder: Path, data_root: Path, fit: list[Basket], progress: Progress,
                      holdout_share: float = 0.0,
                      exploration: str | None = None) -> tuple[LocalWorld, ShopAccess]:
    """Migrate a new database under ``folder``, register the shop, load the catalog and the
    fit orders, then embed, index and train through the command line, and fold the history
    into the KPI rollups: the server then folds only what the simulation adds, instead of
    holding the database's write lock for the 15k orders of history while the experiment
    is being created."""
    world = LocalWorld(folder, f"sqlite+aiosqlite:///{folder / 'affinity.db'}", folder / "data",
                       holdout_share, exploration)
    world.data_dir.mkdir(parents=True, exist_ok=True)
    await migrate.upgrade(world.database_url)
    engine = create_engine(world.database_url)
    try:
        sessions = create_session_factory(engine)
        async with transaction(sessions) as session:
            created = await create_shop(session, DOMAIN, "shopify", WEBHOOK_SECRET,
                                        currency="GBP", box=secret_box_for(_settings(world)))
            shop = ShopId(created.shop.id)
            await apply_product_changes(session, shop, read_products(data_root))
            orders = list(orders_for(data_root, fit))
            for start in range(0, len(orders), ORDER_CHUNK):
                await record_orders(session, shop, orders[start : start + ORDER_CHUNK])
                progress("orders", min(start + ORDER_CHUNK, len(orders)), len(orders))
    finally:
        await engine.dispose()
    for step in (["index", "build", "--shop", DOMAIN], ["model", "train", "--shop", DOMAIN],
                 ["kpis", "rebuild"]):
        run_command(world, step)
        progress(" ".join(step[:2]), 1, 1)
    return world, ShopAccess(domain=DOMAIN, storefront_key=created.storefront_key,
                             server_key=created.server_key, admin_token=created.admin_token,
                             webhook_secret=WEBHOOK_SECRET)


WORLD_FILE = "world.json"
"""In a world kept for reuse: its shop's access (credentials of a throwaway local shop)."""


def save_world(world: LocalWorld, access: ShopAccess, cache: Path) -> None:
    """Copy a world just built (no server started yet) to ``cache``, with its shop's access:
    later runs start from the same catalog, history, index and model (``copy_world``)."""
    shutil.copytree(world.folder, cache, symlinks=True, dirs_exist_ok=True)
    (cache / WORLD_FILE).write_text(json.dumps(asdict(access)))


def copy_world(cache: Path, folder: Path, holdout_share: float = 0.0,
               exploration: str | None = None) -> tuple[LocalWorld, ShopAccess]:
    """A copy of the world ``save_world`` kept in ``cache``, in ``folder``."""
    shutil.copytree(cache, folder, symlinks=True, dirs_exist_ok=True)
    access = ShopAccess(**json.loads((folder / WORLD_FILE).read_text()))
    world = LocalWorld(folder, f"sqlite+aiosqlite:///{folder / 'affinity.db'}", folder / "data",
                       holdout_share, exploration)
    return world, access


def run_command(world: LocalWorld, args: list[str]) -> list[dict[str, object]]:
    """One ``affinity`` command of this world, to its end; its JSON lines."""
    done = subprocess.run([sys.executable, "-m", "app.commands", *args], env=world.env(),
                          capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS,
                          check=False)
    if done.returncode != 0:
        raise SimulationFailed(f"affinity {args[0]} {args[1]} failed:\n{done.stderr[-2000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(world: LocalWorld) -> Iterator[str]:
    """A running ``affinity serve`` of ``world`` on a free loopback port; its base URL.
    Its log is kept in the world's folder."""
    port = free_port()
    with open(world.folder / "serve.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.commands", "serve", "--host", HOST, "--port", str(port)],
            env=world.env(), stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://{HOST}:{port}"
    try:
        _wait_ready(base, process, world.folder / "serve.log")
        yield base
    finally:
        _stop(process)


def _ready(payload: dict[str, object]) -> bool:
    """The index is mapped and every catalog is in memory (see ``/health``)."""
    index, catalogs = payload.get("index"), payload.get("catalogs")
    return (isinstance(index, dict) and int(index.get("items", 0)) > 0
            and isinstance(catalogs, dict) and catalogs.get("loaded") == catalogs.get("shops"))


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    headers = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    with httpx.Client(timeout=2.0) as client:
        while process.poll() is None and time.monotonic() < deadline:
            try:
                response = client.get(f"{base}/health", headers=headers)
                if response.status_code == 200 and _ready(response.json()):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    _stop(process)
    raise SimulationFailed("the server did not become ready:\n" + log.read_text()[-2000:])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
