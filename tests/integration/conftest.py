"""Integration fixtures: the app serving webhooks (platform adapters and the ingestion
service behind them)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.webhooks.support import Hooks, hooks_app


@pytest.fixture
async def hooks(database_url: str, tmp_path: Path) -> AsyncIterator[Hooks]:
    async with hooks_app(database_url, tmp_path) as h:
        yield h
