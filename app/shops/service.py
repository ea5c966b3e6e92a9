"""Commands on shops: registration, credentials, lifecycle."""

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, InvalidInput, NotFound
from app.shops.models import SHOP_ACTIVE, SHOP_UNINSTALLED, Shop

PLATFORMS = ("shopify", "woocommerce", "bigcommerce", "custom")


@dataclass(frozen=True)
class NewShopCredentials:
    shop: Shop
    storefront_key: str
    admin_token: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _normalize_domain(domain: str) -> str:
    value = domain.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not value or "/" in value or " " in value:
        raise InvalidInput(f"not a shop domain: {domain!r}")
    return value


async def create_shop(
    session: AsyncSession,
    domain: str,
    platform: str,
    webhook_secret: str | None = None,
    storefront_origins: list[str] | None = None,
    currency: str = "USD",
    name: str = "",
) -> NewShopCredentials:
    """Register a shop; the admin token is returned once and only its hash is stored."""
    if platform not in PLATFORMS:
        raise InvalidInput(f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}")
    domain = _normalize_domain(domain)
    if await find_by_domain(session, domain) is not None:
        raise Conflict(f"shop {domain} already exists")
    storefront_key = "sfk_" + secrets.token_urlsafe(24)
    admin_token = "adm_" + secrets.token_urlsafe(32)
    origins = storefront_origins if storefront_origins is not None else [f"https://{domain}"]
    shop = Shop(
        domain=domain,
        platform=platform,
        name=name or domain,
        currency=currency.upper(),
        storefront_key=storefront_key,
        admin_token_hash=hash_token(admin_token),
        webhook_secrets=[webhook_secret] if webhook_secret else [],
        storefront_origins=origins,
        settings={},
        status=SHOP_ACTIVE,
    )
    session.add(shop)
    await session.flush()
    return NewShopCredentials(shop=shop, storefront_key=storefront_key, admin_token=admin_token)


async def find_by_domain(session: AsyncSession, domain: str) -> Shop | None:
    stmt = select(Shop).where(Shop.domain == domain.strip().lower())
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_by_domain(session: AsyncSession, domain: str) -> Shop:
    shop = await find_by_domain(session, domain)
    if shop is None:
        raise NotFound(f"no shop {domain}")
    return shop


async def find_active_by_storefront_key(session: AsyncSession, key: str) -> Shop | None:
    stmt = select(Shop).where(Shop.storefront_key == key, Shop.status == SHOP_ACTIVE)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_shops(session: AsyncSession) -> list[Shop]:
    return list((await session.execute(select(Shop).order_by(Shop.id))).scalars())


async def add_webhook_secret(session: AsyncSession, shop: Shop, secret: str) -> None:
    """Accept a new secret next to the current one (rotation keeps at most two)."""
    shop.webhook_secrets = [secret, *[s for s in shop.webhook_secrets if s != secret]][:2]
    await session.flush()


async def set_storefront_origins(session: AsyncSession, shop: Shop, origins: list[str]) -> None:
    shop.storefront_origins = [o.rstrip("/") for o in origins]
    await session.flush()


async def mark_uninstalled(session: AsyncSession, shop: Shop) -> None:
    shop.status = SHOP_UNINSTALLED
    await session.flush()
