"""The live trend through real Redis: orders read by the worker move every server's trend."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from app.ids import ShopId
from app.ranking.history import OrderRecord
from app.ranking.runtime import ModelRuntime
from app.ranking.training import TrainingParams, train
from app.shared_state.connection import RedisLink
from app.shared_state.trend import SharedTrend
from app.storage.database import utcnow
from tests.integration.shared_state.redis_process import RedisProcess

SHOP = ShopId(11)
PRODUCTS = ["mug", "cup", "tea", "hose", "trowel", "seeds"]


def model() -> ModelRuntime:
    start = utcnow() - timedelta(days=30)
    baskets = [["mug", "cup"], ["mug", "cup", "tea"], ["hose", "trowel"], ["mug", "cup"]]
    history = [OrderRecord(f"o{n}", f"c{n}", start + timedelta(days=n), tuple(items))
               for n, items in enumerate(baskets)]
    return ModelRuntime(train(history, PRODUCTS, start + timedelta(days=5), "v1",
                              TrainingParams(factors=4, iterations=3)))


def trend_of(runtime: ModelRuntime, product: str) -> float:
    return float(runtime.trend.normalized(utcnow())[runtime.artefact.row_of[product]])


@asynccontextmanager
async def running(*trends: SharedTrend) -> AsyncIterator[None]:
    stop = asyncio.Event()
    tasks = [asyncio.ensure_future(t.run(stop)) for t in trends]
    try:
        await asyncio.wait_for(asyncio.gather(*(t.subscribed.wait() for t in trends)), 5)
        yield
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)


async def eventually(check: Callable[[], bool], within: float = 1.0) -> None:
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < within, "not within the time allowed"
        await asyncio.sleep(0.005)


async def test_an_order_read_by_the_worker_moves_the_trend_of_every_server(
        links: list[RedisLink]) -> None:
    worker_model, server_model, other_worker_model = model(), model(), model()
    worker = SharedTrend(links[0], lambda shop: worker_model, feeds_itself=True)
    worker.attach(SHOP, worker_model)
    server = SharedTrend(links[1], lambda shop: server_model if shop == SHOP else None,
                         feeds_itself=False)
    other_worker = SharedTrend(links[1], lambda shop: other_worker_model, feeds_itself=True)
    assert trend_of(server_model, "seeds") == 0.0
    async with running(worker, server, other_worker):
        for _ in range(3):
            worker_model.observe_order(["seeds", "no-such-product"], utcnow())
        await eventually(lambda: trend_of(server_model, "seeds") > 0.0)
        await eventually(lambda: abs(trend_of(server_model, "seeds")
                                     - trend_of(worker_model, "seeds")) < 1e-6)
        hose = trend_of(worker_model, "hose")
        server_model.observe_order(["hose"], utcnow())  # not attached: publishes nothing
        await asyncio.sleep(0.2)
        assert trend_of(server_model, "hose") > hose
        assert abs(trend_of(worker_model, "hose") - hose) < 1e-4
    assert trend_of(other_worker_model, "seeds") == 0.0  # reads orders itself: never twice


async def test_redis_stopped_orders_still_move_the_worker_trend_then_share_again(
        killable_redis: RedisProcess) -> None:
    links = [RedisLink.from_url(killable_redis.url) for _ in range(2)]
    worker_model, server_model = model(), model()
    worker = SharedTrend(links[0], lambda shop: worker_model, feeds_itself=True)
    worker.attach(SHOP, worker_model)
    server = SharedTrend(links[1], lambda shop: server_model, feeds_itself=False)
    try:
        async with running(worker, server):
            killable_redis.kill()
            started = time.monotonic()
            worker_model.observe_order(["seeds"], utcnow())
            await worker.publish()
            await worker.publish()
            assert time.monotonic() - started < 0.5
            assert trend_of(worker_model, "seeds") > 0.0
            await eventually(lambda: not (worker.subscribed.is_set() or server.subscribed.is_set()),
                             within=2.0)
            assert trend_of(server_model, "seeds") == 0.0
            killable_redis.start()
            await asyncio.wait_for(asyncio.gather(worker.subscribed.wait(),
                                                  server.subscribed.wait()), 10)
            worker_model.observe_order(["trowel"], utcnow())
            await eventually(lambda: trend_of(server_model, "trowel") > 0.0, within=2.0)
    finally:
        for link in links:
            await link.close()
