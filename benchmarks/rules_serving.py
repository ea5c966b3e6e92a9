"""What merchandising rules cost the serving path: ``recommendations`` (HOME, visitors with
a browsing history) p99 at 200 requests/s with 50 active rules on HOME, side by side with
none, on one server over the 100k world (``benchmarks.side_by_side``).

The 50 rules are made through ``app.rules.service`` (checked against the world's catalog,
audited) before each slice of their side and deleted before each slice of the other; the
server's rule directory reads the change within its refresh period, waited out before the
slice. They are every kind a merchant uses: 5 pins, 17 boosts and 16 buries (by tag,
vendor, product type and price), 10 exclusions of vendors, a stock minimum and a margin
floor. The figure is the difference of the sides' median p99; the served lists show that
the rules were applied (the first pin's product first in the lists of their side)."""

import asyncio
import time
from collections import Counter
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.events.models import Ranking
from app.ids import ShopId
from app.rules.directory import DEFAULT_REFRESH_SECONDS
from app.rules.service import create_rule, delete_rule
from app.rules.specs import (
    BOOST,
    BURY,
    EXCLUDE,
    MARGIN_FLOOR,
    MIN_STOCK,
    PIN,
    PRICE,
    PRODUCT_TYPE,
    TAG,
    VENDOR,
    RuleSpec,
)
from app.storage.database import create_engine, create_session_factory, transaction
from benchmarks import synthetic
from benchmarks.common import Result, Target, write_result
from benchmarks.server import serve
from benchmarks.side_by_side import Run, measure, shares, slice_arguments
from benchmarks.world import World, build_world

NONE, RULES = "no rules", "50 active rules"
WORKLOAD = "recommendations_home"
PLACEMENT = "HOME"
RULE_COUNT = 50
ACTOR = "benchmark"
SETTLE_SECONDS = DEFAULT_REFRESH_SECONDS + 0.5
KINDS = ("first_pinned",)


