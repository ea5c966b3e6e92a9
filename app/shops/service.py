"""Commands on shops: registration, credentials, lifecycle."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.crypto.secret_box import SecretBox
from app.errors import Conflict, InvalidInput, NotFound
from app.shops.customer_tokens import new_customer_token_secret
from app.shops.models import SHOP_ACTIVE, SHOP_UNINSTALLED, Shop

PLATFORMS = ("shopify", "woocommerce", "bigcommerce", "custom")


@dataclass(frozen=True)
class NewShopCredentials:
    shop: Shop
    storefront_key: str
    admin_token: str
    server_key: str
    customer_token_secret: str | None
    """``None`` when the shop was made without a secret box (it can rotate one in)."""


@dataclass(frozen=True)
class ShopKeys:
    """A new private server key and customer-token secret, shown once."""

    server_key: str
    customer_token_secret: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_server_key() -> str:
    return "srk_" + secrets.token_urlsafe(32)


def new_admin_token() -> str:
    return "adm_" + secrets.token_urlsafe(32)


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
    box: SecretBox | None = None,
) -> NewShopCredentials:
    """Register a shop; its admin token and server key are returned once and only their
    hashes are stored; its customer-token secret and webhook secret are stored encrypted
    with ``box`` (a webhook secret is never stored without one)."""
    if webhook_secret and box is None:
        raise ValueError("a webhook secret is stored encrypted: pass the secret box")
    if platform not in PLATFORMS:
        raise InvalidInput(f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}")
    domain = _normalize_domain(domain)
    if await find_by_domain(session, domain) is not None:
        raise Conflict(f"shop {domain} already exists")
    storefront_key = "sfk_" + secrets.token_urlsafe(24)
    admin_token = new_admin_token()
    origins = storefront_origins if storefront_origins is not None else [f"https://{domain}"]
    server_key = new_server_key()
    token_secret = new_customer_token_secret() if box is not None else None
    shop = Shop(
        domain=domain,
        platform=platform,
        name=name or domain,
        currency=currency.upper(),
        storefront_key=storefront_key,
        admin_token_hash=hash_token(admin_token),
        server_key_hash=hash_token(server_key),
        customer_token_secret=box.encrypt(token_secret) if box and token_secret else None,
        webhook_secrets=[box.encrypt(webhook_secret)] if box and webhook_secret else [],
        storefront_origins=origins,
        settings={},
        status=SHOP_ACTIVE,
    )
    session.add(shop)
    await session.flush()
    return NewShopCredentials(shop=shop, storefront_key=storefront_key, admin_token=admin_token,
                              server_key=server_key, customer_token_secret=token_secret)


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


async def find_active_by_server_key(session: AsyncSession, key: str) -> Shop | None:
    stmt = select(Shop).where(Shop.server_key_hash == hash_token(key), Shop.status == SHOP_ACTIVE)
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_active_by_admin_token(session: AsyncSession, token: str) -> Shop | None:
    """The active shop whose admin token this is. Only the token's SHA-256 is stored and
    looked up (its timing tells nothing about the token); the match is confirmed in
    constant time."""
    digest = hash_token(token)
    stmt = select(Shop).where(Shop.admin_token_hash == digest, Shop.status == SHOP_ACTIVE)
    shop = (await session.execute(stmt)).scalars().first()
    if shop is None or not hmac.compare_digest(shop.admin_token_hash, digest):
        return None
    return shop


async def rotate_admin_token(session: AsyncSession, shop: Shop) -> str:
    """A new admin token, returned once; the old one stops working with this transaction."""
    token = new_admin_token()
    shop.admin_token_hash = hash_token(token)
    await session.flush()
    return token


async def rotate_keys(session: AsyncSession, shop: Shop, box: SecretBox) -> ShopKeys:
    """A new server key and customer-token secret; the old ones stop working at once
    (servers that cached them within seconds)."""
    keys = ShopKeys(new_server_key(), new_customer_token_secret())
    shop.server_key_hash = hash_token(keys.server_key)
    shop.customer_token_secret = box.encrypt(keys.customer_token_secret)
    await session.flush()
    return keys


def customer_token_secret(shop: Shop, box: SecretBox) -> str | None:
    """The shop's customer-token secret in plain text, ``None`` if it has none."""
    stored = shop.customer_token_secret
    return box.decrypt(stored) if stored else None


async def list_shops(session: AsyncSession) -> list[Shop]:
    return list((await session.execute(select(Shop).order_by(Shop.id))).scalars())


async def add_webhook_secret(session: AsyncSession, shop: Shop, secret: str,
                             box: SecretBox) -> None:
    """Accept a new secret next to the current one (rotation keeps at most two), both
    stored encrypted."""
    kept = [s for s in (box.decrypt(old) for old in shop.webhook_secrets) if s != secret]
    shop.webhook_secrets = [box.encrypt(s) for s in [secret, *kept][:2]]
    await session.flush()


async def set_storefront_origins(session: AsyncSession, shop: Shop, origins: list[str]) -> None:
    shop.storefront_origins = [o.rstrip("/") for o in origins]
    await session.flush()


async def mark_uninstalled(session: AsyncSession, shop: Shop) -> None:
    shop.status = SHOP_UNINSTALLED
    await session.flush()
