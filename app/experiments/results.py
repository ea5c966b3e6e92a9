"""An experiment's results: every variant's figures, the relative lift of each variant
over control with its 95 % interval, the sample-ratio test and the guardrails' state."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.attribution.moments import VariantMoments
from app.experiments.figures import ATTRIBUTION, ExperimentFigures, Latency
from app.experiments.guardrails import GuardrailCheck, evaluate_guardrails
from app.experiments.models import Experiment
from app.experiments.service import get_experiment, variant_shares
from app.experiments.stats import LIFT_METRICS, Lift, lift, sample_ratio_p

__all__ = ["ExperimentResults", "Lift", "VariantResult", "experiment_results"]


@dataclass(frozen=True)
class VariantResult:
    name: str
    shoppers: int
    impressions: int
    clicks: int
    ctr: float | None
    add_to_carts: int
    click_to_cart: float | None
    orders: int
    revenue: float
    revenue_per_shopper: float | None
    latency_p99_ms: float | None
    share: float = 0.0
    """The variant's traffic share now."""
    stopped_reason: str | None = None
    """Why a guardrail took the variant out of traffic, if one did."""


@dataclass(frozen=True)
class ExperimentResults:
    experiment_id: int
    name: str
    status: str
    placement: str | None
    control: str
    variants: list[VariantResult]
    lifts: list[Lift]
    srm_p: float
    guardrails: list[GuardrailCheck]
    stop_reason: str | None


def _share_of(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def variant_result(name: str, moments: VariantMoments, latency: Latency | None,
                   share: float, stopped_reason: str | None) -> VariantResult:
    total = moments.sums

    def count(metric: str) -> int:  # sums of whole counts, kept as floats by the moments
        return round(total.get(metric, 0.0))

    impressions, clicks, carts = count("impressions"), count("clicks"), count("add_to_carts")
    revenue = total.get("revenue", 0.0)
    return VariantResult(
        name=name, shoppers=moments.n, impressions=impressions, clicks=clicks,
        ctr=_share_of(clicks, impressions), add_to_carts=carts,
        click_to_cart=_share_of(carts, clicks), orders=count("orders"),
        revenue=revenue, revenue_per_shopper=_share_of(revenue, moments.n),
        latency_p99_ms=latency.p99_ms if latency is not None else None,
        share=share, stopped_reason=stopped_reason)


def results_of(experiment: Experiment, moments: dict[str, VariantMoments],
               latency: dict[str, Latency]) -> ExperimentResults:
    """The results from figures already read (pure: the simulator and tests use it)."""
    shares = variant_shares(experiment)
    reasons = {v["name"]: v.get("stopped_reason") for v in experiment.variants}
    empty = VariantMoments(0)
    variants = [variant_result(name, moments.get(name, empty), latency.get(name), share,
                               reasons.get(name)) for name, share in shares.items()]
    control = (experiment.control, moments.get(experiment.control, empty))
    lifts = [lift(metric, control, (name, moments.get(name, empty)))
             for name in shares if name != experiment.control for metric in LIFT_METRICS]
    return ExperimentResults(
        experiment_id=experiment.id, name=experiment.name, status=experiment.status,
        placement=experiment.placement, control=experiment.control, variants=variants,
        lifts=lifts,
        srm_p=sample_ratio_p({v.name: v.shoppers for v in variants}, shares),
        guardrails=evaluate_guardrails(experiment, moments, latency),
        stop_reason=experiment.stop_reason)


async def experiment_results(session: AsyncSession, shop_id: int, experiment_id: int,
                             figures: ExperimentFigures = ATTRIBUTION) -> ExperimentResults:
    """``NotFound`` for an experiment that is not the shop's."""
    experiment = await get_experiment(session, shop_id, experiment_id)
    return results_of(experiment,
                      await figures.moments(session, shop_id, experiment_id),
                      await figures.latency(session, shop_id, experiment_id))
