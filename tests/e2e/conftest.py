from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.processes import fresh_database


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend for this test alone."""
    with fresh_database(request.param, tmp_path) as url:
        yield url
