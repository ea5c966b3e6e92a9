"""Finding the shop a delivery belongs to, from the hint its adapter reads, and the
secrets its deliveries may be signed with."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.crypto.secret_box import SecretBox
from app.shops.models import Shop
from app.shops.service import find_by_domain
from app.sync.credentials import store_hash_of, webhook_secrets_of
from webhooks.protocol import ShopHint
from webhooks.shopify_app.installation import installed_through_app


async def find_shop(session: AsyncSession, platform: str, hint: ShopHint) -> Shop | None:
    """The shop of this platform the hint names, or ``None``."""
    if hint.domain:
        shop = await find_by_domain(session, hint.domain)
        return shop if shop is not None and shop.platform == platform else None
    if hint.store_key:
        shops = await session.execute(select(Shop).where(Shop.platform == platform))
        for shop in shops.scalars():
            if store_hash_of(shop) == hint.store_key:
                return shop
    return None


def signing_secrets(shop: Shop, box: SecretBox, app_secret: str | None = None) -> tuple[str, ...]:
    """The shop's own webhook secrets, and the app's secret for a Shopify shop installed
    through the app (Shopify signs those deliveries with it); never for another shop."""
    own = webhook_secrets_of(shop, box)
    if app_secret and shop.platform == "shopify" and installed_through_app(shop):
        return (*own, app_secret)
    return own
