"""Which served list an order line is credited to, and how.

In order of trust: the id the line carries (``_affinity_rec``), then the cart's ids
(``_affinity_recs``, the most recent list that showed the product); otherwise the latest
click on the product by the same customer (or a visitor linked to them) within the
click-through window; otherwise, reported apart, the latest impression of a list showing
the product within the view-through window. A guest order names no shopper: only the ids it
carries can credit it."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import literal, or_, select
from sqlalchemy.orm import Session

from app.attribution.models import NO_EXPERIMENT, NO_VARIANT
from app.events.models import Event, Ranking, VisitorLink
from app.events.types import EventType
from app.orders.models import Order, OrderLine

CART, CLICK, VIEW = "cart", "click", "view"
MAX_EVENTS_READ = 1000
"""The latest events of a shopper read for one order: enough for a week of browsing."""
MAX_LINKED_VISITORS = 100
CHUNK = 500


@dataclass(frozen=True)
class AttributionWindows:
    """How long after a click (or an impression) a purchase of the product is credited."""

    click: timedelta
    view: timedelta

    @classmethod
    def of_days(cls, click_days: float, view_days: float) -> "AttributionWindows":
        return cls(timedelta(days=click_days), timedelta(days=view_days))


DEFAULT_WINDOWS = AttributionWindows.of_days(7, 1)
"""The settings' defaults (``attribution_click_window_days``, ``attribution_view_window_days``)."""


@dataclass(frozen=True)
class Served:
    """What the rollups need of one served list."""

    placement: str
    experiment_id: int
    variant: str
    shopper: str | None
    product_ids: frozenset[str]


def shopper_of(visitor_id: str | None, customer_id: str | None) -> str | None:
    """The experiment's unit: the visitor id the list was served to (what the variant was
    assigned by), else the customer id."""
    return visitor_id or customer_id or None


def served_lists(session: Session, shop_id: int, ids: Iterable[str],
                       with_products: bool = True) -> dict[str, Served]:
    """The shop's served lists of these recommendation ids (ids of other shops are unknown);
    without their products unless asked (events do not need them)."""
    wanted = sorted(set(ids))
    found: dict[str, Served] = {}
    products_column = Ranking.product_ids if with_products else literal(None)
    for start in range(0, len(wanted), CHUNK):
        stmt = select(Ranking.recommendation_id, Ranking.placement, Ranking.experiment_id,
                      Ranking.variant, Ranking.visitor_id, Ranking.customer_id,
                      products_column).where(
            Ranking.shop_id == shop_id, Ranking.recommendation_id.in_(wanted[start:start + CHUNK]))
        for rec, placement, experiment, variant, visitor, customer, products in (
                session.execute(stmt)).all():
            found[rec] = Served(placement, experiment or NO_EXPERIMENT, variant or NO_VARIANT,
                                shopper_of(visitor, customer),
                                frozenset(str(p) for p in products or ()))
    return found


@dataclass(frozen=True)
class Credit:
    line: OrderLine
    served: Served
    kind: str


def credit_order(session: Session, order: Order, lines: Sequence[OrderLine],
                       windows: AttributionWindows) -> list[Credit]:
    """The credits of an order's lines (a line is credited once, or not at all)."""
    credits = _by_carried_ids(session, order, lines)
    rest = [line for line in lines if line.product_id and line not in {c.line for c in credits}]
    if rest and order.customer_id:
        credits += _by_shopper_events(session, order, rest, windows)
    return credits


def _by_carried_ids(session: Session, order: Order,
                          lines: Sequence[OrderLine]) -> list[Credit]:
    cart_ids = list(order.recommendation_ids or [])
    served = served_lists(
        session, order.shop_id, [*cart_ids, *(line.recommendation_id for line in lines
                                              if line.recommendation_id)])
    credits = []
    for line in lines:
        own = served.get(line.recommendation_id or "")
        latest = next((served[i] for i in reversed(cart_ids)
                       if i in served and line.product_id in served[i].product_ids), None)
        chosen = own or latest
        if chosen is not None:
            credits.append(Credit(line, chosen, CART))
    return credits


def _by_shopper_events(session: Session, order: Order, lines: Sequence[OrderLine],
                             windows: AttributionWindows) -> list[Credit]:
    events = _recent_events(session, order, max(windows.click, windows.view))
    served = served_lists(session, order.shop_id,
                                (e.recommendation_id for e in events if e.recommendation_id))
    credits = []
    for line in lines:
        credit = _latest(events, served, line, order, windows)
        if credit is not None:
            credits.append(credit)
    return credits


def _latest(events: Sequence[Event], served: dict[str, Served], line: OrderLine, order: Order,
            windows: AttributionWindows) -> Credit | None:
    """The click on the line's product within its window, else the impression of a list
    showing it within its own (events are newest first)."""
    viewed: Credit | None = None
    for event in events:
        shown = served.get(event.recommendation_id or "")
        if shown is None:
            continue
        age = order.placed_at - event.occurred_at
        if (event.type == EventType.PRODUCT_CLICKED.value and event.product_id == line.product_id
                and age <= windows.click):
            return Credit(line, shown, CLICK)
        if (viewed is None and event.type == EventType.RECOMMENDATIONS_VIEWED.value
                and line.product_id in shown.product_ids and age <= windows.view):
            viewed = Credit(line, shown, VIEW)
    return viewed


def _recent_events(session: Session, order: Order, window: timedelta) -> list[Event]:
    """The customer's clicks and impressions carrying an id in ``window`` before the order."""
    linked = select(VisitorLink.visitor_id).where(
        VisitorLink.shop_id == order.shop_id, VisitorLink.customer_id == order.customer_id,
    ).limit(MAX_LINKED_VISITORS)
    visitors = list((session.execute(linked)).scalars())
    stmt = select(Event).where(
        Event.shop_id == order.shop_id,
        or_(Event.customer_id == order.customer_id, Event.visitor_id.in_(visitors)),
        Event.type.in_([EventType.PRODUCT_CLICKED.value, EventType.RECOMMENDATIONS_VIEWED.value]),
        Event.recommendation_id.is_not(None),
        Event.occurred_at >= order.placed_at - window,
        Event.occurred_at <= order.placed_at,
    ).order_by(Event.occurred_at.desc(), Event.id.desc()).limit(MAX_EVENTS_READ)
    return list((session.execute(stmt)).scalars())
