"""The merchandising layer: a shop's active rules applied to a scored list, after the
engine's own selection, as one pure function of the list, the rules, the catalog snapshot
and the catalog facts the rules need (collections, stock, margins).

Conflicts are resolved in a fixed order:

1. **Filters**, all of them: an item must pass every ``exclude`` (matches none), every
   ``include`` (matches each include rule, any of its values), every ``margin_floor`` and
   ``min_stock`` (the highest threshold wins). A product without a known unit cost (or
   price) passes a margin floor; one without a known stock passes a minimum stock. If the
   filters would leave nothing, the list is served without rules (``fell_back``).
2. **Boosts and buries**, summed: item ``i`` of ``n`` (best first) gets the rank score
   ``1 - i/n`` plus the strengths of the boosts it matches minus those of the buries; the
   list is ordered by that (stable). A strength of 1 lifts an item above every item the rule
   does not match; 0.5 about half the list.
3. **Pins**, by priority (higher first, then the older rule): the product goes to its
   position; a position already taken by a pin of higher priority sends it to the next free
   one. A pinned product the filters exclude, that is not servable, or that the request
   avoids (the page's product, the cart) is not shown. Positions beyond the list's end
   close up to it.

Items a pin or a boost moved up gain the reason ``FEATURED_BY_SHOP`` ("Featured by the
shop"); buried items move down silently.

Matching is by index, not rule by rule: per request, each item costs a lookup per tag,
one for its vendor and one for its type (plus one per collection or price rule), however
many rules there are."""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from app.catalog.snapshot import CatalogProduct, ShopCatalog
from app.ranking.rules import RuledList
from app.recommendations.types import FEATURED_BY_SHOP, ScoredProduct
from app.rules.specs import (
    BOOST,
    BURY,
    COLLECTION,
    EXCLUDE,
    INCLUDE,
    MARGIN_FLOOR,
    MIN_STOCK,
    PIN,
    PRICE,
    PRODUCT_TYPE,
    TAG,
    VENDOR,
    RuleSpec,
)


@dataclass(frozen=True)
class RuleFacts:
    """What the catalog snapshot does not hold, for the rules that need it."""

    collections: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Collection platform id -> its products' platform ids."""
    stock: Mapping[str, int] = field(default_factory=dict)
    """Products' known stock (those some minimum stock may filter)."""
    margins: Mapping[str, float] = field(default_factory=dict)
    """Products' known margin share, the lowest of their costed variants'."""


NO_FACTS = RuleFacts()


