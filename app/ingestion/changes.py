"""What an adapter turns a delivery into: platform-neutral commands on the engine.

Nothing here knows a platform; the adapters produce these, ``apply`` executes them."""

from dataclasses import dataclass
from datetime import datetime

from app.catalog.changes import ProductChange
from app.inventory.service import CostChange, LevelChange
from app.orders.changes import OrderChange, RefundChange


@dataclass(frozen=True)
class UpsertProduct:
    product: ProductChange


@dataclass(frozen=True)
class DeleteProduct:
    platform_id: str


@dataclass(frozen=True)
class SetInventoryLevel:
    level: LevelChange


@dataclass(frozen=True)
class SetUnitCost:
    cost: CostChange


@dataclass(frozen=True)
class UpsertCollection:
    platform_id: str
    title: str
    handle: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class DeleteCollection:
    platform_id: str


@dataclass(frozen=True)
class RecordOrder:
    order: OrderChange


@dataclass(frozen=True)
class CancelOrder:
    platform_id: str


@dataclass(frozen=True)
class RecordRefund:
    refund: RefundChange


@dataclass(frozen=True)
class Customer:
    customer_id: str | None
    email: str | None = None
    phone: str | None = None
    order_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportCustomer:
    customer: Customer
    request_id: str | None = None


@dataclass(frozen=True)
class RedactCustomer:
    customer: Customer


@dataclass(frozen=True)
class RedactShop:
    pass


@dataclass(frozen=True)
class UninstallShop:
    pass


Change = (
    UpsertProduct | DeleteProduct | SetInventoryLevel | SetUnitCost
    | UpsertCollection | DeleteCollection
    | RecordOrder | CancelOrder | RecordRefund
    | ExportCustomer | RedactCustomer | RedactShop | UninstallShop
)
