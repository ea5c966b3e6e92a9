"""Rules, reasons and session intent, without a database."""

from datetime import UTC, datetime, timedelta

from app.catalog.models import Product
from app.events.protocol import AcceptedEvent
from app.events.types import FULL_CONSENT, EventIn, EventType
from app.events.validation import problem_with
from app.ids import ShopId
from app.profiles.session_state import SessionStore
from app.profiles.types import Profile, PurchaseStats
from app.ranking.candidates.pool import Candidate, Source
from app.ranking.reasons import reasons_for
from app.ranking.rules import DiversityCap, RuleSettings, blocked_products, exploration_slots
from app.recommendations.types import Placement

NOW = datetime(2026, 1, 10, tzinfo=UTC)
SHOP = ShopId(1)


def _event(kind: EventType, product: str | None = "p1") -> AcceptedEvent:
    return AcceptedEvent("e", kind, "v1", None, product, None, None, NOW, FULL_CONSENT)


def test_invalid_events_have_reasons() -> None:
    assert problem_with(EventIn(type="NOPE", visitor_id="v"), NOW) is not None
    assert "productId" in (problem_with(EventIn(type="PRODUCT_VIEWED", visitor_id="v"), NOW) or "")
    assert problem_with(EventIn(type="PRODUCT_VIEWED", visitor_id=""), NOW) == "visitorId is required"
    future = EventIn(type="SEARCH_SUBMITTED", visitor_id="v", query="mug",
                     occurred_at=NOW + timedelta(days=1))
    assert problem_with(future, NOW) == "occurredAt is in the future"
    assert problem_with(EventIn(type="PRODUCT_DISMISSED", visitor_id="v", product_id="1"), NOW) is None


def test_session_tracks_views_cart_and_dismissals() -> None:
    store = SessionStore()
    for kind in (EventType.PRODUCT_VIEWED, EventType.PRODUCT_ADDED_TO_CART,
                 EventType.PRODUCT_DISMISSED):
        store.observe(SHOP, _event(kind))
    intent = store.get(SHOP, "v1")
    assert intent is not None
    assert intent.views == ["p1"] and intent.cart == ["p1"] and intent.dismissed == {"p1"}
    store.observe(SHOP, _event(EventType.PRODUCT_REMOVED_FROM_CART))
    assert store.get(SHOP, "v1").cart == []  # type: ignore[union-attr]


def test_blocked_covers_cart_dismissed_context_and_recent_one_off_purchases() -> None:
    profile = Profile("c", "v", cart=["cart"], dismissed={"no"})
    profile.purchases = {"soap": PurchaseStats(1, last_at=NOW - timedelta(days=3)),
                         "sofa": PurchaseStats(1, last_at=NOW - timedelta(days=3)),
                         "old": PurchaseStats(1, last_at=NOW - timedelta(days=300))}
    blocked = blocked_products(profile, ["ctx"], NOW, RuleSettings(), {"soap"}, False)
    assert blocked.product_ids == {"cart", "no", "ctx", "sofa"}
    everything = blocked_products(profile, [], NOW, RuleSettings(), {"soap"}, True)
    assert {"soap", "sofa", "old"} <= everything.product_ids


def test_diversity_cap_and_exploration_share() -> None:
    cap = DiversityCap(RuleSettings(max_per_vendor=2, max_per_product_type=5), shown=10)
    mugs = [Product(platform_id=str(i), title="m", vendor="Acme", product_type="Mugs")
            for i in range(3)]
    taken = []
    for mug in mugs:
        if cap.allows(mug):
            cap.take(mug)
            taken.append(mug)
    assert len(taken) == 2
    assert exploration_slots(10, RuleSettings(exploration_share=0.1)) == 1
    assert exploration_slots(5, RuleSettings(exploration_share=0.1)) == 0


def test_reasons_are_readable() -> None:
    product = Product(platform_id="2", title="Tea cup", product_type="Cups")
    candidate = Candidate("2", {Source.BOUGHT_TOGETHER: "1", Source.TRENDING: None})
    reasons = reasons_for(candidate, product, Placement.HOME, {"1": "Coffee mug"})
    assert [r.message for r in reasons] == ["Often bought with Coffee mug", "Trending in Cups"]
    viewed = reasons_for(Candidate("2", {Source.CONTENT: "1"}), product, Placement.HOME,
                         {"1": "Coffee mug"})
    assert viewed[0].message == "Because you viewed Coffee mug"
