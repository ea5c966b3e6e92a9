"""What the simulator sends to create its experiment: equal shares, the first variant the
control, and guardrails that cannot stop a variant unless asked to keep the defaults; the
variables coerce to the admin schema's input types."""

import json
from typing import Any

import httpx
import pytest
from graphql import OperationDefinitionNode, parse
from graphql.execution.values import get_variable_values

from app.admin.schema import build_admin_schema
from app.settings import Settings
from app.simulator.admin import MEASURING_ONLY, AdminApi
from app.simulator.variants import parse_variants

SCHEMA = build_admin_schema(Settings(_env_file=None))._schema  # type: ignore[call-arg]


async def _create(guardrails: bool) -> dict[str, Any]:
    sent: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"data": {"createExperiment": {
            "id": "7", "name": "s", "status": "draft"}}})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        made = await AdminApi(client, "http://server", "adm").create_experiment(
            "s", parse_variants("baseline,engine,engine"), guardrails)
    assert made == "7"
    return sent[0]


def _coerced(request: dict[str, Any]) -> dict[str, Any]:
    operation = parse(request["query"]).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    coerced = get_variable_values(SCHEMA, operation.variable_definitions or (),
                                  request["variables"])
    assert not isinstance(coerced, list), coerced  # the coercion errors
    values: dict[str, Any] = coerced.coerced
    return values


async def test_the_experiment_has_equal_shares_and_no_guardrail_that_could_stop_it() -> None:
    request = await _create(guardrails=False)
    spec = _coerced(request)["input"]
    assert spec["control"] == "baseline" and spec["placement"] is None
    assert [(v["name"], v["config"]) for v in spec["variants"]] == [
        ("baseline", "baseline"), ("engine-a", "engine"), ("engine-b", "engine")]
    assert sum(v["share"] for v in spec["variants"]) == pytest.approx(1.0)
    assert request["variables"]["input"]["guardrails"] == MEASURING_ONLY


async def test_asked_to_keep_them_it_leaves_the_default_guardrails() -> None:
    request = await _create(guardrails=True)
    assert _coerced(request)["input"]["guardrails"] is None
