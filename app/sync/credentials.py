"""Per-shop secrets shared with the platform: the API token, kept in the shop's ``settings``
JSON, and the webhook secrets. Both are stored encrypted with the server's secret box.

The token is a secret: it is never logged and never part of a ``repr``. Values stored
before encryption existed are read as they are and sealed by ``seal_stored_secrets``,
which every server runs as it starts."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.crypto.secret_box import SecretBox, is_encrypted
from app.errors import InvalidInput
from app.shops.models import Shop

KEY = "platform_api"


@dataclass(frozen=True)
class PlatformCredentials:
    access_token: str = field(repr=False)
    api_version: str | None = None
    store_hash: str | None = None
    api_url: str | None = None

    def as_settings(self, box: SecretBox) -> dict[str, Any]:
        values = {"access_token": box.encrypt(self.access_token), "api_version": self.api_version,
                  "store_hash": self.store_hash, "api_url": self.api_url}
        return {k: v for k, v in values.items() if v}


def _stored(shop: Shop) -> dict[str, Any] | None:
    raw = (shop.settings or {}).get(KEY)
    return raw if isinstance(raw, dict) and raw.get("access_token") else None


def credentials_of(shop: Shop, box: SecretBox) -> PlatformCredentials | None:
    raw = _stored(shop)
    if raw is None:
        return None
    return PlatformCredentials(
        access_token=box.decrypt(str(raw["access_token"])),
        api_version=raw.get("api_version"),
        store_hash=raw.get("store_hash"),
        api_url=raw.get("api_url"),
    )


def store_hash_of(shop: Shop) -> str | None:
    """The platform's name for the store (not a secret: no key needed)."""
    raw = _stored(shop)
    return None if raw is None else raw.get("store_hash")


async def set_credentials(
    session: AsyncSession, shop: Shop, credentials: PlatformCredentials, box: SecretBox
) -> None:
    if not credentials.access_token.strip():
        raise InvalidInput("the access token is empty")
    if shop.platform == "bigcommerce" and not credentials.store_hash:
        raise InvalidInput("a BigCommerce shop needs its store hash (--store-hash)")
    # Reassign the whole dict: the JSON column does not track in-place changes.
    shop.settings = {**(shop.settings or {}), KEY: credentials.as_settings(box)}
    await session.flush()


def webhook_secrets_of(shop: Shop, box: SecretBox) -> tuple[str, ...]:
    """The shop's webhook secrets in plain text, newest first."""
    return tuple(box.decrypt(stored) for stored in shop.webhook_secrets or ())


def _sealed_settings(shop: Shop, box: SecretBox) -> dict[str, Any] | None:
    raw = _stored(shop)
    if raw is None:
        return None
    token = str(raw["access_token"])
    if is_encrypted(token):
        box.decrypt(token)  # a wrong key fails here, at start, not at the first sync
        return None
    return {**(shop.settings or {}), KEY: {**raw, "access_token": box.encrypt(token)}}


async def seal_stored_secrets(session: AsyncSession, box: SecretBox) -> int:
    """Encrypt the secrets still stored in plain text, and check that every encrypted one
    opens with this key (``SecretKeyError`` otherwise); returns how many shops changed."""
    changed = 0
    for shop in (await session.execute(select(Shop).order_by(Shop.id))).scalars():
        secrets = list(shop.webhook_secrets or ())
        opened = [box.decrypt(s) for s in secrets]
        settings = _sealed_settings(shop, box)
        if settings is not None:
            shop.settings = settings
        if not all(is_encrypted(s) for s in secrets):
            shop.webhook_secrets = [box.encrypt(s) for s in opened]
        changed += settings is not None or shop.webhook_secrets != secrets
    await session.flush()
    return changed
