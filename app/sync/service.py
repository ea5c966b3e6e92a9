"""Checkpoints of a resumable backfill. A page's rows and its checkpoint are written in
one transaction, so an interrupted run resumes after the last page it applied."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.ids import ShopId
from app.storage.database import utcnow
from app.sync.models import SyncCheckpoint


async def checkpoint(session: AsyncSession, shop_id: ShopId, resource: str) -> SyncCheckpoint:
    """The checkpoint to continue from; a finished pass starts over (reconciliation)."""
    stmt = select(SyncCheckpoint).where(
        SyncCheckpoint.shop_id == shop_id, SyncCheckpoint.resource == resource
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        found = SyncCheckpoint(shop_id=shop_id, resource=resource, cursor=None, items=0,
                               completed=False)
        session.add(found)
    elif found.completed:
        found.cursor, found.items, found.completed = None, 0, False
        found.started_at, found.completed_at = utcnow(), None
    await session.flush()
    return found


async def advance(
    session: AsyncSession, shop_id: ShopId, resource: str, cursor: str | None, items: int
) -> None:
    found = await checkpoint(session, shop_id, resource)
    found.cursor = cursor
    found.items += items
    found.updated_at = utcnow()
    await session.flush()


async def complete(session: AsyncSession, shop_id: ShopId, resource: str) -> None:
    found = await checkpoint(session, shop_id, resource)
    found.completed = True
    found.completed_at = found.updated_at = utcnow()
    await session.flush()


async def restart(session: AsyncSession, shop_id: ShopId, resource: str) -> None:
    found = await checkpoint(session, shop_id, resource)
    found.cursor, found.items = None, 0
    found.started_at = utcnow()
    await session.flush()
