"""What the request paths record reaches the families a scrape writes."""

from enum import Enum

import strawberry
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from app.events.types import Rejection, TrackResult
from app.metrics.graphql import OperationTimings
from app.metrics.registry import Metrics


@strawberry.enum
class Placement(Enum):
    HOME = "HOME"
    CART = "CART"


@strawberry.type
class Query:
    @strawberry.field
    def recommendations(self, placement: Placement) -> int:
        return 1

    @strawberry.field
    def similar_products(self, product_id: int) -> int:
        return product_id


def _schema(metrics: Metrics) -> strawberry.Schema:
    return strawberry.Schema(query=Query, extensions=[OperationTimings.factory(metrics)])


def _count(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


async def test_operations_are_timed_by_root_field_and_placement() -> None:
    metrics = Metrics()
    schema = _schema(metrics)
    for _ in range(2):
        assert (await schema.execute("{ recommendations(placement: HOME) }")).errors is None
    by_variable = await schema.execute("query($p: Placement!) { recommendations(placement: $p) }",
                                       variable_values={"p": "CART"})
    assert by_variable.errors is None
    await schema.execute("{ similarProducts(productId: 3) }")
    await schema.execute("{ nothingLikeThis }")  # refused by validation: still timed, as other
    seconds = "affinity_graphql_request_duration_seconds_count"
    assert _count(metrics, seconds, operation="recommendations", placement="HOME") == 2
    assert _count(metrics, seconds, operation="recommendations", placement="CART") == 1
    assert _count(metrics, seconds, operation="similarProducts", placement="none") == 1
    assert _count(metrics, seconds, operation="other", placement="none") == 1


def test_events_are_counted_by_outcome_and_reason() -> None:
    metrics = Metrics()
    metrics.count_events(TrackResult(accepted=3, duplicates=1, rejected=[
        Rejection(0, "visitorId is required"), Rejection(4, "visitorId is required"),
        Rejection(5, "unknown event type")]))
    metrics.count_events(TrackResult(accepted=2))
    metrics.count_refused_batch(501)
    assert _count(metrics, "affinity_events_accepted_total") == 5
    assert _count(metrics, "affinity_events_duplicate_total") == 1
    assert _count(metrics, "affinity_events_rejected_total", reason="visitorId") == 2
    assert _count(metrics, "affinity_events_rejected_total", reason="type") == 1
    assert _count(metrics, "affinity_events_rejected_total", reason="batch_too_large") == 501


def test_the_text_format_holds_every_recorded_family() -> None:
    metrics = Metrics()
    metrics.count_webhook("shopify", "accepted")
    metrics.observe_graphql("recommendations", "HOME", 0.004)
    text = generate_latest(metrics.recorded()).decode()
    families = {family.name for family in text_string_to_metric_families(text)}
    assert {"affinity_graphql_request_duration_seconds", "affinity_events_accepted",
            "affinity_events_rejected", "affinity_webhook_deliveries"} <= families
    assert 'affinity_webhook_deliveries_total{outcome="accepted",platform="shopify"} 1.0' in text


def test_two_servers_in_one_process_count_apart() -> None:
    first, second = Metrics(), Metrics()  # each app its own registry: no global one
    first.count_webhook("shopify", "accepted")
    assert _count(first, "affinity_webhook_deliveries_total", platform="shopify",
                  outcome="accepted") == 1
    assert _count(second, "affinity_webhook_deliveries_total", platform="shopify",
                  outcome="accepted") == 0
