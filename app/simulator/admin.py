"""The merchant's side of a simulation, over HTTP: the experiment is created, started and
read back through the admin API (``POST /admin/graphql`` with the shop's admin token)."""

from collections.abc import Sequence
from typing import Any

import httpx

from app.simulator.protocol import SimulationFailed
from app.simulator.variants import VariantChoice

ATTEMPTS = 3
TIMEOUT = "TIMEOUT"
"""The code of a request the admin endpoint stopped (and rolled back) for taking too long."""
CREATE = """mutation($input: ExperimentInput!) {
  createExperiment(input: $input) { id name status } }"""
START = """mutation($id: ID!) { startExperiment(id: $id) { id status } }"""
STOP = """mutation($id: ID!, $reason: String!) { stopExperiment(id: $id, reason: $reason) {
  id status } }"""
RESULTS = """query($id: ID!) { experiment(id: $id) { id name status stopReason
  variants { name share stoppedReason }
  results {
    variants { name shoppers impressions clicks ctr addToCarts clickToCart orders revenue
               revenuePerShopper }
    lifts { metric control treatment estimate ciLow ciHigh }
    srmP
    guardrails { variant guardrail measured limit status reason } } } }"""
MEASURING_ONLY = {"latencyP99Ms": 60_000.0, "maxClickToCartDrop": 1.0, "maxAovDrop": 1.0,
                  "minShoppers": 10_000_000, "minLists": 100_000_000}
"""Guardrails that never judge a simulation: a variant taken out of traffic half-way would
leave its lift measured on part of the shoppers (the engine sells more, cheaper items, so
the default AOV guardrail may well stop it)."""


class AdminApi:
    def __init__(self, client: httpx.AsyncClient, base_url: str, admin_token: str) -> None:
        self._client = client
        self._url = base_url.rstrip("/") + "/admin/graphql"
        self._headers = {"Authorization": f"Bearer {admin_token}"}

    async def _graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The answer's data; a request the server stopped for taking too long (it rolled
        back) is sent again, a few times."""
        for attempt in range(1, ATTEMPTS + 1):
            response = await self._client.post(self._url, headers=self._headers,
                                               json={"query": query, "variables": variables})
            if response.status_code != 200:
                raise SimulationFailed(f"the admin API answered {response.status_code}")
            body: dict[str, Any] = response.json()
            problems = [(e.get("extensions", {}).get("code"), e.get("message"))
                        for e in body.get("errors") or []]
            if not problems:
                data: dict[str, Any] = body["data"]
                return data
            if attempt == ATTEMPTS or any(code != TIMEOUT for code, _ in problems):
                break
        raise SimulationFailed(f"the admin API refused: {problems}")

    async def create_experiment(self, name: str, variants: Sequence[VariantChoice],
                                guardrails: bool) -> str:
        """A new experiment over every placement, equal shares, the first variant the
        control; its id. ``guardrails``: the server's default guardrails, else none that
        could stop a variant during the simulation."""
        share = 1.0 / len(variants)
        spec = {"name": name, "placement": None, "control": variants[0].name,
                "variants": [{"name": v.name, "config": v.config, "share": share}
                             for v in variants],
                "guardrails": None if guardrails else MEASURING_ONLY}
        created = (await self._graphql(CREATE, {"input": spec}))["createExperiment"]
        return str(created["id"])

    async def start_experiment(self, experiment_id: str) -> None:
        await self._graphql(START, {"id": experiment_id})

    async def stop_experiment(self, experiment_id: str, reason: str) -> None:
        await self._graphql(STOP, {"id": experiment_id, "reason": reason})

    async def experiment(self, experiment_id: str) -> dict[str, Any]:
        """The experiment with its results as the admin API reports them (camelCase)."""
        found: dict[str, Any] | None = (await self._graphql(RESULTS, {"id": experiment_id}))[
            "experiment"]
        if found is None:
            raise SimulationFailed("the admin API does not know the experiment")
        return found
