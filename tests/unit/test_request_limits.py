"""Recommendation, search and similar-product requests outside the shared input limits are
refused before anything runs, with a message that names the field and never the value."""

from types import SimpleNamespace
from typing import Any

import pytest

from app.errors import InvalidInput, NotFound
from app.events.types import MAX_ID_LENGTH, MAX_QUERY_LENGTH, MAX_REFERENCE_LENGTH
from app.ids import ProductId, ShopId
from app.input_limits import MAX_CONTEXT_PRODUCTS, MAX_SEARCH_RESULTS
from app.profiles.service import Shopper
from app.ranking.types import RecommendationRequest
from app.recommendations.service import Recommender
from app.recommendations.types import Placement
from app.search import protocol as search
from app.search.service import SearchReranker

LONG_ID = "x" * (MAX_ID_LENGTH + 1)
LONG_REFERENCE = "p" * (MAX_REFERENCE_LENGTH + 1)


def _refused(error: pytest.ExceptionInfo[InvalidInput], field: str, *sent: str) -> None:
    assert field in error.value.message
    assert all(value not in error.value.message for value in sent)


@pytest.mark.parametrize("make", [Shopper, search.Shopper])
def test_shopper_ids_longer_than_the_events_limit_are_refused(make: Any) -> None:
    make(visitor_id="v" * MAX_ID_LENGTH, customer_id="c" * MAX_ID_LENGTH)
    with pytest.raises(InvalidInput) as visitor:
        make(visitor_id=LONG_ID, customer_id=None)
    _refused(visitor, "visitorId", LONG_ID)
    with pytest.raises(InvalidInput) as customer:
        make(visitor_id=None, customer_id=LONG_ID)
    _refused(customer, "customerId", LONG_ID)


def _request(**kwargs: Any) -> RecommendationRequest:
    return RecommendationRequest(ShopId(1), Placement.PRODUCT, Shopper("v", None), **kwargs)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"first": 0}, "first"),
    ({"first": 101}, "first"),
    ({"context": [ProductId("p")] * (MAX_CONTEXT_PRODUCTS + 1)}, "productIds"),
    ({"context": [ProductId(LONG_REFERENCE)]}, "productIds"),
    ({"context": [ProductId("")]}, "productIds"),
])
def test_recommendation_requests_outside_the_limits_are_never_made(
        kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        _request(**kwargs)
    _refused(error, field, LONG_REFERENCE)


def test_recommendation_requests_at_the_limits_are_made() -> None:
    _request(first=100, context=[ProductId("p" * MAX_REFERENCE_LENGTH)] * MAX_CONTEXT_PRODUCTS)
    _request(first=1)


def _reranker() -> SearchReranker:
    """Nothing behind it is reached: the inputs are checked first."""
    unused: Any = None
    return SearchReranker(unused, unused, unused, unused, unused)


@pytest.mark.parametrize(("query", "ids", "first", "field"), [
    ("q" * (MAX_QUERY_LENGTH + 1), ["p1"], None, "query"),
    ("   ", ["p1"], None, "query"),
    ("mug", ["p"] * (MAX_SEARCH_RESULTS + 1), None, "productIds"),
    ("mug", ["p1", LONG_REFERENCE], None, "productIds"),
    ("mug", ["p1"], 0, "first"),
    ("mug", ["p1"], MAX_SEARCH_RESULTS + 1, "first"),
])
async def test_search_requests_outside_the_limits_are_refused_before_ranking(
        query: str, ids: list[str], first: int | None, field: str) -> None:
    unused: Any = None
    with pytest.raises(InvalidInput) as error:
        await _reranker().rerank(unused, ShopId(1), query, ids, search.Shopper("v", None), first)
    _refused(error, field, query, LONG_REFERENCE)


@pytest.mark.parametrize(("product_id", "first"), [(LONG_REFERENCE, 12), ("p1", 0)])
async def test_similar_products_outside_the_limits_are_refused_before_reading(
        product_id: str, first: int) -> None:
    unused: Any = None
    with pytest.raises(InvalidInput) as error:
        await Recommender(unused, unused).similar_products(
            unused, ShopId(1), ProductId(product_id), first)
    _refused(error, "productId" if first else "first", LONG_REFERENCE)


class _EmptyCatalogs:
    async def catalog(self, session: Any, shop_id: ShopId) -> SimpleNamespace:
        return SimpleNamespace(by_platform_id={})


async def test_an_unknown_product_is_not_echoed_back() -> None:
    unused: Any = None
    unknown = "p" * MAX_REFERENCE_LENGTH
    with pytest.raises(NotFound) as error:
        await Recommender(unused, _EmptyCatalogs()).similar_products(  # type: ignore[arg-type]
            unused, ShopId(1), ProductId(unknown), 12)
    assert unknown not in error.value.message
