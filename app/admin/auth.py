"""Who calls the admin API: the shop whose admin token is sent as
``Authorization: Bearer <token>``.

Only the admin token opens it: a storefront key or server key is never looked up here, and
the storefront never looks up admin tokens. Inside the Shopify admin, an App Bridge session
token (a JWT) opens its shop instead, judged by the check the composition root passes.
A missing, malformed, wrong or revoked token gets the same 401. Failed attempts are
counted per client address: past ``FAILED_ATTEMPTS_PER_MINUTE`` that address is refused
(429) until its allowance refills, so that tokens cannot be guessed at speed. Nothing is
cached: a rotated token stops working with the transaction that rotated it."""

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import Headers
from starlette.types import Scope

from app.errors import RateLimited
from app.http.rate_limit import Clock, TokenBuckets
from app.shops.service import find_active_by_admin_token
from app.storage.database import transaction

FAILED_ATTEMPTS_PER_MINUTE = 10
"""Wrong or missing tokens one client address may send a minute (a burst of as many)."""
MAX_TOKEN_LENGTH = 128
MAX_SESSION_TOKEN_LENGTH = 4096
BEARER = "bearer "
UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class AdminShop:
    """The shop an admin request acts for, detached from any session."""

    id: int
    domain: str
    currency: str


def bearer_token(scope: Scope) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, ``None`` for anything else
    (no header, another scheme, an empty or oversized token)."""
    header = Headers(scope=scope).get("authorization", "")
    if header[:len(BEARER)].lower() != BEARER:
        return None
    token = header[len(BEARER):].strip()
    if not token or len(token) > MAX_TOKEN_LENGTH or " " in token:
        return None
    return token


def session_token(scope: Scope) -> str | None:
    """A JWT (three dot-separated parts) sent as ``Authorization: Bearer``: an App Bridge
    session token, judged by the check the composition root passes; never looked up as an
    admin token."""
    header = Headers(scope=scope).get("authorization", "")
    if header[:len(BEARER)].lower() != BEARER:
        return None
    token = header[len(BEARER):].strip()
    if len(token) > MAX_SESSION_TOKEN_LENGTH or token.count(".") != 2 or " " in token:
        return None
    return token


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return UNKNOWN_ADDRESS if client is None else str(client[0])


SessionTokenCheck = Callable[[str], Awaitable[AdminShop | None]]
"""The shop of a valid App Bridge session token (the Shopify admin's embedded console)."""


class AdminAuth:
    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 failures_per_minute: int = FAILED_ATTEMPTS_PER_MINUTE,
                 clock: Clock = time.monotonic,
                 session_tokens: SessionTokenCheck | None = None) -> None:
        self._sessions = sessions
        self._failures = TokenBuckets(failures_per_minute)
        self._clock = clock
        self._session_tokens = session_tokens

    async def shop_for(self, scope: Scope) -> AdminShop | None:
        """The shop of the request's admin token, ``None`` for any bad or missing one;
        ``RateLimited`` while its address has used up its failed attempts."""
        address = client_address(scope)
        wait = self._failures.wait(address, 1, self._clock())
        if wait > 0:
            raise RateLimited(max(1, math.ceil(wait)))
        jwt = session_token(scope) if self._session_tokens is not None else None
        if jwt is not None and self._session_tokens is not None:
            shop = await self._session_tokens(jwt)
        else:
            shop = await self._lookup(bearer_token(scope))
        if shop is None:
            self._failures.take(address, 1, self._clock())
        return shop

    async def _lookup(self, token: str | None) -> AdminShop | None:
        if token is None:
            return None
        async with transaction(self._sessions) as session:
            shop = await find_active_by_admin_token(session, token)
            return None if shop is None else AdminShop(shop.id, shop.domain, shop.currency)
