"""Device class, region and local hour through the real endpoints: trackEvents and
/collect take them into the live session, a bad one refuses its event by the field's name,
and a recommendation request may carry them."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.asgi import create_app
from app.catalog.service import apply_product_changes
from app.context.types import DeviceClass, ShopperContext
from app.ids import ShopId
from app.profiles.service import Shopper, build_profile
from app.settings import Settings
from app.storage.database import transaction, utcnow
from tests.factories import MUGS_AND_MORE, make_shop, product
from tests.fakes import HashingEmbedder
from tests.support import Harness

pytestmark = pytest.mark.usefixtures("graphql_path")  # both GraphQL paths

ORIGIN = "https://shop.example"
TRACK = """mutation($events: [EventInput!]!) { trackEvents(events: $events) {
  accepted duplicates rejected { index reason } } }"""
RECOMMEND = """query($region: String, $hour: Int, $device: DeviceClass) {
  recommendations(placement: HOME, visitorId: "v1", first: 3, region: $region,
                  localHour: $hour, deviceClass: $device) { items { product { id } } } }"""
YES = {"analytics": True, "personalization": True}
ODD = "ZZ-<b>odd</b>"


@pytest.fixture
async def served(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Harness, ShopId, str]]:
    embedder = HashingEmbedder()
    settings = Settings(  # type: ignore[call-arg]
        database_url=database_url, data_dir=tmp_path, worker_enabled=False,
        webhook_processor_enabled=False, embedding_model=embedder.model_name, annoy_trees=5,
        allowed_hosts=["testserver"], _env_file=None)
    app = create_app(settings, embedder_factory=lambda: embedder)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        h = Harness(app, client, app.state.services, embedder)
        async with transaction(h.services.sessions) as session:
            created = await make_shop(session, storefront_origins=[ORIGIN],
                                      box=h.services.secrets)
            shop = ShopId(created.shop.id)
            await apply_product_changes(
                session, shop, [product(pid, title) for pid, title in MUGS_AND_MORE[:6]])
        await h.embed(shop)
        await h.build(shop)
        yield h, shop, created.storefront_key
    await app.state.ingestion.aclose()
    await app.state.services.engine.dispose()


def _view(visitor: str, **extra: Any) -> dict[str, Any]:
    return {"type": "PRODUCT_VIEWED", "visitorId": visitor, "productId": "2", "consent": YES,
            **extra}


async def _graphql(h: Harness, key: str, query: str, **variables: Any) -> Any:
    response = await h.client.post("/graphql", json={"query": query, "variables": variables},
                                   headers={"X-Affinity-Storefront-Key": key})
    assert response.status_code == 200, response.text
    return response.json()


async def test_track_events_keeps_the_context_in_the_live_session(
        served: tuple[Harness, ShopId, str]) -> None:
    h, shop, key = served
    body = await _graphql(h, key, TRACK, events=[
        _view("v1", deviceClass="MOBILE", region="gb-eng", localHour=21),
        _view("v1", localHour=22),
        _view("v2", region=ODD), _view("v3", localHour=24)])
    result = body["data"]["trackEvents"]
    assert result["accepted"] == 2
    assert [r["index"] for r in result["rejected"]] == [2, 3]
    assert result["rejected"][0]["reason"].startswith("region must be")
    assert result["rejected"][1]["reason"].startswith("localHour must be")
    assert ODD not in str(body)
    intent = h.services.session_state.get(shop, "v1")
    assert intent is not None
    assert intent.context == ShopperContext(DeviceClass.MOBILE, "GB-ENG", 22)


async def test_an_unknown_device_class_is_refused_by_the_schema(
        served: tuple[Harness, ShopId, str]) -> None:
    h, _, key = served
    body = await _graphql(h, key, TRACK, events=[_view("v1", deviceClass="PHONE")])
    assert body.get("errors") and not body.get("data")


async def test_collect_takes_the_context_and_refuses_a_bad_one_by_name(
        served: tuple[Harness, ShopId, str]) -> None:
    h, shop, key = served
    events = [_view("c1", deviceClass="TABLET", region="DE", localHour=7),
              _view("c2", region=ODD), _view("c3", localHour="7")]
    response = await h.client.post(f"/collect?key={key}", json={"events": events},
                                   headers={"Origin": ORIGIN})
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1
    assert [r["index"] for r in response.json()["rejected"]] == [1, 2]
    assert ODD not in response.text
    intent = h.services.session_state.get(shop, "c1")
    assert intent is not None and intent.context == ShopperContext(DeviceClass.TABLET, "DE", 7)


async def test_a_recommendation_request_may_carry_the_context(
        served: tuple[Harness, ShopId, str]) -> None:
    h, _, key = served
    body = await _graphql(h, key, RECOMMEND, region="FR", hour=8, device="DESKTOP")
    assert "errors" not in body, body
    refused = await _graphql(h, key, RECOMMEND, region=ODD)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["INVALID_INPUT"]
    assert ODD not in str(refused)


async def test_the_profile_takes_the_request_context_over_the_session_one(
        served: tuple[Harness, ShopId, str]) -> None:
    h, shop, key = served
    await _graphql(h, key, TRACK, events=[_view("v1", deviceClass="MOBILE", region="GB",
                                                localHour=9)])
    asked = ShopperContext(None, "FR", None)
    declined = Shopper("v1", None, personalization=False)
    async with transaction(h.services.sessions) as session:
        from_session = await build_profile(session, shop, Shopper("v1", None), utcnow(),
                                           h.services.session_state)
        from_both = await build_profile(session, shop, Shopper("v1", None, context=asked),
                                        utcnow(), h.services.session_state)
        from_none = await build_profile(session, shop, declined, utcnow(),
                                        h.services.session_state)
    assert from_session.context == ShopperContext(DeviceClass.MOBILE, "GB", 9)
    assert from_both.context == ShopperContext(DeviceClass.MOBILE, "FR", 9)
    assert from_none.context.empty
