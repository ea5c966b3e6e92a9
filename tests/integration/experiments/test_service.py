"""Creating, starting, ramping and stopping experiments: every refusal says why, and a
shop's experiments stay its own."""

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, InvalidInput, NotFound
from app.experiments.models import EXPERIMENT_DRAFT, EXPERIMENT_RUNNING, EXPERIMENT_STOPPED
from app.experiments.service import (
    create_experiment,
    get_experiment,
    list_experiments,
    ramp_experiment,
    start_experiment,
    stop_experiment,
)
from app.experiments.specs import ExperimentSpec, GuardrailSpec, VariantSpec
from tests.factories import make_shop, shop_id

SECRET = "zz-not-echoed-zz"


def _spec(name: str = "home-ab", placement: str | None = "HOME",
          variants: list[tuple[str, str, float]] | None = None, control: str = "a",
          **kwargs: Any) -> ExperimentSpec:
    chosen = variants or [("a", "engine", 0.5), ("b", "baseline", 0.5)]
    return ExperimentSpec(name, placement, control,
                          [VariantSpec(n, c, s) for n, c, s in chosen], **kwargs)


async def test_an_experiment_is_created_as_a_draft_with_its_own_salt(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    first = await create_experiment(session, shop, _spec(variants=[
        ("a", "engine", 0.6), ("b", '{"exploration": 0.3, "weights": {"als": 2}}', 0.4)]))
    second = await create_experiment(session, shop, _spec(name="other"))
    assert first.status == EXPERIMENT_DRAFT and first.started_at is None
    assert len(first.salt) == 32 and first.salt != second.salt
    assert first.variants == [
        {"name": "a", "config": "engine", "share": 0.6},
        {"name": "b", "config": '{"exploration":0.3,"weights":{"als":2.0}}', "share": 0.4}]
    assert first.guardrails == GuardrailSpec().as_json()
    assert [e.id for e in await list_experiments(session, shop)] == [second.id, first.id]
    assert (await get_experiment(session, shop, first.id)) is first


@pytest.mark.parametrize(("spec", "reason"), [
    (_spec(variants=[("a", "engine", 0.5), ("b", "baseline", 0.4)]),
     "traffic shares must sum to 1"),
    (_spec(variants=[("a", "engine", 1.0)]), "2 to 8 variants"),
    (_spec(variants=[(f"v{i}", "engine", 1 / 9) for i in range(9)], control="v0"),
     "2 to 8 variants"),
    (_spec(variants=[("a", "engine", 0.5), ("a", "baseline", 0.5)]), "unique"),
    (_spec(variants=[("a", "engine", 0.5), (f"{SECRET} !", "baseline", 0.5)]),
     "A-Z, a-z, 0-9"),
    (_spec(variants=[("a", "engine", 0.5), ("b" * 65, "baseline", 0.5)]), "A-Z, a-z, 0-9"),
    (_spec(variants=[("a", "engine", 0.5), ("holdout", "baseline", 0.5)]), "reserved"),
    (_spec(control="c"), "control must name one of the variants"),
    (_spec(variants=[("a", "engine", 0.0), ("b", "baseline", 1.0)]), "control needs"),
    (_spec(variants=[("a", "engine", 0.5), ("b", f'{{"{SECRET}": 1}}', 0.5)]),
     "unknown variant config"),
    (_spec(variants=[("a", "engine", 0.5), ("b", '{"model_version": "v2"}', 0.5)]),
     "model_version variants are not supported"),
    (_spec(placement="SEARCH", variants=[("a", "engine", 0.5), ("b", '{"exploration": 0}', 0.5)]),
     "need one carousel placement"),
    (_spec(placement=None, variants=[("a", "engine", 0.5), ("b", '{"exploration": 0}', 0.5)]),
     "need one carousel placement"),
    (_spec(placement=SECRET), "placement must be one of"),
    (_spec(name=" "), "1 to 64 characters"),
    (_spec(guardrails=GuardrailSpec(latency_p99_ms=0)), "latency guardrail"),
    (_spec(guardrails=GuardrailSpec(max_aov_drop=2)), "guardrail drops"),
])
async def test_a_spec_that_is_not_one_is_refused_with_the_reason(
        session: AsyncSession, spec: ExperimentSpec, reason: str) -> None:
    shop = shop_id(await make_shop(session))
    with pytest.raises(InvalidInput) as refused:
        await create_experiment(session, shop, spec)
    assert reason in refused.value.message
    assert SECRET not in refused.value.message
    assert list(await list_experiments(session, shop)) == []


async def test_a_name_is_taken_once_per_shop(session: AsyncSession) -> None:
    shop, other = shop_id(await make_shop(session)), shop_id(await make_shop(session))
    await create_experiment(session, shop, _spec())
    with pytest.raises(Conflict):
        await create_experiment(session, shop, _spec())
    await create_experiment(session, other, _spec())  # another shop's namespace


async def test_states_move_draft_running_stopped_and_never_back(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    experiment = await create_experiment(session, shop, _spec())
    with pytest.raises(InvalidInput, match="only a running experiment can stop; this one is draft"):
        await stop_experiment(session, shop, experiment.id, "done")
    await start_experiment(session, shop, experiment.id)
    assert experiment.status == EXPERIMENT_RUNNING and experiment.started_at is not None
    with pytest.raises(InvalidInput, match="only a draft experiment can start; this one is running"):
        await start_experiment(session, shop, experiment.id)
    with pytest.raises(InvalidInput, match="stop reason"):
        await stop_experiment(session, shop, experiment.id, " ")
    await stop_experiment(session, shop, experiment.id, "  enough data ")
    assert (experiment.status, experiment.stop_reason) == (EXPERIMENT_STOPPED, "enough data")
    assert experiment.stopped_at is not None
    with pytest.raises(InvalidInput, match="this one is stopped"):
        await stop_experiment(session, shop, experiment.id, "again")
    with pytest.raises(InvalidInput, match="this one is stopped"):
        await start_experiment(session, shop, experiment.id)
    with pytest.raises(InvalidInput, match="stopped experiment cannot be ramped"):
        await ramp_experiment(session, shop, experiment.id, {"a": 0.9, "b": 0.1})


async def test_one_experiment_runs_per_placement(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    home = await create_experiment(session, shop, _spec("home"))
    cart = await create_experiment(session, shop, _spec("cart", placement="CART"))
    home_again = await create_experiment(session, shop, _spec("home-2"))
    everywhere = await create_experiment(session, shop, _spec("all", placement=None))
    await start_experiment(session, shop, home.id)
    await start_experiment(session, shop, cart.id)  # another placement: both run
    for overlapping in (home_again, everywhere):
        with pytest.raises(InvalidInput, match="another experiment is running on this placement"):
            await start_experiment(session, shop, overlapping.id)
    await stop_experiment(session, shop, home.id, "done")
    await start_experiment(session, shop, home_again.id)


async def test_a_ramp_names_every_variant_with_shares_summing_to_one(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    experiment = await create_experiment(session, shop, _spec())
    await start_experiment(session, shop, experiment.id)
    await ramp_experiment(session, shop, experiment.id, {"b": 0.1, "a": 0.9})
    assert [(v["name"], v["share"]) for v in experiment.variants] == [("a", 0.9), ("b", 0.1)]
    for shares, reason in (({"a": 1.0}, "name every variant"),
                           ({"a": 0.5, "b": 0.5, SECRET: 0.0}, "name every variant"),
                           ({"a": 0.7, "b": 0.7}, "sum to 1"),
                           ({"a": 0.0, "b": 1.0}, "control needs"),
                           ({"a": float("nan"), "b": 0.5}, "number from 0 to 1")):
        with pytest.raises(InvalidInput) as refused:
            await ramp_experiment(session, shop, experiment.id, shares)
        assert reason in refused.value.message and SECRET not in refused.value.message


async def test_another_shops_experiment_is_not_found(session: AsyncSession) -> None:
    shop, other = shop_id(await make_shop(session)), shop_id(await make_shop(session))
    experiment = await create_experiment(session, shop, _spec())
    for command in (get_experiment(session, other, experiment.id),
                    start_experiment(session, other, experiment.id),
                    stop_experiment(session, other, experiment.id, "x"),
                    ramp_experiment(session, other, experiment.id, {"a": 0.5, "b": 0.5})):
        with pytest.raises(NotFound):
            await command
    assert experiment.status == EXPERIMENT_DRAFT