def fifty_rules(world: World) -> list[RuleSpec]:
    """Rules of every kind over values the world's catalog has: the most common tags,
    vendors and product types, and available products from the catalog's less popular half
    to pin."""
    rows = list(synthetic.catalog(world.products))
    tags = [t for t, _ in Counter(t for r in rows for t in r["tags"]).most_common(40)]  # type: ignore[attr-defined]
    types = [t for t, _ in Counter(str(r["product_type"]) for r in rows).most_common(12)]
    vendors = [v for v, _ in Counter(str(r["vendor"]) for r in rows).most_common(60)]
    # Products the engine seldom puts first by itself: the pins' effect shows in the lists.
    pinned = [r for r in rows[len(rows) // 2:] if r["available"]][:5]
    pinned_vendors = {str(r["vendor"]) for r in pinned}
    rare_vendors = [v for v in reversed(vendors) if v not in pinned_vendors][:10]
    specs = [RuleSpec(f"pin {i + 1}", PIN, PLACEMENT, product_id=str(r["id"]), position=2 * i + 1)
             for i, r in enumerate(pinned)]
    for i in range(17):
        field, values = _match(i, tags, vendors, types)
        specs.append(RuleSpec(f"boost {i + 1}", BOOST, PLACEMENT, field=field, values=values,
                              strength=0.1 + 0.05 * (i % 8)) if field != PRICE else
                     RuleSpec(f"boost {i + 1}", BOOST, PLACEMENT, field=PRICE, price_min=10.0,
                              price_max=60.0, strength=0.2))
    for i in range(16):
        field, values = _match(i + 17, tags, vendors, types)
        specs.append(RuleSpec(f"bury {i + 1}", BURY, PLACEMENT, field=field, values=values,
                              strength=0.1 + 0.05 * (i % 8)) if field != PRICE else
                     RuleSpec(f"bury {i + 1}", BURY, PLACEMENT, field=PRICE, price_min=500.0,
                              strength=0.3))
    specs += [RuleSpec(f"exclude {i + 1}", EXCLUDE, PLACEMENT, field=VENDOR, values=(vendor,))
              for i, vendor in enumerate(rare_vendors)]
    specs.append(RuleSpec("in stock", MIN_STOCK, PLACEMENT, threshold=1))
    specs.append(RuleSpec("margin floor", MARGIN_FLOOR, PLACEMENT, threshold=0.1))
    assert len(specs) == RULE_COUNT, len(specs)
    return specs


def _match(i: int, tags: list[str], vendors: list[str],
           types: list[str]) -> tuple[str, tuple[str, ...]]:
    """The ``i``-th rule's field and values, cycling through tags, vendors, product types
    and prices."""
    match i % 4:
        case 0:
            return TAG, (tags[i % len(tags)], tags[(i + 7) % len(tags)])
        case 1:
            return VENDOR, tuple(vendors[(i + k) % len(vendors)] for k in range(3))
        case 2:
            return PRODUCT_TYPE, (types[i % len(types)],)
        case _:
            return PRICE, ()


class RuleSwitch:
    """Makes the 50 rules, or deletes them, in the world's database; and reads how many of
    the HOME lists served since begin with the first pin's product."""

    sides = (NONE, RULES)

    def __init__(self, sessions: async_sessionmaker[AsyncSession], shop_id: int,
                 specs: list[RuleSpec]) -> None:
        self._sessions, self._shop_id, self._specs = sessions, ShopId(shop_id), specs
        self._rules: list[int] = []
        self._seen = 0
        self._first_pin = next(s.product_id for s in specs if s.kind == PIN and s.position == 1)

    async def set(self, side: str) -> None:
        if (side == RULES) == bool(self._rules):
            return
        async with transaction(self._sessions) as session:
            if self._rules:
                for rule_id in self._rules:
                    await delete_rule(session, self._shop_id, rule_id, ACTOR)
                self._rules = []
            else:
                self._rules = [(await create_rule(session, self._shop_id, spec, ACTOR)).id
                               for spec in self._specs]
        await asyncio.sleep(SETTLE_SECONDS)

    async def served_since(self) -> dict[str, int]:
        async with self._sessions() as session:
            rows = (await session.execute(select(Ranking.id, Ranking.product_ids).where(
                Ranking.id > self._seen, Ranking.placement == PLACEMENT))).all()
        counts = {"lists": len(rows), "first_pinned": 0}
        for row_id, products in rows:
            self._seen = max(self._seen, int(row_id))
            if products and str(products[0]) == self._first_pin:
                counts["first_pinned"] += 1
        return counts

    async def forget(self) -> None:
        await self.set(NONE)


def cost_target(run: Run, seconds: float) -> Target:
    """The difference of the sides' median p99, met only when the rules were applied on
    their side (the first pin first in at least half of its lists, in almost none of the
    other's) and no request failed."""
    summary = run.summary()
    none, ruled = summary[NONE], summary[RULES]
    difference = round(ruled["p99_ms"] - none["p99_ms"], 2)
    with_rules, without = shares(run.served, RULES, KINDS), shares(run.served, NONE, KINDS)
    applied = with_rules["first_pinned"] >= 0.5 and without["first_pinned"] < 0.05
    failed = int(none["failed"] + ruled["failed"])
    return Target(
        "recommendations p99 at 200 req/s, 50 active rules minus none", difference, "ms",
        "<= 1", difference <= 1 and applied and failed == 0,
        f"medians of {ruled['slices']:g} alternating {seconds:g} s slices a side: p99 "
        f"{ruled['p99_ms']} ms with 50 rules on HOME, {none['p99_ms']} ms without; p50 "
        f"{ruled['p50_ms']} vs {none['p50_ms']} ms; server CPU a request "
        f"{ruled['cpu_ms_per_request']} vs {none['cpu_ms_per_request']} ms; pairs won on p99 "
        f"{ruled['pairs_won_on_p99']:g} vs {none['pairs_won_on_p99']:g}; lists with the first "
        f"pin first {100 * with_rules['first_pinned']:.0f}% (none: "
        f"{100 * without['first_pinned']:.0f}%); {failed} requests failed"
        + ("" if applied else "; the rules were not applied as made"))


def run(slices: int, seconds: float, rate: float) -> Result:
    world = build_world(100_000)
    specs = fifty_rules(world)

    async def side_by_side(port: int, pid: int) -> Run:
        engine = create_engine(world.database_url)
        sessions = create_session_factory(engine)
        try:
            return await measure(world, port, pid, RuleSwitch(sessions, world.shop_id, specs),
                                 sessions, WORKLOAD, slices, seconds, rate)
        finally:
            await engine.dispose()

    with serve(world.env(), worker=True, log_name="rules-serving") as server:
        measured = asyncio.run(side_by_side(server.port, server.process.pid))
    summary = measured.summary()
    figures: dict[str, Any] = {
        "workload": WORKLOAD, "rate": rate, "seconds": seconds, "slices": slices,
        "rules": Counter(s.kind for s in specs), "summary": summary,
        "served_lists": {side: shares(measured.served, side, KINDS) for side in (RULES, NONE)},
        "slices_measured": [asdict(s) for s in measured.slices],
        "lists_per_slice": measured.served}
    result = Result("rules_serving", figures)
    result.targets = [cost_target(measured, seconds)]
    result.summary = (f"p99 {summary[RULES]['p99_ms']} ms with 50 rules, "
                      f"{summary[NONE]['p99_ms']} ms without")
    return result


def main() -> None:
    parser = slice_arguments(__doc__)
    args = parser.parse_args()
    started = time.monotonic()
    write_result(run(args.slices, args.seconds, args.rate), started)


if __name__ == "__main__":
    main()
