"""The port every store of customer data implements, so that the privacy service's exports
and erasures reach all of them: orders, events, profiles, the engine's files. It sits below
those stores and the service alike, so that neither imports the other for it."""

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.ids import ShopId


@dataclass(frozen=True)
class CustomerRef:
    """Everything the platform told us to identify one customer of one shop."""

    shop_id: ShopId
    customer_id: str | None
    email: str | None = None
    phone: str | None = None
    order_ids: tuple[str, ...] = ()

    @property
    def identified(self) -> bool:
        return bool(self.customer_id or self.email or self.phone or self.order_ids)


class CustomerDataStore(Protocol):
    """A place where data about a customer lives.

    ``export`` returns JSON-serialisable records; ``erase`` removes or unlinks them and
    returns how many rows it touched; ``erase_shop`` removes everything of a shop.
    All three run inside the caller's transaction and only ``flush()``."""

    name: str

    async def export(self, session: AsyncSession, customer: CustomerRef) -> list[dict[str, Any]]: ...

    async def erase(self, session: AsyncSession, customer: CustomerRef) -> int: ...

    async def erase_shop(self, session: AsyncSession, shop_id: ShopId) -> int: ...
