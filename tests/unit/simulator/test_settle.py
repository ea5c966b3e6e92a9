"""Waiting for the rollups: the simulator reads the admin API until its figures equal the
simulator's own counts, or until they stop changing (then it says they did not match)."""

from typing import Any

import httpx
import pytest

from app.simulator import run
from app.simulator.admin import AdminApi
from app.simulator.visit import Tally


def _results(impressions: int, clicks: int, orders: int) -> dict[str, Any]:
    row = {"name": "engine", "shoppers": 2, "impressions": impressions, "clicks": clicks,
           "orders": orders, "revenue": 1.0}
    return {"data": {"experiment": {
        "id": "1", "name": "s", "status": "running", "stopReason": None,
        "variants": [{"name": "engine", "share": 1.0, "stoppedReason": None}],
        "results": {"variants": [row], "lifts": [], "srmP": 1.0, "guardrails": []}}}}


def _admin(answers: list[dict[str, Any]], seen: list[str]) -> AdminApi:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json=answers[min(len(seen), len(answers)) - 1])

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return AdminApi(client, "http://server", "adm_token")


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "POLL_SECONDS", 0.0)


async def test_polling_stops_when_the_rollups_reach_the_simulated_counts() -> None:
    seen: list[str] = []
    admin = _admin([_results(3, 0, 0), _results(5, 1, 0), _results(6, 2, 1), _results(9, 9, 9)],
                   seen)
    found, matched = await run._settled_experiment(admin, "1", Tally(impressions=6, clicks=2,
                                                                     orders=1), 60.0)
    assert matched and len(seen) == 3 and set(seen) == {"Bearer adm_token"}
    assert found["results"]["variants"][0]["clicks"] == 2


async def test_figures_that_stop_short_are_reported_as_not_matching() -> None:
    seen: list[str] = []
    admin = _admin([_results(3, 0, 0), _results(5, 1, 0)], seen)
    found, matched = await run._settled_experiment(admin, "1", Tally(impressions=6, clicks=2,
                                                                    orders=1), 60.0)
    assert not matched
    assert len(seen) == 2 + run.STABLE_POLLS
    assert found["results"]["variants"][0]["impressions"] == 5
