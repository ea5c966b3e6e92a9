"""The admin API over HTTP: experiments from draft to stopped, their results, KPI rows,
refusals as INVALID_INPUT errors, and one transaction per request."""

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.attribution.models import NO_EXPERIMENT, NO_VARIANT, ExperimentUnit, KpiDaily
from app.storage.database import create_session_factory, transaction
from tests.integration.admin.support import AdminApi, admin_api, new_shop

EXPERIMENT_FIELDS = "id name placement status control stopReason variants { name config share }"
CREATE = f"""mutation($input: ExperimentInput!) {{
  createExperiment(input: $input) {{ {EXPERIMENT_FIELDS} }} }}"""
START = f"mutation($id: ID!) {{ startExperiment(id: $id) {{ {EXPERIMENT_FIELDS} }} }}"
STOP = f"""mutation($id: ID!, $reason: String) {{
  stopExperiment(id: $id, reason: $reason) {{ {EXPERIMENT_FIELDS} }} }}"""
RAMP = """mutation($id: ID!, $shares: [VariantShareInput!]!) {
  rampExperiment(id: $id, shares: $shares) { status variants { name share } } }"""
RESULTS = """query($id: ID!) { experiment(id: $id) { name status results {
  srmP variants { name shoppers impressions clicks ctr revenuePerShopper latencyP99Ms share }
  lifts { metric control treatment estimate ciLow ciHigh }
  guardrails { variant guardrail status reason } } } }"""
KPIS = """query($from: Date!, $to: Date!, $placement: String, $groupBy: [KpiGroup!]) {
  kpis(from: $from, to: $to, placement: $placement, groupBy: $groupBy) {
    day placement experimentId variant served impressions clicks ctr attributedRevenue
    contributionMargin latencyP99Ms } }"""


def _experiment(name: str = "home-test", **changes: Any) -> dict[str, Any]:
    return {"name": name, "placement": "HOME", "control": "control",
            "variants": [{"name": "control", "config": "engine", "share": 0.5},
                         {"name": "treatment", "config": "baseline", "share": 0.5}],
            **changes}


