"""Each shop's merchandising rules and settings, kept in memory by every server process:
the serving path reads them without a database query.

A shop's entry is read again when it is older than ``refresh_seconds`` (default 2 s), by the
first request that finds it so (the others keep serving the entry they have), or at once
after ``invalidate`` in this process. The catalog facts some rules need (collection members,
low stock, low margins) are read with it when the rules that need them change, else at most
every ``facts_refresh_seconds`` (default 30 s): they come from the catalog, which moves on
its own clock. What a request pays with a fresh entry: a dictionary lookup, the schedule
check of the placement's rules, and the compiled rules of that set of active rules (compiled
once per set)."""

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.ids import ShopId
from app.ranking.rules import ListRules, RuleSettings
from app.rules.apply import NO_FACTS, CompiledRules, RuleFacts, ServingRule
from app.rules.facts import facts_needed, load_facts
from app.rules.models import Rule
from app.rules.service import spec_of
from app.shops.models import Shop
from app.shops.preferences import DEFAULT_TIMEZONE, ShopPreferences, preferences_of

log = logging.getLogger(__name__)
DEFAULT_REFRESH_SECONDS = 2.0
DEFAULT_FACTS_REFRESH_SECONDS = 30.0
FactsNeeded = tuple[frozenset[str], float | None, float | None]


def shop_zone(preferences: ShopPreferences) -> str:
    """The shop's time zone for schedules (UTC when unset or unknown to this host)."""
    zone = preferences.zone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("shop time zone unknown to this host; schedules read in UTC")
        return DEFAULT_TIMEZONE
    return zone


Stamp = tuple[tuple[tuple[int, datetime], ...], Any]
"""What tells a shop's rules and settings changed: each enabled rule's id and last change,
and the shop's settings."""


@dataclass
class ShopRuleSet:
    """``ShopRules``: one shop's settings and enabled rules."""

    preferences: ShopPreferences = field(default_factory=ShopPreferences)
    rules: tuple[ServingRule, ...] = ()
    facts: RuleFacts = NO_FACTS
    loaded_at: float = 0.0
    stamp: Stamp | None = None
    _placements: dict[str, tuple[ServingRule, ...]] = field(default_factory=dict)
    _compiled: dict[tuple[int, ...], CompiledRules] = field(default_factory=dict)

    def settings(self, defaults: RuleSettings) -> RuleSettings:
        return self.preferences.rule_settings(defaults)

    def search_unavailable(self, default: str) -> str:
        return self.preferences.search_unavailable or default

    def on(self, placement: str) -> tuple[ServingRule, ...]:
        """The rules of ``placement`` and of every placement."""
        found = self._placements.get(placement)
        if found is None:
            found = tuple(r for r in self.rules if r.placement in (None, placement))
            self._placements[placement] = found
        return found

    def for_list(self, placement: str, now: datetime) -> ListRules | None:
        if now.tzinfo is None:  # a naive time is UTC (as the engine's clock)
            now = now.replace(tzinfo=UTC)
        active = tuple(r.id for r in self.on(placement) if r.active_at(now))
        if not active:
            return None
        compiled = self._compiled.get(active)
        if compiled is None:
            wanted = set(active)
            compiled = CompiledRules([r for r in self.rules if r.id in wanted], self.facts)
            self._compiled[active] = compiled
        return compiled


async def _stamp(session: AsyncSession, shop_id: ShopId) -> Stamp:
    changes = (await session.execute(
        select(Rule.id, Rule.updated_at).where(Rule.shop_id == shop_id, Rule.enabled.is_(True))
        .order_by(Rule.id))).all()
    settings = await session.scalar(select(Shop.settings).where(Shop.id == shop_id))
    return tuple((key, changed) for key, changed in changes), settings


async def load_rules(session: AsyncSession, shop_id: ShopId,
                     preferences: ShopPreferences) -> tuple[ServingRule, ...]:
    zone = shop_zone(preferences)
    rows = await session.scalars(select(Rule).where(Rule.shop_id == shop_id,
                                                    Rule.enabled.is_(True)))
    served: list[ServingRule] = []
    for row in rows:
        try:
            served.append(ServingRule.of(row.id, spec_of(row), zone))
        except (TypeError, ValueError, OverflowError):
            log.error("rule %s of shop %s cannot be served; not applied", row.id, shop_id)
    return tuple(served)


@dataclass
class _Facts:
    needed: FactsNeeded
    facts: RuleFacts
    loaded_at: float


class RuleDirectory:
    """``ShopRulesSource`` of the serving path."""

    def __init__(self, refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
                 facts_refresh_seconds: float = DEFAULT_FACTS_REFRESH_SECONDS) -> None:
        self._refresh = refresh_seconds
        self._facts_refresh = facts_refresh_seconds
        self._shops: dict[ShopId, ShopRuleSet] = {}
        self._facts: dict[ShopId, _Facts] = {}
        self._loading: set[ShopId] = set()
        self._generation = 0
        """Bumped by ``invalidate``: a read begun before it is kept, but as stale."""

    def invalidate(self, shop_id: ShopId | None = None) -> None:
        """Read the shop's (None: every shop's) rules and settings again on its next request."""
        self._generation += 1
        if shop_id is None:
            self._shops.clear()
            self._facts.clear()
        else:
            self._shops.pop(shop_id, None)
            self._facts.pop(shop_id, None)

    async def shop_rules(self, session: AsyncSession, shop_id: ShopId) -> ShopRuleSet:
        known = self._shops.get(shop_id)
        if known is not None and (time.monotonic() - known.loaded_at < self._refresh
                                  or shop_id in self._loading):
            return known  # fresh, or another request is reading it again meanwhile
        self._loading.add(shop_id)
        generation = self._generation
        try:
            loaded = await self._load(session, shop_id)
        finally:
            self._loading.discard(shop_id)
        loaded.loaded_at = time.monotonic() if generation == self._generation else -math.inf
        self._shops[shop_id] = loaded
        return loaded

    async def _load(self, session: AsyncSession, shop_id: ShopId) -> ShopRuleSet:
        """The shop's entry read again; the one held, with its compiled rules and their
        judgements, when neither the rules, the settings nor the facts changed (read every
        few seconds, 50 rules took milliseconds to read and compile again, and each
        candidate product had to be judged again after it)."""
        stamp = await _stamp(session, shop_id)
        known = self._shops.get(shop_id)
        if known is not None and known.stamp == stamp:
            facts = await self._facts_for(session, shop_id, known.rules)
            if facts is known.facts:
                return known
            return ShopRuleSet(known.preferences, known.rules, facts, stamp=stamp)
        preferences = preferences_of(stamp[1])
        rules = await load_rules(session, shop_id, preferences)
        return ShopRuleSet(preferences, rules, await self._facts_for(session, shop_id, rules),
                           stamp=stamp)

    async def _facts_for(self, session: AsyncSession, shop_id: ShopId,
                         rules: tuple[ServingRule, ...]) -> RuleFacts:
        needed = facts_needed(rules)
        if needed == (frozenset(), None, None):
            return NO_FACTS
        known = self._facts.get(shop_id)
        now = time.monotonic()
        if known is not None and known.needed == needed and now - known.loaded_at < self._facts_refresh:
            return known.facts
        facts = await load_facts(session, shop_id, rules)
        self._facts[shop_id] = _Facts(needed, facts, now)
        return facts
