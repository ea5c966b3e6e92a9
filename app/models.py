"""Imports every ORM model so that the metadata is complete (for Alembic)."""

from app.artefacts import models as artefact_models
from app.attribution import models as attribution_models
from app.catalog import models as catalog_models
from app.embeddings import models as embedding_models
from app.events import models as event_models
from app.experiments import models as experiment_models
from app.index import models as index_models
from app.ingestion import models as ingestion_models
from app.inventory import models as inventory_models
from app.orders import models as order_models
from app.privacy import models as privacy_models
from app.rules import models as rule_models
from app.shops import models as shop_models
from app.storage.database import Base
from app.sync import models as sync_models
from webhooks.shopify_app import models as shopify_app_models

metadata = Base.metadata

__all__ = [
    "artefact_models",
    "attribution_models",
    "catalog_models",
    "embedding_models",
    "event_models",
    "experiment_models",
    "index_models",
    "ingestion_models",
    "inventory_models",
    "metadata",
    "order_models",
    "privacy_models",
    "rule_models",
    "shop_models",
    "shopify_app_models",
    "sync_models",
]
