"""Stock per location: a variant's stock is the sum over the locations reported, so an
item is unavailable only when no location has any left. Older reports never overwrite
newer ones, and an undated report never overwrites a dated one. Unit costs follow the
same rule (``record_cost``)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.catalog.service import set_inventory_level
from app.ids import ShopId
from app.inventory.models import InventoryItemCost, InventoryLevel


@dataclass(frozen=True)
class LevelChange:
    inventory_item_id: str
    location_id: str
    available: int | None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class CostChange:
    """An inventory item's unit cost; ``None`` when the platform knows none."""

    inventory_item_id: str
    cost: float | None
    updated_at: datetime | None = None


async def _find(session: AsyncSession, shop_id: ShopId, change: LevelChange) -> InventoryLevel | None:
    stmt = select(InventoryLevel).where(
        InventoryLevel.shop_id == shop_id,
        InventoryLevel.inventory_item_id == change.inventory_item_id,
        InventoryLevel.location_id == change.location_id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def _upsert(session: AsyncSession, shop_id: ShopId, change: LevelChange) -> bool:
    """Store the level unless a newer one is known; returns whether it was stored."""
    level = await _find(session, shop_id, change)
    if level is None:
        level = InventoryLevel(shop_id=shop_id, inventory_item_id=change.inventory_item_id,
                               location_id=change.location_id)
        try:
            async with session.begin_nested():
                level.available = change.available
                level.platform_updated_at = change.updated_at
                session.add(level)
                await session.flush()
            return True
        except IntegrityError:
            level = await _find(session, shop_id, change)
            assert level is not None
    known = level.platform_updated_at
    if known is not None and (change.updated_at is None or change.updated_at < known):
        return False
    level.available = change.available
    level.platform_updated_at = change.updated_at or known
    await session.flush()
    return True


async def total_available(session: AsyncSession, shop_id: ShopId, inventory_item_id: str) -> int | None:
    """Stock summed over locations; ``None`` when any location does not track it."""
    stmt = select(InventoryLevel.available).where(
        InventoryLevel.shop_id == shop_id, InventoryLevel.inventory_item_id == inventory_item_id
    )
    levels = list((await session.execute(stmt)).scalars())
    if any(level is None for level in levels):
        return None
    return sum(max(0, level) for level in levels if level is not None)


async def record_level(session: AsyncSession, shop_id: ShopId, change: LevelChange) -> Product | None:
    """Apply one location's stock report; returns the product whose availability follows."""
    if not await _upsert(session, shop_id, change):
        return None
    total = await total_available(session, shop_id, change.inventory_item_id)
    return await set_inventory_level(session, shop_id, change.inventory_item_id, total)


async def _find_cost(session: AsyncSession, shop_id: ShopId, item_id: str) -> InventoryItemCost | None:
    stmt = select(InventoryItemCost).where(InventoryItemCost.shop_id == shop_id,
                                           InventoryItemCost.inventory_item_id == item_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def record_cost(session: AsyncSession, shop_id: ShopId, change: CostChange) -> bool:
    """Store an item's unit cost unless a newer one is known; returns whether it was stored."""
    known = await _find_cost(session, shop_id, change.inventory_item_id)
    if known is None:
        try:
            async with session.begin_nested():
                session.add(InventoryItemCost(shop_id=shop_id,
                                              inventory_item_id=change.inventory_item_id,
                                              cost=change.cost,
                                              platform_updated_at=change.updated_at))
                await session.flush()
            return True
        except IntegrityError:
            known = await _find_cost(session, shop_id, change.inventory_item_id)
            assert known is not None
    when = known.platform_updated_at
    if when is not None and (change.updated_at is None or change.updated_at < when):
        return False
    known.cost = change.cost
    known.platform_updated_at = change.updated_at or when
    await session.flush()
    return True
