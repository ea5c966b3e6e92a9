"""``affinity simulate --exploration``: the strategy reaches the simulated server, and the
report counts the clicks on each position (the last holds the exploration slot);
``--world-cache``: runs start from copies of one built world."""

import os
import random
from pathlib import Path
from typing import Any, cast

from app.simulator.click_model import ClickModel
from app.simulator.orders import SimulatedOrder
from app.simulator.protocol import ShopAccess
from app.simulator.shoppers import ShopperPlan
from app.simulator.storefront import ServedList, ShownItem, Storefront
from app.simulator.visit import LIST_LENGTH, Tally, visit
from app.simulator.world import LocalWorld, copy_world, save_world

SHOWN = [f"p{i}" for i in range(LIST_LENGTH)]


def test_the_exploration_strategy_reaches_the_simulated_server(tmp_path: Path) -> None:
    world = LocalWorld(tmp_path, "u", tmp_path / "data", exploration="thompson")
    assert world.env()["AFFINITY_ENGINE_EXPLORATION"] == "thompson"
    default = LocalWorld(tmp_path, "u", tmp_path).env()  # the server's own default
    assert default.get("AFFINITY_ENGINE_EXPLORATION") == os.environ.get("AFFINITY_ENGINE_EXPLORATION")


class SameList:
    """A storefront that shows the same ten products on every placement."""

    def __init__(self) -> None:
        self.orders: list[SimulatedOrder] = []

    async def recommendations(self, placement: str, customer_id: str, context: list[str],
                              first: int) -> ServedList:
        return ServedList(f"list-{placement}", tuple(ShownItem(p, p, 1.0) for p in SHOWN))

    async def track(self, events: list[dict[str, Any]]) -> None:
        return None

    async def deliver_order(self, order: SimulatedOrder) -> None:
        self.orders.append(order)


async def test_clicks_are_counted_by_the_position_clicked() -> None:
    plan = ShopperPlan("c1", ("h1",), frozenset({"p0", "p9"}))
    sure = ClickModel(decay=0.0, relevant_click=1.0, noise_click=0.0)
    tally = Tally()
    await visit(plan, cast(Storefront, SameList()), sure, random.Random(0), 1, tally)
    # Each relevant product clicked once, on the first list; never clicked again after.
    assert tally.clicks == 2
    assert tally.clicks_by_position == [1, *[0] * (LIST_LENGTH - 2), 1]


def test_a_cached_world_is_copied_with_its_shops_access(tmp_path: Path) -> None:
    built = LocalWorld(tmp_path / "built", "u", tmp_path / "built" / "data")
    built.data_dir.mkdir(parents=True)
    (built.folder / "affinity.db").write_bytes(b"db")
    (built.data_dir / "index.ann").write_bytes(b"index")
    access = ShopAccess("shop.example", "sk", "server", "admin", "hook")
    save_world(built, access, tmp_path / "cache")
    world, copied = copy_world(tmp_path / "cache", tmp_path / "run", exploration="fixed")
    assert copied == access
    assert (world.data_dir / "index.ann").read_bytes() == b"index"
    assert world.database_url.endswith(str(tmp_path / "run" / "affinity.db"))
    assert world.env()["AFFINITY_ENGINE_EXPLORATION"] == "fixed"
