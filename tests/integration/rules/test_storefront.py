"""Merchandising rules as shoppers see them through the storefront API: a pinned product at
its position with its reason, filters and their fallback, search results moved and taken
out, the shop's own settings, and the preview with and without the rules."""

from typing import Any

from app.ids import ShopId
from app.rules import service
from app.rules.directory import RuleDirectory
from app.rules.models import Rule
from app.rules.preview import EMPTIED, RulePreviewer
from app.rules.specs import RuleSpec
from app.shops.preferences import update_preferences
from app.storage.database import transaction
from tests.factories import MUGS_AND_MORE
from tests.support import Harness

RECOMMEND = """query($placement: Placement!, $visitor: ID, $first: Int) {
  recommendations(placement: $placement, visitorId: $visitor, first: $first) {
    items { product { id } reasons { code message } } } }"""
RERANK = """query($q: String!, $ids: [ID!]!) {
  rerankSearch(query: $q, productIds: $ids) { items { product { id } reasons { code } } } }"""
ACTOR = "shop:0 token:test"


async def _rule(h: Harness, shop: ShopId, rules: RuleDirectory, spec: RuleSpec) -> None:
    async with transaction(h.services.sessions) as session:
        await service.create_rule(session, shop, spec, ACTOR)
    rules.invalidate(shop)


async def _items(h: Harness, key: str, query: str, field: str,
                 **variables: Any) -> list[dict[str, Any]]:
    body = (await h.graphql(key, query, **variables)).json()
    assert "errors" not in body, body
    return body["data"][field]["items"]  # type: ignore[no-any-return]


async def _home(h: Harness, key: str) -> list[dict[str, Any]]:
    return await _items(h, key, RECOMMEND, "recommendations", placement="HOME", visitor="v1",
                        first=5)


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["product"]["id"] for i in items]


async def test_a_pinned_product_is_served_at_its_position_with_its_reason(
        served: tuple[Harness, ShopId, str, RuleDirectory]) -> None:
    h, shop, key, rules = served
    before = _ids(await _home(h, key))
    pinned = next(pid for pid, _ in MUGS_AND_MORE if pid not in before and pid != "10")
    await _rule(h, shop, rules, RuleSpec("feature", "pin", placement="HOME",
                                         product_id=pinned, position=2))
    items = await _home(h, key)
    assert _ids(items)[1] == pinned and len(items) == 5
    assert items[1]["reasons"][0] == {"code": "FEATURED_BY_SHOP", "message": "Featured by the shop"}
    assert all(i["reasons"][0]["code"] != "FEATURED_BY_SHOP" for i in items[2:])
    cart = await _items(h, key, RECOMMEND, "recommendations", placement="CART", visitor="v1")
    assert pinned not in _ids(cart)[1:2]  # a rule of HOME only


async def test_filters_take_products_out_and_fall_back_rather_than_empty_a_list(
        served: tuple[Harness, ShopId, str, RuleDirectory]) -> None:
    h, shop, key, rules = served
    unruled = _ids(await _items(h, key, RECOMMEND, "recommendations", placement="HOME",
                                visitor="v1", first=9))
    assert {"6", "7"} <= set(unruled)
    await _rule(h, shop, rules, RuleSpec("no adult", "exclude", field="tag", values=("adult",)))
    shown = _ids(await _home(h, key))
    assert len(shown) == 5 and not {"6", "7"} & set(shown)
    await _rule(h, shop, rules, RuleSpec("only adult", "include", field="tag", values=("adult",)))
    assert _ids(await _items(h, key, RECOMMEND, "recommendations", placement="HOME",
                             visitor="v1", first=9)) == unruled  # the rules would empty it


async def test_search_results_are_moved_and_taken_out_never_added(
        served: tuple[Harness, ShopId, str, RuleDirectory]) -> None:
    h, shop, key, rules = served
    await _rule(h, shop, rules, RuleSpec("no adult", "exclude", placement="SEARCH", field="tag",
                                         values=("adult",)))
    await _rule(h, shop, rules, RuleSpec("clock first", "pin", placement="SEARCH",
                                         product_id="9", position=1))
    await _rule(h, shop, rules, RuleSpec("not in results", "pin", product_id="5", position=1,
                                         priority=10))
    items = await _items(h, key, RERANK, "rerankSearch", q="mug", ids=["1", "2", "6", "9", "10"])
    assert _ids(items) == ["9", *_ids(items)[1:]] and set(_ids(items)) == {"1", "2", "9", "10"}
    assert items[0]["reasons"][0]["code"] == "FEATURED_BY_SHOP"
    assert items[-1]["reasons"] == [{"code": "UNAVAILABLE"}]  # sunk, the server's default


async def test_the_shops_unavailable_policy_applies_to_its_search(
        served: tuple[Harness, ShopId, str, RuleDirectory]) -> None:
    h, shop, key, rules = served
    async with transaction(h.services.sessions) as session:
        await update_preferences(session, shop, {"search_unavailable": "drop"})
    rules.invalidate(shop)
    items = await _items(h, key, RERANK, "rerankSearch", q="mug", ids=["1", "2", "10"])
    assert set(_ids(items)) == {"1", "2"}


async def test_the_preview_shows_the_list_with_and_without_the_rules(
        served: tuple[Harness, ShopId, str, RuleDirectory]) -> None:
    h, shop, _, rules = served
    previewer = RulePreviewer(h.services.ranker, rules)
    await _rule(h, shop, rules, RuleSpec("feature", "pin", placement="HOME", product_id="8",
                                         position=1))
    async with transaction(h.services.sessions) as session:
        found = await previewer.preview(session, shop, "HOME", "v1", None)
    assert found.with_rules.items[0].product.platform_id == "8"
    assert found.active_rules == 1 and found.warnings == []
    assert "FEATURED_BY_SHOP" not in {r.code for i in found.without_rules.items for r in i.reasons}
    async with transaction(h.services.sessions) as session:
        # checked at creation, a rule can still empty a list once the catalog changed
        session.add(Rule(shop_id=shop, name="gone", kind="include", field="vendor",
                         values=["Discontinued"]))
        await session.flush()
        emptied = await previewer.preview(session, shop, "HOME", "v1", None)
    assert EMPTIED in emptied.warnings and emptied.with_rules.fell_back
