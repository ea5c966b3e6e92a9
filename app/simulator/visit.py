"""One simulated shopper's visit: the HOME list, the PRODUCT list of a product from their
history, the CART list of what is in the cart (or of that product), each viewed, clicked
by the click model and added to the cart; then the checkout, an order webhook."""

import random
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.simulator.click_model import Click, ClickModel, clicks_on
from app.simulator.orders import CartLine, SimulatedOrder
from app.simulator.shoppers import ShopperPlan
from app.simulator.storefront import ServedList, Storefront

LIST_LENGTH = 10
PLACEMENTS = ("HOME", "PRODUCT", "CART")


@dataclass
class Tally:
    """What the simulator itself did, to check what the server reports against."""

    shoppers: int = 0
    lists: int = 0
    impressions: int = 0
    clicks: int = 0
    add_to_carts: int = 0
    orders: int = 0
    revenue: float = 0.0
    clicks_by_position: list[int] = field(default_factory=lambda: [0] * LIST_LENGTH)
    """Clicks on each position of the lists (the last holds the exploration slot)."""

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "revenue": round(self.revenue, 2)}


@dataclass
class Cart:
    lines: dict[str, CartLine]
    clicked_lists: list[str]


def _events(visitor: str, customer: str, served: ServedList,
            clicks: list[Click]) -> list[dict[str, Any]]:
    base = {"visitorId": visitor, "customerId": customer,
            "recommendationId": served.recommendation_id}
    events: list[dict[str, Any]] = [{**base, "type": "RECOMMENDATIONS_VIEWED"}]
    for click in clicks:
        events.append({**base, "type": "PRODUCT_CLICKED", "productId": click.product_id})
        if click.added_to_cart:
            events.append({**base, "type": "PRODUCT_ADDED_TO_CART",
                           "productId": click.product_id, "quantity": 1})
    return events


def _add_to_cart(cart: Cart, served: ServedList, clicks: list[Click]) -> None:
    if clicks:
        cart.clicked_lists.append(served.recommendation_id)
    for click in clicks:
        if click.added_to_cart:
            item = served.items[click.position]
            cart.lines[item.product_id] = CartLine(item.product_id, item.title, item.price, 1,
                                                   served.recommendation_id)


def _context(placement: str, viewed: str, cart: Cart) -> list[str]:
    if placement == "HOME":
        return []
    if placement == "CART" and cart.lines:
        return list(cart.lines)
    return [viewed]


async def visit(plan: ShopperPlan, storefront: Storefront, model: ClickModel,
                rng: random.Random, order_id: int, tally: Tally) -> None:
    visitor = f"sim-{plan.customer_id}"
    viewed = rng.choice(plan.history)
    cart = Cart({}, [])
    already: set[str] = set()
    for placement in PLACEMENTS:
        served = await storefront.recommendations(
            placement, plan.customer_id, _context(placement, viewed, cart), LIST_LENGTH)
        tally.lists += 1
        if not served.items:  # a storefront shows no empty carousel
            continue
        clicks = clicks_on(model, served.product_ids, plan.next_basket, already, rng)
        await storefront.track(_events(visitor, plan.customer_id, served, clicks))
        _add_to_cart(cart, served, clicks)
        tally.impressions += 1
        tally.clicks += len(clicks)
        for click in clicks:
            tally.clicks_by_position[min(click.position, LIST_LENGTH - 1)] += 1
        tally.add_to_carts += sum(click.added_to_cart for click in clicks)
    tally.shoppers += 1
    if cart.lines and rng.random() < model.checkout:
        order = SimulatedOrder(order_id, plan.customer_id, "GBP", tuple(cart.lines.values()),
                               tuple(cart.clicked_lists), datetime.now(UTC))
        await storefront.deliver_order(order)
        tally.orders += 1
        tally.revenue += order.total
