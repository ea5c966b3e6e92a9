"""Create (or bring up to date) the demo shop with its catalog and orders."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.service import apply_product_changes
from app.db import transaction
from app.demo.loader import DEMO_CURRENCY, DEMO_DOMAIN, demo_catalog, demo_orders
from app.ids import ShopId
from app.orders.service import record_orders
from app.settings import Settings
from app.shops import service as shops


@dataclass(frozen=True)
class DemoReport:
    shop_id: int
    domain: str
    storefront_key: str
    products: int
    orders_created: int


def demo_origins(settings: Settings) -> list[str]:
    return sorted({f"http://{settings.host}:{settings.port}", f"http://127.0.0.1:{settings.port}",
                   f"http://localhost:{settings.port}"})


async def _demo_shop(session: AsyncSession, settings: Settings) -> tuple[int, str]:
    shop = await shops.find_by_domain(session, DEMO_DOMAIN)
    if shop is None:
        created = await shops.create_shop(
            session, DEMO_DOMAIN, "shopify", None, demo_origins(settings),
            currency=DEMO_CURRENCY, name="Affinity demo gift shop",
        )
        shop = created.shop
    return shop.id, shop.storefront_key


async def setup_demo(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> DemoReport:
    catalog, orders = demo_catalog(), demo_orders()
    async with transaction(sessions) as session:
        shop_id, key = await _demo_shop(session, settings)
        await apply_product_changes(session, ShopId(shop_id), catalog)
        created = await record_orders(session, ShopId(shop_id), orders)
    return DemoReport(shop_id, DEMO_DOMAIN, key, len(catalog), created)
