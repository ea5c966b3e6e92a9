"""The HTTP edge of one platform: verify, then claim and store, then acknowledge.

Nothing is applied here: a verified delivery is stored in the inbox in the transaction
that claims its ids, and the processor applies it off the request path.

The body is read against the size limit while it streams (a declared length over it is
refused before reading). A delivery the platform dated longer ago than ``max_age`` is
refused with 400 and kept as a rejection: Shopify asks receivers to judge staleness by
``X-Shopify-Triggered-At``, and an old body applied as sent would bring back old state."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from app.crypto.secret_box import SecretBox
from app.ingestion.claims import ClaimBatcher
from app.ingestion.context import context_of
from app.ingestion.protocol import InvalidPayload, ShopContext
from app.ingestion.service import NewDelivery, record_rejection
from app.storage.database import transaction, utcnow
from webhooks.protocol import Envelope, Headers, PlatformAdapter, ShopHint
from webhooks.shops import find_shop, signing_secrets

log = logging.getLogger(__name__)
UNAUTHORIZED = {"error": "unauthorized", "message": "invalid signature or unknown shop"}
SECRET_HEADERS = ("hmac", "signature", "token", "authorization", "cookie")


SHOP_CACHE_SECONDS = 5.0
SHOP_CACHE_SIZE = 10_000


class BodyTooLarge(Exception):
    pass


@dataclass(frozen=True)
class KnownShop:
    context: ShopContext
    secrets: tuple[str, ...]


class ShopCache:
    """Shops by hint for a few seconds: a delivery needs no query to be verified.

    A signature that fails against a cached shop is checked again against a fresh read
    (a secret may just have been added), and a shop deleted meanwhile makes the claim
    fail on its foreign key, which is answered like an unknown shop. ``app_secret``: the
    Shopify app's secret, accepted only for shops installed through the app."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], platform: str,
                 box: SecretBox, app_secret: str | None = None) -> None:
        self._sessions = sessions
        self._platform = platform
        self._box = box
        self._app_secret = app_secret
        self._known: dict[ShopHint, tuple[float, KnownShop | None]] = {}

    async def get(self, hint: ShopHint, fresh: bool = False) -> KnownShop | None:
        hit = self._known.get(hint)
        if not fresh and hit is not None and time.monotonic() - hit[0] < SHOP_CACHE_SECONDS:
            return hit[1]
        async with transaction(self._sessions) as session:
            shop = await find_shop(session, self._platform, hint)
            known = None if shop is None else KnownShop(
                context_of(shop, self._box), signing_secrets(shop, self._box, self._app_secret))
        if len(self._known) > SHOP_CACHE_SIZE:
            self._known.clear()
        self._known[hint] = (time.monotonic(), known)
        return known


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _inspectable(headers: Headers) -> dict[str, str]:
    """Headers worth keeping with a rejected payload (never the secrets)."""
    return {k: v[:500] for k, v in headers.items()
            if k.startswith("x-") and not any(s in k for s in SECRET_HEADERS)}


class WebhookEndpoint:
    def __init__(
        self,
        adapter: PlatformAdapter,
        sessions: async_sessionmaker[AsyncSession],
        claims: ClaimBatcher,
        on_stored: Callable[[], None],
        max_body_bytes: int,
        box: SecretBox,
        max_age: timedelta | None = None,
        app_secret: str | None = None,
    ) -> None:
        """``app_secret``: the secret of the platform's app (Shopify), which signs the
        deliveries of shops installed through it."""
        self._adapter = adapter
        self._sessions = sessions
        self._claims = claims
        self._shops = ShopCache(sessions, adapter.platform, box, app_secret)
        self._on_stored = on_stored
        self._max_body_bytes = max_body_bytes
        self._max_age = max_age

    async def handle(self, request: Request) -> JSONResponse:
        try:
            body = await _read_body(request, self._max_body_bytes)
        except BodyTooLarge:
            return JSONResponse({"error": "too_large", "message": "payload too large"}, 413)
        except ClientDisconnect:
            return JSONResponse({"error": "disconnected"}, 400)
        headers = {k.lower(): v for k, v in request.headers.items()}
        if self._adapter.is_ping(headers, body):
            return JSONResponse({"status": "ok"})
        shop = await self._verified_shop(headers, body)
        if shop is None:
            return JSONResponse(UNAUTHORIZED, 401)
        try:
            envelope = self._adapter.envelope(headers, body)
        except InvalidPayload as exc:
            return await self._reject(shop, None, exc, headers, body)
        if not self._adapter.handles(envelope.topic):
            log.info("%s %s: topic %r ignored", self._adapter.platform, shop.context.domain,
                     envelope.topic)
            return JSONResponse({"status": "ignored", "topic": envelope.topic})
        if self._expired(envelope):
            return await self._reject(shop, envelope, InvalidPayload(
                "the delivery is older than the accepted age (X-Shopify-Triggered-At)"),
                headers, body, error="expired")
        try:
            self._adapter.validate(envelope.topic, body, shop.context)
        except InvalidPayload as exc:
            return await self._reject(shop, envelope, exc, headers, body)
        return await self._store(shop, envelope, body)

    def _expired(self, envelope: Envelope) -> bool:
        if self._max_age is None or envelope.triggered_at is None:
            return False
        return self._adapter.applies_body_as_sent and (
            utcnow() - envelope.triggered_at > self._max_age)

    async def _verified_shop(self, headers: Headers, body: bytes) -> KnownShop | None:
        hint = self._adapter.shop_hint(headers, body)
        if hint is None:
            return None
        shop = await self._shops.get(hint)
        if shop is not None and self._adapter.verify(headers, body, shop.secrets):
            return shop
        shop = await self._shops.get(hint, fresh=True)
        if shop is None or not self._adapter.verify(headers, body, shop.secrets):
            return None
        return shop

    async def _store(self, shop: KnownShop, envelope: Envelope, body: bytes) -> JSONResponse:
        delivery = NewDelivery(
            shop_id=shop.context.id, platform=self._adapter.platform, topic=envelope.topic,
            delivery_id=envelope.delivery_id, event_id=envelope.event_id,
            triggered_at=envelope.triggered_at, body=body,
        )
        try:
            claimed = await self._claims.claim(delivery)
        except IntegrityError:  # the shop was deleted a moment ago
            return JSONResponse(UNAUTHORIZED, 401)
        if claimed:
            self._on_stored()
        return JSONResponse({"status": "accepted" if claimed else "duplicate"})

    async def _reject(
        self, shop: KnownShop, envelope: Envelope | None, exc: InvalidPayload, headers: Headers,
        body: bytes, error: str = "invalid_payload",
    ) -> JSONResponse:
        topic = envelope.topic if envelope else ""
        async with transaction(self._sessions) as session:
            await record_rejection(
                session, shop.context.id, self._adapter.platform, topic,
                envelope.delivery_id if envelope else None, exc.message, _inspectable(headers),
                body,
            )
        log.warning("%s %s: rejected %s delivery: %s", self._adapter.platform, shop.context.domain,
                    topic or "a", exc.message)
        return JSONResponse({"error": error, "topic": topic, "message": exc.message}, 400)
