"""A small shop with known data for the health figures: plain rows, each figure's
numerator and denominator chosen by the test."""

import os
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from app.attribution.models import NO_EXPERIMENT, NO_PLACEMENT, NO_VARIANT, KpiDaily
from app.catalog.models import Product
from app.embeddings.models import ProductEmbedding
from app.events.models import Event, Ranking
from app.ids import ShopId
from app.index.models import IndexBuild
from app.ingestion.models import InboxDelivery
from app.orders.models import Order, OrderLine
from app.ranking.artefact import POINTER, shop_folder
from tests.factories import make_shop, shop_id

MODEL = "test-model"
NOW = datetime.fromisoformat("2026-06-15T12:00:00+00:00")


async def new_shop(session: AsyncSession) -> ShopId:
    return shop_id(await make_shop(session))


def product(shop: ShopId, n: int, **kwargs: object) -> Product:
    values: dict[str, object] = {
        "platform_id": str(n), "title": f"Product {n}", "body_text": "A fine thing.",
        "product_type": "Mugs", "price_min": 10.0, "image_url": f"https://img/{n}.jpg",
        "content_hash": f"hash-{n}"}
    return Product(shop_id=shop, **{**values, **kwargs})


def embedding(item: Product, updated_at: datetime, content_hash: str | None = None,
              model: str = MODEL) -> ProductEmbedding:
    return ProductEmbedding(product_key=item.id, model_name=model, shop_id=item.shop_id,
                            content_hash=content_hash or item.content_hash, dimension=2,
                            vector=b"\x00" * 8, updated_at=updated_at)


def index_build(shop: ShopId, snapshot_at: datetime, built_at: datetime) -> IndexBuild:
    return IndexBuild(shop_id=shop, model_name=MODEL, version=1, file_name="v1.ann",
                      item_count=1, snapshot_at=snapshot_at, built_at=built_at)


def event(shop: ShopId, visitor: str, occurred_at: datetime, *, personalization: bool = True,
          kind: str = "PRODUCT_VIEWED", n: int = 0) -> Event:
    return Event(shop_id=shop, event_id=f"{visitor}-{occurred_at.isoformat()}-{kind}-{n}",
                 type=kind, visitor_id=visitor, product_id="1", occurred_at=occurred_at,
                 personalization=personalization)


def ranking(shop: ShopId, visitor: str | None, created_at: datetime, n: int = 0) -> Ranking:
    return Ranking(shop_id=shop, recommendation_id=f"rec-{visitor}-{created_at.isoformat()}-{n}",
                   placement="HOME", visitor_id=visitor, product_ids=["1"],
                   created_at=created_at)


def order(shop: ShopId, n: int, placed_at: datetime, customer: str | None = None) -> Order:
    return Order(shop_id=shop, platform_id=f"o{n}", customer_id=customer, placed_at=placed_at)


def line(item: Order, recommendation: str | None) -> OrderLine:
    return OrderLine(shop_id=item.shop_id, order_key=item.id, platform_id=f"l{item.id}",
                     product_id="1", recommendation_id=recommendation)


def kpi_day(shop: ShopId, day: date, *, impressions: int = 0, clicks: int = 0,
            unattributed: int = 0, placement: str = "HOME") -> KpiDaily:
    return KpiDaily(shop_id=shop, day=day, placement=placement, experiment_id=NO_EXPERIMENT,
                    variant=NO_VARIANT, impressions=impressions, clicks=clicks,
                    unattributed_events=unattributed)


def unattributed_day(shop: ShopId, day: date, count: int) -> KpiDaily:
    return kpi_day(shop, day, unattributed=count, placement=NO_PLACEMENT)


def delivery(shop: ShopId, n: int, status: str) -> InboxDelivery:
    return InboxDelivery(shop_id=shop, platform="shopify", topic="products/update",
                         delivery_id=f"d{n}", status=status)


def model_made_current(models_dir: Path, shop: ShopId, at: datetime) -> None:
    folder = shop_folder(models_dir, shop)
    folder.mkdir(parents=True)
    pointer = folder / POINTER
    pointer.write_text("v1")
    os.utime(pointer, (at.timestamp(), at.timestamp()))


def hours_before(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)
