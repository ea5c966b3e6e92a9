"""The simulation's report: the experiment's results as the admin API reported them (its
camelCase fields in snake_case), the lift of revenue per shopper of the treatment against
the control, and whatever the run adds (the simulator's own counts, its parameters)."""

import re
from typing import Any

from app.simulator.protocol import SimulationFailed

LIFT_METRIC = "revenue_per_shopper"
COUNTED = ("shoppers", "impressions", "clicks", "add_to_carts", "orders", "revenue")


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _snake_keys(row: dict[str, Any]) -> dict[str, Any]:
    return {snake_case(key): value for key, value in row.items()}


def reported_totals(results: dict[str, Any]) -> dict[str, float]:
    """The counts of every variant added up."""
    rows = [_snake_keys(row) for row in results["variants"]]
    return {name: sum(float(row.get(name) or 0) for row in rows) for name in COUNTED}


def _lift(lifts: list[dict[str, Any]], control: str, treatment: str) -> dict[str, Any]:
    for lift in map(_snake_keys, lifts):
        if (snake_case(str(lift["metric"])) == LIFT_METRIC and lift["control"] == control
                and lift["treatment"] == treatment):
            return {**lift, "metric": LIFT_METRIC}
    raise SimulationFailed(f"the admin API reports no {LIFT_METRIC} lift of the treatment")


def build_report(found: dict[str, Any], *, name: str, control: str, treatment: str,
                 extra: dict[str, Any]) -> dict[str, Any]:
    """The report of the experiment ``found`` as the admin API answered it."""
    results = found["results"]
    lifts = [_snake_keys(lift) for lift in results["lifts"]]
    return {
        "experiment": name,
        "variants": [_snake_keys(row) for row in results["variants"]],
        "lift": _lift(lifts, control, treatment),
        "lifts": lifts,
        "srm_p": results["srmP"],
        "reported_totals": reported_totals(results),
        "status": found["status"],
        "stop_reason": found["stopReason"],
        "shares": [_snake_keys(variant) for variant in found["variants"]],
        "guardrails": [_snake_keys(check) for check in results["guardrails"]],
        **extra,
    }
