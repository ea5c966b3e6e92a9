"""Per-shop platform API credentials, kept in the shop's ``settings`` JSON.

The token is a secret: it is never logged and never part of a ``repr``."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInput
from app.shops.models import Shop

KEY = "platform_api"


@dataclass(frozen=True)
class PlatformCredentials:
    access_token: str = field(repr=False)
    api_version: str | None = None
    store_hash: str | None = None
    api_url: str | None = None

    def as_settings(self) -> dict[str, Any]:
        values = {"access_token": self.access_token, "api_version": self.api_version,
                  "store_hash": self.store_hash, "api_url": self.api_url}
        return {k: v for k, v in values.items() if v}


def credentials_of(shop: Shop) -> PlatformCredentials | None:
    raw = (shop.settings or {}).get(KEY)
    if not isinstance(raw, dict) or not raw.get("access_token"):
        return None
    return PlatformCredentials(
        access_token=str(raw["access_token"]),
        api_version=raw.get("api_version"),
        store_hash=raw.get("store_hash"),
        api_url=raw.get("api_url"),
    )


async def set_credentials(session: AsyncSession, shop: Shop, credentials: PlatformCredentials) -> None:
    if not credentials.access_token.strip():
        raise InvalidInput("the access token is empty")
    if shop.platform == "bigcommerce" and not credentials.store_hash:
        raise InvalidInput("a BigCommerce shop needs its store hash (--store-hash)")
    # Reassign the whole dict: the JSON column does not track in-place changes.
    shop.settings = {**(shop.settings or {}), KEY: credentials.as_settings()}
    await session.flush()
