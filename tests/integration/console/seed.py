"""``python -m tests.integration.console.seed <shop domain>``: a week of served lists,
events and orders for the shop, folded into the rollups (the database of
``AFFINITY_DATABASE_URL``). The browser test seeds its server's overview with it."""

import asyncio
import sys

from app.ids import ShopId
from app.settings import Settings
from app.shops.service import find_by_domain
from app.storage.database import create_engine, create_session_factory, transaction
from tests.integration.console.support import seed_overview


async def seed(domain: str) -> int:
    engine = create_engine(Settings().database_url)
    try:
        async with transaction(create_session_factory(engine)) as session:
            shop = await find_by_domain(session, domain)
            if shop is None:
                raise SystemExit(f"no shop {domain}")
            shop_id = ShopId(shop.id)
        await seed_overview(engine, shop_id)
        return shop_id
    finally:
        await engine.dispose()


if __name__ == "__main__":
    print(asyncio.run(seed(sys.argv[1])))
