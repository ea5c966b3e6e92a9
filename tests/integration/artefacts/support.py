"""A shop with a trained model on one machine, for the artefact tests."""

from datetime import UTC, datetime, timedelta

from app.ids import ShopId
from app.orders.changes import OrderChange, OrderLineChange
from app.orders.service import record_orders
from app.ranking.scheduler import ModelTrainer
from app.storage.database import transaction
from tests.factories import MUGS_AND_MORE, product
from tests.support import Harness

CATALOG = [product(pid, title) for pid, title in MUGS_AND_MORE]
BASKETS = [("o1", "c1", ["1", "3"]), ("o2", "c2", ["1", "3", "10"]), ("o3", "c3", ["4", "5"]),
           ("o4", "c1", ["4", "5"]), ("o5", "c2", ["1"]), ("o6", "c5", ["1", "3"])]


async def shop_with_a_trained_model(machine: Harness) -> ShopId:
    """A shop whose index is built on ``machine`` (never published) and whose model is
    trained there and published."""
    shop, _ = await machine.add_shop(CATALOG)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    async with transaction(machine.services.sessions) as session:
        await record_orders(session, shop, [
            OrderChange(o, c, start + timedelta(days=n),
                        tuple(OrderLineChange(f"{o}-{p}", p, None, 1, 5.0) for p in items))
            for n, (o, c, items) in enumerate(BASKETS)])
    services = machine.services
    trainer = ModelTrainer(services.sessions, services.models, services.models_dir, 24,
                           publish=services.artefacts.publish_model)
    assert await trainer.run_once() == 1
    return shop
