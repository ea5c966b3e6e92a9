"""Commands on a shop's experiments: create (a draft), start, ramp, stop; and the reads the
admin API answers. Services flush; the caller owns the transaction.

At most one experiment runs per shop and placement: one on every placement (placement
None) overlaps every other, so starting one while an overlapping one runs is refused. Each
served list therefore belongs to at most one experiment."""

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, InvalidInput, NotFound
from app.experiments.models import (
    EXPERIMENT_DRAFT,
    EXPERIMENT_RUNNING,
    EXPERIMENT_STOPPED,
    Experiment,
)
from app.experiments.specs import (
    DEFAULT_GUARDRAILS,
    ExperimentSpec,
    check_guardrails,
    check_name,
    check_placement,
    check_shares,
    stored_variants,
)
from app.shops.models import Shop
from app.storage.database import utcnow

MAX_REASON_LENGTH = 500
MAX_LISTED = 200
SALT_BYTES = 16


async def create_experiment(session: AsyncSession, shop_id: int,
                            spec: ExperimentSpec) -> Experiment:
    """A draft experiment with a fresh salt; ``InvalidInput`` with the reason when the spec
    is not one, ``Conflict`` when the shop has an experiment of that name."""
    name = check_name(spec.name)
    placement = check_placement(spec.placement)
    variants = stored_variants(spec)
    guardrails = check_guardrails(spec.guardrails or DEFAULT_GUARDRAILS)
    taken = await session.scalar(select(Experiment.id).where(
        Experiment.shop_id == shop_id, Experiment.name == name))
    if taken is not None:
        raise Conflict("the shop has an experiment of that name")
    experiment = Experiment(
        shop_id=shop_id, name=name, placement=placement, status=EXPERIMENT_DRAFT,
        salt=secrets.token_hex(SALT_BYTES), variants=variants, control=spec.control,
        guardrails=guardrails.as_json(), created_at=utcnow())
    session.add(experiment)
    await session.flush()
    return experiment


async def get_experiment(session: AsyncSession, shop_id: int, experiment_id: int) -> Experiment:
    found = await session.scalar(select(Experiment).where(
        Experiment.id == experiment_id, Experiment.shop_id == shop_id))
    if found is None:
        raise NotFound("no such experiment")
    return found


async def list_experiments(session: AsyncSession, shop_id: int) -> Sequence[Experiment]:
    """The shop's experiments, newest first (at most ``MAX_LISTED``)."""
    return (await session.scalars(select(Experiment).where(Experiment.shop_id == shop_id)
                                  .order_by(Experiment.id.desc()).limit(MAX_LISTED))).all()


def _overlaps(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


async def start_experiment(session: AsyncSession, shop_id: int,
                           experiment_id: int) -> Experiment:
    """Start a draft; ``InvalidInput`` when it is not one, or when a running experiment of
    the shop covers the same placement."""
    # The shop's row, locked (PostgreSQL): two starts of one shop run one after the other.
    await session.execute(select(Shop.id).where(Shop.id == shop_id).with_for_update())
    experiment = await get_experiment(session, shop_id, experiment_id)
    if experiment.status != EXPERIMENT_DRAFT:
        raise InvalidInput(f"only a draft experiment can start; this one is {experiment.status}")
    running = (await session.scalars(select(Experiment).where(
        Experiment.shop_id == shop_id, Experiment.status == EXPERIMENT_RUNNING))).all()
    if any(_overlaps(other.placement, experiment.placement) for other in running):
        raise InvalidInput("another experiment is running on this placement; stop it first")
    experiment.status = EXPERIMENT_RUNNING
    experiment.started_at = utcnow()
    await session.flush()
    return experiment


async def stop_experiment(session: AsyncSession, shop_id: int, experiment_id: int,
                          reason: str) -> Experiment:
    """Stop a running experiment for ``reason``; ``InvalidInput`` when it is not running."""
    if not isinstance(reason, str) or not 1 <= len(reason.strip()) <= MAX_REASON_LENGTH:
        raise InvalidInput(f"a stop reason is 1 to {MAX_REASON_LENGTH} characters")
    experiment = await get_experiment(session, shop_id, experiment_id)
    if experiment.status != EXPERIMENT_RUNNING:
        raise InvalidInput(f"only a running experiment can stop; this one is {experiment.status}")
    experiment.status = EXPERIMENT_STOPPED
    experiment.stopped_at = utcnow()
    experiment.stop_reason = reason.strip()
    await session.flush()
    return experiment


async def ramp_experiment(session: AsyncSession, shop_id: int, experiment_id: int,
                          shares: dict[str, float]) -> Experiment:
    """New traffic shares for a draft or running experiment, naming every variant; shoppers
    keep their variant as far as the new shares allow (``app.experiments.assignment``)."""
    experiment = await get_experiment(session, shop_id, experiment_id)
    if experiment.status == EXPERIMENT_STOPPED:
        raise InvalidInput("a stopped experiment cannot be ramped")
    names = [v["name"] for v in experiment.variants]
    if not isinstance(shares, dict) or set(shares) != set(names):
        raise InvalidInput("shares must name every variant of the experiment, and no other")
    check_shares(shares, experiment.control)
    set_shares(experiment, {name: float(shares[name]) for name in names})
    await session.flush()
    return experiment


def set_shares(experiment: Experiment, shares: dict[str, float],
               notes: dict[str, str] | None = None) -> None:
    """Replace the variants' shares, keeping their order; ``notes``: why a variant was
    taken out of traffic (kept until a ramp gives it traffic again)."""
    changed: list[dict[str, Any]] = []
    for variant in experiment.variants:
        updated = {**variant, "share": shares.get(variant["name"], variant["share"])}
        if notes and variant["name"] in notes:
            updated["stopped_reason"] = notes[variant["name"]]
        elif updated["share"] > 0:
            updated.pop("stopped_reason", None)  # back in traffic: the old reason is past
        changed.append(updated)
    experiment.variants = changed  # a new list: the JSON column sees the change


def variant_shares(experiment: Experiment) -> dict[str, float]:
    return {v["name"]: float(v["share"]) for v in experiment.variants}
