"""The training job: read a shop's orders, build the artefact, save it atomically."""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.ids import ShopId
from app.ranking.artefact import ModelArtefact, save_artefact
from app.ranking.history import purchase_history, view_sessions
from app.ranking.training import DEFAULT_PARAMS, TrainingParams, train
from app.storage.database import utcnow


@dataclass(frozen=True)
class TrainedModel:
    artefact: ModelArtefact
    folder: Path
    orders: int


COVIEW_LOOKBACK = timedelta(days=90)


async def catalog_ids(session: AsyncSession, shop_id: ShopId) -> list[str]:
    stmt = (select(Product.platform_id)
            .where(Product.shop_id == shop_id, Product.deleted.is_(False)).order_by(Product.id))
    return list((await session.execute(stmt)).scalars())


async def train_shop_model(
    session: AsyncSession, shop_id: ShopId, models_dir: Path,
    as_of: datetime | None = None, params: TrainingParams = DEFAULT_PARAMS,
) -> TrainedModel:
    history = await purchase_history(session, shop_id)
    sessions = await view_sessions(session, shop_id, (as_of or utcnow()) - COVIEW_LOOKBACK)
    ids = await catalog_ids(session, shop_id)
    when = as_of or max([utcnow(), *(o.placed_at for o in history[-1:])])
    version = when.strftime("%Y%m%dT%H%M%S") + f"-{len(history)}"
    # The factorization runs off the event loop: a server keeps serving while it trains.
    artefact = await asyncio.to_thread(train, history, ids, when, version, params, sessions)
    folder = await asyncio.to_thread(save_artefact, models_dir, shop_id, artefact)
    return TrainedModel(artefact, folder, len(history))
