"""The inbox as a customer data store: raw payloads still held (failed or rejected
deliveries) lose what mentions a redacted customer; and the core's stores together."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.customer_data import CustomerDataStore, CustomerRef
from app.ids import ShopId
from app.ingestion.models import FAILED, InboxDelivery, RejectedDelivery
from app.privacy.stores import OrdersStore

REDACTED = "payload redacted on the customer's request"


def _needles(customer: CustomerRef) -> list[bytes]:
    values = [customer.customer_id, customer.email, customer.phone]
    return [v.encode() for v in values if v and len(v) >= 3]


class PayloadStore:
    """Raw payloads still held (failed or rejected deliveries) that mention the customer."""

    name = "webhook_payloads"

    async def export(self, session: AsyncSession, customer: CustomerRef) -> list[dict[str, Any]]:
        return []  # raw payloads are the platform's own copy, not data we derived

    async def erase(self, session: AsyncSession, customer: CustomerRef) -> int:
        needles = _needles(customer)
        if not needles:
            return 0
        erased = 0
        failed = select(InboxDelivery).where(
            InboxDelivery.shop_id == customer.shop_id, InboxDelivery.status == FAILED,
            InboxDelivery.body.is_not(None),
        )
        for delivery in (await session.execute(failed)).scalars():
            if any(n in (delivery.body or b"") for n in needles):
                delivery.body, delivery.last_error = None, REDACTED
                erased += 1
        rejected = select(RejectedDelivery).where(
            RejectedDelivery.shop_id == customer.shop_id, RejectedDelivery.body.is_not(None)
        )
        for rejection in (await session.execute(rejected)).scalars():
            if any(n in (rejection.body or b"") for n in needles):
                rejection.body, rejection.reason = None, REDACTED
                erased += 1
        await session.flush()
        return erased

    async def erase_shop(self, session: AsyncSession, shop_id: ShopId) -> int:
        return 0  # deliveries go with the shop row (ON DELETE CASCADE)


def core_customer_stores() -> list[CustomerDataStore]:
    """The stores of the core; the composition root appends the engine's own."""
    return [OrdersStore(), PayloadStore()]
