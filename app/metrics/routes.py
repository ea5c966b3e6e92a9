"""``GET /metrics`` in Prometheus' text format.

Not public by default: without ``metrics_public`` only a request with the operator token
(``Authorization: Bearer <AFFINITY_ADMIN_TOKEN>``) gets it, and anyone else a 404, as if
there were no such route (the figures tell what runs, how many shops and how busy). With
no operator token configured and ``metrics_public`` off, nobody gets it."""

import hmac
import logging

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from app.metrics.registry import Chained, Metrics
from app.metrics.state import ScrapeSources, ServerState, StateCollector, read_state
from app.settings import Settings
from app.storage.database import utcnow

log = logging.getLogger(__name__)
METRICS_PATH = "/metrics"
NO_STORE = {"Cache-Control": "no-store"}


def has_operator_token(request: Request, token: SecretStr | None) -> bool:
    """Whether the request carries the operator token (compared in constant time)."""
    if token is None or not token.get_secret_value():
        return False
    sent = request.headers.get("authorization", "")
    return hmac.compare_digest(sent.encode(), f"Bearer {token.get_secret_value()}".encode())


async def scrape(metrics: Metrics, sources: ScrapeSources) -> bytes:
    """The text of one scrape: the recorded values, then the state read now. A database
    that does not answer leaves the state out (``affinity_state_read`` 0), not the rest."""
    try:
        state: ServerState | None = await read_state(sources, utcnow())
    except Exception as error:  # noqa: BLE001  (any failure: the state is unknown)
        log.warning("metrics: the server state could not be read (%s)", type(error).__name__)
        state = None
    return generate_latest(Chained(metrics.recorded(), StateCollector(state)))


def metrics_routes(metrics: Metrics, sources: ScrapeSources, settings: Settings) -> list[BaseRoute]:
    public, token = settings.metrics_public, settings.admin_token

    async def metrics_endpoint(request: Request) -> Response:
        if not public and not has_operator_token(request, token):
            return PlainTextResponse("Not Found", status_code=404)
        return Response(await scrape(metrics, sources), media_type=CONTENT_TYPE_PLAIN_0_0_4,
                        headers=NO_STORE)

    return [Route(METRICS_PATH, metrics_endpoint, methods=["GET"])]
