"""A server whose engines read the shops' merchandising rules from a directory the test holds."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from app import container
from app.embeddings.sentence_transformer import SentenceTransformerEmbedder
from app.ids import ShopId
from app.ranking.service import RecommendationEngine
from app.rules.directory import RuleDirectory
from app.search.service import SearchReranker
from tests.factories import MUGS_AND_MORE, product
from tests.support import Harness, harness


def _built_with(cls: Callable[..., Any], rules: RuleDirectory) -> Callable[..., Any]:
    def build(*args: Any, **kwargs: Any) -> Any:
        return cls(*args, **{**kwargs, "shop_rules": rules})

    return build


@pytest.fixture
async def served(database_url: str, tmp_path: Path, embedder: SentenceTransformerEmbedder,
                 monkeypatch: pytest.MonkeyPatch
                 ) -> AsyncIterator[tuple[Harness, ShopId, str, RuleDirectory]]:
    """A server whose engines read the shops' rules from ``rules``."""
    rules = RuleDirectory()
    monkeypatch.setattr(container, "RecommendationEngine", _built_with(RecommendationEngine, rules))
    monkeypatch.setattr(container, "SearchReranker", _built_with(SearchReranker, rules))
    async with harness(database_url, tmp_path, embedder) as h:
        products = [product(pid, title, product_type=title.split()[-1],
                            tags=("adult",) if pid in {"6", "7"} else (),
                            available=pid != "10")
                    for pid, title in MUGS_AND_MORE]
        shop, key = await h.add_shop(products)
        yield h, shop, key, rules
