"""The console over HTTP: log-in with the admin token, the session cookie's flags, CSRF on
every change (403, nothing changed), no session: the log-in page; every page renders the
shop's data, on SQLite and PostgreSQL."""

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.service import apply_product_changes
from app.console.sessions import SessionStore
from app.experiments.models import Experiment
from app.ids import ShopId
from app.rules.models import Rule, RuleAudit
from app.shops.models import Shop
from app.shops.service import rotate_admin_token
from app.storage.database import create_session_factory, transaction
from tests.factories import product
from tests.integration.admin.support import new_shop
from tests.integration.console.support import ConsoleClient, console, seed_overview

PAGES = ("/admin/overview", "/admin/experiments", "/admin/rules", "/admin/placements",
         "/admin/health", "/admin/privacy")
EXPERIMENT = {"name": "home-test", "placement": "HOME", "control_name": "control",
              "control_config": "engine", "treatment_name": "treatment",
              "treatment_config": "baseline", "treatment_share": "0.5"}


@pytest.fixture
async def client(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[ConsoleClient]:
    async with console(engine, tmp_path) as client:
        yield client


async def _count(engine: AsyncEngine, model: type[Experiment] | type[Rule], shop: int) -> int:
    async with transaction(create_session_factory(engine)) as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(
            model.shop_id == shop)) or 0)


async def test_without_a_session_every_page_leads_to_the_log_in(
        engine: AsyncEngine, client: ConsoleClient) -> None:
    shop = await new_shop(engine)
    for path in ("/admin", *PAGES, "/admin/experiments/1"):
        response = await client.client.get(path)
        if path == "/admin":
            response = await client.client.get(response.headers["location"])
        assert response.status_code == 303 and response.headers["location"] == "/admin/login"
    refused = await client.client.post("/admin/experiments", data=EXPERIMENT)
    assert refused.status_code == 303 and refused.headers["location"] == "/admin/login"
    assert await _count(engine, Experiment, shop.shop.id) == 0
    login = await client.client.get("/admin/login")
    assert login.status_code == 200 and '<label for="token">' in login.text
    assert "script-src 'self'" in login.headers["content-security-policy"]


