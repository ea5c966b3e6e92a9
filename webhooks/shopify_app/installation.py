"""What an install stores: the shop (created on the first install, the same row on every
later one, its keys kept), its offline token encrypted with the secret box (replacing the
previous one), and a mark that Shopify signs its webhooks with the app's secret."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.crypto.secret_box import SecretBox
from app.errors import Conflict
from app.shops.models import SHOP_ACTIVE, Shop
from app.shops.service import create_shop, find_by_domain
from app.sync.credentials import PlatformCredentials, set_credentials
from webhooks.shopify_app.token_exchange import GrantedToken

APP_KEY = "shopify_app"
"""The key in the shop's ``settings`` that marks a shop installed through the app."""


def installed_through_app(shop: Shop) -> bool:
    """Was the shop installed through OAuth (so Shopify signs its webhooks with the app's
    secret)? The mark outlives an uninstall: ``shop/redact`` comes 48 hours later."""
    return isinstance((shop.settings or {}).get(APP_KEY), dict)


def _mark(shop: Shop, granted: GrantedToken, now: datetime) -> dict[str, Any]:
    return {**(shop.settings or {}),
            APP_KEY: {"scope": granted.scope, "installed_at": now.isoformat()}}


async def store_installation(session: AsyncSession, domain: str, granted: GrantedToken,
                             api_url: str | None, box: SecretBox, now: datetime) -> Shop:
    """Create or update the shop with its new token; ``Conflict`` when the domain belongs
    to a shop of another platform."""
    shop = await find_by_domain(session, domain)
    if shop is None:
        shop = (await create_shop(session, domain, "shopify", box=box)).shop
    elif shop.platform != "shopify":
        raise Conflict("this domain belongs to a shop of another platform")
    await set_credentials(session, shop,
                          PlatformCredentials(access_token=granted.access_token, api_url=api_url),
                          box)
    shop.settings = _mark(shop, granted, now)
    shop.status = SHOP_ACTIVE  # installing again after an uninstall serves the shop again
    await session.flush()
    return shop
