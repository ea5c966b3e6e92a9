"""The storefront components ask for non-personalized rankings by the ids of the persisted
queries the server ships (``frontend-snippets/core/persisted.ts``): a changed document
changes its id, and a component with the old one falls back to POST instead of running a
document it does not know."""

import re
from pathlib import Path

from app.graphql.persisted import shipped_queries

COMPONENTS_IDS = Path(__file__).resolve().parents[2] / "frontend-snippets" / "core" / "persisted.ts"


def test_the_components_name_every_shipped_query_by_its_sha256() -> None:
    source = COMPONENTS_IDS.read_text()
    named = dict(re.findall(r"^\s+(\w+): '([0-9a-f]{64})',$", source, re.MULTILINE))
    assert named == {query.name: query.sha256 for query in shipped_queries()}
