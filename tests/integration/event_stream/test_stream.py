"""Storefront events through a real Redis stream into each database: stored once by a
writer, not on the request path, and never lost nor refused while Redis is down."""

import asyncio
import json
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.container import build_services
from app.event_stream.codec import decode_entry, encode_entries
from app.event_stream.names import StreamNames
from app.event_stream.publisher import StreamPublisher
from app.event_stream.storing import ShopEvents, store_entries
from app.event_stream.writer import StreamWriter
from app.events.service import accept_events
from app.events.types import FULL_CONSENT, Consent, EventIn
from app.ids import ShopId
from app.settings import Settings
from app.shared_state.connection import RedisLink
from app.storage.database import transaction
from tests.integration.event_stream.conftest import LIMITS
from tests.integration.event_stream.support import (
    HASHER,
    NOW,
    Heard,
    links,
    stored_events,
    stored_ids,
    tracker,
    views,
)
from tests.integration.shared_state.redis_process import RedisProcess

CAP = 1_000


async def test_a_batch_goes_through_the_stream_into_the_database(
        redis_server: RedisProcess, names: StreamNames, writer: StreamWriter,
        sessions: async_sessionmaker[AsyncSession], shop: ShopId) -> None:
    link = RedisLink.from_url(redis_server.url)
    publisher = StreamPublisher(link, names.key, CAP, HASHER)
    heard = Heard()
    batch = [
        *views("rt", 3),
        EventIn(type="PRODUCT_ADDED_TO_CART", visitor_id="v1", event_id="rt-cart",
                product_id="p1", variant_id="var-9", quantity=2, customer_id="c-1",
                occurred_at=NOW, client_address="198.51.100.7"),
        EventIn(type="PRODUCT_VIEWED", visitor_id="v2", event_id="rt-private", product_id="p2",
                consent=Consent(analytics=False, personalization=True)),
        EventIn(type="PRODUCT_VIEWED", visitor_id="v1", event_id="rt-0", product_id="p0"),
        EventIn(type="NOT_A_TYPE", visitor_id="v1"),
    ]
    try:
        result = await tracker(sessions, publisher, heard).store(shop, batch, NOW)
    finally:
        await link.close()
    assert (result.accepted, result.duplicates, len(result.rejected)) == (5, 1, 1)
    # The live session heard of every accepted event at once; nothing is stored yet.
    assert [e.event_id for e in heard.events] == ["rt-0", "rt-1", "rt-2", "rt-cart", "rt-private"]
    assert await stored_ids(sessions, shop) == {}
    assert publisher.counts.events == 4 and publisher.counts.fallbacks == 0

    assert await writer.drain() == 1
    rows = await stored_events(sessions, shop)
    assert sorted(rows) == ["rt-0", "rt-1", "rt-2", "rt-cart"]  # no analytics consent: kept out
    cart = rows["rt-cart"]
    assert (cart.variant_id, cart.quantity, cart.customer_id) == ("var-9", 2, "c-1")
    assert cart.source_key == HASHER.key_of("198.51.100.7") and rows["rt-0"].source_key is None
    assert await links(sessions, shop) == {"v1": "c-1"}
    assert (writer.counts.stored, writer.counts.known, writer.counts.malformed) == (4, 0, 0)
    assert await writer._client.xpending(names.key, names.group) == {
        "pending": 0, "min": None, "max": None, "consumers": []}


async def test_an_entry_delivered_again_is_stored_once(
        client: Redis, names: StreamNames, writer: StreamWriter,
        sessions: async_sessionmaker[AsyncSession], shop: ShopId) -> None:
    _, accepted = accept_events(views("again", 5), NOW, FULL_CONSENT)
    [entry] = encode_entries(shop, accepted, None)
    await client.xadd(names.key, entry)  # type: ignore[arg-type]
    # A writer read the entry, committed its events, and died before its XACK.
    [[_, [(_, fields)]]] = await client.xreadgroup(
        names.group, "died-before-ack", {names.key: ">"}, count=10)
    async with transaction(sessions) as session:
        shop_id, events = decode_entry(fields)
        await session.run_sync(lambda sync: store_entries(sync.connection(),
                                                          [ShopEvents(shop_id, events)]))
    await asyncio.sleep(LIMITS.claim_idle_seconds * 2)
    assert await writer.drain() == 1
    assert writer.counts.claimed == 1
    assert (writer.counts.stored, writer.counts.known) == (0, 5)
    assert await stored_ids(sessions, shop) == {f"again-{i}": 1 for i in range(5)}
    assert (await client.xpending(names.key, names.group))["pending"] == 0
    # A copy of the entry appended anew changes nothing either.
    await client.xadd(names.key, entry)  # type: ignore[arg-type]
    assert await writer.drain() == 1
    assert writer.counts.known == 10
    assert await stored_ids(sessions, shop) == {f"again-{i}": 1 for i in range(5)}


