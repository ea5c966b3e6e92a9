"""Commands on the catalog. Every write is an idempotent upsert guarded by the
platform's ``updated_at``, so replays and out-of-order deliveries change nothing.

A change without ``updated_at`` cannot be ordered: it is applied only to a record whose
platform time is unknown too, and never erases a known time. Otherwise one undated
change would switch the guard off and let any older change through after it."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.changes import (
    ID_MAX_CHARS,
    NAME_MAX_CHARS,
    QUANTITY_RANGE,
    STATUS_MAX_CHARS,
    TITLE_MAX_CHARS,
    ApplyResult,
    ProductChange,
    VariantChange,
    fitted,
    shortened,
)
from app.catalog.models import Collection, CollectionProduct, Product, Variant
from app.catalog.text import content_hash, product_text
from app.errors import InvalidInput
from app.ids import ShopId


def _check_id(what: str, value: str | None) -> None:
    if value is not None and len(value) > ID_MAX_CHARS:
        raise InvalidInput(f"{what}: longer than {ID_MAX_CHARS} characters")


def _check_quantity(what: str, value: int | None) -> None:
    if value is not None and not QUANTITY_RANGE[0] <= value <= QUANTITY_RANGE[1]:
        raise InvalidInput(f"{what}: out of range")


def check_product_change(change: ProductChange) -> None:
    """Refuse what cannot be stored the same way on every database (``InvalidInput``)."""
    if not change.platform_id.strip():
        raise InvalidInput("product id is empty")
    _check_id("product id", change.platform_id)
    if not change.title.strip():
        raise InvalidInput("product title is empty")
    for price in (change.price_min, change.price_max):
        if price is not None and price < 0:
            raise InvalidInput("product price is negative")
    if change.handle is not None and len(change.handle) > NAME_MAX_CHARS:
        raise InvalidInput(f"product handle: longer than {NAME_MAX_CHARS} characters")
    if len(change.status) > STATUS_MAX_CHARS:
        raise InvalidInput(f"product status: longer than {STATUS_MAX_CHARS} characters")
    _check_quantity("product inventory quantity", change.inventory_quantity)
    for variant in change.variants:
        _check_id("variant id", variant.platform_id)
        _check_id("variant inventory item id", variant.inventory_item_id)
        _check_quantity("variant inventory quantity", variant.inventory_quantity)
    for ref in change.collections or ():
        _check_id("collection reference", ref)


def check_collection(platform_id: str, handle: str | None) -> None:
    _check_id("collection id", platform_id)
    if handle is not None and len(handle) > NAME_MAX_CHARS:
        raise InvalidInput(f"collection handle: longer than {NAME_MAX_CHARS} characters")


def _derive_available(change: ProductChange) -> bool:
    if change.available is not None:
        return change.available
    if change.variants:
        return any(_variant_in_stock(v) for v in change.variants)
    return change.inventory_quantity is None or change.inventory_quantity > 0


def _variant_in_stock(variant: VariantChange | Variant) -> bool:
    quantity = variant.inventory_quantity
    return not variant.inventory_tracked or quantity is None or quantity > 0


def is_stale(known: datetime | None, incoming: datetime | None) -> bool:
    """Is a change dated ``incoming`` older than the record's ``known`` time? An undated
    change never beats a dated record."""
    return known is not None and (incoming is None or incoming < known)


def _fill(product: Product, change: ProductChange) -> bool:
    """Copy the change onto the row; return whether the embedded text changed."""
    tags = [t.strip() for t in change.tags if t.strip()]
    text = product_text(change.title, change.product_type, change.body_text)
    new_hash = content_hash(text)
    text_changed = product.content_hash != new_hash
    prices = [v.price for v in change.variants if v.price is not None]
    product.handle = change.handle
    product.title = change.title.strip()
    product.body_text = change.body_text
    product.vendor = change.vendor
    product.product_type = change.product_type
    product.tags = tags
    product.status = change.status
    product.published = change.published
    product.price_min = change.price_min if change.price_min is not None else min(prices, default=None)
    product.price_max = change.price_max if change.price_max is not None else max(prices, default=None)
    product.currency = change.currency
    product.image_url = change.image_url
    product.url = change.url
    product.inventory_quantity = change.inventory_quantity
    product.available = _derive_available(change)
    product.platform_updated_at = change.updated_at or product.platform_updated_at
    product.content_hash = new_hash
    return text_changed


async def find_product(session: AsyncSession, shop_id: ShopId, platform_id: str) -> Product | None:
    stmt = select(Product).where(Product.shop_id == shop_id, Product.platform_id == platform_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def _insert(session: AsyncSession, shop_id: ShopId, change: ProductChange) -> Product | None:
    """Insert under a savepoint; ``None`` when a concurrent writer got there first."""
    product = Product(shop_id=shop_id, platform_id=change.platform_id, content_hash="")
    _fill(product, change)
    try:
        async with session.begin_nested():
            session.add(product)
            await session.flush()
    except IntegrityError:
        return None
    return product


async def _sync_variants(
    session: AsyncSession, shop_id: ShopId, product: Product, variants: tuple[VariantChange, ...]
) -> None:
    await session.execute(delete(Variant).where(Variant.product_key == product.id))
    for v in variants:
        await session.execute(
            delete(Variant).where(Variant.shop_id == shop_id, Variant.platform_id == v.platform_id)
        )
        session.add(
            Variant(
                shop_id=shop_id,
                product_key=product.id,
                platform_id=v.platform_id,
                title=v.title,
                sku=v.sku,
                price=v.price,
                inventory_item_id=v.inventory_item_id,
                inventory_quantity=v.inventory_quantity,
                inventory_tracked=v.inventory_tracked,
            )
        )
    await session.flush()


async def apply_product_change(
    session: AsyncSession, shop_id: ShopId, change: ProductChange
) -> tuple[str, Product | None]:
    """Upsert one product; returns (``created``|``updated``|``unchanged``|``stale``, row)."""
    check_product_change(change)
    change = fitted(change)
    return await _apply(session, shop_id, change, await find_product(session, shop_id, change.platform_id))


async def _apply(
    session: AsyncSession, shop_id: ShopId, change: ProductChange, product: Product | None
) -> tuple[str, Product | None]:
    if product is None:
        product = await _insert(session, shop_id, change)
        if product is not None:
            await _sync_variants(session, shop_id, product, change.variants)
            await _sync_collections(session, shop_id, product, change.collections)
            return "created", product
        product = await find_product(session, shop_id, change.platform_id)
        assert product is not None
    if product.deleted or is_stale(product.platform_updated_at, change.updated_at):
        return "stale", product
    if change.updated_at is not None and product.platform_updated_at == change.updated_at:
        return "unchanged", product  # the same platform version was applied already
    text_changed = _fill(product, change)
    await session.flush()
    if change.variants:
        await _sync_variants(session, shop_id, product, change.variants)
    await _sync_collections(session, shop_id, product, change.collections)
    return ("updated" if text_changed else "unchanged"), product


async def _existing(session: AsyncSession, shop_id: ShopId, ids: list[str]) -> dict[str, Product]:
    found: dict[str, Product] = {}
    for start in range(0, len(ids), 500):
        stmt = select(Product).where(
            Product.shop_id == shop_id, Product.platform_id.in_(ids[start : start + 500])
        )
        found.update({p.platform_id: p for p in (await session.execute(stmt)).scalars()})
    return found


async def apply_product_changes(
    session: AsyncSession, shop_id: ShopId, changes: list[ProductChange]
) -> ApplyResult:
    """Apply many changes (all validated first: one bad change applies none)."""
    for change in changes:
        check_product_change(change)
    changes = [fitted(change) for change in changes]
    existing = await _existing(session, shop_id, [c.platform_id for c in changes])
    counts = {"created": 0, "updated": 0, "unchanged": 0, "stale": 0}
    text_changed: list[str] = []
    for change in changes:
        outcome, row = await _apply(session, shop_id, change, existing.get(change.platform_id))
        if row is not None:
            existing[change.platform_id] = row
        counts[outcome] += 1
        if outcome in ("created", "updated"):
            text_changed.append(change.platform_id)
    return ApplyResult(
        created=counts["created"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        skipped_stale=counts["stale"],
        text_changed=text_changed,
    )


async def delete_product(session: AsyncSession, shop_id: ShopId, platform_id: str) -> bool:
    """Mark a product deleted; a deleted product is never served and never revived."""
    product = await find_product(session, shop_id, platform_id)
    if product is None:
        # Remember the deletion so that a late create cannot bring the product back.
        product = Product(
            shop_id=shop_id, platform_id=platform_id, title="(deleted)", content_hash=""
        )
        session.add(product)
    product.deleted = True
    product.available = False
    await session.flush()
    return True


async def set_inventory_level(
    session: AsyncSession, shop_id: ShopId, inventory_item_id: str, available: int | None
) -> Product | None:
    """Record a variant's stock and recompute its product's availability."""
    stmt = select(Variant).where(
        Variant.shop_id == shop_id, Variant.inventory_item_id == inventory_item_id
    )
    variant = (await session.execute(stmt)).scalar_one_or_none()
    if variant is None:
        return None
    variant.inventory_quantity = available
    await session.flush()
    product = await session.get(Product, variant.product_key)
    if product is None or product.deleted:
        return product
    siblings = await session.execute(select(Variant).where(Variant.product_key == product.id))
    product.available = any(_variant_in_stock(v) for v in siblings.scalars())
    await session.flush()
    return product


async def upsert_collection(
    session: AsyncSession,
    shop_id: ShopId,
    platform_id: str,
    title: str,
    handle: str | None = None,
    updated_at: datetime | None = None,
) -> Collection:
    check_collection(platform_id, handle)
    stmt = select(Collection).where(
        Collection.shop_id == shop_id, Collection.platform_id == platform_id
    )
    collection = (await session.execute(stmt)).scalar_one_or_none()
    if collection is None:
        collection = Collection(shop_id=shop_id, platform_id=platform_id)
        session.add(collection)
    elif is_stale(collection.platform_updated_at, updated_at):
        return collection
    collection.title = shortened(title, TITLE_MAX_CHARS) or ""
    collection.handle = handle
    collection.platform_updated_at = updated_at or collection.platform_updated_at
    await session.flush()
    return collection


async def delete_collection(session: AsyncSession, shop_id: ShopId, platform_id: str) -> None:
    await session.execute(
        delete(Collection).where(
            Collection.shop_id == shop_id, Collection.platform_id == platform_id
        )
    )


async def _sync_collections(
    session: AsyncSession, shop_id: ShopId, product: Product, handles: tuple[str, ...] | None
) -> None:
    """Set the product's collection membership when the change states it."""
    if handles is None:
        return
    await session.execute(
        delete(CollectionProduct).where(CollectionProduct.product_key == product.id)
    )
    for handle in dict.fromkeys(handles):
        collection = await _find_collection(session, shop_id, handle)
        if collection is None:
            collection = await upsert_collection(session, shop_id, handle, handle, handle)
        session.add(
            CollectionProduct(collection_key=collection.id, product_key=product.id, shop_id=shop_id)
        )
    await session.flush()


async def _find_collection(session: AsyncSession, shop_id: ShopId, ref: str) -> Collection | None:
    stmt = select(Collection).where(
        Collection.shop_id == shop_id,
        (Collection.platform_id == ref) | (Collection.handle == ref),
    )
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()
