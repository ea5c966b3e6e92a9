"""The merchandising layer over a scored list: each kind of rule, schedules across a
daylight-saving change, conflicts between rules, and the fallback when filters would
empty a list."""

from datetime import UTC, datetime

from app.catalog.snapshot import CatalogProduct, ShopCatalog
from app.recommendations.types import FEATURED_BY_SHOP, Reason, ScoredProduct
from app.rules.apply import CompiledRules, RuleFacts, ServingRule, apply_rules
from app.rules.specs import RuleSpec

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
SIMILAR = Reason("SIMILAR", "Similar to a mug")


def _product(n: int, **kwargs: object) -> CatalogProduct:
    fields: dict[str, object] = {"vendor": "Acme", "product_type": "Mugs", "tags": (),
                                 "price_min": 10.0 * n}
    fields.update(kwargs)
    return CatalogProduct(n, str(n), f"Product {n}", **fields)  # type: ignore[arg-type]


PRODUCTS = [
    _product(1, tags=("Summer",)),
    _product(2, vendor="Bolt", tags=("adult",)),
    _product(3, product_type="Candles"),
    _product(4, tags=("final-sale", "summer")),
    _product(5, vendor="Bolt"),
    _product(6, product_type="Candles", tags=("adult",)),
]


def _catalog(*extra: CatalogProduct) -> ShopCatalog:
    catalog = ShopCatalog()
    for product in [*PRODUCTS, *extra]:
        catalog.by_platform_id[product.platform_id] = product
        catalog.by_key[product.id] = product
    return catalog


def _items() -> list[ScoredProduct]:
    return [ScoredProduct(p, 1.0 - p.id / 10, [SIMILAR]) for p in PRODUCTS]


_ids = iter(range(1, 10_000))


def _rule(kind: str, zone: str = "UTC", **kwargs: object) -> ServingRule:
    spec = RuleSpec(name=kind, kind=kind, **kwargs)  # type: ignore[arg-type]
    return ServingRule.of(next(_ids), spec, zone)


def _order(rules: list[ServingRule], facts: RuleFacts | None = None, now: datetime = NOW,
           catalog: ShopCatalog | None = None, **kwargs: object) -> list[str]:
    ruled = apply_rules(_items(), rules, catalog or _catalog(), now, facts or RuleFacts(),
                        **kwargs)  # type: ignore[arg-type]
    return [i.product.platform_id for i in ruled.items]


def test_no_active_rule_keeps_the_list() -> None:
    assert _order([]) == ["1", "2", "3", "4", "5", "6"]


def test_a_pin_puts_the_product_at_its_position_with_its_reason() -> None:
    ruled = apply_rules(_items(), [_rule("pin", product_id="5", position=1)], _catalog(), NOW)
    assert [i.product.platform_id for i in ruled.items] == ["5", "1", "2", "3", "4", "6"]
    assert ruled.items[0].reasons == [FEATURED_BY_SHOP, SIMILAR]
    assert all(FEATURED_BY_SHOP not in i.reasons for i in ruled.items[1:])
    assert ruled.moved == ["5"]


def test_a_pin_brings_in_a_servable_product_the_engine_did_not_pick() -> None:
    extra = _product(9)
    ruled = apply_rules(_items(), [_rule("pin", product_id="9", position=2)], _catalog(extra), NOW)
    assert [i.product.platform_id for i in ruled.items][:3] == ["1", "9", "2"]
    assert ruled.items[1].reasons == [FEATURED_BY_SHOP]


def test_a_pin_never_brings_in_an_unservable_avoided_or_absent_product() -> None:
    gone = _product(9, servable=False)
    assert _order([_rule("pin", product_id="9", position=1)], catalog=_catalog(gone)) \
        == ["1", "2", "3", "4", "5", "6"]
    assert _order([_rule("pin", product_id="5", position=1)], avoid={"5"})[0] == "1"
    assert _order([_rule("pin", product_id="9", position=1)], catalog=_catalog(_product(9)),
                  insert_pins=False)[0] == "1"