async def test_malformed_entries_are_dead_lettered_and_do_not_block_the_others(
        client: Redis, names: StreamNames, writer: StreamWriter,
        sessions: async_sessionmaker[AsyncSession], shop: ShopId) -> None:
    _, accepted = accept_events(views("ok", 2), NOW, FULL_CONSENT)
    good = encode_entries(shop, accepted, None)[0]
    bad = [
        {b"hello": b"world"},
        {**good, b"events": b"[{]"},
        {**good, b"events": json.dumps([{"event_id": "x" * 500}]).encode()},
    ]
    first_bad = await client.xadd(names.key, bad[0])  # type: ignore[arg-type]
    for fields in bad[1:]:
        await client.xadd(names.key, fields)  # type: ignore[arg-type]
    await client.xadd(names.key, good)  # type: ignore[arg-type]
    assert await writer.drain() == 4
    assert await stored_ids(sessions, shop) == {"ok-0": 1, "ok-1": 1}
    assert writer.counts.malformed == 3
    dead = await client.xrange(names.dead_letters)
    assert dead[0][1] == {b"hello": b"world", b"entry": first_bad}
    assert [{k: v for k, v in f.items() if k != b"entry"} for _, f in dead] == bad
    assert (await client.xpending(names.key, names.group))["pending"] == 0


async def test_events_of_a_shop_deleted_meanwhile_are_dropped(
        client: Redis, names: StreamNames, writer: StreamWriter,
        sessions: async_sessionmaker[AsyncSession], shop: ShopId) -> None:
    _, accepted = accept_events(views("gone", 2), NOW, FULL_CONSENT)
    await client.xadd(names.key, encode_entries(ShopId(2**31 - 1), accepted, None)[0])  # type: ignore[arg-type]
    await client.xadd(names.key, encode_entries(shop, accepted, None)[0])  # type: ignore[arg-type]
    assert await writer.drain() == 2
    assert (writer.counts.orphaned, writer.counts.stored) == (2, 2)
    assert await stored_ids(sessions, shop) == {"gone-0": 1, "gone-1": 1}
    assert (await client.xpending(names.key, names.group))["pending"] == 0


async def test_with_redis_down_the_batch_is_written_directly(
        killable_redis: RedisProcess, names: StreamNames,
        sessions: async_sessionmaker[AsyncSession], shop: ShopId) -> None:
    link = RedisLink.from_url(killable_redis.url)
    publisher = StreamPublisher(link, names.key, CAP, HASHER)
    heard = Heard()
    events = tracker(sessions, publisher, heard)
    try:
        assert (await events.store(shop, views("up", 1), NOW)).accepted == 1
        killable_redis.kill()
        for batch in (views("down-a", 2), views("down-b", 3)):
            result = await events.store(shop, batch, NOW)
            assert (result.accepted, result.rejected) == (len(batch), [])
        again = await events.store(shop, views("down-b", 3), NOW)
    finally:
        await link.close()
    assert (again.accepted, again.duplicates) == (0, 3)  # the database recognized them
    assert publisher.counts.fallbacks == 3 and publisher.counts.events == 1
    assert await stored_ids(sessions, shop) == {
        **{f"down-a-{i}": 1 for i in range(2)}, **{f"down-b-{i}": 1 for i in range(3)}}
    assert len(heard.events) == 6


async def test_the_servers_tracker_appends_to_the_stream_when_it_is_on(
        redis_server: RedisProcess, database_url: str, engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession], tmp_path: Path) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path, redis_url=redis_server.url,
                        event_stream=True, event_stream_key="affinity-test-wired:events")
    services = build_services(settings, engine, sessions)
    try:
        assert isinstance(services.tracker.stream, StreamPublisher)
        off = build_services(settings.model_copy(update={"event_stream": False}), engine,
                             sessions)
        assert off.tracker.stream is None
        off.dispose()
    finally:
        services.dispose()
