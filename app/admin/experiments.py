# strawberry.field(...) with arguments is typed as returning Any (as app.graphql, which
# pyproject exempts): as a resolver decorator that reads as untyped.
# mypy: disable-error-code="untyped-decorator"
"""Experiments in the admin API: list, read with results, create, start, stop, ramp.

Resolvers are thin: they check bounds, call ``app.experiments``, and shape the answer."""

import json
from datetime import datetime
from typing import Any

import strawberry

from app.admin.context import AdminInfo
from app.admin.inputs import (
    MAX_CONFIG_LENGTH,
    MAX_REASON_LENGTH,
    checked_count,
    checked_placement,
    checked_text,
    experiment_id,
)
from app.errors import NotFound
from app.experiments import service
from app.experiments.models import Experiment as StoredExperiment
from app.experiments.results import ExperimentResults as Results
from app.experiments.results import experiment_results
from app.experiments.specs import ExperimentSpec, GuardrailSpec, VariantSpec, guardrails_of


@strawberry.type(description="One variant of an experiment and its share of the traffic.")
class Variant:
    name: str
    config: str = strawberry.field(description=(
        "`engine`, `baseline`, or a JSON object ({\"model_version\", \"weights\", "
        "\"exploration\"})."))
    share: float
    stopped_reason: str | None = strawberry.field(
        default=None, description="Why a guardrail took this variant's traffic away, if it did.")


@strawberry.type(description="Limits that stop a variant by themselves.")
class Guardrails:
    latency_p99_ms: float
    max_click_to_cart_drop: float
    max_aov_drop: float
    min_shoppers: int
    min_lists: int


GUARDRAIL_FIELDS = tuple(Guardrails.__annotations__)


@strawberry.type(description="A variant's figures over its shoppers (revenue in the shop's "
                          "currency).")
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
    share: float
    stopped_reason: str | None


@strawberry.type(description="Relative lift of a treatment over the control, with its 95 % interval.")
class Lift:
    metric: str
    control: str
    treatment: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None


@strawberry.type(description="One guardrail of one variant: ok, breached, or waiting for data.")
class GuardrailCheck:
    variant: str
    guardrail: str
    measured: float | None
    limit: float
    status: str
    reason: str


@strawberry.type
class ExperimentResults:
    variants: list[VariantResult]
    lifts: list[Lift]
    srm_p: float = strawberry.field(description=(
        "p-value of the sample-ratio-mismatch test (below 0.01: the split is broken)."))
    guardrails: list[GuardrailCheck]


def _config_text(config: Any) -> str:
    return config if isinstance(config, str) else json.dumps(config, sort_keys=True)


def _fields(value: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(value, name) for name in names}


VARIANT_RESULT_FIELDS = tuple(VariantResult.__annotations__)
LIFT_FIELDS = tuple(Lift.__annotations__)


def results_of(results: Results) -> ExperimentResults:
    return ExperimentResults(
        variants=[VariantResult(**_fields(v, VARIANT_RESULT_FIELDS)) for v in results.variants],
        lifts=[Lift(**_fields(lift, LIFT_FIELDS)) for lift in results.lifts],
        srm_p=results.srm_p,
        guardrails=[GuardrailCheck(variant=c.variant, guardrail=c.guardrail,
                                   measured=c.measured, limit=c.limit, status=c.status.value,
                                   reason=c.reason) for c in results.guardrails])


@strawberry.type
class Experiment:
    id: strawberry.ID
    name: str
    placement: str | None
    status: str
    control: str
    variants: list[Variant]
    guardrails: Guardrails
    stop_reason: str | None
    created_at: datetime
    started_at: datetime | None
    stopped_at: datetime | None

    @strawberry.field(description="Every KPI per variant, lifts against the control, SRM.")
    async def results(self, info: AdminInfo) -> ExperimentResults:
        async with info.context.database() as session:
            found = await experiment_results(session, info.context.shop.id, int(self.id))
        return results_of(found)

    @classmethod
    def from_domain(cls, stored: StoredExperiment) -> "Experiment":
        return cls(
            id=strawberry.ID(str(stored.id)), name=stored.name, placement=stored.placement,
            status=stored.status, control=stored.control,
            variants=[Variant(name=str(v["name"]), config=_config_text(v["config"]),
                              share=float(v["share"]), stopped_reason=v.get("stopped_reason"))
                      for v in stored.variants],
            guardrails=Guardrails(**_fields(guardrails_of(stored.guardrails), GUARDRAIL_FIELDS)),
            stop_reason=stored.stop_reason, created_at=stored.created_at,
            started_at=stored.started_at, stopped_at=stored.stopped_at)


