"""Exactly one effect, however many copies arrive at once and however many processors run."""

import asyncio

from app.ingestion.models import InboxDelivery
from app.ingestion.privacy import core_customer_stores
from app.ingestion.processor import InboxProcessor
from tests.integration.webhooks.support import Hooks, payload

COPIES = 25


async def test_the_same_delivery_sent_many_times_in_parallel_has_one_effect(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    await hooks.shopify(domain, "orders/create", payload("shopify", "orders_create.json"))
    await hooks.drain()
    refund = payload("shopify", "refunds_create.json")
    same_id = [hooks.shopify(domain, "refunds/create", refund, webhook_id="w-42", event_id="e-42")
               for _ in range(COPIES)]
    same_event = [hooks.shopify(domain, "refunds/create", refund, event_id="e-42")
                  for _ in range(COPIES)]
    responses = await asyncio.gather(*same_id, *same_event)
    assert {r.status_code for r in responses} == {200}
    assert sorted(r.json()["status"] for r in responses).count("accepted") == 1
    assert await hooks.count(InboxDelivery, InboxDelivery.shop_id == shop_id,
                             InboxDelivery.topic == "refunds/create") == 1
    assert await hooks.drain() == 1
    lines = {line[1]: line for line in await hooks.order_lines(shop_id)}
    assert lines["632910392"][3] == 1


async def test_concurrent_processors_apply_each_delivery_once(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    for name in ("products_create.json", "products_create_touch.json", "orders_create.json",
                 "orders_create_guest.json", "refunds_create.json"):
        topic = name.split("_create")[0] + "/create"
        assert (await hooks.shopify(domain, topic, payload("shopify", name))).status_code == 200
    processors = [InboxProcessor(hooks.services.sessions, hooks.ingestion.adapters,
                                 core_customer_stores()) for _ in range(3)]
    applied = await asyncio.gather(*(p.drain() for p in processors))
    assert sum(applied) == 5
    lines = {line[1]: line for line in await hooks.order_lines(shop_id)}
    assert lines["632910392"][3] == 1
