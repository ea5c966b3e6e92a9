"""Rules stored per shop: checked against the catalog before anything is saved, audited on
every change, and served from each process's directory with the catalog facts they need
(collections, stock, margins) and the shop's own settings."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.service import apply_product_changes
from app.catalog.snapshot import CatalogSnapshots
from app.errors import InvalidInput, NotFound
from app.ids import ShopId
from app.inventory.service import CostChange, record_cost
from app.ranking.rules import DEFAULT_RULES
from app.recommendations.types import ScoredProduct
from app.rules import service
from app.rules.directory import RuleDirectory
from app.rules.models import Rule, RuleAudit
from app.rules.specs import MAX_RULES_PER_SHOP, RuleSpec
from app.shops.preferences import update_preferences
from tests.factories import make_shop, product, variant

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
ACTOR = "shop:1 token:abc"


async def _shop(session: AsyncSession) -> ShopId:
    shop = ShopId((await make_shop(session)).shop.id)
    await apply_product_changes(session, shop, [
        product("p1", "Mug", vendor="Acme", product_type="Mugs", tags=("Summer",),
                collections=("summer-sale",), inventory_quantity=2,
                variants=(variant("v1", 2, price=10.0),)),
        product("p2", "Candle", vendor="Bolt", product_type="Candles", tags=("adult",),
                inventory_quantity=50, variants=(variant("v2", 50, price=20.0),)),
        product("p3", "Clock", vendor="Acme", product_type="Clocks",
                variants=(variant("v3", None, price=40.0),)),
    ])
    return shop


def _pin(**kwargs: object) -> RuleSpec:
    fields: dict[str, object] = {"name": "pin", "kind": "pin", "product_id": "p2", "position": 1}
    fields.update(kwargs)
    return RuleSpec(**fields)  # type: ignore[arg-type]


async def _counts(session: AsyncSession, shop: ShopId) -> tuple[int, int]:
    rules = await session.scalar(select(func.count(Rule.id)).where(Rule.shop_id == shop))
    audit = await session.scalar(select(func.count(RuleAudit.id)).where(RuleAudit.shop_id == shop))
    return rules or 0, audit or 0


async def test_create_update_delete_leave_an_audit_trail(session: AsyncSession) -> None:
    shop = await _shop(session)
    actor = await service.admin_actor(session, shop)
    assert actor.startswith(f"shop:{shop} token:") and len(actor.split("token:")[1]) == 12
    rule = await service.create_rule(session, shop, _pin(), actor)
    await service.update_rule(session, shop, rule.id, _pin(position=3, priority=7), actor)
    await service.delete_rule(session, shop, rule.id, actor)
    entries = await service.audit_entries(session, shop)
    assert [e.action for e in entries] == ["deleted", "updated", "created"]
    deleted, updated, created = entries
    assert created.before is None and created.after is not None
    assert created.after["position"] == 1 and created.after["product_id"] == "p2"
    assert updated.before == created.after
    assert updated.after is not None and (updated.after["position"], updated.after["priority"]) == (3, 7)
    assert deleted.before == updated.after and deleted.after is None
    assert {e.actor for e in entries} == {actor} and {e.rule_id for e in entries} == {rule.id}
    assert await _counts(session, shop) == (0, 3)


@pytest.mark.parametrize(("spec", "field"), [
    (_pin(product_id="nope"), "productId:"),
    (RuleSpec("c", "exclude", field="collection", values=("winter",)), "values:"),
    (RuleSpec("t", "exclude", field="tag", values=("summer", "unknown-tag")), "values:"),
    (RuleSpec("v", "boost", field="vendor", values=("Nobody",), strength=0.5), "values:"),
    (RuleSpec("y", "bury", field="product_type", values=("Shoes",), strength=0.5), "values:"),
    (RuleSpec("s", "exclude", field="tag", values=("adult",), starts_at=datetime(2026, 5, 2),
              ends_at=datetime(2026, 5, 1)), "endsAt:"),
    (RuleSpec("b", "boost", field="tag", values=("adult",), strength=3.0), "strength:"),
])
async def test_refusals_name_the_field_and_save_nothing(session: AsyncSession, spec: RuleSpec,
                                                      field: str) -> None:
    shop = await _shop(session)
    with pytest.raises(InvalidInput) as refused:
        await service.create_rule(session, shop, spec, ACTOR)
    assert refused.value.message.startswith(field)
    assert await _counts(session, shop) == (0, 0)


async def test_an_update_refused_keeps_the_rule(session: AsyncSession) -> None:
    shop = await _shop(session)
    rule = await service.create_rule(session, shop, _pin(), ACTOR)
    with pytest.raises(InvalidInput):
        await service.update_rule(session, shop, rule.id, _pin(position=500), ACTOR)
    assert (await service.get_rule(session, shop, rule.id)).position == 1
    assert await _counts(session, shop) == (1, 1)


async def test_known_values_match_without_case_and_collections_by_handle(
        session: AsyncSession) -> None:
    shop = await _shop(session)
    tag = await service.create_rule(session, shop, RuleSpec(
        "t", "exclude", field="tag", values=("SUMMER", "Adult")), ACTOR)
    vendor = await service.create_rule(session, shop, RuleSpec(
        "v", "include", field="vendor", values=("acme",)), ACTOR)
    collection = await service.create_rule(session, shop, RuleSpec(
        "c", "boost", field="collection", values=("summer-sale",), strength=1.0), ACTOR)
    assert tag.values == ["SUMMER", "Adult"] and vendor.values == ["acme"]
    assert collection.values == ["summer-sale"]


async def test_other_shops_rules_are_not_found(session: AsyncSession) -> None:
    shop, other = await _shop(session), await _shop(session)
    rule = await service.create_rule(session, shop, _pin(), ACTOR)
    with pytest.raises(NotFound):
        await service.delete_rule(session, other, rule.id, ACTOR)
    assert await service.list_rules(session, other) == []


async def test_a_shop_has_at_most_its_limit_of_rules(session: AsyncSession) -> None:
    shop = await _shop(session)
    session.add_all([Rule(shop_id=shop, name=f"r{i}", kind="pin", product_id="p1", position=1,
                          values=[]) for i in range(MAX_RULES_PER_SHOP)])
    await session.flush()
    with pytest.raises(InvalidInput) as refused:
        await service.create_rule(session, shop, _pin(), ACTOR)
    assert refused.value.message.startswith("rules:")


async def test_list_by_placement_includes_the_rules_of_every_placement(
        session: AsyncSession) -> None:
    shop = await _shop(session)
    home = await service.create_rule(session, shop, _pin(placement="HOME", priority=5), ACTOR)
    everywhere = await service.create_rule(session, shop, _pin(), ACTOR)
    await service.create_rule(session, shop, _pin(placement="CART"), ACTOR)
    assert [r.id for r in await service.list_rules(session, shop, "HOME")] == [home.id, everywhere.id]
    assert len(await service.list_rules(session, shop)) == 3


async def _served_ids(session: AsyncSession, shop: ShopId, directory: RuleDirectory,
                      placement: str = "HOME") -> list[str]:
    catalog = await CatalogSnapshots().catalog(session, shop)
    items = [ScoredProduct(catalog.by_platform_id[p], 1.0) for p in ("p1", "p2", "p3")]
    listed = (await directory.shop_rules(session, shop)).for_list(placement, NOW)
    assert listed is not None
    return [i.product.platform_id for i in listed.apply(items, catalog).items]


async def test_the_directory_serves_rules_with_their_catalog_facts(session: AsyncSession) -> None:
    shop = await _shop(session)
    await record_cost(session, shop, CostChange("inv-v1", 9.0))  # 10 % margin
    await record_cost(session, shop, CostChange("inv-v2", 5.0))  # 75 % margin; p3 has no cost
    directory = RuleDirectory()
    await service.create_rule(session, shop, RuleSpec("m", "margin_floor", threshold=0.3), ACTOR)
    assert await _served_ids(session, shop, directory) == ["p2", "p3"]
    directory.invalidate(shop)
    await service.create_rule(session, shop, RuleSpec("s", "min_stock", threshold=10), ACTOR)
    await service.create_rule(session, shop, RuleSpec(
        "c", "boost", field="collection", values=("summer-sale",), strength=1.0), ACTOR)
    assert await _served_ids(session, shop, directory) == ["p2", "p3"]  # p3: stock unknown
    directory.invalidate(shop)
    for rule in await service.list_rules(session, shop):
        if rule.kind != "boost":
            await service.delete_rule(session, shop, rule.id, ACTOR)
    assert await _served_ids(session, shop, directory) == ["p1", "p2", "p3"]
    bury = RuleSpec("b", "bury", placement="CART", field="tag", values=("adult",), strength=1.0)
    await service.create_rule(session, shop, bury, ACTOR)
    directory.invalidate(shop)
    assert await _served_ids(session, shop, directory, "CART") == ["p1", "p3", "p2"]
    assert await _served_ids(session, shop, directory, "HOME") == ["p1", "p2", "p3"]


async def test_the_directory_keeps_an_entry_until_it_is_stale(session: AsyncSession) -> None:
    shop = await _shop(session)
    directory = RuleDirectory(refresh_seconds=3600)
    assert (await directory.shop_rules(session, shop)).for_list("HOME", NOW) is None
    await service.create_rule(session, shop, _pin(), ACTOR)
    assert (await directory.shop_rules(session, shop)).for_list("HOME", NOW) is None
    directory.invalidate(shop)
    assert (await directory.shop_rules(session, shop)).for_list("HOME", NOW) is not None


async def test_a_stale_entry_read_again_is_kept_until_a_rule_or_setting_changes(
        session: AsyncSession) -> None:
    """Read again without a change, the entry (its compiled rules and their judgements)
    is kept; a change made elsewhere (no ``invalidate`` here) is served on the next read."""
    shop = await _shop(session)
    directory = RuleDirectory(refresh_seconds=0)
    pin = await service.create_rule(session, shop, _pin(), ACTOR)
    first = await directory.shop_rules(session, shop)
    compiled = first.for_list("HOME", NOW)
    again = await directory.shop_rules(session, shop)
    assert again is first and again.for_list("HOME", NOW) is compiled

    await service.update_rule(session, shop, pin.id, _pin(position=3), ACTOR)
    edited = await directory.shop_rules(session, shop)
    assert edited is not first and [r.position for r in edited.rules] == [3]

    await update_preferences(session, shop, {"max_per_vendor": 2})
    tuned = await directory.shop_rules(session, shop)
    assert tuned is not edited and tuned.settings(DEFAULT_RULES).max_per_vendor == 2

    await service.delete_rule(session, shop, pin.id, ACTOR)
    assert (await directory.shop_rules(session, shop)).rules == ()


async def test_the_shops_settings_replace_the_servers_defaults(session: AsyncSession) -> None:
    shop = await _shop(session)
    directory = RuleDirectory()
    plain = await directory.shop_rules(session, shop)
    assert plain.settings(DEFAULT_RULES) == DEFAULT_RULES
    assert plain.search_unavailable("sink") == "sink"
    await update_preferences(session, shop, {"exploration_share": 0.3, "max_per_vendor": 2,
                                             "exclude_recent_purchases_days": 7,
                                             "search_unavailable": "drop",
                                             "timezone": "America/New_York"})
    directory.invalidate(shop)
    own = await directory.shop_rules(session, shop)
    settings = own.settings(DEFAULT_RULES)
    assert (settings.exploration_share, settings.max_per_vendor,
            settings.exclude_recent_purchases_days) == (0.3, 2, 7)
    assert settings.max_per_product_type == DEFAULT_RULES.max_per_product_type
    assert own.search_unavailable("sink") == "drop"


async def test_schedules_are_read_in_the_shops_time_zone(session: AsyncSession) -> None:
    shop = await _shop(session)
    await update_preferences(session, shop, {"timezone": "America/New_York"})
    await service.create_rule(session, shop, _pin(starts_at=datetime(2026, 3, 8),
                                                  ends_at=datetime(2026, 3, 9)), ACTOR)
    rules = await RuleDirectory().shop_rules(session, shop)
    assert rules.for_list("HOME", datetime(2026, 3, 9, 3, 59, tzinfo=UTC)) is not None
    assert rules.for_list("HOME", datetime(2026, 3, 9, 4, 0, tzinfo=UTC)) is None  # local midnight
    assert rules.for_list("HOME", datetime(2026, 3, 8, 4, 59, tzinfo=UTC)) is None
