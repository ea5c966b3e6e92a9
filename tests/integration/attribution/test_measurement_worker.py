"""The measurement loop's folds are committed through each way a server writes (a
session's transaction; on a SQLite file, the writer thread), exactly once."""

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from app.events.types import EventType
from app.measurement import MeasurementWorker
from app.settings import Settings
from app.storage.database import create_session_factory, transaction
from app.storage.writes import Writes
from tests.factories import make_shop, shop_id
from tests.integration.attribution.support import daily, serve, track


async def test_folds_run_through_the_writes_port_and_are_committed_once(
        engine: AsyncEngine, database_url: str, writes: Writes) -> None:
    sessions = create_session_factory(engine)
    rec = uuid.uuid4().hex
    async with transaction(sessions) as session:
        shop = shop_id(await make_shop(session))
        await serve(session, shop, rec, visitor="v-fold")
        await track(session, shop, EventType.PRODUCT_CLICKED.value, rec, product="p1",
                    visitor="v-fold")
    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    worker = MeasurementWorker(sessions, settings, writes=writes)

    first = await worker.fold(pause=False)
    again = await worker.fold(pause=False)

    assert first.more is False and again.total == 0
    async with sessions() as session:  # a new transaction sees what the fold committed
        rows = await daily(session, shop)
    assert sum(r.get("served", 0) for r in rows.values()) == 1
    assert sum(r.get("clicks", 0) for r in rows.values()) == 1