async def test_log_in_opens_a_session_in_a_strict_http_only_cookie(
        engine: AsyncEngine, client: ConsoleClient) -> None:
    shop = await new_shop(engine)
    response = await client.log_in(shop.admin_token)
    assert response.status_code == 303 and response.headers["location"] == "/admin/overview"
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith("affinity_console="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/admin"} <= flags
    assert "secure" not in flags  # plain HTTP, no HTTPS public URL
    assert shop.admin_token not in cookie
    page = await client.client.get("/admin/overview")
    assert page.status_code == 200 and shop.shop.domain in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_the_cookie_is_secure_over_https_or_with_an_https_public_url(
        engine: AsyncEngine, tmp_path: Path) -> None:
    shop = await new_shop(engine)
    async with console(engine, tmp_path, "https://testserver") as client:
        response = await client.log_in(shop.admin_token)
        cookie = next(c for c in response.headers.get_list("set-cookie")
                      if c.startswith("affinity_console="))
        assert "secure" in {part.strip().lower() for part in cookie.split(";")}
    # Behind a proxy that ends TLS the app hears plain HTTP; the public URL says HTTPS.
    async with console(engine, tmp_path, public_url="https://shop.example") as client:
        login = await client.client.get("/admin/login")
        cookie = login.headers["set-cookie"]
        assert "secure" in {part.strip().lower() for part in cookie.split(";")}


async def test_wrong_tokens_are_refused_then_rate_limited(
        engine: AsyncEngine, client: ConsoleClient) -> None:
    shop = await new_shop(engine)
    statuses = [(await client.log_in("adm_wrong")).status_code for _ in range(10)]
    assert statuses == [401] * 10
    limited = await client.log_in(shop.admin_token)  # even the right token, for a while
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert "affinity_console=" not in " ".join(limited.headers.get_list("set-cookie"))
    assert len(client.store) == 0


async def test_a_log_in_without_its_form_token_is_refused(
        engine: AsyncEngine, client: ConsoleClient) -> None:
    shop = await new_shop(engine)
    response = await client.client.post("/admin/login", data={"token": shop.admin_token})
    assert response.status_code == 403 and len(client.store) == 0


async def test_a_change_without_its_csrf_token_is_403_and_changes_nothing(
        engine: AsyncEngine, client: ConsoleClient) -> None:
    shop = await new_shop(engine)
    assert (await client.log_in(shop.admin_token)).status_code == 303
    assert len(client.store) == 1
    missing = await client.client.post("/admin/experiments", data=EXPERIMENT)
    wrong = await client.client.post("/admin/experiments", data={**EXPERIMENT,
                                                                 "csrf_token": "x" * 43})
    header = await client.client.post("/admin/placements", data={"holdout_share": "0.2"},
                                      headers={"X-CSRF-Token": "nope"})
    assert [missing.status_code, wrong.status_code, header.status_code] == [403, 403, 403]
    assert await _count(engine, Experiment, shop.shop.id) == 0
    async with transaction(create_session_factory(engine)) as session:
        stored = await session.scalar(select(Shop.settings).where(Shop.id == shop.shop.id))
    assert "holdout_share" not in (stored or {})
    logout = await client.client.post("/admin/logout")
    assert logout.status_code == 403 and len(client.store) == 1  # still signed in
    # With its token (the form field or htmx's header), the same change goes through.
    created = await client.post("/admin/experiments", EXPERIMENT)
    assert created.status_code == 303 and await _count(engine, Experiment, shop.shop.id) == 1


async def test_log_out_and_a_rotated_token_end_the_session(
        engine: AsyncEngine, client: ConsoleClient) -> None:
    shop = await new_shop(engine)
    await client.log_in(shop.admin_token)
    out = await client.post("/admin/logout", {})
    assert out.status_code == 303 and out.headers["location"] == "/admin/login"
    assert (await client.client.get("/admin/overview")).status_code == 303
    await client.log_in(shop.admin_token)
    assert (await client.client.get("/admin/overview")).status_code == 200
    async with transaction(create_session_factory(engine)) as session:
        found = await session.get(Shop, shop.shop.id)
        assert found is not None
        await rotate_admin_token(session, found)
    assert (await client.client.get("/admin/overview")).status_code == 303


async def test_the_overview_shows_kpis_and_series_against_the_holdout(
        engine: AsyncEngine, client: ConsoleClient) -> None:
    shop = await new_shop(engine)
    await seed_overview(engine, ShopId(shop.shop.id))
    await client.log_in(shop.admin_token)
    page = await client.client.get("/admin/overview")
    assert page.status_code == 200
    data = json.loads(re.search(r'id="overview-data" data-kind="series">(.*?)</script>',
                                page.text, re.DOTALL).group(1))  # type: ignore[union-attr]
    assert len(data["labels"]) == 30
    charts = {chart["id"]: chart for chart in data["charts"]}
    assert set(charts) == {"ctr", "click_to_cart", "revenue", "revenue_per_visitor",
                           "latency_p95_ms"}
    personalized, holdout = charts["ctr"]["series"]
    assert (personalized["label"], holdout["label"]) == ("Personalized", "Holdout")
    assert any(v for v in personalized["values"]) and any(v for v in holdout["values"])
    assert any(v for v in charts["revenue"]["series"][0]["values"])
    assert any(v for v in charts["latency_p95_ms"]["series"][0]["values"])
    ctr = re.search(r'data-kpi="ctr">([^<]+)<', page.text)
    assert ctr is not None and ctr.group(1).endswith("%") and ctr.group(1) != "0.0 %"
    assert '<th scope="rowgroup" rowspan="2">HOME</th>' in page.text
    assert '<th scope="rowgroup" rowspan="2">CART</th>' in page.text
    one = await client.client.get("/admin/overview?placement=cart")
    assert one.status_code == 200 and 'aria-current="page">CART<' in one.text


async def test_an_experiments_results_show_interval_bars_and_guardrails(
        engine: AsyncEngine, client: ConsoleClient) -> None:
    shop = await new_shop(engine)
    await seed_overview(engine, ShopId(shop.shop.id))
    await client.log_in(shop.admin_token)
    listed = await client.client.get("/admin/experiments")
    found = re.search(r'href="(/admin/experiments/\d+)">product-page-ranker<', listed.text)
    assert found is not None and "status-running" in listed.text
    page = await client.client.get(found.group(1))
    assert page.status_code == 200
    chart = json.loads(re.search(r'id="lift-data" data-kind="intervals">(.*?)</script>',
                                 page.text, re.DOTALL).group(1))  # type: ignore[union-attr]
    assert "ctr (treatment)" in chart["labels"]
    for (low, high), estimate in zip(chart["intervals"], chart["estimates"], strict=True):
        assert low <= estimate <= high
    assert "latency_p99_ms" in page.text and 'class="status status-waiting"' in page.text


async def test_experiments_are_created_started_stopped_and_show_results(
        engine: AsyncEngine, client: ConsoleClient) -> None:
    shop = await new_shop(engine)
    await client.log_in(shop.admin_token)
    created = await client.post("/admin/experiments", EXPERIMENT)
    assert created.status_code == 303
    path = created.headers["location"]
    detail = await client.client.get(path)
    assert detail.status_code == 200 and "Experiment home-test" in detail.text
    assert "draft" in detail.text and "Guardrails" in detail.text
    started = await client.post(f"{path}/start", {}, **{"HX-Request": "true"})
    assert started.status_code == 200 and started.text.lstrip().startswith("<tr")
    assert "status-running" in started.text and "Stop home-test" in started.text
    again = await client.post(f"{path}/start", {}, **{"HX-Request": "true"})
    assert again.status_code == 400 and "only a draft experiment can start" in again.text
    stopped = await client.post(f"{path}/stop", {"reason": "enough data"})
    assert stopped.status_code == 303
    after = await client.client.get(path)
    assert "status-stopped" in after.text and "enough data" in after.text
    listed = await client.client.get("/admin/experiments")
    assert "home-test" in listed.text and "status-stopped" in listed.text


async def test_a_refused_experiment_says_why_and_saves_nothing(
        engine: AsyncEngine, client: ConsoleClient) -> None:
    shop = await new_shop(engine)
    await client.log_in(shop.admin_token)
    same = await client.post("/admin/experiments", {**EXPERIMENT, "treatment_name": "control"})
    assert same.status_code == 400 and "variant names must be unique" in same.text
    share = await client.post("/admin/experiments", {**EXPERIMENT, "treatment_share": "7"})
    assert share.status_code == 400 and "treatment share" in share.text
    custom = await client.post("/admin/experiments", {**EXPERIMENT,
                                                      "treatment_custom": "<script>x</script>"})
    assert custom.status_code == 400 and "<script>x" not in custom.text
    assert await _count(engine, Experiment, shop.shop.id) == 0
    await client.post("/admin/experiments", EXPERIMENT)
    taken = await client.post("/admin/experiments", EXPERIMENT)
    assert taken.status_code == 400 and "the shop has an experiment of that name" in taken.text
    assert await _count(engine, Experiment, shop.shop.id) == 1


async def test_placements_settings_are_saved_or_refused_with_the_field(
        engine: AsyncEngine, client: ConsoleClient) -> None:
    shop = await new_shop(engine)
    await client.log_in(shop.admin_token)
    page = await client.client.get("/admin/placements")
    assert page.status_code == 200 and 'for="exploration_share"' in page.text
    saved = await client.post("/admin/placements", {
        "exploration_share": "0.2", "max_per_vendor": "3", "max_per_product_type": "",
        "exclude_recent_purchases_days": "14", "search_unavailable": "drop",
        "holdout_share": "0.1", "timezone": "Europe/Paris"})
    assert saved.status_code == 303
    shown = await client.client.get(saved.headers["location"])
    assert "Saved." in shown.text and 'value="Europe/Paris"' in shown.text
    refused = await client.post("/admin/placements", {"holdout_share": "0.9",
                                                      "max_per_vendor": "5"})
    assert refused.status_code == 400 and "holdout_share" in refused.text
    async with transaction(create_session_factory(engine)) as session:
        stored = await session.scalar(select(Shop.settings).where(Shop.id == shop.shop.id))
    assert stored is not None
    assert (stored["holdout_share"], stored["max_per_vendor"]) == (0.1, 3)
    assert "max_per_product_type" not in stored


async def test_data_health_and_privacy_render_the_shops_figures(
        engine: AsyncEngine, client: ConsoleClient) -> None:
    shop = await new_shop(engine)
    await seed_overview(engine, ShopId(shop.shop.id))
    await client.log_in(shop.admin_token)
    health = await client.client.get("/admin/health")
    assert health.status_code == 200
    assert 'data-figure="sessions_with_signal"' in health.text
    assert "Green" in health.text and "Red" in health.text  # said in words, not colour only
    privacy = await client.client.get("/admin/privacy")
    assert privacy.status_code == 200 and 'id="consent-data"' in privacy.text
    data = json.loads(re.search(r'id="consent-data" data-kind="series">(.*?)</script>',
                                privacy.text, re.DOTALL).group(1))  # type: ignore[union-attr]
    opted_in, opted_out = data["charts"][0]["series"]
    assert sum(opted_in["values"]) > 0 and sum(opted_out["values"]) > 0


async def test_rules_are_created_edited_deleted_and_audited(
        engine: AsyncEngine, client: ConsoleClient) -> None:
    shop = await new_shop(engine)
    async with transaction(create_session_factory(engine)) as session:
        await apply_product_changes(session, ShopId(shop.shop.id),
                                    [product("101", "Blue mug"), product("102", "Red mug")])
    await client.log_in(shop.admin_token)
    pin = {"name": "mug first", "kind": "pin", "placement": "HOME", "product_id": "101",
           "position": "1", "priority": "5", "enabled": "on"}
    unknown = await client.post("/admin/rules", {**pin, "product_id": "999"})
    assert unknown.status_code == 400 and "productId" in unknown.text
    backwards = await client.post("/admin/rules", {**pin, "starts_at": "2026-12-02T09:00",
                                                   "ends_at": "2026-12-01T09:00"})
    assert backwards.status_code == 400 and "endsAt" in backwards.text
    assert await _count(engine, Rule, shop.shop.id) == 0
    created = await client.post("/admin/rules", pin)
    assert created.status_code == 303
    listed = await client.client.get("/admin/rules")
    assert "mug first" in listed.text and "product 101 at position 1" in listed.text
    rule_id = re.search(r'href="/admin/rules/(\d+)"', listed.text).group(1)  # type: ignore[union-attr]
    edit = await client.client.get(f"/admin/rules/{rule_id}")
    assert edit.status_code == 200 and 'value="101"' in edit.text
    updated = await client.post(f"/admin/rules/{rule_id}", {**pin, "position": "3"})
    assert updated.status_code == 303
    assert "at position 3" in (await client.client.get("/admin/rules")).text
    deleted = await client.post(f"/admin/rules/{rule_id}/delete", {})
    assert deleted.status_code == 303 and await _count(engine, Rule, shop.shop.id) == 0
    async with transaction(create_session_factory(engine)) as session:
        actions = list(await session.scalars(select(RuleAudit.action).where(
            RuleAudit.shop_id == shop.shop.id).order_by(RuleAudit.id)))
    assert actions == ["created", "updated", "deleted"]
    assert "No rule yet" in (await client.client.get("/admin/rules")).text


async def test_the_admin_api_still_answers_beside_the_console(
        engine: AsyncEngine, client: ConsoleClient) -> None:
    shop = await new_shop(engine)
    response = await client.client.post(
        "/admin/graphql", json={"query": "{ experiments { id } }"},
        headers={"Authorization": f"Bearer {shop.admin_token}"})
    assert response.status_code == 200 and response.json() == {"data": {"experiments": []}}


def test_sessions_end_when_idle_or_old() -> None:
    now = [0.0]
    store = SessionStore(clock=lambda: now[0], idle_seconds=10, lifetime_seconds=25)
    from app.admin.auth import AdminShop
    session_id, _ = store.open(AdminShop(1, "shop.example", "EUR"), "digest")
    now[0] = 9
    assert store.find(session_id) is not None
    now[0] = 18
    assert store.find(session_id) is not None  # seen at 9: idle for 9 s only
    now[0] = 26
    assert store.find(session_id) is None  # past its lifetime
    other, _ = store.open(AdminShop(1, "shop.example", "EUR"), "digest")
    now[0] = 37
    assert store.find(other) is None and len(store) == 0
