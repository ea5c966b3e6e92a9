"""Join the ingestion and engine branches; index products by shop and age.

New-arrival and catalog candidates read a shop's newest servable products on the request
path; without this index SQLite sorted the whole catalog each time.

Revision ID: 0004_products_by_age
Revises: 0002_ingestion, 0003_engine
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_products_by_age"
down_revision: str | Sequence[str] | None = ("0002_ingestion", "0003_engine")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_products_shop_id_created_at", "products", ["shop_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_products_shop_id_created_at", table_name="products")
