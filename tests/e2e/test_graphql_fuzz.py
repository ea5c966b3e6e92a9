"""Generated GraphQL requests against a running server with a shop's storefront key: every
query and mutation of the schema, with arguments drawn by schemathesis, is answered with
data or errors, never with a server error."""

import asyncio
import json
from collections import Counter
from datetime import UTC
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation.case import Case
from schemathesis.graphql import nodes
from schemathesis.schemas import BaseSchema

from app.graphql.schema import build_schema
from app.settings import Settings
from tests.conftest import migrated_database
from tests.e2e.processes import Affinity

pytestmark = [pytest.mark.e2e, pytest.mark.model]  # the index and rerankSearch embed

CASES = 300
DOMAIN = "fuzz.myshopify.com"
KEY_HEADER = "X-Affinity-Storefront-Key"
TITLES = ("Red Retrospot Mug", "Blue Polka Dot Cup", "Jam Making Set", "Vintage Doily",
          "Paper Chain Kit", "Lunch Bag Red", "Glass Star Lantern", "Heart Tealight Holder")

# Timestamps as a storefront sends them, and strings that are not timestamps at all.
schemathesis.graphql.scalar("DateTime", st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.isoformat()),
    st.text(max_size=40),
).map(nodes.String))


def catalog(path: Path) -> Path:
    rows = ({"id": str(number + 1), "title": title, "price": 2.5 + number,
             "product_type": title.split()[-1]} for number, title in enumerate(TITLES))
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_generated_graphql_requests_never_get_a_server_error(tmp_path: Path) -> None:
    with migrated_database("sqlite", tmp_path) as database_url:
        affinity = Affinity(tmp_path, database_url, worker_enabled="false")
        asyncio.run(affinity.install_shop(DOMAIN, "fuzz-secret"))
        affinity.cli("catalog", "import", "--shop", DOMAIN, str(catalog(tmp_path / "c.jsonl")))
        affinity.cli("index", "build", "--shop", DOMAIN)
        schema = schemathesis.graphql.from_file(build_schema(Settings(_env_file=None)).as_str())
        affinity.start()
        try:
            statuses = run_cases(schema, affinity)
        finally:
            affinity.stop()
    # The key was accepted: the requests reached GraphQL rather than the door.
    assert statuses[200] >= CASES // 2, statuses


def run_cases(schema: BaseSchema, affinity: Affinity) -> Counter[int]:
    """Send the generated requests; how many got each status."""
    statuses: Counter[int] = Counter()

    @given(case=schema.as_strategy())
    @settings(max_examples=CASES, derandomize=True, database=None, deadline=None,
              phases=(Phase.explicit, Phase.generate, Phase.shrink),
              suppress_health_check=list(HealthCheck))
    def answered_without_server_error(case: Case) -> None:
        response = case.call(base_url=f"{affinity.url}/graphql",
                             headers={KEY_HEADER: affinity.key}, timeout=30)
        statuses[response.status_code] += 1
        assert response.status_code < 500, (case.body, response.status_code, response.text[:500])

    answered_without_server_error()
    return statuses
