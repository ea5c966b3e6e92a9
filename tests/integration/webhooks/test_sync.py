"""``affinity sync`` against a local stand-in of the Shopify Admin GraphQL API."""

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from app.catalog.models import Collection, Product
from app.catalog.service import apply_product_change
from app.commands import main
from app.ids import ShopId
from app.ingestion.context import context_of
from app.shops.models import Shop
from app.storage.database import transaction
from tests.factories import at, product
from tests.integration.webhooks.shopify_standin import StandIn, order_node, product_node
from tests.integration.webhooks.support import Hooks
from webhooks.backfill.runner import ShopifySync, SyncReport
from webhooks.backfill.shopify_admin import ShopifyAdminClient, ShopifyAdminError

SIZES = {"products": 5, "orders": 3, "collections": 10}


@dataclass
class Recorded:
    totals: dict[str, int | None] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)

    def start(self, resource: str, total: int | None, done: int) -> None:
        self.totals[resource], self.done[resource] = total, done

    def advance(self, resource: str, count: int) -> None:
        self.done[resource] += count


def a_shop() -> StandIn:
    return StandIn(
        products=[product_node(n, f"Mug number {n}") for n in range(1, 24)],
        orders=[order_node(500 + n, 9000 + n if n % 3 else None, [n, n + 1],
                           {n: 1} if n % 2 else None) for n in range(1, 8)],
    )


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def shopify_http(hooks: Hooks) -> AsyncIterator[tuple[StandIn, httpx.AsyncClient]]:
    standin = a_shop()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=standin.app())) as http:
        yield standin, http


async def _run(hooks: Hooks, shop_id: int, standin: StandIn, http: httpx.AsyncClient,
               sleeps: Sleeps, progress: Recorded | None = None, tries: int = 8) -> SyncReport:
    async with transaction(hooks.services.sessions) as session:
        shop = await session.get(Shop, shop_id)
        assert shop is not None
        context = context_of(shop, hooks.services.secrets)
    client = ShopifyAdminClient(http, context.domain, standin.token, "2025-07",
                                api_url="http://standin.test", sleep=sleeps, max_tries=tries)
    return await ShopifySync(hooks.services.sessions, client, context, progress, SIZES).run()


async def _titles(hooks: Hooks, shop_id: int) -> dict[str, str]:
    async with transaction(hooks.services.sessions) as session:
        stmt = select(Product).where(Product.shop_id == shop_id, Product.deleted.is_(False))
        return {p.platform_id: p.title for p in (await session.execute(stmt)).scalars()}


async def test_sync_pulls_the_catalog_and_orders_page_by_page_through_throttling(
    hooks: Hooks, shopify_http: tuple[StandIn, httpx.AsyncClient]
) -> None:
    standin, http = shopify_http
    standin.throttle_every = 4
    shop_id, _, _ = await hooks.shop()
    sleeps, progress = Sleeps(), Recorded()
    report = await _run(hooks, shop_id, standin, http, sleeps, progress)
    assert report.pulled == {"collections": 1, "products": 23, "orders": 7}
    assert progress.totals == {"collections": 1, "products": 23, "orders": 7}
    assert progress.done == {"collections": 1, "products": 23, "orders": 7}
    assert sleeps.waits and all(w == pytest.approx((752 - 666) / 50) for w in sleeps.waits)
    assert len(await _titles(hooks, shop_id)) == 23
    assert await hooks.count(Collection, Collection.shop_id == shop_id) == 1
    lines = await hooks.order_lines(shop_id)
    assert len(lines) == 14
    refunded = {(o, p): r for o, p, _, r, _ in lines if r}
    assert refunded == {("501", "1"): 1, ("503", "3"): 1, ("505", "5"): 1, ("507", "7"): 1}


async def test_an_interrupted_sync_resumes_after_the_last_page_it_applied(
    hooks: Hooks, shopify_http: tuple[StandIn, httpx.AsyncClient]
) -> None:
    standin, http = shopify_http
    shop_id, _, _ = await hooks.shop()
    standin.fail_from_call = 6  # count, collections, count, products page 1 and 2, then down
    with pytest.raises(ShopifyAdminError):
        await _run(hooks, shop_id, standin, http, Sleeps(), tries=2)
    assert len(await _titles(hooks, shop_id)) == 10
    standin.fail_from_call, standin.calls = None, []
    report = await _run(hooks, shop_id, standin, http, Sleeps())
    assert report.resumed == {"collections": False, "products": True, "orders": False}
    first_page = next(after for name, after in standin.calls if name == "products")
    assert first_page is not None  # continued from the saved cursor
    assert report.pulled["products"] == 13
    assert len(await _titles(hooks, shop_id)) == 23


async def test_a_rerun_reconciles_what_webhooks_missed_without_undoing_newer_data(
    hooks: Hooks, shopify_http: tuple[StandIn, httpx.AsyncClient]
) -> None:
    standin, http = shopify_http
    shop_id, _, _ = await hooks.shop()
    await _run(hooks, shop_id, standin, http, Sleeps())
    async with transaction(hooks.services.sessions) as session:  # a webhook newer than Shopify's copy
        await apply_product_change(session, ShopId(shop_id), product(
            "4", "Mug number 4, renamed", updated_at=at("2024-06-01T00:00:00+00:00")))
    standin.products[2] = product_node(3, "Mug number 3, new glaze", updated="2024-04-01T00:00:00Z")
    del standin.products[4]  # product 5 was deleted while a webhook was lost
    standin.products.append(product_node(99, "A mug nobody told us about"))
    report = await _run(hooks, shop_id, standin, http, Sleeps())
    assert report.deleted == 1
    titles = await _titles(hooks, shop_id)
    assert titles["3"] == "Mug number 3, new glaze"
    assert titles["4"] == "Mug number 4, renamed"
    assert "5" not in titles and titles["99"] == "A mug nobody told us about"
    assert len(titles) == 23


@pytest.fixture
def standin_server() -> Iterator[tuple[StandIn, str]]:
    standin = a_shop()
    server = uvicorn.Server(uvicorn.Config(standin.app(), host="127.0.0.1", port=0,
                                           log_level="warning", lifespan="off", ws="none"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield standin, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


async def test_the_sync_command_over_real_http(
    hooks: Hooks, standin_server: tuple[StandIn, str], database_url: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    standin, url = standin_server
    shop_id, domain, _ = await hooks.shop()
    monkeypatch.setenv("AFFINITY_DATABASE_URL", database_url)
    monkeypatch.setenv("AFFINITY_LOG_LEVEL", "WARNING")
    assert await asyncio.to_thread(main, ["shop", "set-credentials", domain, "--access-token",
                                          standin.token, "--api-url", url]) == 0
    assert standin.token not in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["sync", "--shop", domain, "--only", "products"]) == 0
    assert '"pulled": {"products": 23}' in capsys.readouterr().out
    assert len(await _titles(hooks, shop_id)) == 23
