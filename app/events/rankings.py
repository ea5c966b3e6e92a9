"""Every list served is recorded under its ``recommendationId``: later events carrying the
id (clicks, add-to-cart, purchases) are attributed to the list, its placement and position.

The record is its own short transaction, committed before the list is returned. On SQLite,
which takes one writer at a time, the server's records take turns in-process: a second
writer queues here at once instead of in SQLite's busy handler, which retries with sleeps
of up to 100 ms."""

import asyncio
from contextlib import AbstractAsyncContextManager, nullcontext

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import transaction, utcnow
from app.events.models import Ranking
from app.ids import ShopId
from app.recommendations.types import RecommendationList


class RankingRecorder:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], single_writer: bool) -> None:
        self._sessions = sessions
        self._turn = asyncio.Lock() if single_writer else None

    async def record(self, shop_id: ShopId, placement: str, visitor_id: str | None,
                     customer_id: str | None, result: RecommendationList) -> None:
        # One Core insert: the ORM's unit of work costs more than the write on this hot path.
        row = insert(Ranking).values(
            shop_id=shop_id, recommendation_id=result.recommendation_id, placement=placement,
            visitor_id=visitor_id, customer_id=customer_id,
            product_ids=[i.product.platform_id for i in result.items],
            reasons=[[r.code for r in i.reasons] for i in result.items],
            model_version=result.model_version, created_at=utcnow())
        turn: AbstractAsyncContextManager[object] = self._turn or nullcontext()
        async with turn, transaction(self._sessions) as session:
            await session.execute(row)
