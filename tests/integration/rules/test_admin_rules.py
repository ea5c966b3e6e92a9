"""Rules through the admin API: a round trip from create to delete with its audit trail,
refusals that save nothing, and the preview."""

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from app.admin.auth import AdminAuth
from app.admin.context import AdminContext
from app.admin.endpoint import AdminGraphQL
from app.admin.routes import ADMIN_PATH
from app.admin.schema import build_admin_schema
from app.catalog.service import apply_product_changes
from app.ids import ShopId
from app.rules.directory import RuleDirectory
from app.rules.preview import RulePreviewer
from app.shops.models import Shop
from app.shops.service import rotate_admin_token
from app.storage.database import create_session_factory, transaction
from tests.factories import MUGS_AND_MORE, product
from tests.integration.admin.support import AdminApi, admin_api, new_shop
from tests.support import Harness

RULE_FIELDS = """id name placement kind field values productId position strength priority
  startsAt endsAt enabled"""
CREATE = f"mutation($input: RuleInput!) {{ createRule(input: $input) {{ {RULE_FIELDS} }} }}"
UPDATE = f"""mutation($id: ID!, $input: RuleInput!) {{
  updateRule(id: $id, input: $input) {{ {RULE_FIELDS} }} }}"""
DELETE = "mutation($id: ID!) { deleteRule(id: $id) }"
RULES = f"query($placement: String) {{ rules(placement: $placement) {{ {RULE_FIELDS} }} }}"
AUDIT = "{ ruleAudit(first: 10) { ruleId action actor at before after } }"
PREVIEW = """query($placement: String!, $visitor: String) {
  previewRules(placement: $placement, visitorId: $visitor) {
    withRules { position productId reasons { code message } }
    withoutRules { position productId } warnings activeRules fellBack } }"""


@pytest.fixture
async def api(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[AdminApi]:
    async with admin_api(engine, tmp_path) as api:
        yield api


async def _shop(engine: AsyncEngine) -> str:
    created = await new_shop(engine)
    async with transaction(create_session_factory(engine)) as session:
        await apply_product_changes(session, ShopId(created.shop.id), [
            product(pid, title, tags=("summer",)) for pid, title in MUGS_AND_MORE])
    return created.admin_token


def _pin(**changes: Any) -> dict[str, Any]:
    return {"name": "feature the clock", "kind": "pin", "placement": "HOME", "productId": "9",
            "position": 2, **changes}


async def test_a_rule_from_create_to_delete_with_its_audit(engine: AsyncEngine,
                                                          api: AdminApi) -> None:
    token = await _shop(engine)
    created = (await api.data(token, CREATE, input=_pin(startsAt="2026-11-27T09:00")))["createRule"]
    assert (created["kind"], created["productId"], created["position"]) == ("pin", "9", 2)
    assert created["startsAt"] == "2026-11-27T09:00:00" and created["enabled"] is True
    rid = created["id"]
    assert [r["id"] for r in (await api.data(token, RULES, placement="HOME"))["rules"]] == [rid]
    assert (await api.data(token, RULES, placement="CART"))["rules"] == []
    updated = (await api.data(token, UPDATE, id=rid, input=_pin(position=4, priority=3)))
    assert (updated["updateRule"]["position"], updated["updateRule"]["startsAt"]) == (4, None)
    boost = {"name": "summer", "kind": "boost", "field": "tag", "values": ["Summer"],
             "strength": 0.5}
    assert (await api.data(token, CREATE, input=boost))["createRule"]["placement"] is None
    assert (await api.data(token, DELETE, id=rid))["deleteRule"] is True
    entries = (await api.data(token, AUDIT))["ruleAudit"]
    assert [e["action"] for e in entries] == ["deleted", "created", "updated", "created"]
    assert all(e["actor"].startswith("shop:") and token not in e["actor"] for e in entries)
    deleted = entries[0]
    assert json.loads(deleted["before"])["position"] == 4 and deleted["after"] is None
    assert [r["kind"] for r in (await api.data(token, RULES))["rules"]] == ["boost"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"position": 0}, "position:"),
    ({"productId": "no-such-product"}, "productId:"),
    ({"startsAt": "2026-11-27T09:00", "endsAt": "2026-11-26T09:00"}, "endsAt:"),
    ({"startsAt": "2026-11-27T09:00+01:00"}, "startsAt:"),
    ({"kind": "boost", "productId": None, "position": None, "field": "tag",
      "values": ["summer"], "strength": 2.0}, "strength:"),
    ({"kind": "exclude", "productId": None, "position": None, "field": "tag",
      "values": ["no-such-tag"]}, "values:"),
])
async def test_refusals_name_the_field_and_save_nothing(engine: AsyncEngine, api: AdminApi,
                                                       changes: dict[str, Any], field: str) -> None:
    token = await _shop(engine)
    body = (await api.post(token, CREATE, input=_pin(**changes))).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_INPUT"]
    assert body["errors"][0]["message"].startswith(field)
    assert (await api.data(token, RULES))["rules"] == []
    assert (await api.data(token, AUDIT))["ruleAudit"] == []


async def test_another_shops_rule_cannot_be_changed(engine: AsyncEngine, api: AdminApi) -> None:
    mine, theirs = await _shop(engine), await _shop(engine)
    rid = (await api.data(mine, CREATE, input=_pin()))["createRule"]["id"]
    assert await api.error_codes(theirs, DELETE, id=rid) == ["NOT_FOUND"]
    assert await api.error_codes(mine, DELETE, id="not-a-number") == ["INVALID_INPUT"]
    assert len((await api.data(mine, RULES))["rules"]) == 1


class _WithPreviews(AdminGraphQL):
    """The admin endpoint with the serving side's previewer in its context."""

    def __init__(self, previewer: RulePreviewer, *args: Any) -> None:
        super().__init__(*args)
        self._previewer = previewer

    async def get_context(self, request: Request, response: Any) -> AdminContext:  # type: ignore[override]
        context = await super().get_context(request, response)
        context.rules = self._previewer  # type: ignore[attr-defined]
        return context


async def test_the_preview_through_the_admin_api(
        served: tuple[Harness, ShopId, str, RuleDirectory]) -> None:
    h, shop, _, rules = served
    async with transaction(h.services.sessions) as session:
        found = await session.get(Shop, shop)
        assert found is not None
        token = await rotate_admin_token(session, found)
    endpoint = _WithPreviews(RulePreviewer(h.services.ranker, rules),
                             build_admin_schema(h.settings), h.services.sessions, h.settings,
                             AdminAuth(h.services.sessions))
    app = Starlette(routes=[Route(ADMIN_PATH, endpoint, methods=["POST"])])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        admin = AdminApi(client)
        await admin.data(token, CREATE, input=_pin(position=1))
        preview = (await admin.data(token, PREVIEW, placement="HOME", visitor="v1"))["previewRules"]
        assert preview["withRules"][0]["productId"] == "9"
        assert preview["withRules"][0]["reasons"][0]["code"] == "FEATURED_BY_SHOP"
        assert preview["activeRules"] == 1 and not preview["fellBack"]
        assert preview["warnings"] == []
        assert await admin.error_codes(token, PREVIEW, placement="SEARCH", visitor="v1") \
            == ["INVALID_INPUT"]
        assert await admin.error_codes(token, PREVIEW, placement="HOME") == ["INVALID_INPUT"]
