"""New arrivals are read once per shop and minute, however many requests ask at once."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from app.ids import ShopId
from app.ranking.candidates import catalog_sources
from app.ranking.candidates.catalog_sources import NewArrivals
from app.ranking.candidates.pool import CandidatePool, Source

NOW = datetime(2026, 6, 1, 12, 0, 30, tzinfo=UTC)


class SlowRead:
    def __init__(self, fail_first: bool = False) -> None:
        self.calls = 0
        self.fail_first = fail_first

    async def __call__(self, *_: Any) -> list[str]:
        self.calls += 1
        await asyncio.sleep(0.05)
        if self.fail_first and self.calls == 1:
            raise RuntimeError("database went away")
        return ["p1", "p2"]


async def _ask(arrivals: NewArrivals, times: int) -> list[CandidatePool | BaseException]:
    pools = [CandidatePool() for _ in range(times)]
    outcomes = await asyncio.gather(
        *(arrivals.add(None, ShopId(1), pool, NOW) for pool in pools),  # type: ignore[arg-type]
        return_exceptions=True)
    return [o if isinstance(o, BaseException) else pool for o, pool in zip(outcomes, pools,
                                                                           strict=True)]


async def test_concurrent_requests_share_one_read(monkeypatch: pytest.MonkeyPatch) -> None:
    read = SlowRead()
    monkeypatch.setattr(catalog_sources, "newest_products", read)
    arrivals = NewArrivals()
    pools = await _ask(arrivals, 8)
    assert read.calls == 1
    for pool in pools:
        assert isinstance(pool, CandidatePool)
        assert [(c.product_id, list(c.sources)) for c in pool.items] == [
            ("p1", [Source.NEW_ARRIVAL]), ("p2", [Source.NEW_ARRIVAL])]
    await _ask(arrivals, 3)  # the same minute: from memory
    assert read.calls == 1


async def test_a_failed_shared_read_lets_the_others_read(monkeypatch: pytest.MonkeyPatch) -> None:
    read = SlowRead(fail_first=True)
    monkeypatch.setattr(catalog_sources, "newest_products", read)
    outcomes = await _ask(NewArrivals(), 4)
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failed) == 1 and isinstance(failed[0], RuntimeError)
    assert all(len(o) == 2 for o in outcomes if isinstance(o, CandidatePool))
    assert read.calls == 2  # the failed one, then one for all who waited on it
