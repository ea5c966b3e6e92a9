"""The report is the admin API's answer in snake_case, with the revenue-per-shopper lift
of the treatment against the control picked out."""

from typing import Any

import pytest

from app.simulator.protocol import SimulationFailed
from app.simulator.report import build_report, reported_totals


def _variant(name: str, shoppers: int, clicks: int, revenue: float) -> dict[str, Any]:
    return {"name": name, "shoppers": shoppers, "impressions": 3 * shoppers, "clicks": clicks,
            "ctr": clicks / (3 * shoppers), "addToCarts": clicks // 2, "orders": clicks // 3,
            "revenue": revenue, "revenuePerShopper": revenue / shoppers}


RESULTS: dict[str, Any] = {
    "variants": [_variant("baseline", 100, 30, 50.0), _variant("engine", 98, 60, 120.0)],
    "lifts": [
        {"metric": "ctr", "control": "baseline", "treatment": "engine", "estimate": 1.0,
         "ciLow": 0.5, "ciHigh": 1.5},
        {"metric": "revenuePerShopper", "control": "baseline", "treatment": "engine",
         "estimate": 1.45, "ciLow": 0.2, "ciHigh": 2.7},
    ],
    "srmP": 0.89,
    "guardrails": [{"variant": "engine", "guardrail": "aov", "measured": -0.05, "limit": -0.2,
                    "status": "ok", "reason": "guardrail aov: measured -0.05"}],
}
FOUND = {"id": "1", "name": "sim", "status": "running", "stopReason": None,
         "variants": [{"name": "baseline", "share": 0.5, "stoppedReason": None},
                      {"name": "engine", "share": 0.5, "stoppedReason": None}],
         "results": RESULTS}


def test_the_report_has_the_documented_shape() -> None:
    report = build_report(FOUND, name="sim", control="baseline", treatment="engine",
                          extra={"seed": 3})
    assert report["experiment"] == "sim" and report["srm_p"] == 0.89 and report["seed"] == 3
    assert report["lift"] == {"metric": "revenue_per_shopper", "control": "baseline",
                              "treatment": "engine", "estimate": 1.45, "ci_low": 0.2,
                              "ci_high": 2.7}
    engine = report["variants"][1]
    assert {"name", "shoppers", "impressions", "clicks", "ctr", "orders", "revenue",
            "revenue_per_shopper"} <= set(engine)
    assert engine["revenue_per_shopper"] == pytest.approx(120 / 98)
    assert report["status"] == "running" and report["stop_reason"] is None
    assert report["shares"][1] == {"name": "engine", "share": 0.5, "stopped_reason": None}
    assert report["guardrails"][0]["guardrail"] == "aov"


def test_totals_add_up_every_variant() -> None:
    totals = reported_totals(RESULTS)
    assert totals["shoppers"] == 198 and totals["clicks"] == 90 and totals["revenue"] == 170.0


def test_a_missing_lift_is_an_error_not_a_silent_zero() -> None:
    with pytest.raises(SimulationFailed):
        build_report(FOUND, name="sim", control="engine", treatment="baseline", extra={})
