"""Which shop a request names: only ``<name>.myshopify.com`` domains, never a URL the
request makes up (the domain becomes the host of every request made on the shop's behalf)."""

import re

from app.errors import InvalidInput

MAX_DOMAIN_CHARS = 255
SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


class InvalidShopDomain(InvalidInput):
    pass


def shop_domain(value: str | None) -> str:
    """The shop's domain, lower-cased; ``InvalidShopDomain`` for anything that is not
    a ``*.myshopify.com`` domain (the message never repeats the value)."""
    text = (value or "").strip().lower()
    if not text or len(text) > MAX_DOMAIN_CHARS or SHOP_DOMAIN.fullmatch(text) is None:
        raise InvalidShopDomain("shop: expected a shop domain such as example.myshopify.com")
    return text
