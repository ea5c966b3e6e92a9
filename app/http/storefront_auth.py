"""Resolve the calling shop, and what the caller can prove, from its key; kept in memory
(``app.process.refresh``).

Three ways in: the public storefront key (browsers; a customer needs a customer token),
the private server key (the shop's own servers; customer ids as they are) and a verified
Shopify app proxy request (the shop by its domain; the customer Shopify vouches for).

An answer (a shop, or no shop for a bad key) is checked again in the background once it
is ``CACHE_SECONDS`` old, so an uninstalled shop's key, or a rotated server key or
customer-token secret, stops working that much later; a request waits for a lookup only
for a key never seen, or an answer ``STALE_SECONDS`` old."""

import logging
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import Headers
from starlette.types import Scope

from app.crypto.secret_box import SecretBox, SecretKeyError
from app.graphql.context import ShopView
from app.http.cors import origin_allowed
from app.ids import CustomerId
from app.process.refresh import Refreshed
from app.shops.customer_proof import CallerKind, CustomerProof
from app.shops.models import SHOP_ACTIVE, Shop
from app.shops.service import (
    customer_token_secret,
    find_active_by_server_key,
    find_active_by_storefront_key,
    find_by_domain,
)
from app.storage.database import transaction

KEY_HEADER = "x-affinity-storefront-key"
SERVER_KEY_HEADER = "x-affinity-server-key"
CACHE_SECONDS = 5.0
STALE_SECONDS = 60.0
MAX_KEY_LENGTH = 128
MAX_DOMAIN_LENGTH = 255
PROXIED_SCOPE_KEY = "affinity.proxied"
"""Where the app proxy route leaves the caller it verified."""
APP_PROXY_KEY_PREFIX = "app-proxy:"

log = logging.getLogger(__name__)


class Caller(NamedTuple):
    """The active shop called, its storefront origins, what the caller can prove, and the
    key it came with (what rate limits count by)."""

    shop: ShopView
    origins: frozenset[str]
    proof: CustomerProof
    key: str


Found = Caller | None


class StorefrontAuth:
    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 box: SecretBox | None = None,
                 own_origins: frozenset[str] = frozenset()) -> None:
        """``box`` decrypts customer-token secrets (without it no token is accepted);
        ``own_origins`` are the origins of this server's own pages."""
        self._sessions = sessions
        self._box = box
        self._own_origins = own_origins
        self.answers: Refreshed[str, Found] = Refreshed(
            self._lookup, CACHE_SECONDS, STALE_SECONDS, "a storefront key")
        self.server_answers: Refreshed[str, Found] = Refreshed(
            self._lookup_server_key, CACHE_SECONDS, STALE_SECONDS, "a server key")
        self.domain_answers: Refreshed[str, Found] = Refreshed(
            self._lookup_domain, CACHE_SECONDS, STALE_SECONDS, "a shop domain")

    async def shop_for(self, key: str | None) -> Found:
        """The active shop of a storefront key, or ``None`` for any bad key."""
        if not key or len(key) > MAX_KEY_LENGTH:
            return None
        return await self.answers.get(key)

    async def shop_for_server_key(self, key: str | None) -> Found:
        """The active shop of a private server key, or ``None`` for any bad key."""
        if not key or len(key) > MAX_KEY_LENGTH:
            return None
        return await self.server_answers.get(key)

    async def caller_for(self, storefront_key: str | None, server_key: str | None) -> Found:
        """The server key when one is sent (a wrong one is not excused by a storefront key),
        else the storefront key."""
        if server_key is not None:
            return await self.shop_for_server_key(server_key)
        return await self.shop_for(storefront_key)

    async def access_for(self, scope: Scope, storefront_key: str | None = None) -> Found:
        """The caller of an HTTP request: a verified app proxy request (already resolved),
        else its server key or storefront key header (``storefront_key`` if it has none)."""
        proxied = scope.get(PROXIED_SCOPE_KEY)
        if isinstance(proxied, Caller):
            return proxied
        headers = Headers(scope=scope)
        return await self.caller_for(headers.get(KEY_HEADER) or storefront_key,
                                     headers.get(SERVER_KEY_HEADER))

    def origin_allowed(self, access: Caller, origin: str | None,
                       origin_required: bool = False) -> bool:
        """A browser call with the public key must come from the shop's storefront origins
        or this server's pages; a server key comes from a server; an app proxy request
        that says where it comes from must come from the shop."""
        if access.proof.kind is CallerKind.SERVER:
            return True
        if access.proof.kind is CallerKind.APP_PROXY:
            # Shopify vouches for the customer whose cookies came along: a page of another
            # site must not post as them.
            return origin is None or origin_allowed(
                origin, access.origins | {f"https://{access.shop.domain}"}, frozenset())
        if origin is None:
            return not origin_required
        return origin_allowed(origin, access.origins, self._own_origins)

    async def proxied_caller(self, domain: str, customer: str | None) -> Found:
        """A Shopify app proxy request, its signature already verified: the shop of that
        domain, with the logged-in customer Shopify named (``None``: a guest)."""
        if not domain or len(domain) > MAX_DOMAIN_LENGTH:
            return None
        found = await self.domain_answers.get(domain.strip().lower())
        if found is None:
            return None
        proof = CustomerProof(CallerKind.APP_PROXY, found.proof.token_secret,
                              CustomerId(customer) if customer else None)
        return found._replace(proof=proof, key=f"{APP_PROXY_KEY_PREFIX}{found.shop.domain}")

    def _caller(self, shop: Shop, kind: CallerKind, key: str) -> Caller:
        return Caller(ShopView(shop.id, shop.domain, shop.currency, shop.platform),
                      frozenset(shop.storefront_origins or ()),
                      CustomerProof(kind, self._token_secret(shop)), key)

    def _token_secret(self, shop: Shop) -> str | None:
        if self._box is None:
            return None
        try:
            return customer_token_secret(shop, self._box)
        except SecretKeyError:
            log.warning("shop %s: its customer-token secret does not match the secret key; "
                        "customer tokens are refused until `affinity shop rotate-keys`", shop.id)
            return None

    async def _lookup(self, key: str) -> Found:
        async with transaction(self._sessions) as session:
            shop = await find_active_by_storefront_key(session, key)
            return None if shop is None else self._caller(shop, CallerKind.STOREFRONT, key)

    async def _lookup_server_key(self, key: str) -> Found:
        async with transaction(self._sessions) as session:
            shop = await find_active_by_server_key(session, key)
            return None if shop is None else self._caller(shop, CallerKind.SERVER, key)

    async def _lookup_domain(self, domain: str) -> Found:
        async with transaction(self._sessions) as session:
            shop = await find_by_domain(session, domain)
            if shop is None or shop.status != SHOP_ACTIVE:
                return None
            return self._caller(shop, CallerKind.APP_PROXY, APP_PROXY_KEY_PREFIX + domain)
