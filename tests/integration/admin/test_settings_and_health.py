"""Shop settings and data health over the admin API: settings beside the server's
defaults, changes saved all or nothing (a refusal names the field and the reason), other
keys of the stored JSON kept, every health figure answered."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.schema.config import StrawberryConfig

from app.admin.auth import AdminAuth
from app.admin.context import AdminContext
from app.admin.endpoint import AdminGraphQL
from app.admin.health import HealthQuery
from app.admin.routes import ADMIN_PATH
from app.admin.settings import (
    SettingsMutation,
    SettingsQuery,
    health_sources,
    server_defaults,
)
from app.catalog.models import Product
from app.errors import NotFound
from app.graphql.schema import QuietSchema, protective_extensions
from app.health.data import HealthSources
from app.ids import ShopId
from app.ranking.rules import RuleSettings
from app.shops.models import Shop
from app.shops.preferences import ShopPreferences, read_preferences, update_preferences
from app.shops.service import NewShopCredentials
from app.storage.database import create_session_factory, transaction
from tests.integration.admin.support import AdminApi, new_shop, settings_for

SETTINGS_FIELDS = ("explorationShare maxPerVendor maxPerProductType excludeRecentPurchasesDays "
                   "searchUnavailable holdoutShare timezone")
SHOP_SETTINGS = f"""{{ shopSettings {{ own {{ {SETTINGS_FIELDS} }} defaults {{ {SETTINGS_FIELDS} }}
  effective {{ {SETTINGS_FIELDS} }} }} }}"""
UPDATE = f"""mutation($input: ShopSettingsInput!) {{ updateShopSettings(input: $input) {{
  own {{ {SETTINGS_FIELDS} }} effective {{ {SETTINGS_FIELDS} }} }} }}"""
DATA_HEALTH = "{ dataHealth { key label value target goal ok advice count total unit } }"
PRIVACY_HEALTH = """{ privacyHealth { figures { key value ok advice }
  consent { day optedIn optedOut } } }"""
RULES = RuleSettings(exclude_recent_purchases_days=14, max_per_vendor=3, max_per_product_type=6,
                     exploration_share=0.2)
SERVER = {"explorationShare": 0.2, "maxPerVendor": 3, "maxPerProductType": 6,
          "excludeRecentPurchasesDays": 14, "searchUnavailable": "drop", "holdoutShare": 0.05,
          "timezone": "UTC"}
UNSET = dict.fromkeys(SERVER)


@dataclass
class WiredContext(AdminContext):
    shop_defaults: ShopPreferences = field(default_factory=ShopPreferences)
    health_sources: HealthSources | None = None


@strawberry.type
class Query(SettingsQuery, HealthQuery):
    pass


@strawberry.type
class Mutation(SettingsMutation):
    pass


@pytest.fixture
async def api(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[AdminApi]:
    settings = settings_for(engine, tmp_path, search_unavailable="drop", holdout_share=0.05)
    sessions = create_session_factory(engine)
    defaults = server_defaults(settings, RULES)
    sources = health_sources(settings, None, retrain_hours=24)
    schema = QuietSchema(query=Query, mutation=Mutation,
                         config=StrawberryConfig(auto_camel_case=True),
                         extensions=protective_extensions(settings, cache_size=8))

    class Endpoint(AdminGraphQL):
        async def get_context(self, request: Request | WebSocket, response: Any) -> AdminContext:
            plain = await super().get_context(request, response)
            return WiredContext(shop=plain.shop, shop_defaults=defaults, health_sources=sources)

    endpoint = Endpoint(schema, sessions, settings, AdminAuth(sessions))
    app = Starlette(routes=[Route(ADMIN_PATH, endpoint, methods=["GET", "POST"])])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield AdminApi(client)


async def _shop_with(engine: AsyncEngine, stored: dict[str, Any]) -> NewShopCredentials:
    shop = await new_shop(engine)
    async with transaction(create_session_factory(engine)) as session:
        await session.execute(update(Shop).where(Shop.id == shop.shop.id).values(settings=stored))
    return shop


async def _stored(engine: AsyncEngine, domain: str) -> dict[str, Any]:
    async with transaction(create_session_factory(engine)) as session:
        stored: dict[str, Any] = await session.scalar(
            select(Shop.settings).where(Shop.domain == domain))
        return stored


async def test_settings_beside_the_servers_defaults(engine: AsyncEngine, api: AdminApi) -> None:
    token = (await new_shop(engine)).admin_token
    read = (await api.data(token, SHOP_SETTINGS))["shopSettings"]
    assert read == {"own": UNSET, "defaults": SERVER, "effective": SERVER}


async def test_a_change_is_saved_and_keeps_other_keys(engine: AsyncEngine, api: AdminApi) -> None:
    shop = await _shop_with(engine, {"holdout_share": 0.1, "demo": {"seeded": True}})
    changed = (await api.data(shop.admin_token, UPDATE, input={
        "maxPerVendor": 2, "timezone": "Europe/Paris", "searchUnavailable": "sink"}))
    own = changed["updateShopSettings"]["own"]
    assert own == {**UNSET, "maxPerVendor": 2, "timezone": "Europe/Paris",
                   "searchUnavailable": "sink", "holdoutShare": 0.1}
    assert changed["updateShopSettings"]["effective"] == {
        **SERVER, "maxPerVendor": 2, "timezone": "Europe/Paris", "searchUnavailable": "sink",
        "holdoutShare": 0.1}
    assert await _stored(engine, shop.shop.domain) == {
        "holdout_share": 0.1, "demo": {"seeded": True}, "max_per_vendor": 2,
        "timezone": "Europe/Paris", "search_unavailable": "sink"}
    reset = (await api.data(shop.admin_token, UPDATE, input={"maxPerVendor": None}))
    assert reset["updateShopSettings"]["effective"]["maxPerVendor"] == 3
    assert "max_per_vendor" not in await _stored(engine, shop.shop.domain)


@pytest.mark.parametrize(("given", "message"), [
    ({"explorationShare": 0.7}, "explorationShare"),
    ({"maxPerVendor": 0}, "maxPerVendor"),
    ({"maxPerProductType": 11}, "maxPerProductType"),
    ({"excludeRecentPurchasesDays": 400}, "excludeRecentPurchasesDays"),
    ({"searchUnavailable": "hide"}, "searchUnavailable"),
    ({"holdoutShare": 0.9}, "holdoutShare"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
])
async def test_a_refusal_names_the_field_and_saves_nothing(
        engine: AsyncEngine, api: AdminApi, given: dict[str, Any], message: str) -> None:
    shop = await _shop_with(engine, {"demo": 1})
    body = (await api.post(shop.admin_token, UPDATE, input={"maxPerVendor": 2, **given})).json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["message"].startswith(f"{message}: ")
    assert "Mars" not in error["message"] and "hide" not in error["message"]
    assert await _stored(engine, shop.shop.domain) == {"demo": 1}


async def test_a_shop_sees_only_its_own_settings(engine: AsyncEngine, api: AdminApi) -> None:
    first, second = await new_shop(engine), await new_shop(engine)
    await api.data(first.admin_token, UPDATE, input={"explorationShare": 0.0})
    read = (await api.data(second.admin_token, SHOP_SETTINGS))["shopSettings"]
    assert read["own"] == UNSET


async def test_data_health_answers_every_figure(engine: AsyncEngine, api: AdminApi) -> None:
    shop = await new_shop(engine)
    async with transaction(create_session_factory(engine)) as session:
        session.add_all([Product(shop_id=shop.shop.id, platform_id=str(n), title=f"P{n}",
                                 body_text="text", price_min=1.0, image_url=None,
                                 product_type="Mugs", content_hash=f"h{n}") for n in range(4)])
    figures = {f["key"]: f for f in (await api.data(shop.admin_token, DATA_HEALTH))["dataHealth"]}
    assert set(figures) == {
        "catalog_embedded", "catalog_indexed", "index_age", "catalog_image", "catalog_price",
        "catalog_type", "catalog_description", "events_with_consent", "sessions_with_signal",
        "orders_matched", "events_attributed", "inbox_backlog", "inbox_failed", "model_age"}
    assert figures["catalog_price"] == {
        "key": "catalog_price", "label": "Products with a price", "value": 1.0, "target": 0.95,
        "goal": "at_least", "ok": True, "advice": "Nearly every product has a price.",
        "count": 4, "total": 4, "unit": "share"}
    embedded = figures["catalog_embedded"]
    assert (embedded["value"], embedded["ok"], embedded["count"]) == (0.0, False, 0)
    assert figures["catalog_image"]["ok"] is False and figures["catalog_image"]["advice"]
    assert figures["model_age"]["value"] is None and figures["model_age"]["target"] == 48


async def test_privacy_health(engine: AsyncEngine, api: AdminApi) -> None:
    shop = await new_shop(engine)
    answer = (await api.data(shop.admin_token, PRIVACY_HEALTH))["privacyHealth"]
    assert [f["key"] for f in answer["figures"]] == [
        "exports_waiting", "redactions_done", "personalization_opt_in"]
    assert answer["consent"] == []


async def test_without_the_servers_defaults_the_answer_is_unavailable(
        engine: AsyncEngine, tmp_path: Path) -> None:
    settings = settings_for(engine, tmp_path)
    sessions = create_session_factory(engine)
    schema = QuietSchema(query=Query, mutation=Mutation,
                         config=StrawberryConfig(auto_camel_case=True),
                         extensions=protective_extensions(settings, cache_size=8))
    endpoint = AdminGraphQL(schema, sessions, settings, AdminAuth(sessions))
    app = Starlette(routes=[Route(ADMIN_PATH, endpoint, methods=["POST"])])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        api = AdminApi(client)
        token = (await new_shop(engine)).admin_token
        assert await api.error_codes(token, SHOP_SETTINGS) == ["UNAVAILABLE"]


async def test_the_store_merges_into_the_shops_json(engine: AsyncEngine) -> None:
    shop = await _shop_with(engine, {"holdout_share": 0.2, "rules_seen": [1, 2]})
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        saved = await update_preferences(session, ShopId(shop.shop.id),
                                         {"exploration_share": 0.3, "timezone": "Asia/Tokyo"})
    assert saved == ShopPreferences(exploration_share=0.3, holdout_share=0.2,
                                    timezone="Asia/Tokyo")
    async with transaction(sessions) as session:
        assert await read_preferences(session, ShopId(shop.shop.id)) == saved
        with pytest.raises(NotFound):
            await update_preferences(session, ShopId(shop.shop.id + 10_000), {"timezone": "UTC"})
    assert await _stored(engine, shop.shop.domain) == {
        "holdout_share": 0.2, "rules_seen": [1, 2], "exploration_share": 0.3,
        "timezone": "Asia/Tokyo"}


async def test_a_bad_stored_value_does_not_fail_reading(engine: AsyncEngine,
                                                        api: AdminApi) -> None:
    shop = await _shop_with(engine, {"max_per_vendor": "lots", "timezone": "Atlantis/Capital",
                                     "exploration_share": 0.4})
    own = (await api.data(shop.admin_token, SHOP_SETTINGS))["shopSettings"]["own"]
    assert own == {**UNSET, "explorationShare": 0.4}