@strawberry.input
class VariantInput:
    name: str
    config: str
    share: float


@strawberry.input(description="Guardrail limits; each one left out keeps its default.")
class GuardrailInput:
    latency_p99_ms: float | None = None
    max_click_to_cart_drop: float | None = None
    max_aov_drop: float | None = None
    min_shoppers: int | None = None
    min_lists: int | None = None


@strawberry.input
class ExperimentInput:
    name: str
    placement: str | None = None
    control: str
    variants: list[VariantInput]
    guardrails: GuardrailInput | None = None


@strawberry.input
class VariantShareInput:
    name: str
    share: float


def spec_of(given: ExperimentInput) -> ExperimentSpec:
    checked_count(len(given.variants), "variants")
    variants = [VariantSpec(name=checked_text(v.name, "a variant's name"),
                            config=checked_text(v.config, "a variant's config", MAX_CONFIG_LENGTH),
                            share=v.share) for v in given.variants]
    guardrails = None if given.guardrails is None else GuardrailSpec(**{
        name: value for name, value in _fields(given.guardrails, GUARDRAIL_FIELDS).items()
        if value is not None})
    return ExperimentSpec(name=checked_text(given.name, "name"),
                          placement=checked_placement(given.placement),
                          control=checked_text(given.control, "control"), variants=variants,
                          guardrails=guardrails)


@strawberry.type
class ExperimentQuery:
    @strawberry.field(description="The shop's experiments, newest first.")
    async def experiments(self, info: AdminInfo) -> list[Experiment]:
        async with info.context.database() as session:
            stored = await service.list_experiments(session, info.context.shop.id)
            return [Experiment.from_domain(e) for e in stored]

    @strawberry.field(description="One experiment; null if the shop has none with this id.")
    async def experiment(self, info: AdminInfo, id: strawberry.ID) -> Experiment | None:
        wanted = experiment_id(id)
        async with info.context.database() as session:
            try:
                stored = await service.get_experiment(session, info.context.shop.id, wanted)
            except NotFound:
                return None
            return Experiment.from_domain(stored)


@strawberry.type
class ExperimentMutation:
    @strawberry.mutation(description=(
        "A new experiment (a draft): shares must sum to 1, the control must be a variant."))
    async def create_experiment(self, info: AdminInfo, input: ExperimentInput) -> Experiment:
        spec = spec_of(input)
        async with info.context.database() as session:
            stored = await service.create_experiment(session, info.context.shop.id, spec)
            return Experiment.from_domain(stored)

    @strawberry.mutation(description="Start a draft experiment: its shoppers get their variants.")
    async def start_experiment(self, info: AdminInfo, id: strawberry.ID) -> Experiment:
        async with info.context.database() as session:
            started = await service.start_experiment(session, info.context.shop.id,
                                                     experiment_id(id))
            return Experiment.from_domain(started)

    @strawberry.mutation(description="Stop a running experiment, saying why.")
    async def stop_experiment(self, info: AdminInfo, id: strawberry.ID,
                              reason: str | None = None) -> Experiment:
        why = checked_text(reason or "stopped by the merchant", "reason", MAX_REASON_LENGTH)
        async with info.context.database() as session:
            stopped = await service.stop_experiment(session, info.context.shop.id,
                                                    experiment_id(id), why)
            return Experiment.from_domain(stopped)

    @strawberry.mutation(description=(
        "New traffic shares for a draft or running experiment, naming every variant."))
    async def ramp_experiment(self, info: AdminInfo, id: strawberry.ID,
                              shares: list[VariantShareInput]) -> Experiment:
        checked_count(len(shares), "shares")
        wanted = {checked_text(s.name, "a variant's name"): s.share for s in shares}
        async with info.context.database() as session:
            ramped = await service.ramp_experiment(session, info.context.shop.id,
                                                   experiment_id(id), wanted)
            return Experiment.from_domain(ramped)
