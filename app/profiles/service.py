"""Build a shopper's profile for one request: orders, stored events, the live session.

Everything is read fresh, so an event stored (or only observed) a moment ago already
counts; visitor and customer histories are joined through the visitor links."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.context.types import ShopperContext
from app.events.queries import customer_of, recent_events, visitors_of
from app.events.types import EventType
from app.ids import ShopId
from app.input_limits import check_id
from app.profiles.history import customer_orders, fill_purchases
from app.profiles.session_state import SessionIntent, SessionState
from app.profiles.types import Profile
from app.storage.reads import Reader

EVENT_WEIGHTS = {
    EventType.PRODUCT_VIEWED.value: 1.0,
    EventType.PRODUCT_CLICKED.value: 1.5,
    EventType.PRODUCT_ADDED_TO_CART.value: 3.0,
}
INTERACTION_DAYS = 30.0
LOOKBACK = timedelta(days=90)


@dataclass(frozen=True)
class Shopper:
    visitor_id: str | None
    customer_id: str | None
    personalization: bool | None = None
    """Consent for this request; ``None``: the session's last known answer (default yes)."""
    context: ShopperContext | None = None
    """Where and when the shopper is, as the request says (``None``: as the session says)."""

    def __post_init__(self) -> None:
        check_id("visitorId", self.visitor_id)
        check_id("customerId", self.customer_id)


def _consents(shopper: Shopper, intent: SessionIntent | None) -> bool:
    if shopper.personalization is not None:
        return shopper.personalization
    return intent.personalization if intent is not None else True


async def _who(session: Reader, shop_id: ShopId, shopper: Shopper,
               intent: SessionIntent | None) -> tuple[str | None, list[str]]:
    customer = shopper.customer_id or (intent.customer_id if intent else None)
    if customer is None and shopper.visitor_id:
        customer = await customer_of(session, shop_id, shopper.visitor_id)
    visitors = [shopper.visitor_id] if shopper.visitor_id else []
    if customer:
        visitors = list(dict.fromkeys([*visitors, *await visitors_of(session, shop_id, customer)]))
    return customer, visitors


async def _add_events(session: Reader, shop_id: ShopId, profile: Profile,
                      visitors: list[str], now: datetime) -> None:
    events = await recent_events(session, shop_id, visitors, profile.customer_id, now - LOOKBACK)
    for event in events:  # newest first
        if event.product_id is None or event.occurred_at > now:
            continue
        if event.type == EventType.PRODUCT_DISMISSED.value:
            profile.dismissed.add(event.product_id)
        weight = EVENT_WEIGHTS.get(event.type)
        if weight is None:
            continue
        age = max(0.0, (now - event.occurred_at).total_seconds()) / 86400.0
        decayed = weight * math.exp(-age / INTERACTION_DAYS)
        profile.interactions[event.product_id] = profile.interactions.get(event.product_id, 0) + decayed
        if event.type != EventType.PRODUCT_ADDED_TO_CART.value and event.product_id not in profile.recent_views:
            profile.recent_views.append(event.product_id)


def _add_session(profile: Profile, intent: SessionIntent) -> None:
    profile.recent_views = list(dict.fromkeys([*intent.views, *profile.recent_views]))
    profile.cart = list(intent.cart)
    profile.dismissed |= intent.dismissed
    for product in intent.views:
        profile.interactions[product] = profile.interactions.get(product, 0.0) + 1.0


def _context(shopper: Shopper, intent: SessionIntent | None) -> ShopperContext:
    """The request's context, completed by the session's latest."""
    told = intent.context if intent is not None else None
    if shopper.context is None:
        return told or ShopperContext()
    return shopper.context.merged_over(told)


async def build_profile(
    session: Reader,
    shop_id: ShopId,
    shopper: Shopper,
    now: datetime,
    sessions: SessionState,
) -> Profile:
    intent = sessions.get(shop_id, shopper.visitor_id) if shopper.visitor_id else None
    if not _consents(shopper, intent):
        # Non-personalized: only what the rules need (never show what is in the cart).
        return Profile(None, shopper.visitor_id, personalized=False,
                       cart=list(intent.cart) if intent else [])
    customer, visitors = await _who(session, shop_id, shopper, intent)
    profile = Profile(customer_id=customer, visitor_id=shopper.visitor_id)
    if customer:
        fill_purchases(profile, await customer_orders(session, shop_id, customer, now))
    await _add_events(session, shop_id, profile, visitors, now)
    if intent is not None:
        _add_session(profile, intent)
    profile.context = _context(shopper, intent)
    return profile
