"""Guardrails: limits a variant must keep against control, checked as the figures come in,
that take a variant out of traffic by themselves and say why.

Checked for every variant but control (control is the reference, today's behaviour):
latency p99 against an absolute limit once the variant has served ``min_lists`` lists;
click-to-cart and average order value against control's once both have ``min_shoppers``
shoppers. A relative guardrail is breached when the drop is larger than allowed and the
95 % interval of the lift lies below 0, so noise alone does not stop a variant. A breached
variant's share goes to 0 and the others are scaled up to fill it; when only control would
be left, the experiment stops. The variant (or the experiment) records which guardrail,
the measured value and the limit."""

from dataclasses import dataclass
from enum import Enum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attribution.moments import VariantMoments
from app.experiments.figures import ATTRIBUTION, ExperimentFigures, Latency
from app.experiments.models import EXPERIMENT_RUNNING, EXPERIMENT_STOPPED, Experiment
from app.experiments.service import set_shares, variant_shares
from app.experiments.specs import GuardrailSpec, guardrails_of
from app.experiments.stats import lift
from app.storage.database import utcnow

LATENCY = "latency_p99_ms"
CLICK_TO_CART = "click_to_cart"
AOV = "aov"


class CheckStatus(str, Enum):
    OK = "ok"
    BREACHED = "breached"
    WAITING = "waiting"
    """Not enough sample yet to judge."""


@dataclass(frozen=True)
class GuardrailCheck:
    variant: str
    guardrail: str
    measured: float | None
    """The variant's latency p99 (ms), or its relative lift against control."""
    limit: float
    """The latency limit (ms), or the lowest lift allowed (−max drop)."""
    status: CheckStatus

    @property
    def reason(self) -> str:
        measured = "unknown" if self.measured is None else f"{self.measured:.4g}"
        unit = " ms" if self.guardrail == LATENCY else ""
        limit = f"the limit {self.limit:.4g}{unit}"
        if self.status is CheckStatus.WAITING:
            return f"guardrail {self.guardrail}: measured {measured}{unit}, too few data to judge against {limit}"
        relation = "above" if self.guardrail == LATENCY else "below"
        if self.status is CheckStatus.OK:
            relation = "within"
        return f"guardrail {self.guardrail}: measured {measured}{unit}, {relation} {limit}"


@dataclass(frozen=True)
class GuardrailStop:
    experiment_id: int
    variant: str
    reason: str
    experiment_stopped: bool


def _latency_check(variant: str, latency: Latency | None, spec: GuardrailSpec) -> GuardrailCheck:
    p99 = latency.p99_ms if latency is not None else None
    if latency is None or p99 is None or latency.count < spec.min_lists:
        return GuardrailCheck(variant, LATENCY, p99, spec.latency_p99_ms, CheckStatus.WAITING)
    status = CheckStatus.BREACHED if p99 > spec.latency_p99_ms else CheckStatus.OK
    return GuardrailCheck(variant, LATENCY, p99, spec.latency_p99_ms, status)


def _drop_check(metric: str, max_drop: float, control: tuple[str, VariantMoments],
                treatment: tuple[str, VariantMoments], spec: GuardrailSpec) -> GuardrailCheck:
    limit = -max_drop
    if min(control[1].n, treatment[1].n) < spec.min_shoppers:
        return GuardrailCheck(treatment[0], metric, None, limit, CheckStatus.WAITING)
    found = lift(metric, control, treatment)
    if found.estimate is None or found.ci_high is None:
        return GuardrailCheck(treatment[0], metric, None, limit, CheckStatus.WAITING)
    breached = found.estimate < limit and found.ci_high < 0
    return GuardrailCheck(treatment[0], metric, found.estimate, limit,
                          CheckStatus.BREACHED if breached else CheckStatus.OK)


def evaluate_guardrails(experiment: Experiment, moments: dict[str, VariantMoments],
                        latency: dict[str, Latency]) -> list[GuardrailCheck]:
    """Every guardrail of every variant but control, against the figures given."""
    spec = guardrails_of(experiment.guardrails)
    empty = VariantMoments(0)
    control = (experiment.control, moments.get(experiment.control, empty))
    checks = []
    for name in variant_shares(experiment):
        if name == experiment.control:
            continue
        treatment = (name, moments.get(name, empty))
        checks.append(_latency_check(name, latency.get(name), spec))
        checks.append(_drop_check(CLICK_TO_CART, spec.max_click_to_cart_drop, control,
                                  treatment, spec))
        checks.append(_drop_check(AOV, spec.max_aov_drop, control, treatment, spec))
    return checks


def _take_out(experiment: Experiment, breached: dict[str, str]) -> list[GuardrailStop]:
    """Shares of ``breached`` variants (name → reason) to 0, the rest scaled up; the
    experiment stops when only control keeps traffic."""
    shares = {name: (0.0 if name in breached else share)
              for name, share in variant_shares(experiment).items()}
    left = {name for name, share in shares.items() if share > 0}
    stopped = left <= {experiment.control}
    if stopped:
        experiment.status = EXPERIMENT_STOPPED
        experiment.stopped_at = utcnow()
        experiment.stop_reason = "; ".join(f"{name}: {why}" for name, why in breached.items())
        set_shares(experiment, variant_shares(experiment), breached)
    else:
        total = sum(shares.values())
        set_shares(experiment, {name: share / total for name, share in shares.items()}, breached)
    return [GuardrailStop(experiment.id, name, why, stopped) for name, why in breached.items()]


async def enforce_guardrails(session: AsyncSession, shop_id: int,
                             figures: ExperimentFigures = ATTRIBUTION) -> list[GuardrailStop]:
    """Check the shop's running experiments and take breaching variants out of traffic
    (flushed; the caller commits, then tells the serving directory, ``invalidate``)."""
    running = (await session.scalars(select(Experiment).where(
        Experiment.shop_id == shop_id, Experiment.status == EXPERIMENT_RUNNING))).all()
    stops: list[GuardrailStop] = []
    for experiment in running:
        live = {name for name, share in variant_shares(experiment).items() if share > 0}
        checks = evaluate_guardrails(
            experiment, await figures.moments(session, shop_id, experiment.id),
            await figures.latency(session, shop_id, experiment.id))
        breached: dict[str, str] = {}
        for check in checks:
            if check.status is CheckStatus.BREACHED and check.variant in live:
                breached.setdefault(check.variant, check.reason)
        if breached:
            stops += _take_out(experiment, breached)
    if stops:
        await session.flush()
    return stops
