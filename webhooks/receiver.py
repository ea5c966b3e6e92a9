"""The HTTP edge of one platform: verify, then claim and store, then acknowledge.

Nothing is applied here: a verified delivery is stored in the inbox in the transaction
that claims its ids, and the processor applies it off the request path."""

import logging
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from app.db import transaction
from app.ids import ShopId
from app.ingestion.service import NewDelivery, claim_delivery, record_rejection
from app.shops.models import Shop
from webhooks.protocol import Envelope, Headers, InvalidPayload, PlatformAdapter
from webhooks.shops import context_of, find_shop

log = logging.getLogger(__name__)
UNAUTHORIZED = {"error": "unauthorized", "message": "invalid signature or unknown shop"}
SECRET_HEADERS = ("hmac", "signature", "token", "authorization", "cookie")


class BodyTooLarge(Exception):
    pass


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
        on_stored: Callable[[], None],
        max_body_bytes: int,
    ) -> None:
        self._adapter = adapter
        self._sessions = sessions
        self._on_stored = on_stored
        self._max_body_bytes = max_body_bytes

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
            log.info("%s %s: topic %r ignored", self._adapter.platform, shop.domain, envelope.topic)
            return JSONResponse({"status": "ignored", "topic": envelope.topic})
        try:
            self._adapter.validate(envelope.topic, body, context_of(shop))
        except InvalidPayload as exc:
            return await self._reject(shop, envelope, exc, headers, body)
        return await self._store(shop, envelope, body)

    async def _verified_shop(self, headers: Headers, body: bytes) -> Shop | None:
        hint = self._adapter.shop_hint(headers, body)
        if hint is None:
            return None
        async with transaction(self._sessions) as session:
            shop = await find_shop(session, self._adapter.platform, hint)
        if shop is None or not self._adapter.verify(headers, body, shop.webhook_secrets):
            return None
        return shop

    async def _store(self, shop: Shop, envelope: Envelope, body: bytes) -> JSONResponse:
        delivery = NewDelivery(
            shop_id=ShopId(shop.id), platform=self._adapter.platform, topic=envelope.topic,
            delivery_id=envelope.delivery_id, event_id=envelope.event_id,
            triggered_at=envelope.triggered_at, body=body,
        )
        try:
            async with transaction(self._sessions) as session:
                claimed = await claim_delivery(session, delivery)
        except IntegrityError:  # the shop was deleted a moment ago
            return JSONResponse(UNAUTHORIZED, 401)
        if claimed:
            self._on_stored()
        return JSONResponse({"status": "accepted" if claimed else "duplicate"})

    async def _reject(
        self, shop: Shop, envelope: Envelope | None, exc: InvalidPayload, headers: Headers,
        body: bytes,
    ) -> JSONResponse:
        topic = envelope.topic if envelope else ""
        async with transaction(self._sessions) as session:
            await record_rejection(
                session, ShopId(shop.id), self._adapter.platform, topic,
                envelope.delivery_id if envelope else None, exc.message, _inspectable(headers),
                body,
            )
        log.warning("%s %s: rejected %s delivery: %s", self._adapter.platform, shop.domain,
                    topic or "a", exc.message)
        return JSONResponse({"error": "invalid_payload", "topic": topic, "message": exc.message},
                            400)
