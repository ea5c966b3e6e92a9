"""The storefront-key cache: one lookup per key at a time, checked again in the background
once an answer is old, a request waits only for a key never seen (or a stale answer)."""

import asyncio
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.http import storefront_auth
from app.http.storefront_auth import StorefrontAuth
from app.shops.models import SHOP_UNINSTALLED, Shop
from app.storage.database import create_session_factory, transaction
from tests.factories import make_shop


async def _shop_with_key(engine: AsyncEngine) -> tuple[int, str]:
    async with transaction(create_session_factory(engine)) as session:
        created = await make_shop(session)
        return created.shop.id, created.storefront_key


async def _uninstall(engine: AsyncEngine, shop: int) -> None:
    async with transaction(create_session_factory(engine)) as session:
        await session.execute(update(Shop).where(Shop.id == shop).values(status=SHOP_UNINSTALLED))


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys looked up in the database, in order."""
    seen: list[str] = []
    original = storefront_auth.find_active_by_storefront_key

    async def counted(session: Any, key: str) -> Any:
        seen.append(key)
        await asyncio.sleep(0.05)  # a lookup that takes a while, as under load
        return await original(session, key)

    monkeypatch.setattr(storefront_auth, "find_active_by_storefront_key", counted)
    return seen


async def test_concurrent_requests_for_a_new_key_share_one_lookup(
        engine: AsyncEngine, lookups: list[str]) -> None:
    shop, key = await _shop_with_key(engine)
    auth = StorefrontAuth(create_session_factory(engine))
    found = await asyncio.gather(*(auth.shop_for(key) for _ in range(10)),
                                 *(auth.shop_for("sfk_unknown") for _ in range(5)))
    assert [f[0].id if f else None for f in found] == [shop] * 10 + [None] * 5
    assert sorted(lookups) == sorted([key, "sfk_unknown"])


async def test_an_old_answer_is_served_while_it_is_checked_again_in_the_background(
        engine: AsyncEngine, lookups: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    shop, key = await _shop_with_key(engine)
    auth = StorefrontAuth(create_session_factory(engine))
    assert (found := await auth.shop_for(key)) is not None and found[0].id == shop
    await _uninstall(engine, shop)
    auth.answers.fresh_seconds = 0.0  # every answer is old now
    answers = [await auth.shop_for(key) for _ in range(5)]  # no wait: the last answer
    assert all(a is not None and a[0].id == shop for a in answers)
    await asyncio.sleep(0)  # the background check starts
    assert len(lookups) == 2  # the first, and one check for all five
    for _ in range(100):  # the check lands: the uninstalled shop's key stops working
        if await auth.shop_for(key) is None:
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("the background check never replaced the old answer")


async def test_a_stale_answer_is_not_served_without_a_fresh_lookup(
        engine: AsyncEngine, lookups: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    shop, key = await _shop_with_key(engine)
    auth = StorefrontAuth(create_session_factory(engine))
    assert await auth.shop_for(key) is not None
    await _uninstall(engine, shop)
    auth.answers.stale_seconds = 0.0
    assert await auth.shop_for(key) is None  # waited for the lookup
    assert lookups == [key, key]


async def test_a_failed_background_check_keeps_the_last_answer(
        engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    shop, key = await _shop_with_key(engine)
    auth = StorefrontAuth(create_session_factory(engine))
    assert await auth.shop_for(key) is not None
    failures: list[str] = []

    async def unreachable(_session: Any, looked_up: str) -> Any:
        failures.append(looked_up)
        raise OSError("database unreachable")

    monkeypatch.setattr(storefront_auth, "find_active_by_storefront_key", unreachable)
    auth.answers.fresh_seconds = 0.0
    for _ in range(3):
        found = await auth.shop_for(key)
        assert found is not None and found[0].id == shop
        await asyncio.sleep(0.01)
    assert failures  # checked, failed, and the shop is still served until STALE_SECONDS
    auth.answers.stale_seconds = 0.0
    with pytest.raises(OSError):
        await auth.shop_for(key)
