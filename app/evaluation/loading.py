"""Load the Online Retail data into a fresh shop through the ingestion code: the catalog,
then the orders of the baskets the models may learn from."""

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.changes import ProductChange
from app.catalog.service import apply_product_changes
from app.datasets.online_retail import Basket, orders_for, read_products
from app.ids import ShopId
from app.orders.service import record_orders
from app.shops.service import create_shop
from app.storage.database import transaction

Progress = Callable[[str, int, int], None]
ORDER_CHUNK = 2000


async def load_shop(sessions: async_sessionmaker[AsyncSession], data_root: Path,
                    fit: list[Basket], progress: Progress) -> tuple[ShopId, list[ProductChange]]:
    """The new shop and the products written to it."""
    products = read_products(data_root)
    async with transaction(sessions) as session:
        shop = ShopId((await create_shop(session, "online-retail.example", "custom")).shop.id)
        await apply_product_changes(session, shop, products)
        orders = list(orders_for(data_root, fit))
        for start in range(0, len(orders), ORDER_CHUNK):
            await record_orders(session, shop, orders[start : start + ORDER_CHUNK])
            progress("orders", min(start + ORDER_CHUNK, len(orders)), len(orders))
    return shop, products
