"""A breaching variant leaves traffic by itself and says why; the experiment stops when
only control is left; results report every variant, the lifts, SRM and guardrails."""

from dataclasses import dataclass

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.attribution.moments import VariantMoments
from app.errors import NotFound
from app.experiments.assignment import assign_variant
from app.experiments.figures import Latency
from app.experiments.guardrails import enforce_guardrails
from app.experiments.models import EXPERIMENT_RUNNING, EXPERIMENT_STOPPED, Experiment
from app.experiments.results import experiment_results
from app.experiments.service import create_experiment, start_experiment
from app.experiments.specs import ExperimentSpec, GuardrailSpec, VariantSpec
from app.experiments.stats import moments_of
from tests.factories import make_shop, shop_id


@dataclass(frozen=True)
class FakeLatency:
    count: int
    p99_ms: float | None


class FakeFigures:
    """The figures attribution would report, per experiment id."""

    def __init__(self) -> None:
        self.moments_by: dict[int, dict[str, VariantMoments]] = {}
        self.latency_by: dict[int, dict[str, Latency]] = {}

    async def moments(self, session: AsyncSession, shop_id: int,
                      experiment_id: int) -> dict[str, VariantMoments]:
        return self.moments_by.get(experiment_id, {})

    async def latency(self, session: AsyncSession, shop_id: int,
                      experiment_id: int) -> dict[str, Latency]:
        return self.latency_by.get(experiment_id, {})


def _shoppers(n: int, cart_rate: float, seed: int) -> VariantMoments:
    rng = np.random.default_rng(seed)
    clicks = rng.poisson(3, n)
    carts = rng.binomial(clicks, cart_rate)
    orders = (carts > 0).astype(int)
    return moments_of({"impressions": (clicks * 10).tolist(), "clicks": clicks.tolist(),
                       "add_to_carts": carts.tolist(), "orders": orders.tolist(),
                       "revenue": (orders * 40.0).tolist()})


async def _running(session: AsyncSession, shop: int, names: list[str],
                   name: str = "e") -> Experiment:
    spec = ExperimentSpec(name, "HOME", names[0],
                          [VariantSpec(n, "engine", 1 / len(names)) for n in names],
                          GuardrailSpec(min_shoppers=500))
    experiment = await create_experiment(session, shop, spec)
    return await start_experiment(session, shop, experiment.id)


