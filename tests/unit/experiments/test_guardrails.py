"""Guardrails judge a variant against control only past the minimum sample, and only
when the drop is both larger than allowed and beyond noise."""

from dataclasses import dataclass

import numpy as np

from app.attribution.moments import VariantMoments
from app.experiments.guardrails import (
    AOV,
    CLICK_TO_CART,
    LATENCY,
    CheckStatus,
    GuardrailCheck,
    evaluate_guardrails,
)
from app.experiments.models import EXPERIMENT_RUNNING, Experiment
from app.experiments.specs import GuardrailSpec
from app.experiments.stats import moments_of


@dataclass(frozen=True)
class Latency:
    count: int
    p99_ms: float | None


def _experiment(**limits: float) -> Experiment:
    return Experiment(id=1, shop_id=1, name="e", placement="HOME", status=EXPERIMENT_RUNNING,
                      salt="s", control="a", stop_reason=None,
                      variants=[{"name": "a", "config": "engine", "share": 0.5},
                                {"name": "b", "config": "baseline", "share": 0.5}],
                      guardrails={**GuardrailSpec().as_json(), **limits})


def _shoppers(n: int, cart_rate: float, order_value: float, seed: int) -> VariantMoments:
    rng = np.random.default_rng(seed)
    clicks = rng.poisson(3, n)
    carts = rng.binomial(clicks, cart_rate)
    orders = (carts > 0).astype(int)
    revenue = orders * rng.normal(order_value, 5, n)
    return moments_of({"impressions": (clicks * 10).tolist(), "clicks": clicks.tolist(),
                       "add_to_carts": carts.tolist(), "orders": orders.tolist(),
                       "revenue": revenue.tolist()})


def _status(checks: list[GuardrailCheck], guardrail: str) -> CheckStatus:
    (found,) = [c for c in checks if c.guardrail == guardrail]
    return found.status


def test_a_clear_drop_in_click_to_cart_breaches_and_says_how_much() -> None:
    moments = {"a": _shoppers(2000, 0.30, 50, 1), "b": _shoppers(2000, 0.15, 50, 2)}
    checks = evaluate_guardrails(_experiment(), moments, {})
    (found,) = [c for c in checks if c.guardrail == CLICK_TO_CART]
    assert found.status is CheckStatus.BREACHED and found.variant == "b"
    assert found.measured is not None and -0.6 < found.measured < -0.4
    assert found.reason.startswith("guardrail click_to_cart: measured -0.")
    assert "below the limit -0.2" in found.reason
    assert _status(checks, AOV) is CheckStatus.OK
    assert _status(checks, LATENCY) is CheckStatus.WAITING  # no latency figures yet


def test_a_small_sample_is_not_judged() -> None:
    moments = {"a": _shoppers(300, 0.30, 50, 1), "b": _shoppers(300, 0.10, 50, 2)}
    checks = evaluate_guardrails(_experiment(), moments, {})
    assert _status(checks, CLICK_TO_CART) is CheckStatus.WAITING
    assert _status(evaluate_guardrails(_experiment(min_shoppers=100), moments, {}),
                   CLICK_TO_CART) is CheckStatus.BREACHED


def test_a_drop_within_the_allowance_or_within_noise_passes() -> None:
    within = {"a": _shoppers(3000, 0.30, 50, 1), "b": _shoppers(3000, 0.27, 50, 2)}
    assert _status(evaluate_guardrails(_experiment(), within, {}), CLICK_TO_CART) \
        is CheckStatus.OK
    noisy = {"a": _shoppers(500, 0.30, 50, 1), "b": _shoppers(500, 0.30, 50, 2)}
    assert _status(evaluate_guardrails(_experiment(max_click_to_cart_drop=0.01), noisy, {}),
                   CLICK_TO_CART) is CheckStatus.OK


def test_order_value_and_latency_have_their_own_limits() -> None:
    moments = {"a": _shoppers(2000, 0.3, 60, 1), "b": _shoppers(2000, 0.3, 30, 2)}
    slow = {"b": Latency(5000, 400.0), "a": Latency(5000, 900.0)}
    checks = evaluate_guardrails(_experiment(), moments, slow)
    assert _status(checks, AOV) is CheckStatus.BREACHED
    assert _status(checks, LATENCY) is CheckStatus.BREACHED
    (latency,) = [c for c in checks if c.guardrail == LATENCY]
    assert latency.reason == "guardrail latency_p99_ms: measured 400 ms, above the limit 250 ms"
    assert all(c.variant == "b" for c in checks)  # control is the reference, never judged
    few = {"b": Latency(10, 400.0)}
    assert _status(evaluate_guardrails(_experiment(), moments, few), LATENCY) \
        is CheckStatus.WAITING


def test_the_reason_says_what_the_check_found() -> None:
    waiting = GuardrailCheck("b", LATENCY, 27.0, 250.0, CheckStatus.WAITING)
    within = GuardrailCheck("b", LATENCY, 27.0, 250.0, CheckStatus.OK)
    breached = GuardrailCheck("b", AOV, -0.3, -0.2, CheckStatus.BREACHED)
    assert waiting.reason == ("guardrail latency_p99_ms: measured 27 ms, too few data to judge "
                              "against the limit 250 ms")
    assert within.reason == "guardrail latency_p99_ms: measured 27 ms, within the limit 250 ms"
    assert breached.reason == f"guardrail {AOV}: measured -0.3, below the limit -0.2"
