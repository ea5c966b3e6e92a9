"""Execute platform-neutral changes against the engine's services, in the caller's
transaction. Used by the inbox processor and by the backfill alike."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.service import (
    apply_product_change,
    delete_collection,
    delete_product,
    upsert_collection,
)
from app.customer_data import CustomerDataStore, CustomerRef
from app.ids import ShopId
from app.ingestion.changes import (
    CancelOrder,
    Change,
    Customer,
    DeleteCollection,
    DeleteProduct,
    ExportCustomer,
    RecordOrder,
    RecordRefund,
    RedactCustomer,
    RedactShop,
    SetInventoryLevel,
    SetUnitCost,
    UninstallShop,
    UpsertCollection,
    UpsertProduct,
)
from app.inventory.service import record_cost, record_level
from app.orders.changes import OrderChange
from app.orders.service import cancel_order, record_order, record_refund
from app.privacy.service import export_customer, is_suppressed, redact_customer, redact_shop
from app.shops.models import Shop
from app.shops.service import mark_uninstalled
from app.sync.credentials import KEY as CREDENTIALS_KEY

log = logging.getLogger(__name__)


@dataclass
class Effects:
    """What the running process must reflect once the transaction has committed."""

    shops_stopped: set[ShopId] = field(default_factory=set)
    shops_removed: set[ShopId] = field(default_factory=set)

    def merge(self, other: "Effects") -> None:
        self.shops_stopped |= other.shops_stopped
        self.shops_removed |= other.shops_removed


def _ref(shop_id: ShopId, customer: Customer) -> CustomerRef:
    return CustomerRef(shop_id, customer.customer_id, customer.email, customer.phone,
                       customer.order_ids)


async def without_suppressed_customer(
    session: AsyncSession, shop_id: ShopId, order: OrderChange
) -> OrderChange:
    """A redacted customer's late orders are kept as anonymous baskets."""
    if order.customer_id and await is_suppressed(session, shop_id, order.customer_id):
        return replace(order, customer_id=None)
    return order


async def _forget_credentials(session: AsyncSession, shop: Shop) -> None:
    """An uninstalled app's token is revoked by the platform: nothing keeps it here."""
    if CREDENTIALS_KEY in (shop.settings or {}):
        shop.settings = {k: v for k, v in shop.settings.items() if k != CREDENTIALS_KEY}
        await session.flush()


async def apply_change(
    session: AsyncSession,
    shop_id: ShopId,
    change: Change,
    stores: Sequence[CustomerDataStore],
    effects: Effects,
) -> None:
    match change:
        case UpsertProduct(product):
            await apply_product_change(session, shop_id, product)
        case DeleteProduct(platform_id):
            await delete_product(session, shop_id, platform_id)
        case SetInventoryLevel(level):
            await record_level(session, shop_id, level)
        case SetUnitCost(cost):
            await record_cost(session, shop_id, cost)
        case UpsertCollection(platform_id, title, handle, updated_at):
            await upsert_collection(session, shop_id, platform_id, title, handle, updated_at)
        case DeleteCollection(platform_id):
            await delete_collection(session, shop_id, platform_id)
        case RecordOrder(order):
            await record_order(session, shop_id, await without_suppressed_customer(session, shop_id, order))
        case CancelOrder(platform_id):
            await cancel_order(session, shop_id, platform_id)
        case RecordRefund(refund):
            await record_refund(session, shop_id, refund)
        case ExportCustomer(customer, request_id):
            await export_customer(session, stores, _ref(shop_id, customer), request_id)
        case RedactCustomer(customer):
            erased = await redact_customer(session, stores, _ref(shop_id, customer))
            log.info("shop %s: customer redacted (%s)", shop_id, erased)
        case UninstallShop():
            shop = await session.get(Shop, shop_id)
            if shop is not None:
                await mark_uninstalled(session, shop)
                await _forget_credentials(session, shop)
            effects.shops_stopped.add(shop_id)
        case RedactShop():
            await redact_shop(session, stores, shop_id)
            effects.shops_removed.add(shop_id)


async def apply_changes(
    session: AsyncSession,
    shop_id: ShopId,
    changes: Sequence[Change],
    stores: Sequence[CustomerDataStore],
) -> Effects:
    effects = Effects()
    for change in changes:
        await apply_change(session, shop_id, change, stores, effects)
        if shop_id in effects.shops_removed:
            break  # nothing of the shop is left to change
    return effects