def test_a_pin_beyond_the_end_closes_up_to_it() -> None:
    assert _order([_rule("pin", product_id="1", position=50)]) == ["2", "3", "4", "5", "6", "1"]


def test_two_pins_on_one_position_the_higher_priority_wins() -> None:
    low = _rule("pin", product_id="6", position=1, priority=1)
    high = _rule("pin", product_id="5", position=1, priority=5)
    assert _order([low, high]) == ["5", "6", "1", "2", "3", "4"]


def test_pins_of_equal_priority_the_older_rule_wins() -> None:
    older = _rule("pin", product_id="6", position=2)
    newer = _rule("pin", product_id="5", position=2)
    assert _order([newer, older]) == ["1", "6", "5", "2", "3", "4"]


def test_boost_by_tag_vendor_type_collection_and_price() -> None:
    facts = RuleFacts(collections={"c-1": frozenset({"6"})})
    assert _order([_rule("boost", field="tag", values=("SUMMER",), strength=1.0)])[:2] \
        == ["1", "4"]  # case does not matter
    assert _order([_rule("boost", field="vendor", values=("bolt",), strength=1.0)])[:2] \
        == ["2", "5"]
    assert _order([_rule("boost", field="product_type", values=("candles",), strength=1.0)])[:2] \
        == ["3", "6"]
    assert _order([_rule("boost", field="collection", values=("c-1",), strength=1.0)],
                  facts)[0] == "6"
    assert _order([_rule("boost", field="price", price_min=45.0, price_max=55.0,
                         strength=1.0)])[0] == "5"


def test_a_strength_moves_an_item_by_a_share_of_the_list() -> None:
    half = _rule("boost", field="vendor", values=("Bolt",), strength=0.5)
    assert _order([half]) == ["2", "1", "5", "3", "4", "6"]  # each up by half of 6 places


def test_boosted_items_that_rise_say_so_buried_ones_do_not() -> None:
    ruled = apply_rules(_items(), [_rule("bury", field="tag", values=("summer",), strength=1.0),
                                   _rule("boost", field="product_type", values=("Candles",),
                                         strength=0.4)], _catalog(), NOW)
    order = [i.product.platform_id for i in ruled.items]
    assert order[-2:] == ["1", "4"]
    assert order.index("3") < order.index("2") and order.index("6") < order.index("5")
    featured = {i.product.platform_id for i in ruled.items if FEATURED_BY_SHOP in i.reasons}
    assert featured == {"3", "6"}


def test_boosts_and_buries_sum() -> None:
    up = _rule("boost", field="vendor", values=("Bolt",), strength=1.0)
    down = _rule("bury", field="tag", values=("adult",), strength=1.0)
    order = _order([up, down])
    assert order[0] == "5" and order.index("2") > order.index("1")


def test_exclude_and_include_filters() -> None:
    assert _order([_rule("exclude", field="tag", values=("adult", "final-sale"))]) \
        == ["1", "3", "5"]
    assert _order([_rule("include", field="vendor", values=("Bolt",))]) == ["2", "5"]
    both = [_rule("include", field="vendor", values=("Bolt",)),
            _rule("include", field="tag", values=("adult",))]
    assert _order(both) == ["2"]  # an item matches every include rule
    collection = RuleFacts(collections={"c-1": frozenset({"1", "3"})})
    assert _order([_rule("exclude", field="collection", values=("c-1",))], collection) \
        == ["2", "4", "5", "6"]


def test_filters_come_before_pins() -> None:
    rules = [_rule("exclude", field="tag", values=("adult",)),
             _rule("pin", product_id="2", position=1, priority=100)]
    assert "2" not in _order(rules)


def test_margin_floor_filters_only_products_with_a_known_cost() -> None:
    facts = RuleFacts(margins={"1": 0.1, "2": 0.5})  # the others have no known cost
    assert _order([_rule("margin_floor", threshold=0.3)], facts) == ["2", "3", "4", "5", "6"]


def test_min_stock_filters_only_products_with_a_known_stock() -> None:
    facts = RuleFacts(stock={"1": 2, "3": 10})
    assert _order([_rule("min_stock", threshold=5)], facts) == ["2", "3", "4", "5", "6"]


