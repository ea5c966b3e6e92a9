"""A small client of the Shopify Admin GraphQL API: authentication, and patience.

Shopify meters GraphQL by calculated query cost (a leaky bucket reported in
``extensions.cost.throttleStatus``). A throttled call is answered with an error whose
code is ``THROTTLED`` (sometimes with HTTP 429): we wait until the bucket holds the
requested cost again and retry. Transport errors and 5xx are retried with exponential
back-off; anything else is an error for the operator."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from app.errors import Unavailable

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
MAX_TRIES = 8
MIN_WAIT = 0.5
MAX_WAIT = 60.0


class ShopifyAdminError(Unavailable):
    pass


class AccessRevokedError(ShopifyAdminError):
    """Shopify answered 401 to the shop's token: revoked, as when the app is uninstalled."""


def _throttle_wait(cost: dict[str, Any] | None) -> float:
    """Seconds until the bucket holds the requested cost again."""
    if not isinstance(cost, dict):
        return 2.0
    status = cost.get("throttleStatus") or {}
    requested = float(cost.get("requestedQueryCost") or 0)
    available = float(status.get("currentlyAvailable") or 0)
    rate = float(status.get("restoreRate") or 50) or 50.0
    return min(MAX_WAIT, max(MIN_WAIT, (requested - available) / rate))


def _throttled(body: dict[str, Any]) -> bool:
    for error in body.get("errors") or []:
        if isinstance(error, dict) and (
            (error.get("extensions") or {}).get("code") == "THROTTLED"
            or error.get("message") == "Throttled"
        ):
            return True
    return False


class ShopifyAdminClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        domain: str,
        access_token: str,
        api_version: str,
        api_url: str | None = None,
        sleep: Sleep = asyncio.sleep,
        max_tries: int = MAX_TRIES,
    ) -> None:
        base = (api_url or f"https://{domain}").rstrip("/")
        self._url = f"{base}/admin/api/{api_version}/graphql.json"
        self._http = http
        self._headers = {"X-Shopify-Access-Token": access_token, "Content-Type": "application/json"}
        self._sleep = sleep
        self._max_tries = max_tries
        self.waited = 0.0

    async def _wait(self, seconds: float, why: str) -> None:
        log.info("Shopify Admin API: %s, waiting %.1f s", why, seconds)
        self.waited += seconds
        await self._sleep(seconds)

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one query and return its ``data``, waiting out throttling and outages."""
        problem = "no answer"
        for attempt in range(self._max_tries):
            backoff = min(MAX_WAIT, MIN_WAIT * 2**attempt)
            try:
                response = await self._http.post(
                    self._url, json={"query": query, "variables": variables or {}},
                    headers=self._headers)
            except httpx.TransportError as exc:
                problem = f"unreachable ({type(exc).__name__})"
                await self._wait(backoff, problem)
                continue
            if response.status_code in (401, 403):
                refused = AccessRevokedError if response.status_code == 401 else ShopifyAdminError
                raise refused(
                    f"Shopify refused the access token ({response.status_code}); "
                    "check it with `affinity shop set-credentials`")
            body = response.json() if response.headers.get("content-type", "").startswith(
                "application/json") else {}
            if response.status_code == 429 or _throttled(body):
                retry_after = response.headers.get("retry-after", "")
                cost = (body.get("extensions") or {}).get("cost")
                wait = float(retry_after) if retry_after.replace(".", "", 1).isdigit() else None
                await self._wait(wait or _throttle_wait(cost), "throttled")
                continue
            if response.status_code >= 500:
                problem = f"answered {response.status_code}"
                await self._wait(backoff, problem)
                continue
            if body.get("errors") or not response.is_success:
                raise ShopifyAdminError(f"Shopify Admin API error: {body.get('errors') or response.status_code}")
            return dict(body.get("data") or {})
        raise ShopifyAdminError(f"Shopify Admin API {problem} after {self._max_tries} tries")
