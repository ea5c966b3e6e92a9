"""The experiments page: the list, a form for a new one (a control and a treatment), start
and stop, and one experiment's results with its lifts' 95 % intervals and guardrails.

The same service calls as the admin API's resolvers (``app.experiments.service``); a
refusal is shown beside the form with its reason, nothing saved."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.admin.inputs import MAX_CONFIG_LENGTH, MAX_REASON_LENGTH, checked_text, experiment_id
from app.console.guard import Console, Signed
from app.console.web import PREFIX, Form, field, is_htmx, number_field, redirect
from app.errors import AppError, InvalidInput, NotFound
from app.experiments import service
from app.experiments.models import Experiment
from app.experiments.results import ExperimentResults, experiment_results
from app.experiments.specs import ExperimentSpec, GuardrailSpec, VariantSpec
from app.recommendations.types import Placement
from app.storage.database import transaction

LIST_PATH = f"{PREFIX}/experiments"
PLACEMENTS = tuple(p.value for p in Placement)
CONFIGS = ("engine", "baseline")
STOP_REASON = "stopped by the merchant in the console"



def _config(form: Form, prefix: str) -> str:
    custom = field(form, f"{prefix}_custom")
    if custom:
        return checked_text(custom, f"{prefix} config", MAX_CONFIG_LENGTH)
    chosen = field(form, f"{prefix}_config", "engine")
    if chosen not in CONFIGS:
        raise InvalidInput(f"{prefix} config: expected engine, baseline or a JSON object")
    return chosen


def spec_from_form(form: Form) -> ExperimentSpec:
    """A control and a treatment; the treatment's share of traffic from 0.01 to 0.99."""
    share = number_field(form, "treatment_share", "treatment share")
    share = 0.5 if share is None else share
    if not 0.01 <= share <= 0.99:
        raise InvalidInput("treatment share: from 0.01 to 0.99")
    placement = field(form, "placement") or None
    control = checked_text(field(form, "control_name", "control"), "control name")
    treatment = checked_text(field(form, "treatment_name", "treatment"), "treatment name")
    latency = number_field(form, "latency_p99_ms", "latency guardrail")
    return ExperimentSpec(
        name=checked_text(field(form, "name"), "name"), placement=placement, control=control,
        variants=[VariantSpec(control, _config(form, "control"), round(1 - share, 6)),
                  VariantSpec(treatment, _config(form, "treatment"), share)],
        guardrails=None if latency is None else GuardrailSpec(latency_p99_ms=latency))


async def _list_page(console: Console, signed: Signed, status_code: int = 200,
                     error: str | None = None, values: dict[str, str] | None = None) -> Response:
    async with transaction(console.database) as db:
        listed = list(await service.list_experiments(db, signed.shop_id))
    return console.render("experiments.html", status_code, signed=signed, page="experiments",
                          title="Experiments", experiments=listed, placements=PLACEMENTS,
                          configs=CONFIGS, error=error, values=values or {})


async def list_experiments(console: Console, request: Request, signed: Signed) -> Response:
    return await _list_page(console, signed)


async def create_experiment(console: Console, request: Request, signed: Signed) -> Response:
    try:
        spec = spec_from_form(signed.form)
        async with transaction(console.database) as db:
            created = await service.create_experiment(db, signed.shop_id, spec)
            new_id = created.id
    except AppError as refused:
        values = {name: field(signed.form, name) for name in signed.form if name != "csrf_token"}
        return await _list_page(console, signed, 400, refused.message, values)
    return redirect(f"{LIST_PATH}/{new_id}")


def interval_chart(results: ExperimentResults) -> dict[str, Any]:
    """The lifts (in %) with a 95 % interval, as floating bars from low to high."""
    known = [lift for lift in results.lifts if lift.ci_low is not None and lift.ci_high is not None]
    return {"labels": [f"{lift.metric} ({lift.treatment})" for lift in known],
            "intervals": [[100 * (lift.ci_low or 0), 100 * (lift.ci_high or 0)] for lift in known],
            "estimates": [None if lift.estimate is None else 100 * lift.estimate
                          for lift in known]}


async def _detail(console: Console, signed: Signed, wanted: int, status_code: int = 200,
                  error: str | None = None) -> Response:
    async with transaction(console.database) as db:
        try:
            found = await service.get_experiment(db, signed.shop_id, wanted)
        except NotFound:
            return console.render("error.html", 404, title="Not found", signed=signed,
                                  page="experiments", message="This shop has no such experiment.")
        results = await experiment_results(db, signed.shop_id, wanted)
    return console.render("experiment.html", status_code, signed=signed, page="experiments",
                          title=f"Experiment {found.name}", experiment=found, results=results,
                          chart=interval_chart(results), error=error)


async def show_experiment(console: Console, request: Request, signed: Signed) -> Response:
    try:
        wanted = experiment_id(request.path_params["experiment_id"])
    except InvalidInput:
        return console.render("error.html", 404, title="Not found", signed=signed,
                              page="experiments", message="This shop has no such experiment.")
    return await _detail(console, signed, wanted)


async def _change(console: Console, request: Request, signed: Signed, start: bool) -> Response:
    try:
        wanted = experiment_id(request.path_params["experiment_id"])
    except InvalidInput:
        return console.render("error.html", 404, title="Not found", signed=signed,
                              page="experiments", message="This shop has no such experiment.")
    try:
        async with transaction(console.database) as db:
            changed: Experiment
            if start:
                changed = await service.start_experiment(db, signed.shop_id, wanted)
            else:
                reason = checked_text(field(signed.form, "reason") or STOP_REASON, "reason",
                                      MAX_REASON_LENGTH)
                changed = await service.stop_experiment(db, signed.shop_id, wanted, reason)
            if is_htmx(request):
                return console.render("_experiment_row.html", signed=signed, experiment=changed)
    except NotFound:
        return console.render("error.html", 404, title="Not found", signed=signed,
                              page="experiments", message="This shop has no such experiment.")
    except InvalidInput as refused:
        if is_htmx(request):
            async with transaction(console.database) as db:
                current = await service.get_experiment(db, signed.shop_id, wanted)
                return console.render("_experiment_row.html", 400, signed=signed,
                                      experiment=current, error=refused.message)
        return await _detail(console, signed, wanted, 400, refused.message)
    return redirect(f"{LIST_PATH}/{wanted}")


async def start_experiment(console: Console, request: Request, signed: Signed) -> Response:
    return await _change(console, request, signed, start=True)


async def stop_experiment(console: Console, request: Request, signed: Signed) -> Response:
    return await _change(console, request, signed, start=False)