def test_the_highest_threshold_wins() -> None:
    facts = RuleFacts(stock={"1": 2, "3": 10})
    rules = [_rule("min_stock", threshold=5), _rule("min_stock", threshold=20)]
    assert _order(rules, facts) == ["2", "4", "5", "6"]


def test_filters_that_would_empty_the_list_fall_back_to_it() -> None:
    ruled = apply_rules(_items(), [_rule("include", field="vendor", values=("Nobody",)),
                                   _rule("pin", product_id="3", position=1)], _catalog(), NOW)
    assert ruled.fell_back
    assert [i.product.platform_id for i in ruled.items] == ["1", "2", "3", "4", "5", "6"]
    assert all(FEATURED_BY_SHOP not in i.reasons for i in ruled.items)


def test_a_schedule_holds_from_its_start_until_its_end() -> None:
    rule = _rule("pin", product_id="6", position=1, starts_at=datetime(2026, 6, 1, 9),
                 ends_at=datetime(2026, 6, 1, 17), zone="Europe/Paris")  # 07:00 to 15:00 UTC
    assert _order([rule], now=datetime(2026, 6, 1, 6, 59, tzinfo=UTC))[0] == "1"
    assert _order([rule], now=datetime(2026, 6, 1, 7, 0, tzinfo=UTC))[0] == "6"
    assert _order([rule], now=datetime(2026, 6, 1, 14, 59, tzinfo=UTC))[0] == "6"
    assert _order([rule], now=datetime(2026, 6, 1, 15, 0, tzinfo=UTC))[0] == "1"


def test_a_schedule_across_the_spring_change_is_an_hour_shorter() -> None:
    # New York's clocks go from 02:00 to 03:00 on 8 March 2026: that local day has 23 hours.
    rule = _rule("pin", product_id="6", position=1, starts_at=datetime(2026, 3, 8),
                 ends_at=datetime(2026, 3, 9), zone="America/New_York")
    assert _order([rule], now=datetime(2026, 3, 8, 4, 59, tzinfo=UTC))[0] == "1"  # 23:59 EST
    assert _order([rule], now=datetime(2026, 3, 8, 5, 0, tzinfo=UTC))[0] == "6"  # 00:00 EST
    assert _order([rule], now=datetime(2026, 3, 9, 3, 59, tzinfo=UTC))[0] == "6"  # 23:59 EDT
    assert _order([rule], now=datetime(2026, 3, 9, 4, 0, tzinfo=UTC))[0] == "1"  # 00:00 EDT


def test_a_schedule_ending_in_the_repeated_hour_ends_at_its_first_occurrence() -> None:
    # Clocks go back from 02:00 EDT to 01:00 EST on 1 November 2026: 01:30 happens twice.
    rule = _rule("pin", product_id="6", position=1, starts_at=datetime(2026, 10, 31),
                 ends_at=datetime(2026, 11, 1, 1, 30), zone="America/New_York")
    assert _order([rule], now=datetime(2026, 11, 1, 5, 29, tzinfo=UTC))[0] == "6"  # 01:29 EDT
    assert _order([rule], now=datetime(2026, 11, 1, 5, 30, tzinfo=UTC))[0] == "1"  # 01:30 EDT
    assert _order([rule], now=datetime(2026, 11, 1, 6, 15, tzinfo=UTC))[0] == "1"  # 01:15 EST


def test_a_product_changed_in_the_catalog_is_judged_again() -> None:
    compiled = CompiledRules([_rule("exclude", field="tag", values=("adult",))])
    plain = _product(7)
    assert [i.product.platform_id for i in compiled.apply(
        [ScoredProduct(plain, 1.0)], _catalog()).items] == ["7"]
    tagged = _product(7, tags=("Adult",))
    ruled = compiled.apply([ScoredProduct(tagged, 1.0), *_items()[:1]], _catalog())
    assert [i.product.platform_id for i in ruled.items] == ["1"] and ruled.removed == ["7"]
