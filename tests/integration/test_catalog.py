"""Catalog writes are idempotent, ordered by the platform's clock, and per tenant."""

from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Collection, CollectionProduct, Product, Variant
from app.catalog.service import (
    apply_product_change,
    apply_product_changes,
    delete_product,
    find_product,
    set_inventory_level,
)
from tests.factories import at, make_shop, product, shop_id, variant


async def test_create_then_replay_is_a_no_op(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    change = product("1", "Blue mug", updated_at=at("2024-01-01T00:00:00+00:00"),
                     variants=(variant("11", 3, price=9.0),), collections=("kitchen",))
    first = await apply_product_changes(session, shop, [change])
    again = await apply_product_changes(session, shop, [change])
    assert (first.created, again.created, again.unchanged) == (1, 0, 1)
    assert await session.scalar(select(func.count()).select_from(Product).where(Product.shop_id == shop)) == 1
    assert await session.scalar(select(func.count()).select_from(Variant).where(Variant.shop_id == shop)) == 1
    assert await session.scalar(select(func.count()).select_from(CollectionProduct).where(CollectionProduct.shop_id == shop)) == 1
    assert await session.scalar(select(func.count()).select_from(Collection).where(Collection.shop_id == shop)) == 1


async def test_an_older_update_never_overwrites_a_newer_one(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    newer = product("1", "New title", updated_at=at("2024-02-01T00:00:00+00:00"))
    older = product("1", "Old title", updated_at=at("2024-01-01T00:00:00+00:00"))
    await apply_product_change(session, shop, newer)
    outcome, row = await apply_product_change(session, shop, older)
    assert outcome == "stale" and row is not None and row.title == "New title"


async def test_text_change_is_reported_and_price_change_is_not(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    base = product("1", "Mug", updated_at=at("2024-01-01T00:00:00+00:00"))
    await apply_product_change(session, shop, base)
    price_only = replace(base, price_min=99.0, updated_at=at("2024-01-02T00:00:00+00:00"))
    outcome, row = await apply_product_change(session, shop, price_only)
    assert outcome == "unchanged" and row is not None and row.price_min == 99.0
    retitled = replace(base, title="Big mug", updated_at=at("2024-01-03T00:00:00+00:00"))
    assert (await apply_product_change(session, shop, retitled))[0] == "updated"


async def test_deleted_is_final_even_against_a_late_create(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await delete_product(session, shop, "7")  # the delete arrives before the create
    outcome, row = await apply_product_change(session, shop, product("7", "Ghost"))
    assert outcome == "stale" and row is not None and row.deleted and not row.servable


async def test_stock_drives_availability(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    change = product("1", "Lamp", variants=(variant("a", 0), variant("b", 2)))
    _, row = await apply_product_change(session, shop, change)
    assert row is not None and row.available
    await set_inventory_level(session, shop, "inv-b", 0)
    refreshed = await find_product(session, shop, "1")
    assert refreshed is not None and not refreshed.available
    await set_inventory_level(session, shop, "inv-a", 5)
    refreshed = await find_product(session, shop, "1")
    assert refreshed is not None and refreshed.available


async def test_same_platform_id_in_two_shops_stays_separate(session: AsyncSession) -> None:
    first, second = shop_id(await make_shop(session)), shop_id(await make_shop(session))
    await apply_product_change(session, first, product("1", "First shop's mug"))
    await apply_product_change(session, second, product("1", "Second shop's lamp"))
    a, b = await find_product(session, first, "1"), await find_product(session, second, "1")
    assert a is not None and b is not None
    assert (a.title, b.title) == ("First shop's mug", "Second shop's lamp")
