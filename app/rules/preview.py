"""What a shopper sees on a placement now, with and without the shop's merchandising rules,
and what the merchandiser should know about it (the rules empty the list, a pin is not
shown). Ranked by the serving engine, never recorded: a preview is no impression."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInput
from app.ids import ProductId, ShopId
from app.profiles.service import Shopper
from app.ranking.service import RecommendationEngine
from app.ranking.types import RecommendationRequest
from app.recommendations.types import Placement, RecommendationList
from app.rules.directory import RuleDirectory
from app.rules.specs import PIN
from app.storage.database import utcnow

EMPTIED = ("the rules would leave nothing to show on this placement: shoppers see the list "
           "without rules")


@dataclass(frozen=True)
class Preview:
    with_rules: RecommendationList
    without_rules: RecommendationList
    warnings: list[str] = field(default_factory=list)
    active_rules: int = 0


def _placement(name: str) -> Placement:
    try:
        placement = Placement(name.upper())
    except ValueError:
        raise InvalidInput("placement: unknown placement") from None
    if placement is Placement.SEARCH:
        raise InvalidInput("placement: a preview shows a carousel placement, not search")
    return placement


async def preview(session: AsyncSession, engine: RecommendationEngine, rules: RuleDirectory,
                  shop_id: ShopId, placement: str, visitor_id: str | None,
                  customer_id: str | None, product_ids: list[str] | None = None,
                  first: int = 12, now: datetime | None = None) -> Preview:
    """The lists ``engine`` ranks for the shopper on ``placement`` now (the engine's own
    configuration, not an experiment's variant), with the rules ``rules`` holds for the
    shop and without them."""
    if not visitor_id and not customer_id:
        raise InvalidInput("visitorId: name a visitor or a customer")
    now = now or utcnow()
    request = RecommendationRequest(
        shop_id, _placement(placement), Shopper(visitor_id, customer_id),
        [ProductId(p) for p in product_ids or []], first, now=now)
    with_rules = await engine.recommend(session, request)
    without_rules = await engine.recommend(session, request, merchandise=False)
    shop = await rules.shop_rules(session, shop_id)
    active = [r for r in shop.on(request.placement.value) if r.active_at(now)]
    warnings = [EMPTIED] if with_rules.fell_back else []
    shown = {item.product.platform_id for item in with_rules.items}
    warnings += [f"rule {r.id}: the pinned product is not shown (filtered, unavailable, "
                 "the page's own product or beyond the list)"
                 for r in active if r.kind == PIN and r.product_id not in shown]
    return Preview(with_rules, without_rules, warnings, len(active))


class RulePreviewer:
    """What the admin API and the console need of the serving side for rules: a preview,
    and telling this process's directory that a shop's rules changed."""

    def __init__(self, engine: RecommendationEngine, rules: RuleDirectory) -> None:
        self._engine = engine
        self._rules = rules

    def changed(self, shop_id: ShopId) -> None:
        """Serve the shop's new rules at once in this process (others within 2 s)."""
        self._rules.invalidate(shop_id)

    async def preview(self, session: AsyncSession, shop_id: ShopId, placement: str,
                      visitor_id: str | None, customer_id: str | None,
                      product_ids: list[str] | None = None, first: int = 12) -> Preview:
        self._rules.invalidate(shop_id)  # what was just saved, even if not yet committed
        try:
            return await preview(session, self._engine, self._rules, shop_id, placement,
                                 visitor_id, customer_id, product_ids, first)
        finally:
            self._rules.invalidate(shop_id)
