"""Nothing is lost between receipt and processing: a stopped server's deliveries are
applied after a restart; a failure while applying rolls back and is retried."""

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.customer_data import CustomerRef
from app.ids import ShopId
from app.ingestion.models import DONE, FAILED, PENDING, InboxDelivery
from app.ingestion.privacy import core_customer_stores
from app.ingestion.processor import InboxProcessor
from app.orders.models import Order
from app.storage.database import transaction
from tests.integration.webhooks.support import Hooks, hooks_app, payload


async def test_deliveries_stored_before_a_stop_are_applied_after_the_restart(
    database_url: str, tmp_path: Path
) -> None:
    async with hooks_app(database_url, tmp_path) as before:
        shop_id, domain, _ = await before.shop()
        await before.shopify(domain, "products/create", payload("shopify", "products_create.json"))
        await before.shopify(domain, "orders/create", payload("shopify", "orders_create.json"))
    async with hooks_app(database_url, tmp_path) as after:  # a new process on the same database
        assert await after.drain() == 2
        assert await after.count(Product, Product.shop_id == shop_id) == 1
        assert len(await after.order_lines(shop_id)) == 2


class FlakyStore:
    """A customer data store whose first erase fails, like a lost connection."""

    name = "flaky"

    def __init__(self) -> None:
        self.calls = 0

    async def export(self, session: AsyncSession, customer: CustomerRef) -> list[dict[str, Any]]:
        return []

    async def erase(self, session: AsyncSession, customer: CustomerRef) -> int:
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("store unreachable")
        return 0

    async def erase_shop(self, session: AsyncSession, shop_id: ShopId) -> int:
        return 0


async def _delivery(hooks: Hooks, shop_id: int, topic: str) -> InboxDelivery:
    async with transaction(hooks.services.sessions) as session:
        stmt = select(InboxDelivery).where(InboxDelivery.shop_id == shop_id,
                                           InboxDelivery.topic == topic)
        return (await session.execute(stmt)).scalar_one()


async def test_a_failure_while_applying_rolls_back_and_the_delivery_is_retried(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    await hooks.shopify(domain, "orders/create", payload("shopify", "orders_create.json"))
    await hooks.drain()
    await hooks.shopify(domain, "customers/redact", payload("shopify", "customers_redact.json", shop=domain))
    processor = InboxProcessor(hooks.services.sessions, hooks.ingestion.adapters,
                               [*core_customer_stores(), FlakyStore()], max_attempts=3)
    key = (await _delivery(hooks, shop_id, "customers/redact")).id
    assert await processor.process(key) == 0
    failed = await _delivery(hooks, shop_id, "customers/redact")
    assert (failed.status, failed.attempts, failed.body is not None) == (PENDING, 1, True)
    assert "store unreachable" in (failed.last_error or "")
    # The orders store's erase ran before the failure and was rolled back with it.
    assert await hooks.count(Order, Order.shop_id == shop_id, Order.customer_id.is_not(None)) == 1

    assert await processor.process(key) == 1
    assert (await _delivery(hooks, shop_id, "customers/redact")).status == DONE
    assert await hooks.count(Order, Order.shop_id == shop_id, Order.customer_id.is_not(None)) == 0


async def test_a_delivery_that_keeps_failing_is_parked_as_failed(hooks: Hooks) -> None:
    shop_id, _, _ = await hooks.shop(platform="bigcommerce")
    body = payload("bigcommerce", "product_updated.json", store_hash="no-such-store")
    async with transaction(hooks.services.sessions) as session:
        session.add(InboxDelivery(shop_id=shop_id, platform="bigcommerce", topic="store/product/updated",
                                  delivery_id="h-1", body=body, status=PENDING, attempts=0))
    key = (await _delivery(hooks, shop_id, "store/product/updated")).id
    processor = InboxProcessor(hooks.services.sessions, hooks.ingestion.adapters,
                               core_customer_stores(), max_attempts=2)
    for _ in range(2):
        await processor.process(key)
    parked = await _delivery(hooks, shop_id, "store/product/updated")
    assert parked.status == FAILED
    assert "no BigCommerce credentials" in (parked.last_error or "")


async def test_the_running_processor_applies_a_delivery_within_moments(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    stop = asyncio.Event()
    task = asyncio.create_task(hooks.ingestion.processor.run_forever(stop))
    try:
        await hooks.shopify(domain, "products/create", payload("shopify", "products_create.json"))
        for _ in range(100):
            if await hooks.count(Product, Product.shop_id == shop_id):
                break
            await asyncio.sleep(0.02)
        assert await hooks.count(Product, Product.shop_id == shop_id) == 1
    finally:
        stop.set()
        await task
