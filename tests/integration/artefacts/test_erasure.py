"""An erasure on one machine reaches the published versions and, through them, the other
machines' files: no published model and no fetched one names the customer afterwards."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.artefacts.models import ArtefactVersion
from app.container import customer_stores
from app.customer_data import CustomerRef
from app.ids import ShopId
from app.orders.changes import OrderChange, OrderLineChange
from app.orders.service import record_orders
from app.privacy.service import redact_customer, redact_shop
from app.ranking.artefact import shop_folder
from app.ranking.scheduler import ModelTrainer
from app.storage.database import transaction
from tests.factories import MUGS_AND_MORE, product
from tests.support import Harness

CATALOG = [product(pid, title) for pid, title in MUGS_AND_MORE]
BASKETS = [("o1", "c1", ["1", "3"]), ("o2", "c2", ["1", "3", "10"]), ("o3", "c3", ["4", "5"]),
           ("o4", "c1", ["4", "5"]), ("o5", "c2", ["1"]), ("o6", "c5", ["1", "3"])]


async def shop_with_a_published_model(a: Harness, b: Harness) -> ShopId:
    shop, _ = await a.add_shop(CATALOG)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    async with transaction(a.services.sessions) as session:
        await record_orders(session, shop, [
            OrderChange(o, c, start + timedelta(days=n),
                        tuple(OrderLineChange(f"{o}-{p}", p, None, 1, 5.0) for p in items))
            for n, (o, c, items) in enumerate(BASKETS)])
    trainer = ModelTrainer(a.services.sessions, a.services.models, a.services.models_dir, 24,
                           publish=a.services.artefacts.publish_model)
    assert await trainer.run_once() == 1
    assert await b.services.artefacts.check() == 1
    fetched = b.services.models.get(shop)
    assert fetched is not None and "c1" in fetched.artefact.user_row
    return shop


async def published(machine: Harness, shop: ShopId) -> list[str]:
    async with transaction(machine.services.sessions) as session:
        return list((await session.execute(select(ArtefactVersion.version).where(
            ArtefactVersion.shop_id == shop))).scalars())


async def test_a_redacted_customer_leaves_the_published_and_the_fetched_models(
        machines: tuple[Harness, Harness]) -> None:
    a, b = machines
    shop = await shop_with_a_published_model(a, b)
    async with transaction(a.services.sessions) as session:
        await redact_customer(session, customer_stores(a.services), CustomerRef(shop, "c1"))

    [version] = await published(a, shop)
    assert "~" in version  # the scrubbed rewrite, and nothing older
    assert await b.services.artefacts.check() == 1
    served = b.services.models.get(shop)
    assert served is not None and served.artefact.version == version
    assert "c1" not in served.artefact.user_row and "c2" in served.artefact.user_row
    folders = [p.name for p in shop_folder(b.services.models_dir, shop).iterdir() if p.is_dir()]
    assert folders == [version]


async def test_a_redacted_shop_leaves_no_published_version(
        machines: tuple[Harness, Harness]) -> None:
    a, b = machines
    shop = await shop_with_a_published_model(a, b)
    async with transaction(a.services.sessions) as session:
        assert await redact_shop(session, customer_stores(a.services), shop)
    async with transaction(a.services.sessions) as session:
        assert await session.scalar(select(func.count()).select_from(ArtefactVersion)) == 0
