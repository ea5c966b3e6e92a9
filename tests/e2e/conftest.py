from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import migrated_database


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend for this test alone."""
    with migrated_database(request.param, tmp_path) as url:
        yield url
