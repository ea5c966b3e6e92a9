"""Relative lift of a treatment over control with a 95 % interval, and the sample-ratio
test, from per-variant sums over shoppers (``VariantMoments``), never one row per shopper.

The unit is the shopper. A per-shopper mean (revenue per shopper) has the variance of the
mean, s² / n. A ratio of sums (CTR = Σ clicks / Σ impressions) is a ratio of two means
over the same shoppers; its variance by the delta method is
(s_y² − 2 r s_xy + r² s_x²) / (n x̄²). The lift t / c − 1 of two independent variants
then has, again by the delta method, the variance var_t / c² + t² var_c / c⁴, and the
interval is the estimate ± z₀.₉₇₅ of its standard error."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scipy import stats as scipy_stats

from app.attribution.moments import UNIT_METRICS, VariantMoments

Z_95 = float(scipy_stats.norm.ppf(0.975))
PER_SHOPPER = {"revenue_per_shopper": "revenue", "orders_per_shopper": "orders"}
"""Per-shopper means: the lift's metric name and the summed unit metric."""
RATIOS = {"ctr": ("clicks", "impressions"), "click_to_cart": ("add_to_carts", "clicks"),
          "aov": ("revenue", "orders")}
"""Ratio metrics: numerator and denominator summed over shoppers."""
LIFT_METRICS = ("revenue_per_shopper", "orders_per_shopper", "ctr", "click_to_cart", "aov")


@dataclass(frozen=True)
class Measured:
    """A variant's value of a metric and the variance of that value."""

    value: float
    variance: float


@dataclass(frozen=True)
class Lift:
    metric: str
    control: str
    treatment: str
    estimate: float | None
    """treatment / control − 1; None when control's value is 0 or a sample is too small."""
    ci_low: float | None
    ci_high: float | None


def _covariance(m: VariantMoments, a: str, b: str) -> float:
    """The sample covariance of two unit metrics over the variant's shoppers (a = b: the
    variance)."""
    mean_a, mean_b = m.sums.get(a, 0.0) / m.n, m.sums.get(b, 0.0) / m.n
    total = (m.squares.get(a, 0.0) if a == b
             else m.products.get((a, b), m.products.get((b, a), 0.0)))
    return (total - m.n * mean_a * mean_b) / (m.n - 1)


def per_shopper_mean(m: VariantMoments, metric: str) -> Measured | None:
    if m.n < 2:
        return None
    return Measured(m.sums.get(metric, 0.0) / m.n,
                    max(0.0, _covariance(m, metric, metric)) / m.n)


def ratio_of_sums(m: VariantMoments, numerator: str, denominator: str) -> Measured | None:
    if m.n < 2 or m.sums.get(denominator, 0.0) <= 0:
        return None
    mean_x = m.sums[denominator] / m.n
    ratio = m.sums.get(numerator, 0.0) / m.sums[denominator]
    spread = (_covariance(m, numerator, numerator) - 2 * ratio * _covariance(m, numerator, denominator)
              + ratio**2 * _covariance(m, denominator, denominator))
    return Measured(ratio, max(0.0, spread) / (m.n * mean_x**2))


def measure(m: VariantMoments, metric: str) -> Measured | None:
    """A variant's value of ``metric`` (one of ``LIFT_METRICS``) with its variance."""
    if metric in PER_SHOPPER:
        return per_shopper_mean(m, PER_SHOPPER[metric])
    numerator, denominator = RATIOS[metric]
    return ratio_of_sums(m, numerator, denominator)


def relative_lift(control: Measured | None,
                  treatment: Measured | None) -> tuple[float, float, float] | None:
    """(estimate, ci_low, ci_high) of treatment / control − 1, or None when undefined."""
    if control is None or treatment is None or control.value <= 0:
        return None
    c, t = control.value, treatment.value
    variance = treatment.variance / c**2 + t**2 * control.variance / c**4
    estimate, half = t / c - 1, Z_95 * math.sqrt(variance)
    return estimate, estimate - half, estimate + half


def lift(metric: str, control: tuple[str, VariantMoments],
         treatment: tuple[str, VariantMoments]) -> Lift:
    found = relative_lift(measure(control[1], metric), measure(treatment[1], metric))
    estimate, low, high = found if found is not None else (None, None, None)
    return Lift(metric, control[0], treatment[0], estimate, low, high)


def sample_ratio_p(shoppers: Mapping[str, int], shares: Mapping[str, float]) -> float:
    """The chi-square test's p-value of the shoppers seen per variant against the
    configured shares (variants of share 0 left out); 1.0 when there is nothing to test."""
    names = [name for name, share in shares.items() if share > 0]
    observed = [float(shoppers.get(name, 0)) for name in names]
    total, share_total = sum(observed), sum(shares[name] for name in names)
    if len(names) < 2 or total <= 0:
        return 1.0
    expected = [total * shares[name] / share_total for name in names]
    return float(scipy_stats.chisquare(observed, expected).pvalue)


def moments_of(units: Mapping[str, Sequence[float]]) -> VariantMoments:
    """The moments of per-shopper values (``{"clicks": [...], ...}``, one value per shopper
    in the same order; missing metrics count 0): for tests, fakes and the simulator."""
    count = max((len(values) for values in units.values()), default=0)
    columns = {name: [float(v) for v in units.get(name, [0.0] * count)] for name in UNIT_METRICS}
    return VariantMoments(
        n=count,
        sums={k: math.fsum(v) for k, v in columns.items()},
        squares={k: math.fsum(x * x for x in v) for k, v in columns.items()},
        products={(a, b): math.fsum(x * y for x, y in zip(columns[a], columns[b], strict=True))
                  for i, a in enumerate(UNIT_METRICS) for b in UNIT_METRICS[i + 1:]})