def _instant(local: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A wall-clock time of the shop's zone as an instant (an ambiguous time, repeated when
    clocks go back, is its first occurrence; a skipped one is read with the offset before
    the change)."""
    return None if local is None else local.replace(tzinfo=zone, fold=0).astimezone(UTC)


@dataclass(frozen=True)
class ServingRule:
    """A stored rule as serving uses it: values casefolded, schedule as instants."""

    id: int
    kind: str
    placement: str | None = None
    priority: int = 0
    field: str | None = None
    values: frozenset[str] = frozenset()
    price_min: float | None = None
    price_max: float | None = None
    product_id: str | None = None
    position: int | None = None
    strength: float = 0.0
    threshold: float = 0.0
    starts: datetime | None = None
    ends: datetime | None = None

    @classmethod
    def of(cls, rule_id: int, spec: RuleSpec, zone: str = "UTC") -> "ServingRule":
        tz = ZoneInfo(zone)
        values = (frozenset(spec.values) if spec.field == COLLECTION
                  else frozenset(v.casefold() for v in spec.values))
        return cls(rule_id, spec.kind, spec.placement, spec.priority, spec.field, values,
                   spec.price_min, spec.price_max, spec.product_id, spec.position,
                   spec.strength or 0.0, spec.threshold or 0.0,
                   _instant(spec.starts_at, tz), _instant(spec.ends_at, tz))

    def active_at(self, now: datetime) -> bool:
        """``now``: an aware instant."""
        return (self.starts is None or self.starts <= now) and (self.ends is None or now < self.ends)


class Matcher:
    """Which of ``rules`` match a product: values indexed per field, collection and price
    rules checked one by one."""

    def __init__(self, rules: Sequence[ServingRule], facts: RuleFacts) -> None:
        self.count = len(rules)
        self._index: dict[str, dict[str, list[int]]] = {TAG: {}, VENDOR: {}, PRODUCT_TYPE: {}}
        self._members: list[tuple[int, frozenset[str]]] = []
        self._prices: list[tuple[int, float, float]] = []
        for i, rule in enumerate(rules):
            if rule.field == COLLECTION:
                members = frozenset().union(*(facts.collections.get(c, frozenset())
                                              for c in rule.values))
                self._members.append((i, members))
            elif rule.field == PRICE:
                low = rule.price_min if rule.price_min is not None else float("-inf")
                high = rule.price_max if rule.price_max is not None else float("inf")
                self._prices.append((i, low, high))
            elif rule.field in self._index:
                for value in rule.values:
                    self._index[rule.field].setdefault(value, []).append(i)

    def matched(self, product: CatalogProduct) -> set[int]:
        found: set[int] = set()
        tags, vendors, types = (self._index[TAG], self._index[VENDOR],
                                self._index[PRODUCT_TYPE])
        if tags:
            for tag in product.tags:
                hit = tags.get(tag.casefold())
                if hit is not None:
                    found.update(hit)
        if vendors and product.vendor:
            hit = vendors.get(product.vendor.casefold())
            if hit is not None:
                found.update(hit)
        if types and product.product_type:
            hit = types.get(product.product_type.casefold())
            if hit is not None:
                found.update(hit)
        for i, members in self._members:
            if product.platform_id in members:
                found.add(i)
        price = product.price_min
        if price is not None:
            for i, low, high in self._prices:
                if low <= price <= high:
                    found.add(i)
        return found


def _featured(item: ScoredProduct) -> ScoredProduct:
    kept = [r for r in item.reasons if r.code != FEATURED_BY_SHOP.code]
    return ScoredProduct(item.product, item.score, [FEATURED_BY_SHOP, *kept])


def _boosted(items: list[ScoredProduct], deltas: list[float],
             moved: set[str]) -> list[ScoredProduct]:
    """Ordered by rank score plus the moves' strengths; those that rose by a boost noted."""
    if not any(deltas):
        return items
    n = len(items)
    order = sorted(range(n), key=lambda i: -(1.0 - i / n + deltas[i]))
    for new, old in enumerate(order):
        if deltas[old] > 0 and new < old:
            moved.add(items[old].product.platform_id)
    return [items[i] for i in order]


