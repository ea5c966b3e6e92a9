"""What adapters may know of a shop.

The shop's secrets are stored encrypted: the secret box of the composition root opens
them here, for the signature check and for the platform API."""

from app.crypto.secret_box import SecretBox
from app.ids import ShopId
from app.ingestion.protocol import ShopContext
from app.shops.models import Shop
from app.sync.credentials import credentials_of


def context_of(shop: Shop, box: SecretBox | None) -> ShopContext:
    """What adapters know of the shop; without a box its API credentials stay closed."""
    return ShopContext(id=ShopId(shop.id), domain=shop.domain, currency=shop.currency,
                       credentials=None if box is None else credentials_of(shop, box))