async def test_a_breaching_variant_is_taken_out_and_the_others_fill_its_share(
        session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    experiment = await _running(session, shop, ["a", "b", "c"])
    figures = FakeFigures()
    figures.moments_by[experiment.id] = {"a": _shoppers(2000, 0.3, 1),
                                         "b": _shoppers(2000, 0.1, 2),
                                         "c": _shoppers(2000, 0.3, 3)}
    units = [f"v:{i}" for i in range(3000)]
    before = [assign_variant(experiment.salt, u, ["a", "b", "c"], [1 / 3] * 3) for u in units]
    stops = await enforce_guardrails(session, shop, figures)
    assert [(s.experiment_id, s.variant, s.experiment_stopped) for s in stops] == [
        (experiment.id, "b", False)]
    assert stops[0].reason.startswith("guardrail click_to_cart: measured -0.6")
    assert experiment.status == EXPERIMENT_RUNNING
    shares = [v["share"] for v in experiment.variants]
    assert shares == pytest.approx([0.5, 0.0, 0.5])
    assert experiment.variants[1]["stopped_reason"] == stops[0].reason
    after = [assign_variant(experiment.salt, u, ["a", "b", "c"], shares) for u in units]
    assert "b" not in after
    assert all(new == old for old, new in zip(before, after, strict=True) if old != "b")
    assert await enforce_guardrails(session, shop, figures) == []  # nothing more to do


async def test_the_experiment_stops_when_only_control_is_left(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    experiment = await _running(session, shop, ["a", "b"])
    figures = FakeFigures()
    figures.latency_by[experiment.id] = {"a": FakeLatency(900, 40.0),
                                         "b": FakeLatency(900, 480.0)}
    (stop,) = await enforce_guardrails(session, shop, figures)
    assert stop.experiment_stopped
    assert experiment.status == EXPERIMENT_STOPPED and experiment.stopped_at is not None
    assert experiment.stop_reason == (
        "b: guardrail latency_p99_ms: measured 480 ms, above the limit 250 ms")
    assert [v["share"] for v in experiment.variants] == [0.5, 0.5]  # as it ran


async def test_results_report_variants_lifts_srm_and_guardrails(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    experiment = await _running(session, shop, ["a", "b"])
    figures = FakeFigures()
    control = moments_of({"impressions": [10, 10, 10, 10], "clicks": [1, 2, 0, 1],
                          "add_to_carts": [1, 1, 0, 0], "orders": [1, 0, 0, 0],
                          "revenue": [20.0, 0, 0, 0]})
    treatment = moments_of({"impressions": [10, 10, 10], "clicks": [3, 2, 1],
                            "add_to_carts": [1, 1, 1], "orders": [1, 1, 0],
                            "revenue": [30.0, 30.0, 0]})
    figures.moments_by[experiment.id] = {"a": control, "b": treatment}
    figures.latency_by[experiment.id] = {"b": FakeLatency(3, 12.5)}
    results = await experiment_results(session, shop, experiment.id, figures)
    a, b = results.variants
    assert (a.name, a.shoppers, a.impressions, a.clicks, a.ctr, a.click_to_cart, a.orders,
            a.revenue, a.revenue_per_shopper, a.latency_p99_ms) == (
        "a", 4, 40, 4, 0.1, 0.5, 1, 20.0, 5.0, None)
    assert (b.ctr, b.click_to_cart, b.revenue_per_shopper, b.latency_p99_ms) == (
        0.2, 0.5, 20.0, 12.5)
    by_metric = {f.metric: f for f in results.lifts}
    assert set(by_metric) == {"revenue_per_shopper", "orders_per_shopper", "ctr",
                              "click_to_cart", "aov"}
    revenue = by_metric["revenue_per_shopper"]
    assert (revenue.control, revenue.treatment) == ("a", "b")
    assert revenue.estimate == pytest.approx(3.0)
    assert revenue.ci_low is not None and revenue.ci_high is not None
    assert revenue.ci_low < 3.0 < revenue.ci_high
    assert by_metric["ctr"].estimate == pytest.approx(1.0)
    assert results.srm_p == pytest.approx(0.7055, abs=1e-3)  # chi² = 1/7 on 4 vs 3
    assert {c.guardrail for c in results.guardrails} == {"latency_p99_ms", "click_to_cart", "aov"}
    assert (results.status, results.control, results.stop_reason) == ("running", "a", None)


async def test_results_of_another_shops_experiment_are_not_found(session: AsyncSession) -> None:
    shop, other = shop_id(await make_shop(session)), shop_id(await make_shop(session))
    experiment = await _running(session, shop, ["a", "b"])
    with pytest.raises(NotFound):
        await experiment_results(session, other, experiment.id, FakeFigures())


async def test_results_read_the_attribution_rollups_by_default(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    experiment = await _running(session, shop, ["a", "b"])
    results = await experiment_results(session, shop, experiment.id)
    assert [(v.name, v.shoppers, v.ctr, v.revenue_per_shopper) for v in results.variants] == [
        ("a", 0, None, None), ("b", 0, None, None)]
    assert all(f.estimate is None for f in results.lifts)
    assert results.srm_p == 1.0
    assert {c.status.value for c in results.guardrails} == {"waiting"}
    assert await enforce_guardrails(session, shop) == []


async def test_a_ramp_that_brings_a_variant_back_clears_its_reason(session: AsyncSession) -> None:
    from app.experiments.service import ramp_experiment

    shop = shop_id(await make_shop(session))
    experiment = await _running(session, shop, ["a", "b", "c"])
    figures = FakeFigures()
    figures.latency_by[experiment.id] = {"b": FakeLatency(900, 480.0)}
    await enforce_guardrails(session, shop, figures)
    assert "stopped_reason" in experiment.variants[1]
    await ramp_experiment(session, shop, experiment.id, {"a": 0.5, "b": 0.0, "c": 0.5})
    assert "stopped_reason" in experiment.variants[1]  # still out: still why
    await ramp_experiment(session, shop, experiment.id, {"a": 0.4, "b": 0.2, "c": 0.4})
    assert all("stopped_reason" not in v for v in experiment.variants)