class CompiledRules:
    """``ListRules``: one placement's active rules, compiled once per set of active rules.
    The filters and moves that match on a field share one index: each item is matched once."""

    def __init__(self, rules: Iterable[ServingRule], facts: RuleFacts = NO_FACTS) -> None:
        ordered = sorted(rules, key=lambda r: (-r.priority, r.id))
        self.rule_ids = tuple(r.id for r in ordered)
        self._facts = facts
        matching = [r for r in ordered if r.kind in (EXCLUDE, INCLUDE, BOOST, BURY)]
        self._matcher = Matcher(matching, facts)
        self._excluding = frozenset(i for i, r in enumerate(matching) if r.kind == EXCLUDE)
        self._including = frozenset(i for i, r in enumerate(matching) if r.kind == INCLUDE)
        self._strengths = {i: r.strength if r.kind == BOOST else -r.strength
                           for i, r in enumerate(matching) if r.kind in (BOOST, BURY)}
        floors = [r.threshold for r in ordered if r.kind == MARGIN_FLOOR]
        self._margin_floor = max(floors) if floors else None
        stocks = [r.threshold for r in ordered if r.kind == MIN_STOCK]
        self._min_stock = max(stocks) if stocks else None
        self._pins = [r for r in ordered if r.kind == PIN]
        self._judged: dict[str, tuple[CatalogProduct, float | None]] = {}
        """Per product, its judgement (the same products recur from request to request;
        held while these rules are: a directory entry lives 2 s, its catalog bounds it)."""

    def _judge(self, product: CatalogProduct) -> float | None:
        """None when a filter takes ``product`` out, else the strength its moves add up to."""
        known = self._judged.get(product.platform_id)
        if known is not None and known[0] is product:
            return known[1]
        judged = self._judge_now(product)
        self._judged[product.platform_id] = (product, judged)
        return judged

    def _judge_now(self, product: CatalogProduct) -> float | None:
        matched = self._matcher.matched(product) if self._matcher.count else set()
        if matched and not self._excluding.isdisjoint(matched):
            return None
        if self._including and not self._including <= matched:
            return None
        pid = product.platform_id
        if self._margin_floor is not None:
            margin = self._facts.margins.get(pid)
            if margin is not None and margin < self._margin_floor:
                return None
        if self._min_stock is not None:
            stock = self._facts.stock.get(pid)
            if stock is not None and stock < self._min_stock:
                return None
        strengths = self._strengths
        return sum(strengths[i] for i in matched if i in strengths) if strengths else 0.0

    def passes(self, product: CatalogProduct) -> bool:
        return self._judge(product) is not None

    def apply(self, items: list[ScoredProduct], catalog: ShopCatalog,
              avoid: Collection[str] = (), insert_pins: bool = True) -> RuledList:
        kept: list[ScoredProduct] = []
        deltas: list[float] = []
        removed: list[str] = []
        for item in items:
            delta = self._judge(item.product)
            if delta is None:
                removed.append(item.product.platform_id)
            else:
                kept.append(item)
                deltas.append(delta)
        if items and not kept:
            return RuledList(list(items), removed=removed, fell_back=True)
        moved: set[str] = set()
        kept = _boosted(kept, deltas, moved)
        kept = self._pinned(kept, catalog, avoid, insert_pins, moved)
        ruled = [_featured(i) if i.product.platform_id in moved else i for i in kept]
        return RuledList(ruled, [i.product.platform_id for i in ruled
                                 if i.product.platform_id in moved], removed)

    def _pinned(self, items: list[ScoredProduct], catalog: ShopCatalog, avoid: Collection[str],
                insert_pins: bool, moved: set[str]) -> list[ScoredProduct]:
        if not self._pins:
            return items
        at: dict[int, ScoredProduct] = {}
        placed: set[str] = set()
        present = {item.product.platform_id: item for item in items}
        for pin in self._pins:
            pid = pin.product_id
            if pid is None or pid in placed or pid in avoid:
                continue
            item = present.get(pid)
            if item is None and insert_pins:
                product = catalog.by_platform_id.get(pid)
                if product is not None and product.servable and self.passes(product):
                    item = ScoredProduct(product, 0.0, [])
            if item is None:
                continue
            slot = (pin.position or 1) - 1
            while slot in at:
                slot += 1
            at[slot] = item
            placed.add(pid)
            moved.add(pid)
        rest = iter([i for i in items if i.product.platform_id not in placed])
        out: list[ScoredProduct] = []
        for slot in sorted(at):
            while len(out) < slot:
                following = next(rest, None)
                if following is None:
                    break
                out.append(following)
            out.append(at[slot])
        out.extend(rest)
        return out


def apply_rules(items: list[ScoredProduct], rules: Iterable[ServingRule], catalog: ShopCatalog,
                now: datetime, facts: RuleFacts = NO_FACTS, avoid: Collection[str] = (),
                insert_pins: bool = True) -> RuledList:
    """``items`` (best first) after the ``rules`` active at ``now`` (naive: UTC)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    active = [rule for rule in rules if rule.active_at(now)]
    if not active:
        return RuledList(list(items))
    return CompiledRules(active, facts).apply(items, catalog, avoid, insert_pins)
