"""The catalog facts some rules need beyond the catalog snapshot: collection members, stock
and margins. Read only for what the shop's rules use, and only the products a rule may act
on (those below the highest minimum stock or margin floor)."""

from collections.abc import Sequence

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Collection, CollectionProduct, Product, Variant
from app.ids import ShopId
from app.inventory.models import InventoryItemCost
from app.rules.apply import RuleFacts, ServingRule
from app.rules.specs import COLLECTION, MARGIN_FLOOR, MIN_STOCK


def facts_needed(rules: Sequence[ServingRule]) -> tuple[frozenset[str], float | None, float | None]:
    """The collections named, the highest minimum stock and the highest margin floor."""
    collections = frozenset(v for r in rules if r.field == COLLECTION for v in r.values)
    stocks = [r.threshold for r in rules if r.kind == MIN_STOCK]
    floors = [r.threshold for r in rules if r.kind == MARGIN_FLOOR]
    return collections, max(stocks, default=None), max(floors, default=None)


async def _members(session: AsyncSession, shop_id: ShopId,
                   collections: frozenset[str]) -> dict[str, frozenset[str]]:
    if not collections:
        return {}
    stmt = (select(Collection.platform_id, Product.platform_id)
            .join(CollectionProduct, CollectionProduct.collection_key == Collection.id)
            .join(Product, Product.id == CollectionProduct.product_key)
            .where(Collection.shop_id == shop_id, Collection.platform_id.in_(sorted(collections))))
    found: dict[str, set[str]] = {c: set() for c in collections}
    for collection, product in (await session.execute(stmt)).all():
        found[collection].add(product)
    return {c: frozenset(products) for c, products in found.items()}


async def _low_stock(session: AsyncSession, shop_id: ShopId, below: float | None) -> dict[str, int]:
    if below is None:
        return {}
    stmt = select(Product.platform_id, Product.inventory_quantity).where(
        Product.shop_id == shop_id, Product.deleted.is_(False),
        Product.inventory_quantity.is_not(None), Product.inventory_quantity < below)
    return {pid: int(quantity) for pid, quantity in (await session.execute(stmt)).all()
            if quantity is not None}


async def product_margins(session: AsyncSession, shop_id: ShopId) -> dict[str, float]:
    """Each product's margin share (price - unit cost) / price, the lowest of its variants
    with a known price and unit cost (as ``app.attribution`` computes a line's margin);
    products without one are left out."""
    stmt = (select(Product.platform_id, Variant.price, InventoryItemCost.cost)
            .join(Variant, Variant.product_key == Product.id)
            .join(InventoryItemCost, and_(InventoryItemCost.shop_id == Product.shop_id,
                                          InventoryItemCost.inventory_item_id
                                          == Variant.inventory_item_id))
            .where(Product.shop_id == shop_id, Product.deleted.is_(False),
                   Variant.price.is_not(None), Variant.price > 0,
                   InventoryItemCost.cost.is_not(None)))
    margins: dict[str, float] = {}
    for pid, price, cost in (await session.execute(stmt)).all():
        if price is None or cost is None or price <= 0:
            continue
        share = (float(price) - float(cost)) / float(price)
        margins[pid] = min(share, margins.get(pid, share))
    return margins


async def load_facts(session: AsyncSession, shop_id: ShopId,
                     rules: Sequence[ServingRule]) -> RuleFacts:
    collections, min_stock, margin_floor = facts_needed(rules)
    margins: dict[str, float] = {}
    if margin_floor is not None:
        margins = {p: m for p, m in (await product_margins(session, shop_id)).items()
                   if m < margin_floor}
    return RuleFacts(await _members(session, shop_id, collections),
                     await _low_stock(session, shop_id, min_stock), margins)