@pytest.fixture
async def api(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[AdminApi]:
    async with admin_api(engine, tmp_path) as api:
        yield api


async def test_an_experiment_from_draft_to_stopped(engine: AsyncEngine, api: AdminApi) -> None:
    token = (await new_shop(engine)).admin_token
    created = (await api.data(token, CREATE, input=_experiment()))["createExperiment"]
    assert created["status"] == "draft" and created["placement"] == "HOME"
    assert [v["name"] for v in created["variants"]] == ["control", "treatment"]
    eid = created["id"]
    assert (await api.data(token, START, id=eid))["startExperiment"]["status"] == "running"
    ramped = (await api.data(token, RAMP, id=eid, shares=[
        {"name": "control", "share": 0.8}, {"name": "treatment", "share": 0.2}]))
    assert [v["share"] for v in ramped["rampExperiment"]["variants"]] == [0.8, 0.2]
    stopped = (await api.data(token, STOP, id=eid, reason="enough data"))["stopExperiment"]
    assert stopped["status"] == "stopped" and stopped["stopReason"] == "enough data"
    listed = (await api.data(token, "{ experiments { id status } }"))["experiments"]
    assert listed == [{"id": eid, "status": "stopped"}]


async def test_results_of_an_experiment_without_traffic(engine: AsyncEngine,
                                                        api: AdminApi) -> None:
    token = (await new_shop(engine)).admin_token
    eid = (await api.data(token, CREATE, input=_experiment()))["createExperiment"]["id"]
    await api.data(token, START, id=eid)
    found = (await api.data(token, RESULTS, id=eid))["experiment"]
    results = found["results"]
    assert found["status"] == "running"
    assert [(v["name"], v["shoppers"], v["share"]) for v in results["variants"]] == [
        ("control", 0, 0.5), ("treatment", 0, 0.5)]
    assert {lift["treatment"] for lift in results["lifts"]} == {"treatment"}
    assert all(lift["estimate"] is None for lift in results["lifts"])  # nothing to compare yet
    assert 0.0 <= results["srmP"] <= 1.0
    assert all(check["status"] == "waiting" for check in results["guardrails"])


async def _shoppers(engine: AsyncEngine, shop_id: int, experiment: int, variant: str,
                    revenues: list[float]) -> None:
    async with transaction(create_session_factory(engine)) as session:
        session.add_all(ExperimentUnit(
            shop_id=shop_id, experiment_id=experiment, variant=variant, shopper=f"{variant}-{i}",
            impressions=10, clicks=2, add_to_carts=1, orders=1 if revenue else 0,
            revenue=revenue) for i, revenue in enumerate(revenues))


async def test_results_compare_each_variant_with_control(engine: AsyncEngine,
                                                         api: AdminApi) -> None:
    shop = await new_shop(engine)
    eid = (await api.data(shop.admin_token, CREATE, input=_experiment()))["createExperiment"]["id"]
    await api.data(shop.admin_token, START, id=eid)
    await _shoppers(engine, shop.shop.id, int(eid), "control", [10.0, 0.0] * 50)
    await _shoppers(engine, shop.shop.id, int(eid), "treatment", [20.0, 0.0] * 50)
    results = (await api.data(shop.admin_token, RESULTS, id=eid))["experiment"]["results"]
    by_name = {v["name"]: v for v in results["variants"]}
    assert by_name["control"]["shoppers"] == by_name["treatment"]["shoppers"] == 100
    assert by_name["control"]["revenuePerShopper"] == pytest.approx(5.0)
    assert by_name["treatment"]["revenuePerShopper"] == pytest.approx(10.0)
    assert by_name["treatment"]["ctr"] == pytest.approx(0.2)
    revenue = next(lift for lift in results["lifts"] if lift["metric"] == "revenue_per_shopper")
    assert (revenue["control"], revenue["treatment"]) == ("control", "treatment")
    assert revenue["estimate"] == pytest.approx(1.0)
    assert 0.0 < revenue["ciLow"] < 1.0 < revenue["ciHigh"]
    assert results["srmP"] == pytest.approx(1.0)  # 100 and 100 at 50/50


async def test_bad_experiments_are_invalid_input_with_the_reason(
        engine: AsyncEngine, api: AdminApi) -> None:
    token = (await new_shop(engine)).admin_token
    uneven = _experiment(variants=[{"name": "control", "config": "engine", "share": 0.6},
                                   {"name": "treatment", "config": "baseline", "share": 0.6}])
    response = (await api.post(token, CREATE, input=uneven)).json()
    assert response["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "sum to 1" in response["errors"][0]["message"]
    unknown = _experiment(variants=[{"name": "control", "config": "engine", "share": 0.5},
                                    {"name": "treatment", "config": "turbo-<x>", "share": 0.5}])
    refused = (await api.post(token, CREATE, input=unknown)).json()
    assert refused["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "turbo" not in refused["errors"][0]["message"]  # never echoes the input
    eid = (await api.data(token, CREATE, input=_experiment()))["createExperiment"]["id"]
    assert await api.error_codes(token, STOP, id=eid) == ["INVALID_INPUT"]  # a draft
    await api.data(token, START, id=eid)
    assert await api.error_codes(token, START, id=eid) == ["INVALID_INPUT"]  # running
    assert await api.error_codes(token, RAMP, id=eid, shares=[
        {"name": "control", "share": 0.5}, {"name": "treatment", "share": 0.4}]) == ["INVALID_INPUT"]
    await api.data(token, STOP, id=eid)
    assert await api.error_codes(token, STOP, id=eid) == ["INVALID_INPUT"]  # stopped
    assert await api.error_codes(token, STOP, id=eid, reason="r" * 501) == ["INVALID_INPUT"]
    assert await api.error_codes(token, START, id="not-a-number") == ["INVALID_INPUT"]
    assert await api.error_codes(token, START, id="999999999") == ["NOT_FOUND"]


async def test_a_shop_sees_only_its_own_experiments(engine: AsyncEngine, api: AdminApi) -> None:
    mine, theirs = (await new_shop(engine)).admin_token, (await new_shop(engine)).admin_token
    eid = (await api.data(theirs, CREATE, input=_experiment()))["createExperiment"]["id"]
    assert (await api.data(mine, RESULTS, id=eid)) == {"experiment": None}
    assert (await api.data(mine, "{ experiments { id } }")) == {"experiments": []}
    assert await api.error_codes(mine, START, id=eid) == ["NOT_FOUND"]
    assert (await api.data(theirs, "{ experiments { id status } }"))["experiments"] == [
        {"id": eid, "status": "draft"}]


async def test_a_request_with_an_error_changes_nothing(engine: AsyncEngine,
                                                       api: AdminApi) -> None:
    token = (await new_shop(engine)).admin_token
    both = """mutation($good: ExperimentInput!, $bad: ExperimentInput!) {
      first: createExperiment(input: $good) { id }
      second: createExperiment(input: $bad) { id } }"""
    bad = _experiment("bad", control="nobody")
    body = (await api.post(token, both, good=_experiment("good"), bad=bad)).json()
    # The first ran (mutations run in order) and was flushed; the second's error rolls the
    # whole request back.
    assert body["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["second"], "INVALID_INPUT")]
    assert (await api.data(token, "{ experiments { name } }")) == {"experiments": []}


async def _kpi_day(shop_id: int, engine: AsyncEngine, day: date, placement: str,
                   impressions: int, clicks: int) -> None:
    async with transaction(create_session_factory(engine)) as session:
        session.add(KpiDaily(shop_id=shop_id, day=day, placement=placement,
                             experiment_id=NO_EXPERIMENT, variant=NO_VARIANT, served=impressions,
                             impressions=impressions, clicks=clicks, attributed_revenue=12.5))


async def test_kpis_by_day_and_placement(engine: AsyncEngine, api: AdminApi) -> None:
    shop = await new_shop(engine)
    other = await new_shop(engine)
    await _kpi_day(shop.shop.id, engine, date(2026, 3, 1), "HOME", 100, 10)
    await _kpi_day(shop.shop.id, engine, date(2026, 3, 2), "HOME", 50, 1)
    await _kpi_day(shop.shop.id, engine, date(2026, 3, 2), "CART", 40, 4)
    await _kpi_day(other.shop.id, engine, date(2026, 3, 2), "CART", 999, 9)
    token = shop.admin_token
    rows = (await api.data(token, KPIS, **{"from": "2026-03-01", "to": "2026-03-02"},
                           groupBy=["DAY", "PLACEMENT"]))["kpis"]
    assert [(r["day"], r["placement"], r["impressions"], r["clicks"]) for r in rows] == [
        ("2026-03-01", "HOME", 100, 10), ("2026-03-02", "CART", 40, 4),
        ("2026-03-02", "HOME", 50, 1)]
    assert rows[0]["ctr"] == pytest.approx(0.1) and rows[0]["contributionMargin"] is None
    home = (await api.data(token, KPIS, **{"from": "2026-03-01", "to": "2026-03-31"},
                           placement="HOME"))["kpis"]
    assert [(r["placement"], r["impressions"], r["clicks"]) for r in home] == [(None, 150, 11)]
    assert home[0]["attributedRevenue"] == pytest.approx(25.0)
    nothing = (await api.data(other.admin_token, KPIS, **{"from": "2026-03-01",
                                                          "to": "2026-03-01"}))["kpis"]
    assert [(r["served"], r["impressions"], r["latencyP99Ms"]) for r in nothing] == [(0, 0, None)]


@pytest.mark.parametrize(("start", "end", "placement"), [
    ("2025-01-01", "2026-01-02", None),  # 367 days
    ("2026-03-02", "2026-03-01", None),  # to before from
    ("2026-03-01", "2026-03-02", "NOWHERE"),
])
async def test_kpi_refusals_are_invalid_input(engine: AsyncEngine, api: AdminApi, start: str,
                                              end: str, placement: str | None) -> None:
    token = (await new_shop(engine)).admin_token
    body = (await api.post(token, KPIS, **{"from": start, "to": end},
                           placement=placement)).json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_INPUT"]
    assert "NOWHERE" not in body["errors"][0]["message"]
