"""Claims of concurrent deliveries: each stored once, duplicates told apart, a delivery of a
shop deleted meanwhile refused alone, through the session and through a SQLite file's
writer thread alike."""

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.ids import ShopId
from app.ingestion.claims import ClaimBatcher
from app.ingestion.models import InboxDelivery
from app.ingestion.service import NewDelivery
from app.storage.database import create_session_factory, transaction
from app.storage.writes import Writes
from tests.factories import make_shop, shop_id


@pytest.fixture
def claims(writes: Writes) -> ClaimBatcher:
    return ClaimBatcher(writes)


def delivery(shop: ShopId, delivery_id: str, event_id: str | None = None) -> NewDelivery:
    return NewDelivery(shop, "shopify", "products/update", delivery_id, event_id, None, b"{}")


async def test_concurrent_claims_store_each_delivery_once(engine: AsyncEngine,
                                                          claims: ClaimBatcher) -> None:
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        shop = shop_id(await make_shop(session))
    sent = [delivery(shop, f"d{n % 6}", event_id=f"e{n % 6}") for n in range(18)]
    sent.append(delivery(shop, "d-other", event_id="e1"))  # a new delivery of a known event
    outcomes = await asyncio.gather(*(claims.claim(d) for d in sent))
    assert sum(outcomes) == 6
    assert outcomes[-1] is False
    async with transaction(sessions) as session:
        count = select(func.count()).select_from(InboxDelivery).where(InboxDelivery.shop_id == shop)
        assert (await session.execute(count)).scalar_one() == 6


async def test_a_delivery_of_a_deleted_shop_fails_alone(engine: AsyncEngine,
                                                       claims: ClaimBatcher) -> None:
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        shop = shop_id(await make_shop(session))
    gone = ShopId(shop + 1000)
    outcomes = await asyncio.gather(claims.claim(delivery(shop, "a")),
                                    claims.claim(delivery(gone, "b")),
                                    claims.claim(delivery(shop, "c")), return_exceptions=True)
    assert outcomes[0] is True and outcomes[2] is True
    assert isinstance(outcomes[1], IntegrityError)
