"""An erasure on one machine reaches the published versions and, through them, the other
machines' files: no published model and no fetched one names the customer afterwards."""


from sqlalchemy import func, select

from app.artefacts.models import ArtefactVersion
from app.container import customer_stores
from app.customer_data import CustomerRef
from app.ids import ShopId
from app.privacy.service import redact_customer, redact_shop
from app.ranking.artefact import shop_folder
from app.storage.database import transaction
from tests.integration.artefacts.support import shop_with_a_trained_model
from tests.support import Harness


async def shop_with_a_published_model(a: Harness, b: Harness) -> ShopId:
    shop = await shop_with_a_trained_model(a)
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
