"""Create (or bring up to date) the demo shop with its catalog and orders, and hand out what
trying it needs: its storefront key, and a customer token for one of its customers."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.service import apply_product_changes
from app.crypto.secret_box import SecretBox
from app.demo.loader import DEMO_CURRENCY, DEMO_DOMAIN, demo_catalog, demo_orders
from app.experiments.directory import HOLDOUT_SETTING
from app.ids import ShopId
from app.orders.service import record_orders
from app.settings import Settings
from app.shops import service as shops
from app.shops.customer_tokens import sign_customer_token
from app.shops.models import Shop
from app.storage.database import transaction, utcnow

TOKEN_LIFETIME = timedelta(days=1)


@dataclass(frozen=True)
class DemoReport:
    shop_id: int
    domain: str
    storefront_key: str
    products: int
    orders_created: int
    server_key: str | None
    """Only when made by this run (stored as a hash, it cannot be shown again)."""
    customer_id: str | None
    customer_token: str | None
    """A token naming ``customer_id`` for a day, as the shop's server would mint it."""


def demo_origins(settings: Settings) -> list[str]:
    return sorted({f"http://{settings.host}:{settings.port}", f"http://127.0.0.1:{settings.port}",
                   f"http://localhost:{settings.port}"})


async def _demo_shop(session: AsyncSession, settings: Settings,
                     box: SecretBox) -> tuple[Shop, str | None]:
    """The demo shop, and its server key when this call made one."""
    shop = await shops.find_by_domain(session, DEMO_DOMAIN)
    if shop is None:
        created = await shops.create_shop(
            session, DEMO_DOMAIN, "shopify", None, demo_origins(settings),
            currency=DEMO_CURRENCY, name="Affinity demo gift shop", box=box,
        )
        return created.shop, created.server_key
    if shop.customer_token_secret is None or shop.server_key_hash is None:
        return shop, (await shops.rotate_keys(session, shop, box)).server_key
    return shop, None


def _demo_customer_token(shop: Shop, box: SecretBox,
                         customer_id: str | None) -> str | None:
    secret = shops.customer_token_secret(shop, box)
    if secret is None or customer_id is None:
        return None
    return sign_customer_token(secret, customer_id, utcnow() + TOKEN_LIFETIME)


async def setup_demo(sessions: async_sessionmaker[AsyncSession], settings: Settings,
                     box: SecretBox) -> DemoReport:
    catalog, orders = demo_catalog(), demo_orders()
    customer = next((o.customer_id for o in orders if o.customer_id), None)
    async with transaction(sessions) as session:
        shop, server_key = await _demo_shop(session, settings, box)
        # Every visitor of the demo sees personalization: no holdout (`AFFINITY_HOLDOUT_SHARE`).
        shop.settings = {**(shop.settings or {}), HOLDOUT_SETTING: 0.0}
        await apply_product_changes(session, ShopId(shop.id), catalog)
        created = await record_orders(session, ShopId(shop.id), orders)
        token = _demo_customer_token(shop, box, customer)
        shop_id, key = shop.id, shop.storefront_key
    return DemoReport(shop_id, DEMO_DOMAIN, key, len(catalog), created, server_key,
                      customer if token else None, token)
